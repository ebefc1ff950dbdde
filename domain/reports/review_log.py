"""Review log: every relevancy, privilege and confidentiality decision, oldest first."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import literal, null, select, union_all

from domain.reports.spec import Column, ReportContext, ReportSpec, fixed, in_window, stream
from domain.reports.sql import code_names, decode_status, user_directory
from domain.schema import confidentiality_logs, exhibits, privilege_logs, relevancy_logs

COLUMNS = (
    Column("logged_at", "datetime"),
    Column("log_type"),
    Column("exhibit_id", "int"),
    Column("control_number"),
    Column("bates_begin"),
    Column("user_id", "int"),
    Column("user_name"),
    Column("user_email"),
    Column("decision"),
    Column("previous_decision"),
    Column("basis"),
    Column("note"),
)


def query(params):
    """One ordered stream over the three log tables; each keeps its own window condition."""

    def part(table, kind, decision, previous, basis, note):
        return (
            select(
                table.c.created_at.label("logged_at"),
                literal(kind).label("log_type"),
                table.c.exhibit_id.label("exhibit_id"),
                exhibits.c.control_number,
                exhibits.c.bates_begin,
                table.c.user_id.label("user_id"),
                decision.label("decision"),
                previous.label("previous"),
                basis.label("basis"),
                note.label("note"),
                table.c.id.label("log_id"),
            )
            .select_from(table.outerjoin(exhibits, exhibits.c.id == table.c.exhibit_id))
            .where(*in_window(table.c.created_at, params))
        )

    union = union_all(
        part(relevancy_logs, "relevancy", relevancy_logs.c.relevancy, null(), null(), relevancy_logs.c.note),
        part(
            privilege_logs,
            "privilege",
            privilege_logs.c.privilege_type,
            null(),
            privilege_logs.c.basis,
            privilege_logs.c.description,
        ),
        part(
            confidentiality_logs,
            "confidentiality",
            confidentiality_logs.c.new_status,
            confidentiality_logs.c.old_status,
            null(),
            null(),
        ),
    ).subquery()
    return select(union).order_by(union.c.logged_at, union.c.log_type, union.c.log_id)


def _users_of(conn, params) -> set[int]:
    ids: set[int] = set()
    for table in (relevancy_logs, privilege_logs, confidentiality_logs):
        q = select(table.c.user_id).distinct().where(*in_window(table.c.created_at, params))
        ids.update(row[0] for row in conn.execute(q))
    return ids


def rows(ctx: ReportContext) -> Iterator[tuple]:
    with ctx.case_connection(ctx.case_id) as conn:
        codes = code_names(conn)
        with ctx.core_connection() as core:
            people = user_directory(core, _users_of(conn, ctx.params))
        counts = ctx.summary.setdefault("by_log_type", {})
        for at, kind, exhibit_id, control, bates, user_id, decision, previous, basis, note, _ in stream(
            conn, query(ctx.params)
        ):
            if kind == "confidentiality":
                # The union's column is text on MySQL (it also holds relevancy names): back to the bit mask.
                decision, previous = decode_status(int(decision), codes), decode_status(int(previous), codes)
            name, email = people.get(user_id, (None, None))
            counts[kind] = counts.get(kind, 0) + 1
            yield [
                at,
                kind,
                exhibit_id,
                control,
                bates,
                user_id,
                name,
                email,
                decision,
                previous,
                basis,
                note,
            ]


SPEC = ReportSpec(
    "review_log",
    "Review log",
    "Every relevancy, privilege and confidentiality decision in the window, oldest first, with who made it.",
    "case",
    fixed(*COLUMNS),
    rows,
)
