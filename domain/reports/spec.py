"""What every report is made of: columns, a row stream, and the context it reads from.

A report never holds a table in memory: `rows` is a generator over a streamed
result (server-side cursor on MySQL, a stepping cursor on SQLite), and the writer
pulls from it row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Select

from domain.reports.request import ReportParameters

STREAM_ROWS = 10_000


@dataclass(frozen=True)
class Column:
    name: str
    #: text | int | float | datetime | date: decides XLSX cell formats and widths
    kind: str = "text"


@dataclass
class ReportContext:
    """Everything a report may read or write, handed in by the Dagster layer (or a test)."""

    case_id: int
    params: ReportParameters
    case_connection: Callable[[int], AbstractContextManager[Connection]]
    core_connection: Callable[[], AbstractContextManager[Connection]]
    #: coding_overlay only: the case's writer engine and the uploaded file on local disk
    case_writer: Callable[[int], Engine] | None = None
    fetch_object: Callable[[str], Path] | None = None
    #: filled while rows stream: counts and notes for metadata, the email and the event
    summary: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    failed_cases: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportSpec:
    report_type: str
    title: str
    description: str
    #: "case" (one case DB), "core" (the core DB) or "cases" (core plus many case DBs)
    source: str
    columns: Callable[[ReportContext], list[Column]]
    rows: Callable[[ReportContext], Iterator[tuple]]


def stream(conn: Connection, query: Select) -> Iterator[tuple]:
    """Rows of a query as they arrive from the server."""
    result = conn.execution_options(stream_results=True, yield_per=STREAM_ROWS).execute(query)
    for partition in result.partitions():
        yield from partition


def in_window(column, params: ReportParameters) -> list:
    """Conditions for a date column within the request's window (bound parameters, never text)."""
    conditions = []
    if params.start is not None:
        conditions.append(column >= params.start)
    if params.end is not None:
        conditions.append(column < params.end)
    return conditions


def fixed(*columns: Column) -> Callable[[ReportContext], list[Column]]:
    return lambda _ctx: list(columns)
