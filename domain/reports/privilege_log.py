"""Privilege log: the withheld documents' entries as a producing party serves them."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select

from domain.reports.spec import Column, ReportContext, ReportSpec, fixed, in_window, stream
from domain.reports.sql import names_by_exhibit, user_directory
from domain.schema import custodian_exhibits, custodians, exhibits, privilege_logs

COLUMNS = (
    Column("entry_id", "int"),
    Column("exhibit_id", "int"),
    Column("control_number"),
    Column("bates_begin"),
    Column("bates_end"),
    Column("parent_exhibit_id", "int"),
    Column("date_sent", "datetime"),
    Column("author"),
    Column("title"),
    Column("custodians"),
    Column("privilege_type"),
    Column("basis"),
    Column("description"),
    Column("logged_by"),
    Column("logged_at", "datetime"),
)


def query(params):
    held_by = names_by_exhibit(
        custodian_exhibits, custodian_exhibits.c.custodian_id, custodians, "custodians"
    )
    return (
        select(
            privilege_logs.c.id,
            privilege_logs.c.exhibit_id,
            exhibits.c.control_number,
            exhibits.c.bates_begin,
            exhibits.c.bates_end,
            exhibits.c.parent_exhibit_id,
            exhibits.c.date_sent,
            exhibits.c.author,
            exhibits.c.title,
            held_by.c.custodians,
            privilege_logs.c.privilege_type,
            privilege_logs.c.basis,
            privilege_logs.c.description,
            privilege_logs.c.user_id,
            privilege_logs.c.created_at,
        )
        .select_from(
            privilege_logs.outerjoin(exhibits, exhibits.c.id == privilege_logs.c.exhibit_id).outerjoin(
                held_by, held_by.c.exhibit_id == privilege_logs.c.exhibit_id
            )
        )
        .where(*in_window(privilege_logs.c.created_at, params))
        # Served in production order: by Bates where the document has them, then by control number.
        .order_by(
            func.coalesce(exhibits.c.bates_begin, exhibits.c.control_number),
            privilege_logs.c.exhibit_id,
            privilege_logs.c.id,
        )
    )


def rows(ctx: ReportContext) -> Iterator[tuple]:
    with ctx.case_connection(ctx.case_id) as conn:
        ids = {r[0] for r in conn.execute(select(privilege_logs.c.user_id).distinct())}
        with ctx.core_connection() as core:
            people = user_directory(core, ids)
        for row in stream(conn, query(ctx.params)):
            *head, user_id, logged_at = row
            name, email = people.get(user_id, (None, None))
            yield (*head, name or email or (str(user_id) if user_id is not None else ""), logged_at)


SPEC = ReportSpec(
    "privilege_log",
    "Privilege log",
    "One entry per privilege claim: the document's Bates, date, author, custodians, "
    "the privilege and its basis.",
    "case",
    fixed(*COLUMNS),
    rows,
)
