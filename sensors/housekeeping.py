"""Housekeeping schedules: one daily run per clean-up (UTC), running by default.

Timing comes from settings (NP_CLEANUP_WORK_CRON, NP_CLEANUP_ARCHIVE_CRON,
NP_CLEANUP_ORPHAN_CRON, NP_PARTITION_PRUNE_CRON, NP_REPORT_CLEANUP_CRON), the retentions from
NP_CLEANUP_WORK_RETENTION_DAYS, NP_CLEANUP_ARCHIVE_RETENTION_DAYS and
NP_PARTITION_RETENTION_DAYS, read by the ops when they run. A tick's run key is
the schedule and the day, so a repeated tick starts nothing twice.
"""

from datetime import UTC, datetime

import dagster as dg

from jobs.housekeeping import (
    housekeeping_export_archives_job,
    housekeeping_orphaned_outputs_job,
    housekeeping_partitions_job,
    housekeeping_report_files_job,
    housekeeping_work_files_job,
)
from resources.settings import get_settings

settings = get_settings()


def daily_schedule(job: dg.JobDefinition, cron: str, description: str) -> dg.ScheduleDefinition:
    name = job.name.removesuffix("_job") + "_schedule"

    @dg.schedule(
        name=name,
        cron_schedule=cron,
        job=job,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=description,
    )
    def _schedule(context: dg.ScheduleEvaluationContext):
        day = (context.scheduled_execution_time or datetime.now(UTC)).date().isoformat()
        return dg.RunRequest(run_key=f"{name}-{day}", tags={"np/housekeeping_day": day})

    return _schedule


HOUSEKEEPING_SCHEDULES = [
    daily_schedule(
        housekeeping_work_files_job,
        settings.cleanup_work_cron,
        "Every day: work files, temp files, scratch folders and unfinished uploads past the work retention.",
    ),
    daily_schedule(
        housekeeping_export_archives_job,
        settings.cleanup_archive_cron,
        "Every day: export archives past the archive retention.",
    ),
    daily_schedule(
        housekeeping_orphaned_outputs_job,
        settings.cleanup_orphan_cron,
        "Every day: partial outputs of exports whose last run failed or was canceled.",
    ),
    daily_schedule(
        housekeeping_partitions_job,
        settings.partition_prune_cron,
        "Every day: finished exports/exchanges partitions past the partition retention.",
    ),
    daily_schedule(
        housekeeping_report_files_job,
        settings.report_cleanup_cron,
        "Every day: report files past the newest NP_REPORT_KEEP_LAST per case and type.",
    ),
]
