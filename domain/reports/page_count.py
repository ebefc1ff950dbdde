"""Page-count report: every exhibit with its verified page count, then the totals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from domain.schema import exhibits

COLUMNS = ("exhibit_id", "control_number", "title", "parent_exhibit_id", "bates_begin", "bates_end", "page_count")


def query() -> Select:
    return select(
        exhibits.c.id,
        exhibits.c.control_number,
        exhibits.c.title,
        exhibits.c.parent_exhibit_id,
        exhibits.c.bates_begin,
        exhibits.c.bates_end,
        exhibits.c.page_count,
    ).order_by(exhibits.c.id)


@dataclass
class Totals:
    exhibits: int = 0
    pages: int = 0
    without_count: int = 0


def rows_with_totals(result_rows, totals: Totals) -> Iterator[tuple[Any, ...]]:
    """Yield each exhibit row, then one TOTAL row; `totals` is filled in as rows stream by."""
    for row in result_rows:
        totals.exhibits += 1
        if row[-1] is None:
            totals.without_count += 1
        else:
            totals.pages += int(row[-1])
        yield tuple(row)
    yield ("TOTAL", f"{totals.exhibits} exhibits", "", "", "", "", totals.pages)
