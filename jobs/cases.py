"""Register the cases of the core database as `cases` partitions (CLI, demo, or from the UI)."""

import dagster as dg

from nextpoint_assets.partitions import cases_partitions, new_case_keys
from resources.dagster_resources import DatabaseResource


@dg.op(description="Add every active or archived case of the core database to the `cases` partitions.")
def register_cases(context: dg.OpExecutionContext, databases: DatabaseResource) -> list[str]:
    added = new_case_keys(context.instance, databases.databases())
    if added:
        context.instance.add_dynamic_partitions(cases_partitions.name, added)
    context.log.info(f"registered {len(added)} new case partition(s): {', '.join(added) or 'none'}")
    context.add_output_metadata({"added": len(added), "keys": dg.MetadataValue.json(added)})
    return added


@dg.job(description="Register cases from the core database as partitions.", tags={"kind": "housekeeping"})
def register_cases_job():
    register_cases()


#: Partition hygiene (nextpoint_assets/case_partitions.py): started by case_partitions_sensor when a
#: `cases` partition is no case, or from the UI.
housekeeping_case_partitions_job = dg.define_asset_job(
    "housekeeping_case_partitions_job",
    selection=dg.AssetSelection.assets("case_partitions"),
    description="Remove `cases` partitions that are no case and never had a materialization; flag the rest.",
    tags={"kind": "housekeeping"},
)
