"""Coding overlay: apply the coded fields of an uploaded load file to a case, then report every line.

Lines match exhibits by Bates (`exhibits.bates_begin`) or control number. A line
whose key finds no exhibit is *unmatched*; one whose key finds several, whose
value does not fit its field, that names an unknown label, or that disagrees
with another line about the same exhibit is *conflicting* (and so are the lines
it disagrees with). Only matched lines are applied, all in one transaction:
custom field values are set (a blank cell leaves a value as it is) and labels
are added. Running the same overlay twice changes nothing the second time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import insert, select, update

from domain.batches import IN_LIST_SIZE, batched
from domain.errors import PermanentError
from domain.reports.load_file import MalformedLoadFile, read_load_file
from domain.reports.spec import Column, ReportContext, ReportSpec, fixed
from domain.schema import (
    custom_field_values,
    custom_fields,
    exhibits,
    label_categories,
    label_category_labels,
)

COLUMNS = (
    Column("line", "int"),
    Column("match_field"),
    Column("match_value"),
    Column("exhibit_id", "int"),
    Column("status"),
    Column("applied"),
    Column("detail"),
)
BATES_FIELDS = {
    "begbates",
    "batesbegin",
    "begdoc",
    "bates",
    "batesnumber",
    "begbatesnumber",
    "prodbegbates",
    "begno",
}
CONTROL_FIELDS = {"controlnumber", "control", "docid", "documentid"}
LABEL_FIELDS = {"labels", "label", "labelcategories", "tags"}
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
MAX_LINES = 1_000_000


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


@dataclass
class Plan:
    match_field: str
    match_index: int
    match_column: object
    fields: dict[int, tuple[int, str, str]]  # column index -> (custom_field_id, name, field_type)
    label_index: int | None
    ignored: list[str]


@dataclass
class Line:
    line: int
    key: str
    exhibit_id: int | None = None
    status: str = "matched"
    detail: str = ""
    values: dict[int, str] = field(default_factory=dict)  # custom_field_id -> value
    labels: tuple[str, ...] = ()


def plan(header: list[str], match_by: str, field_rows) -> Plan:
    normalized = [norm(h) for h in header]
    bates = next((i for i, n in enumerate(normalized) if n in BATES_FIELDS), None)
    control = next((i for i, n in enumerate(normalized) if n in CONTROL_FIELDS), None)
    if match_by == "bates" or (match_by == "auto" and bates is not None):
        if bates is None:
            raise MalformedLoadFile("The load file has no Bates column (BEGBATES) to match exhibits by.")
        index, name, column = bates, "bates", exhibits.c.bates_begin
    else:
        if control is None:
            raise MalformedLoadFile(
                "The load file has no BEGBATES or Control Number column to match exhibits by."
            )
        index, name, column = control, "control_number", exhibits.c.control_number
    by_name = {f_name.strip().casefold(): (f_id, f_name, f_type) for f_id, f_name, f_type in field_rows}
    fields, label_index, ignored = {}, None, []
    for i, h in enumerate(header):
        if i == index:
            continue
        if h.strip().casefold() in by_name:
            fields[i] = by_name[h.strip().casefold()]
        elif normalized[i] in LABEL_FIELDS and label_index is None:
            label_index = i
        else:
            ignored.append(h)
    if not fields and label_index is None:
        raise PermanentError(
            "No column of the load file names a custom field of the case or Labels: nothing to apply. "
            f"Columns: {', '.join(header)}."
        )
    return Plan(name, index, column, fields, label_index, ignored)


def field_value(raw: str, field_type: str) -> str:
    """The value to store, or ValueError saying why it does not fit the field."""
    text = raw.strip()
    if field_type == "number":
        if not NUMBER.match(text):
            raise ValueError(f"{raw!r} is not a number")
        return text
    if field_type == "date":
        for parse in (
            date.fromisoformat,
            lambda t: datetime.strptime(t, "%m/%d/%Y").date(),
            lambda t: datetime.strptime(t, "%Y%m%d").date(),
        ):
            try:
                return parse(text).isoformat()
            except ValueError:
                continue
        raise ValueError(f"{raw!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)")
    return raw


def _read(ctx: ReportContext, p_fields) -> tuple[Plan, list[Line]]:
    if ctx.fetch_object is None or not ctx.params.overlay_key:
        raise PermanentError("A coding overlay needs parameters.overlay_key, the uploaded load file.")
    path = ctx.fetch_object(ctx.params.overlay_key)
    kind, header, records = read_load_file(path)
    the_plan = plan(header, ctx.params.match_by, p_fields)
    lines: list[Line] = []
    for record in records:  # the whole file is read and checked before anything changes
        if len(lines) >= MAX_LINES:
            raise MalformedLoadFile(f"The load file has more than {MAX_LINES} lines; split it.")
        item = Line(record.line, record.values[the_plan.match_index].strip())
        problems = []
        for i, (field_id, name, field_type) in the_plan.fields.items():
            if record.values[i].strip() == "":
                continue
            try:
                item.values[field_id] = field_value(record.values[i], field_type)
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
        if the_plan.label_index is not None:
            item.labels = tuple(
                sorted({v.strip() for v in record.values[the_plan.label_index].split(";") if v.strip()})
            )
        if problems:
            item.status, item.detail = "conflicting", "; ".join(problems)
        lines.append(item)
    ctx.summary.update(file_kind=kind, match_field=the_plan.match_field, ignored_columns=the_plan.ignored)
    if the_plan.ignored:
        ctx.notes.append(
            f"Columns not applied (no custom field of that name): {', '.join(the_plan.ignored)}."
        )
    return the_plan, lines


def _match(conn, the_plan: Plan, lines: list[Line], label_ids: dict[str, int]) -> None:
    keys = sorted({x.key for x in lines if x.key})
    found: dict[str, list[int]] = {}
    for chunk in batched(keys, IN_LIST_SIZE):
        q = (
            select(the_plan.match_column, exhibits.c.id)
            .where(the_plan.match_column.in_(chunk))
            .order_by(exhibits.c.id)
        )
        for key, exhibit_id in conn.execute(q):
            found.setdefault(key, []).append(exhibit_id)
    by_exhibit: dict[int, list[Line]] = {}
    for item in lines:
        if not item.key:
            item.status, item.detail = "unmatched", f"no {the_plan.match_field} on this line"
            continue
        ids = found.get(item.key, [])
        if not ids:
            if item.status == "matched":
                item.status, item.detail = "unmatched", f"no exhibit has {the_plan.match_field} {item.key!r}"
            continue
        if len(ids) > 1:
            item.status, item.detail = "conflicting", f"{len(ids)} exhibits share it: {ids[:10]}"
            continue
        item.exhibit_id = ids[0]
        unknown = [name for name in item.labels if name.casefold() not in label_ids]
        if unknown and item.status == "matched":
            item.status, item.detail = "conflicting", f"unknown label(s): {', '.join(unknown)}"
        by_exhibit.setdefault(item.exhibit_id, []).append(item)
    for exhibit_id, group in by_exhibit.items():
        wanted = {(tuple(sorted(x.values.items())), x.labels) for x in group}
        if len(group) > 1 and (len(wanted) > 1 or any(x.status != "matched" for x in group)):
            others = ", ".join(str(x.line) for x in group)
            for x in group:
                if x.status == "matched":
                    x.status, x.detail = (
                        "conflicting",
                        f"exhibit {exhibit_id} is on lines {others} with different values",
                    )


def _apply(conn, lines: list[Line], label_ids: dict[str, int], summary: dict) -> None:
    todo: dict[int, Line] = {}
    for x in lines:
        if x.status == "matched":
            todo.setdefault(x.exhibit_id, x)  # agreeing duplicates are applied once
    ids = sorted(todo)
    current: dict[tuple[int, int], list[tuple[int, str | None]]] = {}
    linked: set[tuple[int, int]] = set()
    for chunk in batched(ids, IN_LIST_SIZE):
        for row_id, field_id, exhibit_id, value in conn.execute(
            select(
                custom_field_values.c.id,
                custom_field_values.c.custom_field_id,
                custom_field_values.c.exhibit_id,
                custom_field_values.c.value,
            )
            .where(custom_field_values.c.exhibit_id.in_(chunk))
            .order_by(custom_field_values.c.id)
        ):
            current.setdefault((field_id, exhibit_id), []).append((row_id, value))
        linked.update(
            (r[0], r[1])
            for r in conn.execute(
                select(label_category_labels.c.label_category_id, label_category_labels.c.exhibit_id).where(
                    label_category_labels.c.exhibit_id.in_(chunk)
                )
            )
        )
    changed = unchanged = added = 0
    inserts, label_rows = [], []
    for exhibit_id in ids:
        item = todo[exhibit_id]
        for field_id, value in item.values.items():
            rows = current.get((field_id, exhibit_id), [])
            if rows and all(v == value for _, v in rows):
                unchanged += 1
                continue
            if rows:
                # One value per field and exhibit: the first row holds it, extra rows go.
                conn.execute(
                    update(custom_field_values)
                    .where(custom_field_values.c.id == rows[0][0])
                    .values(value=value)
                )
                for extra_id, _ in rows[1:]:
                    conn.execute(custom_field_values.delete().where(custom_field_values.c.id == extra_id))
            else:
                inserts.append({"custom_field_id": field_id, "exhibit_id": exhibit_id, "value": value})
            changed += 1
        for name in item.labels:
            label_id = label_ids[name.casefold()]
            if (label_id, exhibit_id) not in linked:
                label_rows.append({"label_category_id": label_id, "exhibit_id": exhibit_id})
                linked.add((label_id, exhibit_id))
                added += 1
    if inserts:
        conn.execute(insert(custom_field_values), inserts)
    if label_rows:
        conn.execute(insert(label_category_labels), label_rows)
    summary.update(values_changed=changed, values_unchanged=unchanged, labels_added=added)


def rows(ctx: ReportContext) -> Iterator[tuple]:
    if ctx.case_writer is None:
        raise PermanentError("A coding overlay needs the case database's writer.")
    engine = ctx.case_writer(ctx.case_id)
    with engine.connect() as conn:
        field_rows = [
            tuple(r)
            for r in conn.execute(
                select(custom_fields.c.id, custom_fields.c.name, custom_fields.c.field_type).order_by(
                    custom_fields.c.id
                )
            )
        ]
    the_plan, lines = _read(ctx, field_rows)
    names = {i: n for _, (i, n, _t) in the_plan.fields.items()}
    with engine.connect() as conn:
        transaction = conn.begin()  # every change of the overlay, or none
        try:
            label_ids = {}
            for label_id, name in conn.execute(
                select(label_categories.c.id, label_categories.c.name).order_by(label_categories.c.id)
            ):
                label_ids.setdefault(name.strip().casefold(), label_id)
            _match(conn, the_plan, lines, label_ids)
            _apply(conn, lines, label_ids, ctx.summary)
            if ctx.params.dry_run:
                transaction.rollback()
            else:
                transaction.commit()
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise
    counts = {s: sum(1 for x in lines if x.status == s) for s in ("matched", "unmatched", "conflicting")}
    ctx.summary.update(counts, lines=len(lines), applied=not ctx.params.dry_run)
    if ctx.params.dry_run:
        ctx.notes.append("Dry run: nothing was changed in the case.")
    for x in lines:
        applied = ""
        if x.status == "matched":
            parts = [f"{names[f]}={v}" for f, v in x.values.items()] + [f"label:{n}" for n in x.labels]
            applied = "; ".join(parts)
        yield (x.line, the_plan.match_field, x.key, x.exhibit_id, x.status, applied, x.detail)


SPEC = ReportSpec(
    "coding_overlay",
    "Coding overlay",
    "Applies an uploaded DAT or CSV load file's custom field values and labels to the case (one transaction) "
    "and lists every line as matched, unmatched or conflicting.",
    "case",
    fixed(*COLUMNS),
    rows,
)
