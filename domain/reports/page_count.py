"""Page-count report: every exhibit with its verified page count and latest relevancy, then the totals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select

from domain.reports.request import ReportParameters
from domain.reports.spec import Column, ReportContext, ReportSpec, fixed, in_window, stream
from domain.schema import exhibits, relevancy_logs

COLUMNS = (
    "exhibit_id",
    "control_number",
    "title",
    "parent_exhibit_id",
    "bates_begin",
    "bates_end",
    "relevancy",
    "page_count",
)
KINDS = {"exhibit_id": "int", "parent_exhibit_id": "int", "page_count": "int"}
NO_DECISION = "(no decision)"


def query(params: ReportParameters | None = None) -> Select:
    params = params or ReportParameters()
    latest_id = (
        select(relevancy_logs.c.exhibit_id.label("exhibit_id"), func.max(relevancy_logs.c.id).label("log_id"))
        .group_by(relevancy_logs.c.exhibit_id)
        .subquery()
    )
    latest = (
        select(latest_id.c.exhibit_id, relevancy_logs.c.relevancy)
        .join(relevancy_logs, relevancy_logs.c.id == latest_id.c.log_id)
        .subquery()
    )
    q = (
        select(
            exhibits.c.id,
            exhibits.c.control_number,
            exhibits.c.title,
            exhibits.c.parent_exhibit_id,
            exhibits.c.bates_begin,
            exhibits.c.bates_end,
            latest.c.relevancy,
            exhibits.c.page_count,
        )
        .select_from(exhibits.outerjoin(latest, latest.c.exhibit_id == exhibits.c.id))
        .where(*in_window(exhibits.c.created_at, params))
        .order_by(exhibits.c.id)
    )
    if params.relevancy:
        q = q.where(latest.c.relevancy.in_(params.relevancy))
    return q


@dataclass
class Totals:
    exhibits: int = 0
    pages: int = 0
    without_count: int = 0
    by_relevancy: dict[str, list[int]] = field(default_factory=dict)  # relevancy -> [exhibits, pages]


def rows_with_totals(result_rows, totals: Totals) -> Iterator[tuple[Any, ...]]:
    """Yield each exhibit row, then one TOTAL row; `totals` is filled in as rows stream by."""
    for row in result_rows:
        pages = row[-1]
        totals.exhibits += 1
        bucket = totals.by_relevancy.setdefault(row[-2] or NO_DECISION, [0, 0])
        bucket[0] += 1
        if pages is None:
            totals.without_count += 1
        else:
            totals.pages += int(pages)
            bucket[1] += int(pages)
        yield tuple(row)
    yield ("TOTAL", f"{totals.exhibits} exhibits", "", "", "", "", "", totals.pages)


def rows(ctx: ReportContext) -> Iterator[tuple]:
    totals = Totals()
    with ctx.case_connection(ctx.case_id) as conn:
        yield from rows_with_totals(stream(conn, query(ctx.params)), totals)
    ctx.summary.update(
        exhibits=totals.exhibits,
        page_total=totals.pages,
        exhibits_without_page_count=totals.without_count,
        pages_by_relevancy={
            k: {"exhibits": v[0], "pages": v[1]} for k, v in sorted(totals.by_relevancy.items())
        },
    )
    # The old job sent this report in the email body: the totals by relevancy go there.
    ctx.summary["email_body"] = (
        "\n".join(
            f"  {name}: {v[0]} exhibits, {v[1]} pages" for name, v in sorted(totals.by_relevancy.items())
        )
        + f"\n  Total: {totals.exhibits} exhibits, {totals.pages} pages"
    )
    ctx.summary["data_rows"] = totals.exhibits


SPEC = ReportSpec(
    "page_count",
    "Page count",
    "Every exhibit with its verified page count and latest relevancy decision, then a TOTAL line; "
    "the email carries the totals by relevancy.",
    "case",
    fixed(*(Column(c, KINDS.get(c, "text")) for c in COLUMNS)),
    rows,
)
