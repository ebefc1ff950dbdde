"""`all_stamped`: a stamping run that left something unstamped says so as a failed check.

Stamping goes on past a bad exhibit (its page count disagrees, its PDF is missing or locked) and
past a bad request of a batch, so the asset is materialized for what did work; without this check
the exhibits that did not would only be named deep in the metadata of a green asset. The check is
ERROR but not blocking: what was stamped stays stamped and the run is not retried for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import dagster as dg

from nextpoint_assets.check_results import check_outputs, partition_check

ALL_STAMPED = "all_stamped"
ALL_STAMPED_DESCRIPTION = (
    "Fails (red, does not block) when an exhibit this run was asked to stamp, by a request or by the "
    "case's stamp rows, is not stamped, or a request of a batch was refused; names each one and why, "
    "with the figures (requested, stamped, failed)."
)


@dataclass
class StampFindings:
    """What one case's stamping run was asked for and what it did not do."""

    requests: int = 0
    exhibits_requested: int = 0
    exhibits_stamped_for_requests: int = 0
    page_set_exhibits: int = 0
    restamped_now: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # "exhibit N" / "request E" -> why

    @classmethod
    def of(cls, items: list, handled: list, refused: dict[str, str], summary) -> StampFindings:
        """From the run's requests (handled: [(StampRequest, StampResult)]), refusals and SyncSummary."""
        failed = {f"exhibit {e}": m for e, m in summary.failed.items()}
        stamped = 0
        for request, result in handled:
            for exhibit, message in result.failed.items():
                failed.setdefault(f"exhibit {exhibit}", f"{message} (request {request.event_id})")
            stamped += sum(
                1 for e in result.exhibit_ids if e not in result.failed and e not in summary.failed
            )
        failed.update({f"request {e}": m for e, m in refused.items()})
        return cls(
            requests=len(items),
            exhibits_requested=sum(len(getattr(i, "exhibit_ids", []) or []) for i in items),
            exhibits_stamped_for_requests=stamped,
            page_set_exhibits=summary.exhibits,
            restamped_now=len(summary.stamped),
            failed=failed,
        )


def all_stamped_result(
    context: dg.AssetExecutionContext, partition: str, findings: StampFindings
) -> Iterator[dg.AssetCheckEvaluation]:
    """`all_stamped` on the case just materialized."""
    failed = findings.failed
    shown = "; ".join(f"{k}: {v}" for k, v in sorted(failed.items()))
    yield from partition_check(
        context,
        ALL_STAMPED,
        partition,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{len(failed)} not stamped: {shown}"[:2000]
            if failed
            else f"Everything asked for is stamped ({findings.page_set_exhibits} exhibit(s) in the page set)."
        ),
        metadata={
            "requests": findings.requests,
            "exhibits_requested": findings.exhibits_requested,
            "exhibits_stamped_for_requests": findings.exhibits_stamped_for_requests,
            "page_set_exhibits": findings.page_set_exhibits,
            "restamped_now": findings.restamped_now,
            "failed_count": len(failed),
            "failed": dg.MetadataValue.json(dict(sorted(failed.items()))),
        },
    )


def stamp_check_specs(asset_name: str, partitions_def: dg.PartitionsDefinition) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            ALL_STAMPED,
            asset=asset_name,
            description=ALL_STAMPED_DESCRIPTION,
            blocking=False,
            partitions_def=partitions_def,
        )
    ]


def stamp_check_outputs(context: dg.AssetExecutionContext) -> Iterator[dg.Output]:
    yield from check_outputs(context, [ALL_STAMPED])
