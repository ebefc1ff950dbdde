"""SQL pieces the reports share, written once for SQLite and MySQL/MariaDB alike."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time, timedelta

from sqlalchemy import Connection, String, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

from domain.batches import IN_LIST_SIZE, batched
from domain.reports.request import ReportParameters
from domain.schema import confidentiality_codes, npcases, users

SEPARATOR = "; "


class joined_names(GenericFunction):  # noqa: N801 - SQL function names are lower case
    """The distinct values of a group, sorted, joined with '; '.

    Feed it a subquery of DISTINCT (key, value) rows ordered by value: SQLite
    (before 3.44) keeps the input order; MySQL is told the order explicitly.
    """

    type = String()
    inherit_cache = True
    name = "joined_names"


@compiles(joined_names, "sqlite")
def _sqlite_joined(element, compiler, **kw):
    return f"group_concat({compiler.process(element.clauses, **kw)}, '{SEPARATOR}')"


@compiles(joined_names)
def _mysql_joined(element, compiler, **kw):
    value = compiler.process(element.clauses, **kw)
    return f"GROUP_CONCAT(DISTINCT {value} ORDER BY {value} SEPARATOR '{SEPARATOR}')"


def names_by_exhibit(link_table, link_column, name_table, label: str):
    """Per exhibit, the names it carries through a link table (labels, folders, custodians)."""
    pairs = (
        select(link_table.c.exhibit_id.label("exhibit_id"), name_table.c.name.label("name"))
        .join(name_table, name_table.c.id == link_column)
        .distinct()
        .order_by(link_table.c.exhibit_id, name_table.c.name)
        .subquery()
    )
    return (
        select(pairs.c.exhibit_id, joined_names(pairs.c.name).label(label))
        .group_by(pairs.c.exhibit_id)
        .subquery()
    )


def date_window(column, params: ReportParameters) -> list:
    """The window for a DATE column: whole days, so the bounds compare as dates everywhere."""
    conditions = []
    if params.start is not None:
        start = params.start
        first = start.date() if start.time() == time() else start.date() + timedelta(days=1)
        conditions.append(column >= first)
    if params.end is not None:
        end = params.end
        last_excl = end.date() if end.time() == time() else end.date() + timedelta(days=1)
        conditions.append(column < last_excl)
    return conditions


def code_names(conn: Connection) -> dict[int, str]:
    """The case's confidentiality codes by bit."""
    return {
        row.bit: row.code
        for row in conn.execute(select(confidentiality_codes.c.bit, confidentiality_codes.c.code))
    }


def decode_status(status: int | None, codes: dict[int, str]) -> str:
    """A confidentiality bit mask as code names; a bit with no code is shown as 'bit N', never dropped."""
    if not status:
        return ""
    names, bit = [], 1
    while bit <= status:
        if status & bit:
            names.append(codes.get(bit, f"bit {bit}"))
        bit <<= 1
    return SEPARATOR.join(names)


def user_directory(core: Connection, user_ids: Iterable[int]) -> dict[int, tuple[str | None, str]]:
    """(name, email) of the given users, fetched in chunks of bound ids."""
    ids = sorted({int(i) for i in user_ids if i is not None})
    found: dict[int, tuple[str | None, str]] = {}
    for chunk in batched(ids, IN_LIST_SIZE):
        for row in core.execute(select(users.c.id, users.c.name, users.c.email).where(users.c.id.in_(chunk))):
            found[row.id] = (row.name, row.email)
    return found


def case_row(core: Connection, case_id: int):
    return core.execute(
        select(npcases.c.id, npcases.c.name, npcases.c.account_id, npcases.c.status).where(
            npcases.c.id == case_id
        )
    ).first()
