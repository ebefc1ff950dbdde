"""Partition hygiene: `case_partitions` compares the `cases` partition set with the core database.

Materialized by housekeeping_case_partitions_job (requested by case_partitions_sensor as soon as a
partition that is no case appears, and runnable from the UI), it removes the partitions that are no
case and never had a materialization, and its check `every_partition_is_a_case` says what it found:
yellow when it removed some, red (not blocking) when one that is no case has materializations and
stays for a person to decide (domain/case_partitions.py).
"""

import dagster as dg
from pydantic import Field

from domain import case_partitions as rules
from nextpoint_assets.live_runs import read_live_scope
from nextpoint_assets.partitions import case_keys_from_core, cases_partitions
from resources.dagster_resources import DatabaseResource

CHECK = "every_partition_is_a_case"


class CasePartitionsConfig(dg.Config):
    dry_run: bool = Field(False, description="Report what would be removed; remove nothing.")


def materialized_assets(instance: dg.DagsterInstance, keys: list[str]) -> dict[str, list[str]]:
    """For each key, the assets with a materialization in that partition (any asset the instance knows,
    also ones no longer defined)."""
    found: dict[str, list[str]] = {}
    if not keys:
        return found
    wanted = set(keys)
    for asset_key in instance.get_asset_keys():
        for key in instance.get_materialized_partitions(asset_key) & wanted:
            found.setdefault(key, []).append(asset_key.to_user_string())
    return found


@dg.asset(
    group_name="housekeeping",
    kinds={"dagster"},
    owners=["team:platform"],
    description="The `cases` partition set checked against the core database: partitions that are no "
    "case and never had a materialization are removed, the rest of them flagged.",
    check_specs=[
        dg.AssetCheckSpec(
            CHECK,
            asset="case_partitions",
            blocking=False,
            description="Every `cases` partition is an active or archived case of the core database. Yellow: "
            "partitions that were no case were removed by this run; red: one that is no case has "
            "materializations and stays until a person removes it.",
        )
    ],
)
def case_partitions(
    context: dg.AssetExecutionContext, config: CasePartitionsConfig, databases: DatabaseResource
):
    instance = context.instance
    partitions = instance.get_dynamic_partitions(cases_partitions.name)
    known = set(case_keys_from_core(databases.databases()))
    strangers = [k for k in partitions if k not in known]
    scope = read_live_scope(instance, context.run_id)
    held = strangers if scope.everything else [k for k in strangers if k in scope.partition_keys]
    found = rules.verdicts(partitions, known, materialized_assets(instance, strangers), held)
    removed = [k for k, verdict in found.items() if verdict == rules.REMOVE]
    kept = {k: v for k, v in found.items() if v != rules.REMOVE}
    if not config.dry_run:
        for key in removed:
            instance.delete_dynamic_partition(cases_partitions.name, key)
    verb = "would remove" if config.dry_run else "removed"
    context.log.info(f"{verb} {len(removed)} partition(s) that are no case; kept {len(kept)}")
    figures = {
        "partitions": len(partitions),
        "known_cases": len(known),
        "not_a_case": len(found),
        "removed" if not config.dry_run else "would_remove": dg.MetadataValue.json(removed),
        "kept": dg.MetadataValue.json(kept),
        "dry_run": config.dry_run,
    }
    yield dg.MaterializeResult(metadata=figures)
    parts = []
    if removed:
        parts.append(f"{verb} {', '.join(removed)}: not a case, nothing was materialized for it")
    parts += [f"partition {k} {why}" for k, why in kept.items()]
    yield dg.AssetCheckResult(
        check_name=CHECK,
        passed=not found,
        severity=dg.AssetCheckSeverity.ERROR if kept else dg.AssetCheckSeverity.WARN,
        description=("; ".join(parts) or f"All {len(partitions)} partition(s) are cases.")[:2000],
        metadata=figures,
    )
