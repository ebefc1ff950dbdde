"""STAMP_FAILED and REPORT_FAILED for runs that fail as a whole.

The stamp and report steps announce their own outcomes, COMPLETED and FAILED,
when they can (they know the exhibits and the file). A run can also fail where
no step can speak: a crash, retries used up, a database gone. These sensors
announce those, naming the failing step, under the event id the step itself
would have used, so a consumer that already got the step's own event drops this
one as a duplicate (events.md: delivery is at least once).
"""

import dagster as dg

from domain.reports.request import request_name
from jobs.reports import REPORT_JOBS
from jobs.stamps import stamp_job
from resources.dagster_resources import EventBusResource
from resources.event_bus import make_event
from sensors.export_outcomes import step_failure_message

_REPORT_JOB_TYPES = {job.name: report_type for report_type, job in REPORT_JOBS.items()}


def _case(context: dg.RunFailureSensorContext) -> int | None:
    key = context.dagster_run.tags.get("dagster/partition", "")
    return int(key) if key.isdigit() else None  # a backfill range: each case announced itself


def stamp_failure_event(context: dg.RunFailureSensorContext, case_id: int, message: str) -> dict | None:
    from domain.stamping.request import StampRequest

    config = context.dagster_run.run_config.get("ops", {}).get("stamped_page_set", {}).get("config", {})
    request = config.get("request")
    if not request or not request.get("event_id"):
        return None  # a re-stamp started by hand: nobody asked, nobody to tell
    receipt = StampRequest.model_construct(event_id=request["event_id"]).receipt_name
    return make_event("STAMP_FAILED", case_id, event_id=f"stamp_failed-{case_id}-{receipt}",
                      exhibit_ids=list(request.get("exhibit_ids", [])), bates_range=None, error=message,
                      stamp_type=request.get("type"), action=request.get("action"),
                      request_event_id=request["event_id"])


def report_failure_event(context: dg.RunFailureSensorContext, case_id: int, message: str) -> dict:
    report_type = _REPORT_JOB_TYPES[context.dagster_run.job_name]
    config = context.dagster_run.run_config.get("ops", {}).get(f"{report_type}_report", {}).get("config", {})
    event_id = config.get("event_id")
    name = request_name(event_id) if event_id else f"{context.dagster_run.run_id}-{report_type}"
    return make_event("REPORT_FAILED", case_id, event_id=f"report_failed-{case_id}-{name}", report_type=report_type,
                      object_key=None, row_count=0, error=message, request_event_id=event_id)


@dg.run_failure_sensor(
    monitored_jobs=[stamp_job, *REPORT_JOBS.values()],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Publishes STAMP_FAILED / REPORT_FAILED when a stamp or report run fails as a whole.",
)
def request_failure_sensor(context: dg.RunFailureSensorContext, event_bus: EventBusResource):
    case_id = _case(context)
    if case_id is None:
        return
    message = step_failure_message(context) or "The run failed before any step could start."
    if context.dagster_run.job_name == stamp_job.name:
        event = stamp_failure_event(context, case_id, message)
    else:
        event = report_failure_event(context, case_id, message)
    if event is not None:
        event_bus.bus().publish(event)
