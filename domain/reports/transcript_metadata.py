"""Transcript metadata: every deposition volume with its reporter, pages and transcript."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from domain.reports.spec import Column, ReportContext, ReportSpec, fixed, stream
from domain.reports.sql import date_window
from domain.schema import deposition_volumes, depositions

COLUMNS = (
    Column("deposition_id", "int"),
    Column("deposition"),
    Column("deponent"),
    Column("volume_id", "int"),
    Column("volume_number", "int"),
    Column("taken_on", "date"),
    Column("page_count", "int"),
    Column("court_reporter"),
    Column("transcript_key"),
)


def query(params):
    return (
        select(
            depositions.c.id,
            depositions.c.name,
            depositions.c.deponent,
            deposition_volumes.c.id,
            deposition_volumes.c.volume_number,
            deposition_volumes.c.taken_on,
            deposition_volumes.c.page_count,
            deposition_volumes.c.court_reporter,
            deposition_volumes.c.transcript_key,
        )
        .select_from(
            deposition_volumes.join(depositions, depositions.c.id == deposition_volumes.c.deposition_id)
        )
        .where(*date_window(deposition_volumes.c.taken_on, params))
        .order_by(
            depositions.c.name, depositions.c.id, deposition_volumes.c.volume_number, deposition_volumes.c.id
        )
    )


def rows(ctx: ReportContext) -> Iterator[tuple]:
    pages = 0
    with ctx.case_connection(ctx.case_id) as conn:
        for row in stream(conn, query(ctx.params)):
            pages += row[6] or 0
            yield tuple(row)
    ctx.summary["transcript_pages"] = pages


SPEC = ReportSpec(
    "transcript_metadata",
    "Transcript metadata",
    "Each deposition volume (window on the volume's date): reporter, page count "
    "and the transcript's object key.",
    "case",
    fixed(*COLUMNS),
    rows,
)
