"""STAMP_FAILED, REPORT_FAILED and HTML_RENDITION_FAILED for runs that fail as a whole.

The stamp and report steps announce their own outcomes, COMPLETED and FAILED,
when they can (they know the exhibits and the file). A run can also fail where
no step can speak: a crash, retries used up, a database gone. These sensors
announce those, naming the failing step, under the event id the step itself
would have used, so a consumer that already got the step's own event drops this
one as a duplicate (events.md: delivery is at least once).
"""

import dagster as dg

from domain.renditions.request import RENDER_OP
from domain.reports.request import request_name
from jobs.renditions import html_renditions_job
from jobs.reports import REPORT_JOBS
from jobs.stamps import stamp_job
from resources.dagster_resources import EventBusResource
from resources.event_bus import make_event
from sensors.production_outcomes import held_for_review, step_failure_message

_REPORT_JOB_TYPES = {job.name: report_type for report_type, job in REPORT_JOBS.items()}


def _case(context: dg.RunFailureSensorContext) -> int | None:
    key = context.dagster_run.tags.get("dagster/partition", "")
    return int(key) if key.isdigit() else None  # a backfill range: each case announced itself


def _announced(context: dg.RunFailureSensorContext) -> set[str]:
    """Event ids of the requests the run's steps already announced (their materializations name them)."""
    records = context.instance.get_records_for_run(
        context.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=10_000
    ).records
    ids: set[str] = set()
    for record in records:
        metadata = record.asset_materialization.metadata if record.asset_materialization else {}
        for name in ("request_event_id", "request_event_ids"):
            value = metadata.get(name)
            value = getattr(value, "value", value)
            ids.update([value] if isinstance(value, str) else list(value or []))
    return ids


def _op_config(context: dg.RunFailureSensorContext, op_name: str) -> dict:
    return context.dagster_run.run_config.get("ops", {}).get(op_name, {}).get("config", {})


def stamp_failure_events(context: dg.RunFailureSensorContext, case_id: int, message: str) -> list[dict]:
    from domain.stamps.request import StampRequest

    config = _op_config(context, "stamped_page_set")
    requests = ([config["request"]] if config.get("request") else []) + list(config.get("requests") or [])
    requests = [r for r in requests if r.get("event_id")]  # none: a re-stamp started by hand, nobody to tell
    done = _announced(context) if config.get("requests") else set()
    events = []
    for request in requests:
        if request["event_id"] in done:
            continue
        receipt = StampRequest.model_construct(event_id=request["event_id"]).receipt_name
        events.append(
            make_event(
                "STAMP_FAILED",
                case_id,
                event_id=f"stamp_failed-{case_id}-{receipt}",
                exhibit_ids=list(request.get("exhibit_ids", [])),
                bates_range=None,
                error=message,
                stamp_type=request.get("type"),
                action=request.get("action"),
                request_event_id=request["event_id"],
            )
        )
    return events


def report_failure_events(context: dg.RunFailureSensorContext, case_id: int, message: str) -> list[dict]:
    report_type = _REPORT_JOB_TYPES[context.dagster_run.job_name]
    config = _op_config(context, f"{report_type}_report")
    batch = list(config.get("requests") or [])
    done = _announced(context) if batch else set()
    events = []
    for request in batch or [config]:
        event_id = request.get("event_id")
        if event_id and event_id in done:
            continue
        name = request_name(event_id) if event_id else f"{context.dagster_run.run_id}-{report_type}"
        events.append(
            make_event(
                "REPORT_FAILED",
                case_id,
                event_id=f"report_failed-{case_id}-{name}",
                report_type=report_type,
                object_key=None,
                row_count=0,
                error=message,
                request_event_id=event_id,
            )
        )
    return events


def rendition_failure_events(context: dg.RunFailureSensorContext, case_id: int, message: str) -> list[dict]:
    """HTML_RENDITION_FAILED for a rendition run that failed, unless it only waits at its PII gate
    (PII_SCAN_COMPLETED told that; the decision starts the renditions or announces the rejection)."""
    if held_for_review(context):
        return []
    event_id = _op_config(context, RENDER_OP).get("event_id")
    name = request_name(event_id) if event_id else context.dagster_run.run_id
    return [
        make_event(
            "HTML_RENDITION_FAILED",
            case_id,
            event_id=f"html_rendition_failed-{case_id}-{name}",
            error=message,
            request_event_id=event_id,
        )
    ]


@dg.run_failure_sensor(
    monitored_jobs=[stamp_job, *REPORT_JOBS.values(), html_renditions_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Publishes STAMP_FAILED / REPORT_FAILED / HTML_RENDITION_FAILED when a stamp, report "
    "or rendition run fails as a whole "
    "(for a batch of requests: each request its steps did not announce).",
)
def request_failure_sensor(context: dg.RunFailureSensorContext, event_bus: EventBusResource):
    case_id = _case(context)
    if case_id is None:
        return
    message = step_failure_message(context) or "The run failed before any step could start."
    if context.dagster_run.job_name == stamp_job.name:
        events = stamp_failure_events(context, case_id, message)
    elif context.dagster_run.job_name == html_renditions_job.name:
        events = rendition_failure_events(context, case_id, message)
    else:
        events = report_failure_events(context, case_id, message)
    bus = event_bus.bus()
    for event in events:
        bus.publish(event)
