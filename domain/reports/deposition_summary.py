"""Deposition summary: one line per deposition with its volumes, pages and designations."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select

from domain.reports.spec import Column, ReportContext, ReportSpec, fixed, stream
from domain.reports.sql import date_window, joined_names
from domain.schema import deposition_designations, deposition_volumes, depositions, label_categories

COLUMNS = (
    Column("deposition_id", "int"),
    Column("deposition"),
    Column("deponent"),
    Column("taken_on", "date"),
    Column("volumes", "int"),
    Column("pages", "int"),
    Column("court_reporters"),
    Column("designations", "int"),
    Column("designation_labels"),
    Column("designated_ranges"),
)


def query(params):
    volumes = (
        select(
            deposition_volumes.c.deposition_id.label("deposition_id"),
            func.count().label("volumes"),
            func.sum(deposition_volumes.c.page_count).label("pages"),
        )
        .group_by(deposition_volumes.c.deposition_id)
        .subquery()
    )
    reporters = _joined(deposition_volumes.c.deposition_id, deposition_volumes.c.court_reporter, "reporters")
    labelled = (
        select(deposition_designations.c.deposition_id.label("key"), label_categories.c.name.label("name"))
        .join(label_categories, label_categories.c.id == deposition_designations.c.label_category_id)
        .distinct()
        .order_by("key", "name")
        .subquery()
    )
    labels = (
        select(labelled.c.key, joined_names(labelled.c.name).label("labels"))
        .group_by(labelled.c.key)
        .subquery()
    )
    designations = (
        select(deposition_designations.c.deposition_id.label("deposition_id"), func.count().label("count"))
        .group_by(deposition_designations.c.deposition_id)
        .subquery()
    )
    return (
        select(
            depositions.c.id,
            depositions.c.name,
            depositions.c.deponent,
            depositions.c.taken_on,
            func.coalesce(volumes.c.volumes, 0),
            volumes.c.pages,
            reporters.c.reporters,
            func.coalesce(designations.c.count, 0),
            labels.c.labels,
        )
        .select_from(
            depositions.outerjoin(volumes, volumes.c.deposition_id == depositions.c.id)
            .outerjoin(reporters, reporters.c.key == depositions.c.id)
            .outerjoin(designations, designations.c.deposition_id == depositions.c.id)
            .outerjoin(labels, labels.c.key == depositions.c.id)
        )
        .where(*date_window(depositions.c.taken_on, params))
        .order_by(depositions.c.taken_on, depositions.c.name, depositions.c.id)
    )


def _joined(key, value, label: str):
    pairs = (
        select(key.label("key"), value.label("name"))
        .where(value.is_not(None))
        .distinct()
        .order_by("key", "name")
        .subquery()
    )
    return select(pairs.c.key, joined_names(pairs.c.name).label(label)).group_by(pairs.c.key).subquery()


def _ranges(conn, deposition_id: int) -> str:
    """page:line ranges in transcript order, e.g. '12:1-13:25; 40:3-40:9'."""
    q = (
        select(
            deposition_designations.c.page_start,
            deposition_designations.c.line_start,
            deposition_designations.c.page_end,
            deposition_designations.c.line_end,
        )
        .where(deposition_designations.c.deposition_id == deposition_id)
        .order_by(
            deposition_designations.c.page_start,
            deposition_designations.c.line_start,
            deposition_designations.c.id,
        )
    )
    return "; ".join(f"{a}:{b}-{c}:{d}" for a, b, c, d in conn.execute(q))


def rows(ctx: ReportContext) -> Iterator[tuple]:
    with ctx.case_connection(ctx.case_id) as conn, ctx.case_connection(ctx.case_id) as ranges:
        # A second connection for the small per-deposition lookups: MySQL allows one streaming
        # result per connection.
        for row in stream(conn, query(ctx.params)):
            yield (*row, _ranges(ranges, row[0]) if row[7] else "")


SPEC = ReportSpec(
    "deposition_summary",
    "Deposition summary",
    "One line per deposition (window on its date): volumes, total pages, reporters, and its designations "
    "by label with their page:line ranges.",
    "case",
    fixed(*COLUMNS),
    rows,
)
