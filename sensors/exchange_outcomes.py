"""EXCHANGER_FAILED for a failed exchange run, with the failing step and its message; the
exchange's state record says failed too."""

import dagster as dg

from domain.exchanges.request import parse_exchange_key
from jobs.exchanges import exchange_job
from nextpoint_assets.exchanges.state import set_state
from resources.dagster_resources import DatabaseResource, EventBusResource
from resources.event_bus import make_event
from sensors.production_outcomes import held_for_review, step_failure_message


@dg.run_failure_sensor(
    monitored_jobs=[exchange_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Publishes EXCHANGER_FAILED and marks the exchange failed when an exchange run fails.",
)
def exchange_failure_sensor(
    context: dg.RunFailureSensorContext, databases: DatabaseResource, event_bus: EventBusResource
):
    key = context.dagster_run.tags.get("dagster/partition")
    if not key or held_for_review(context):
        return
    destination, source, batch = parse_exchange_key(key)
    message = step_failure_message(context) or "The exchange run failed."
    try:
        set_state(databases.databases().platform(), key, "failed", error=message)
    except Exception as exc:  # noqa: BLE001 - the event must go out even if the record cannot be written
        context.log.warning(f"The exchange state of {key} could not be marked failed: {type(exc).__name__}")
    event_bus.bus().publish(
        make_event(
            "EXCHANGER_FAILED",
            destination,
            event_id=f"{key}-EXCHANGER_FAILED-{context.dagster_run.run_id}",
            source_case_id=source,
            batch_id=batch,
            error=message,
        )
    )
