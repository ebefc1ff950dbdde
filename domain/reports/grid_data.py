"""Grid data: the review grid of a case, one line per exhibit, one column per custom field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from sqlalchemy import case, func, select

from domain.reports.spec import Column, ReportContext, ReportSpec, in_window, stream
from domain.reports.sql import code_names, decode_status, joined_names, names_by_exhibit
from domain.schema import (
    custodian_exhibits,
    custodians,
    custom_field_values,
    custom_fields,
    documents,
    exhibits,
    folder_taggings,
    folder_tags,
    label_categories,
    label_category_labels,
)

BASE = (
    Column("exhibit_id", "int"),
    Column("control_number"),
    Column("title"),
    Column("author"),
    Column("date_sent", "datetime"),
    Column("filename"),
    Column("file_extension"),
    Column("page_count", "int"),
    Column("bates_begin"),
    Column("bates_end"),
    Column("parent_exhibit_id", "int"),
    Column("confidentiality"),
    Column("custodians"),
    Column("labels"),
    Column("folders"),
)
FIELD_KINDS = {"number": "float", "date": "date"}
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def fields(conn) -> list[tuple[int, str, str]]:
    return [
        tuple(r)
        for r in conn.execute(
            select(custom_fields.c.id, custom_fields.c.name, custom_fields.c.field_type).order_by(
                custom_fields.c.id
            )
        )
    ]


def column_names(field_rows) -> list[Column]:
    """Custom fields follow the fixed columns under their own names; a clash gets ' (custom field)'."""
    taken = {c.name.casefold() for c in BASE}
    columns = []
    for _, name, kind in field_rows:
        label = name if name.casefold() not in taken else f"{name} (custom field)"
        while label.casefold() in taken:
            label += "'"
        taken.add(label.casefold())
        columns.append(Column(label, FIELD_KINDS.get(kind, "text")))
    return columns


def columns(ctx: ReportContext) -> list[Column]:
    with ctx.case_connection(ctx.case_id) as conn:
        return [*BASE, *column_names(fields(conn))]


def query(params, field_rows):
    held = names_by_exhibit(custodian_exhibits, custodian_exhibits.c.custodian_id, custodians, "custodians")
    labelled = names_by_exhibit(
        label_category_labels, label_category_labels.c.label_category_id, label_categories, "labels"
    )
    filed = names_by_exhibit(folder_taggings, folder_taggings.c.folder_tag_id, folder_tags, "folders")
    joins = (
        exhibits.outerjoin(documents, documents.c.id == exhibits.c.document_id)
        .outerjoin(held, held.c.exhibit_id == exhibits.c.id)
        .outerjoin(labelled, labelled.c.exhibit_id == exhibits.c.id)
        .outerjoin(filed, filed.c.exhibit_id == exhibits.c.id)
    )
    values = []
    if field_rows:
        # One pivot subquery for every custom field: a join per field would pass SQLite's and
        # MySQL's limit of 64 / 61 tables in a join on a case with many fields.
        pairs = (
            select(
                custom_field_values.c.exhibit_id.label("exhibit_id"),
                custom_field_values.c.custom_field_id.label("field_id"),
                custom_field_values.c.value.label("name"),
            )
            .where(custom_field_values.c.value.is_not(None))
            .distinct()
            .order_by("exhibit_id", "field_id", "name")
            .subquery()
        )
        per_field = (
            select(pairs.c.exhibit_id, pairs.c.field_id, joined_names(pairs.c.name).label("value"))
            .group_by(pairs.c.exhibit_id, pairs.c.field_id)
            .subquery()
        )
        pivot = (
            select(
                per_field.c.exhibit_id,
                *(
                    func.max(case((per_field.c.field_id == field_id, per_field.c.value))).label(f"f{n}")
                    for n, (field_id, _, _) in enumerate(field_rows)
                ),
            )
            .group_by(per_field.c.exhibit_id)
            .subquery("custom_values")
        )
        joins = joins.outerjoin(pivot, pivot.c.exhibit_id == exhibits.c.id)
        values = [pivot.c[f"f{n}"] for n in range(len(field_rows))]
    return (
        select(
            exhibits.c.id,
            exhibits.c.control_number,
            exhibits.c.title,
            exhibits.c.author,
            exhibits.c.date_sent,
            documents.c.filename,
            documents.c.file_extension,
            exhibits.c.page_count,
            exhibits.c.bates_begin,
            exhibits.c.bates_end,
            exhibits.c.parent_exhibit_id,
            exhibits.c.confidentiality_status,
            held.c.custodians,
            labelled.c.labels,
            filed.c.folders,
            *values,
        )
        .select_from(joins)
        .where(*in_window(exhibits.c.created_at, params))
        .order_by(exhibits.c.id)
    )


def typed(value: str | None, kind: str):
    """A number or date field's stored text as a number or date when it is one; otherwise as stored."""
    if value is None or kind == "text":
        return value
    text = value.strip()
    if kind == "float" and NUMBER.match(text):
        return int(text) if "." not in text else float(text)
    if kind == "date":
        try:
            return date.fromisoformat(text)
        except ValueError:
            return value
    return value


def rows(ctx: ReportContext) -> Iterator[tuple]:
    with ctx.case_connection(ctx.case_id) as conn:
        field_rows = fields(conn)
        kinds = [c.kind for c in column_names(field_rows)]
        codes = code_names(conn)
        base = len(BASE)
        for row in stream(conn, query(ctx.params, field_rows)):
            out = list(row)
            out[11] = decode_status(out[11], codes)
            for i, kind in enumerate(kinds):
                out[base + i] = typed(out[base + i], kind)
            yield tuple(out)
    ctx.summary["custom_fields"] = len(field_rows)


SPEC = ReportSpec(
    "grid_data",
    "Grid data",
    "The review grid: one line per exhibit with its metadata, Bates, confidentiality, custodians, labels, "
    "folders and one column per custom field (numbers and dates typed when they are numbers and dates).",
    "case",
    columns,
    rows,
)
