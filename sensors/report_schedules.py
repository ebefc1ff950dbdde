"""Recurring reports. Both start stopped: an operator turns them on in the UI (Automation).

Their timing, format and recipients come from settings (NP_REPORT_*), so they are
configured per deployment without code. Each tick names its files and outcome
events after the tick's date, so a re-run of a tick overwrites, never duplicates.
"""

from datetime import timedelta

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from jobs.reports import REPORT_JOBS, account_user_activity_job
from nextpoint_assets.partitions import cases_partitions
from resources.settings import get_settings

settings = get_settings()


def _recipients() -> list[str]:
    return [a.strip() for a in settings.report_schedule_recipients.split(",") if a.strip()]


def why_stopped() -> str:
    """Why a report schedule starts stopped, with the settings it would run with now (the count of
    recipients, not their addresses: the description is shown to everyone who opens the UI)."""
    count = len(_recipients())
    recipients = f"{count} set" if count else "none set: its reports would reach nobody"
    return (
        " Stopped by default: it emails every report to the addresses in NP_REPORT_SCHEDULE_RECIPIENTS "
        f"({recipients}) as NP_REPORT_SCHEDULE_FORMAT ({settings.report_schedule_format}). "
        "Set the recipients and restart, then turn it on (Automation)."
    )


@dg.schedule(
    cron_schedule=settings.report_weekly_review_log_cron,
    job=REPORT_JOBS["review_log"],
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every week: the past week's review log of every active case, in one run." + why_stopped(),
)
def weekly_review_log_schedule(context: dg.ScheduleEvaluationContext):
    keys = context.instance.get_dynamic_partitions(cases_partitions.name)
    if not keys:
        return dg.SkipReason("no case partitions registered yet")
    day = context.scheduled_execution_time.date()
    config = {
        "format": settings.report_schedule_format,
        "email": _recipients(),
        "date_from": (day - timedelta(days=7)).isoformat(),
        "date_to": (day - timedelta(days=1)).isoformat(),
        "event_id": f"schedule-weekly-review-log-{day.isoformat()}",
        "active_only": True,
    }
    return dg.RunRequest(
        run_key=f"weekly-review-log-{day.isoformat()}",
        run_config={"ops": {"review_log_report": {"config": config}}},
        # One run over every case partition (the asset's single-run backfill path), not one run per case.
        tags={ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]},
    )


@dg.schedule(
    cron_schedule=settings.report_monthly_user_activity_cron,
    job=account_user_activity_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every month: last month's user activity of every account, over all its cases."
    + why_stopped(),
)
def monthly_user_activity_schedule(context: dg.ScheduleEvaluationContext):
    first = context.scheduled_execution_time.date().replace(day=1)
    month = (first - timedelta(days=1)).replace(day=1).isoformat()
    config = {"format": settings.report_schedule_format, "email": _recipients()}
    return dg.RunRequest(
        run_key=f"monthly-user-activity-{month}",
        partition_key=month,
        run_config={"ops": {"account_user_activity_report": {"config": config}}},
    )


REPORT_SCHEDULES = [weekly_review_log_schedule, monthly_user_activity_schedule]
