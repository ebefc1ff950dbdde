"""Keep the `cases` partitions in step with the core database: add its cases, start the hygiene that
removes partitions that are no case (nextpoint_assets/case_partitions.py)."""

import hashlib
from datetime import UTC, datetime

import dagster as dg

from domain.errors import PlatformError
from jobs.cases import housekeeping_case_partitions_job
from nextpoint_assets.partitions import cases_partitions, new_case_keys, partitions_not_cases
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


@dg.sensor(
    job=housekeeping_case_partitions_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts the partition hygiene (case_partitions) when a `cases` partition is no case of the "
    "core database: at most once a day for the same partitions.",
)
def case_partitions_sensor(context: dg.SensorEvaluationContext, databases: DatabaseResource):
    try:
        strangers = partitions_not_cases(context.instance, databases.databases())
    except PlatformError as exc:
        return dg.SkipReason(f"core database not readable: {exc}")
    if not strangers:
        return dg.SkipReason("every `cases` partition is a case")
    day = datetime.now(UTC).date().isoformat()
    digest = hashlib.sha256(",".join(strangers).encode()).hexdigest()[:16]
    return dg.RunRequest(
        run_key=f"case-partitions-{day}-{digest}", tags={"np/not_a_case": ",".join(strangers)[:200]}
    )
