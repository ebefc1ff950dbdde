"""Check results an asset reports itself, each on the partition it is about.

A check declared on the asset (`check_specs` with `partitions_def`) belongs to one partition per
result. Dagster gives an `AssetCheckResult` the step's partition, but a single-run backfill
materializes many partitions in one step (it has no one partition key), so such an asset yields an
`AssetCheckEvaluation` naming its partition after each materialization, and each check's output once
at the end (the step requires it; `check_outputs`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)


def _latest_materialization(
    context: dg.AssetExecutionContext, partition: str
) -> AssetCheckEvaluationTargetMaterializationData | None:
    """The materialization the check is about: the one just yielded for this partition."""
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=context.asset_key, asset_partitions=[partition]), limit=1
    ).records
    if not records:
        return None
    record = records[0]
    return AssetCheckEvaluationTargetMaterializationData(
        run_id=record.run_id, storage_id=record.storage_id, timestamp=record.timestamp
    )


def partition_check(
    context: dg.AssetExecutionContext,
    check_name: str,
    partition: str,
    *,
    passed: bool,
    severity: dg.AssetCheckSeverity,
    description: str,
    metadata: Mapping[str, Any],
) -> Iterator[dg.AssetCheckEvaluation]:
    """The check's result on `partition` (nothing when the run did not select the check)."""
    key = dg.AssetCheckKey(context.asset_key, check_name)
    if key not in context.selected_asset_check_keys:
        return
    spec = context.assets_def.get_spec_for_check_key(key)
    yield dg.AssetCheckEvaluation(
        asset_key=context.asset_key,
        check_name=check_name,
        passed=passed,
        metadata=metadata,
        target_materialization_data=_latest_materialization(context, partition),
        severity=severity,
        description=description,
        blocking=spec.blocking,
        partition=partition,
    )


def check_outputs(context: dg.AssetExecutionContext, check_names: Iterable[str]) -> Iterator[dg.Output]:
    """Each selected check's step output, once per run (the results themselves are the evaluations)."""
    for name in check_names:
        key = dg.AssetCheckKey(context.asset_key, name)
        if key in context.selected_asset_check_keys:
            yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(key))
