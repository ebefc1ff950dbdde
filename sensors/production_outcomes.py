"""EXPORT_FAILED for any failed production run, naming the failing step and what went wrong."""

import json

import dagster as dg

from domain.errors import PlatformError
from domain.productions.paths import ExportPaths
from jobs.productions import production_job
from nextpoint_assets.productions.common import announce_export_failed, parse_export_key
from resources.dagster_resources import BackendApiResource, EventBusResource, ObjectStoreResource

#: Failure metadata that names what failed, in the order a user looks for it.
_SUBJECTS = (("document_id", "document"), ("exhibit_id", "exhibit"), ("volume", "volume"), ("key", "file"))


def step_failure_message(context: dg.RunFailureSensorContext) -> str | None:
    """'The step X failed: <user message> (document 12)' for the run's first failed step, None if no step
    failed. The document (or exhibit, volume, file) is named when the failure's metadata names it."""
    failures = context.get_step_failure_events()
    if not failures:
        return None
    event = failures[0]
    data = event.event_specific_data
    error = data.error if data else None
    # Failure descriptions are our user-facing messages; internal errors stay internal.
    failure = data.user_failure_data if data else None
    if failure is not None and failure.description:
        text = failure.description.strip().splitlines()[0]
    elif error is not None and error.cls_name == "Failure":
        text = error.message.strip().splitlines()[0].split("Failure: ", 1)[-1]
    else:
        text = "an internal error (the platform team has the details)"
    metadata = failure.metadata if failure is not None else {}
    subjects = [f"{label} {metadata[name].value}" for name, label in _SUBJECTS if name in metadata]
    where = f" ({', '.join(subjects)})" if subjects else ""
    return f"The step {event.step_key} failed: {text}{where}"


def held_for_review(context: dg.RunFailureSensorContext) -> bool:
    """The run stopped only at its PII gate: the work waits for a decision, it did not fail (the scan
    announced PII_SCAN_COMPLETED; a rejection announces the failure)."""
    failed = [e.step_key or "" for e in context.get_step_failure_events()]
    return bool(failed) and all(step.endswith("_pii_gate") for step in failed)


def failure_message(context: dg.RunFailureSensorContext, store, export_id: int) -> str:
    step = step_failure_message(context)
    if step:
        return step
    try:
        checks = json.loads(store.get_bytes(ExportPaths(export_id).qc_json))
        failed = [c["name"] for c in checks if not c["passed"]]
        if failed:
            return f"Quality control failed: {', '.join(failed)}. Nothing was delivered."
    except PlatformError:
        pass
    return "The production run failed."


@dg.run_failure_sensor(
    monitored_jobs=[production_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Publishes EXPORT_FAILED (and the failed callback) when a production run fails.",
)
def export_failure_sensor(
    context: dg.RunFailureSensorContext,
    object_store: ObjectStoreResource,
    event_bus: EventBusResource,
    backend_api: BackendApiResource,
):
    key = context.dagster_run.tags.get("dagster/partition")
    if not key or held_for_review(context):
        return
    case_id, export_id = parse_export_key(key)
    store = object_store.case(case_id)
    message = failure_message(context, store, export_id)
    event_id = f"export_failed-{case_id}-{export_id}-{context.dagster_run.run_id}"
    announce_export_failed(event_bus.bus(), backend_api.api(), case_id, export_id, event_id, message)
