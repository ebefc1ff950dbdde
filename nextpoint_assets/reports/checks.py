"""What a report's materialization tells the analyst beyond green: `has_rows`.

A report that matched nothing is still a report (the file has its header, the requester gets it),
so an empty one materializes; but it says so, in its notes and as a warning check (yellow in the
UI), so "0 rows" is never mistaken for "done, nothing to see" by accident.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg

from nextpoint_assets.check_results import check_outputs, partition_check

HAS_ROWS = "has_rows"
HAS_ROWS_DESCRIPTION = (
    "Warns (yellow, never blocks) when a report matched no rows: check its window and filters. "
    "Passes when the report holds at least one row; `row_count` says how many."
)


def report_check_specs(asset_name: str, partitions_def: dg.PartitionsDefinition) -> list[dg.AssetCheckSpec]:
    """The checks every report asset carries, one result per partition it materializes."""
    return [
        dg.AssetCheckSpec(
            HAS_ROWS,
            asset=asset_name,
            description=HAS_ROWS_DESCRIPTION,
            blocking=False,
            partitions_def=partitions_def,
        )
    ]


def no_rows_note(window: str, filters: Mapping[str, Any] | None = None) -> str:
    """The note an empty report carries: what it looked for, so the analyst can widen it."""
    shown = {k: v for k, v in (filters or {}).items() if k not in ("from", "to") and v not in (None, [], "")}
    where = f"in {window}" + (
        " with " + ", ".join(f"{k}={v}" for k, v in sorted(shown.items())) if shown else ""
    )
    return f"No rows: nothing matched {where}."


def has_rows_result(
    context: dg.AssetExecutionContext, partition: str, row_count: int, window: str, scope: str = ""
) -> Iterator[dg.AssetCheckEvaluation]:
    """`has_rows` on the partition just materialized: WARN when empty."""
    empty = row_count == 0
    subject = f"The report{f' for {scope}' if scope else ''}"
    yield from partition_check(
        context,
        HAS_ROWS,
        partition,
        passed=not empty,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{subject} has no rows: nothing matched {window}. Widen the window or the filters."
            if empty
            else f"{subject} has {row_count} row(s)."
        ),
        metadata={"row_count": row_count, "window": window},
    )


def report_check_outputs(context: dg.AssetExecutionContext) -> Iterator[dg.Output]:
    """The report checks' step outputs, once per run."""
    yield from check_outputs(context, [HAS_ROWS])


def has_rows_of(context: dg.AssetExecutionContext, materialization: dg.AssetMaterialization) -> Iterator:
    """`has_rows` for a report materialization (its `row_count` and window from its metadata)."""
    meta = materialization.metadata
    rows = meta["row_count"]
    window = meta.get("dates") or meta.get("window")
    yield from has_rows_result(
        context,
        str(materialization.partition),
        int(getattr(rows, "value", rows)),
        str(getattr(window, "value", window) or "the report's window"),
    )


def month_has_rows(
    context: dg.AssetExecutionContext, month: str, rows_by_account: Mapping[str, int]
) -> Iterator[dg.AssetCheckEvaluation]:
    """`has_rows` of a month of the account activity report: WARN when no account's report has a row
    (an account quiet for a month is normal; the empty ones are listed)."""
    if not rows_by_account:
        return  # nothing materialized for the month: nothing to check
    total = sum(rows_by_account.values())
    empty = sorted(a for a, rows in rows_by_account.items() if rows == 0)
    yield from partition_check(
        context,
        HAS_ROWS,
        month,
        passed=total > 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"No account had activity in {month[:7]}: {len(rows_by_account)} report(s), all without rows."
            if total == 0
            else f"{total} row(s) over {len(rows_by_account)} account report(s); {len(empty)} without rows."
        ),
        metadata={
            "row_count": total,
            "accounts": len(rows_by_account),
            "accounts_without_rows": dg.MetadataValue.json(empty),
        },
    )
