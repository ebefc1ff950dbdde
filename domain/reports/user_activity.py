"""User activity: who did what in each case, from the core database and each case's own logs.

Fans out over many cases (a case, a list of cases, or an account's cases for a
month). Cases are read a few at a time in threads and written in case order; a
case that cannot be read is listed in `failed_cases` and the others go on.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import func, select

from domain.errors import PermanentError, PlatformError
from domain.reports.spec import Column, ReportContext, ReportSpec, fixed, in_window
from domain.reports.sql import case_row, user_directory
from domain.schema import confidentiality_logs, npcases, privilege_logs, relevancy_logs, user_activities

ACTIONS = {
    "login": "logins",
    "view_exhibit": "exhibit_views",
    "search": "searches",
    "download": "downloads",
    "export": "exports",
}
COUNTS = (
    *ACTIONS.values(),
    "other_actions",
    "total_actions",
    "relevancy_decisions",
    "privilege_decisions",
    "confidentiality_changes",
)
COLUMNS = (
    Column("case_id", "int"),
    Column("case_name"),
    Column("account_id", "int"),
    Column("user_id", "int"),
    Column("user_name"),
    Column("user_email"),
    *(Column(c, "int") for c in COUNTS),
    Column("first_activity_at", "datetime"),
    Column("last_activity_at", "datetime"),
)
LOGS = {
    "relevancy_decisions": relevancy_logs,
    "privilege_decisions": privilege_logs,
    "confidentiality_changes": confidentiality_logs,
}
PARALLEL_CASES = 4


def resolve_cases(ctx: ReportContext, account_id: int | None = None) -> list[int]:
    """The cases to cover, all in one account: the home case's, or the one named."""
    wanted = list(ctx.params.case_ids) or ([ctx.case_id] if ctx.case_id else [])
    if not wanted:
        raise PermanentError("A user activity report needs a case or a list of cases.")
    with ctx.core_connection() as core:
        if account_id is None:
            home = case_row(core, ctx.case_id)
            if home is None:
                raise PermanentError(f"Case {ctx.case_id} is not in the core database.")
            account_id = home.account_id
        found = {
            r.id: r.account_id
            for r in core.execute(select(npcases.c.id, npcases.c.account_id).where(npcases.c.id.in_(wanted)))
        }
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise PermanentError(f"Unknown case(s) {unknown}: they are not in the core database.")
    foreign = [c for c in wanted if found[c] != account_id]
    if foreign:
        # A report may cross cases, never accounts: that would hand one firm another's activity.
        raise PermanentError(
            f"Case(s) {foreign} belong to another account than {account_id}; "
            "a user activity report covers the cases of one account."
        )
    return wanted


def account_cases(core, account_id: int) -> list[int]:
    q = (
        select(npcases.c.id)
        .where(npcases.c.account_id == account_id, npcases.c.status != "deleted")
        .order_by(npcases.c.id)
    )
    return [r[0] for r in core.execute(q)]


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def case_rows(ctx: ReportContext, case_id: int) -> list[tuple]:
    """One case's rows: a line per user who did anything in it within the window."""
    per_user: dict[int, dict] = {}

    def user(uid: int) -> dict:
        return per_user.setdefault(uid, {**dict.fromkeys(COUNTS, 0), "first": None, "last": None})

    with ctx.core_connection() as core, ctx.case_connection(case_id) as conn:
        case = case_row(core, case_id)
        if case is None:
            raise PermanentError(f"Case {case_id} is not in the core database.")
        q = (
            select(
                user_activities.c.user_id,
                user_activities.c.action,
                func.count(),
                func.min(user_activities.c.occurred_at),
                func.max(user_activities.c.occurred_at),
            )
            .where(
                user_activities.c.npcase_id == case_id, *in_window(user_activities.c.occurred_at, ctx.params)
            )
            .group_by(user_activities.c.user_id, user_activities.c.action)
        )
        for uid, action, count, first, last in core.execute(q):
            u = user(uid)
            u[ACTIONS.get(action, "other_actions")] += count
            u["total_actions"] += count
            u["first"], u["last"] = _earliest(u["first"], first), _latest(u["last"], last)
        for name, table in LOGS.items():
            q = (
                select(
                    table.c.user_id, func.count(), func.min(table.c.created_at), func.max(table.c.created_at)
                )
                .where(*in_window(table.c.created_at, ctx.params))
                .group_by(table.c.user_id)
            )
            for uid, count, first, last in conn.execute(q):
                u = user(uid)
                u[name] += count
                u["first"], u["last"] = _earliest(u["first"], first), _latest(u["last"], last)
        people = user_directory(core, per_user)
    out = []
    for uid in sorted(per_user):
        u = per_user[uid]
        name, email = people.get(uid, (None, None))
        out.append(
            (
                case_id,
                case.name,
                case.account_id,
                uid,
                name,
                email,
                *(u[c] for c in COUNTS),
                u["first"],
                u["last"],
            )
        )
    return out


def _guarded(ctx: ReportContext, case_id: int) -> tuple[int, list[tuple] | None, str | None]:
    try:
        return case_id, case_rows(ctx, case_id), None
    except PlatformError as exc:
        return case_id, None, exc.user_message
    except Exception as exc:  # a broken case database must not cost the other cases their rows
        return case_id, None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"


def fan_out(ctx: ReportContext, case_ids: list[int], parallel: int = PARALLEL_CASES) -> Iterator[tuple]:
    """Rows of every case in case order, read `parallel` cases at a time."""
    done = 0
    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="user-activity") as pool:
        pending: deque = deque()
        ids = iter(case_ids)
        for case_id in ids:
            pending.append(pool.submit(_guarded, ctx, case_id))
            if len(pending) >= parallel * 2:
                break
        while pending:
            case_id, rows, error = pending.popleft().result()
            nxt = next(ids, None)
            if nxt is not None:
                pending.append(pool.submit(_guarded, ctx, nxt))
            if error is not None:
                ctx.failed_cases[case_id] = error
                continue
            done += 1
            yield from rows
    ctx.summary["cases_covered"] = done
    ctx.summary["cases_failed"] = len(ctx.failed_cases)
    if ctx.failed_cases:
        ctx.notes.append(
            f"{len(ctx.failed_cases)} of {len(case_ids)} case(s) could not be read and are not in "
            "the report: " + "; ".join(f"case {c}: {m}" for c, m in sorted(ctx.failed_cases.items()))
        )


def rows(ctx: ReportContext) -> Iterator[tuple]:
    yield from fan_out(ctx, resolve_cases(ctx))


SPEC = ReportSpec(
    "user_activity",
    "User activity",
    "Per case and user: logins, views, searches, downloads, exports (core database) and relevancy, privilege "
    "and confidentiality decisions (the case database), with first and last activity.",
    "cases",
    fixed(*COLUMNS),
    rows,
)
