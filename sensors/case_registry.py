"""Keep the `cases` partitions in step with the core database."""

import dagster as dg

from domain.errors import PlatformError
from nextpoint_assets.partitions import cases_partitions, new_case_keys
from resources.dagster_resources import DatabaseResource


@dg.sensor(
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Registers new cases of the core database as `cases` partitions.",
)
def case_registry_sensor(context: dg.SensorEvaluationContext, databases: DatabaseResource):
    try:
        added = new_case_keys(context.instance, databases.databases())
    except PlatformError as exc:
        return dg.SkipReason(f"core database not readable: {exc}")
    if not added:
        return dg.SkipReason("no new cases")
    return dg.SensorResult(dynamic_partitions_requests=[cases_partitions.build_add_request(added)])
