"""Custom report: a case's activity log from the core database, with the columns and filters asked for."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from domain.reports.request import CUSTOM_COLUMNS
from domain.reports.spec import Column, ReportContext, ReportSpec, in_window, stream
from domain.schema import accounts, npcases, user_activities, users

SQL = {
    "activity_id": (user_activities.c.id, "int"),
    "occurred_at": (user_activities.c.occurred_at, "datetime"),
    "action": (user_activities.c.action, "text"),
    "user_id": (user_activities.c.user_id, "int"),
    "user_name": (users.c.name, "text"),
    "user_email": (users.c.email, "text"),
    "case_id": (npcases.c.id, "int"),
    "case_name": (npcases.c.name, "text"),
    "case_status": (npcases.c.status, "text"),
    "account_id": (npcases.c.account_id, "int"),
    "account_name": (accounts.c.name, "text"),
    "details": (user_activities.c.details, "text"),
}
assert tuple(SQL) == CUSTOM_COLUMNS


def chosen(ctx: ReportContext) -> list[str]:
    return list(ctx.params.columns) or list(CUSTOM_COLUMNS)


def columns(ctx: ReportContext) -> list[Column]:
    return [Column(name, SQL[name][1]) for name in chosen(ctx)]


def query(case_id: int, params, names: list[str]):
    q = (
        select(*(SQL[name][0].label(name) for name in names))
        .select_from(
            user_activities.join(npcases, npcases.c.id == user_activities.c.npcase_id)
            .outerjoin(users, users.c.id == user_activities.c.user_id)
            .outerjoin(accounts, accounts.c.id == npcases.c.account_id)
        )
        .where(user_activities.c.npcase_id == case_id, *in_window(user_activities.c.occurred_at, params))
        .order_by(user_activities.c.occurred_at, user_activities.c.id)
    )
    if params.actions:
        q = q.where(user_activities.c.action.in_(params.actions))
    if params.user_ids:
        q = q.where(user_activities.c.user_id.in_(params.user_ids))
    return q


def rows(ctx: ReportContext) -> Iterator[tuple]:
    with ctx.core_connection() as core:
        yield from stream(core, query(ctx.case_id, ctx.params, chosen(ctx)))


SPEC = ReportSpec(
    "custom",
    "Custom activity report",
    "The case's activity log (core database) with the columns, actions, users and window the analyst picks.",
    "core",
    columns,
    rows,
)
