"""Housekeeping jobs: one op each, run daily by sensors/housekeeping.py, every deletion reported in metadata.

- housekeeping_work_files_job: export work folders, the local store's temp files,
  scratch folders, unfinished S3 multipart uploads, leftover Pipes context files
  (NP_CLEANUP_WORK_RETENTION_DAYS, 7).
- housekeeping_export_archives_job: export archives, `zips/` with its `volumes.json`
  (NP_CLEANUP_ARCHIVE_RETENTION_DAYS, 14).
- housekeeping_orphaned_outputs_job: partial outputs of exports that never completed and
  whose last run died (NP_CLEANUP_WORK_RETENTION_DAYS).
- housekeeping_partitions_job: finished `exports` and `exchanges` partitions
  (NP_PARTITION_RETENTION_DAYS, 90); their runs and materializations stay.
- housekeeping_report_files_job: report files past the newest NP_REPORT_KEEP_LAST (10) per
  case and type, never the one `latest.json` names nor a request file whose link still works.

What may go is decided by domain/housekeeping.py; nextpoint_assets/housekeeping.py
lists, asks and deletes. The ops here only read their configuration and resources.
"""

from datetime import timedelta

import dagster as dg

from nextpoint_assets import housekeeping as sweeps
from nextpoint_assets.reports import housekeeping as report_sweeps
from resources.dagster_resources import DatabaseResource, ObjectStoreResource
from resources.settings import get_settings

HOUSEKEEPING_TAGS = {"kind": "housekeeping"}


class CleanupConfig(dg.Config):
    retention_days: int | None = None  # None: the NP_* setting
    dry_run: bool = False  # report what would be deleted, delete nothing


def _sweeper(
    context, config: CleanupConfig, object_store: ObjectStoreResource, default_days: int
) -> sweeps.Sweeper:
    return sweeps.sweeper(
        context, object_store.store(), config.retention_days or default_days, config.dry_run
    )


@dg.op(
    description="Delete export work folders, temp files, scratch folders, unfinished uploads and Pipes "
    "context files older than the work retention, skipping everything live runs hold.",
    tags=HOUSEKEEPING_TAGS,
)
def clean_work_files(
    context: dg.OpExecutionContext, config: CleanupConfig, object_store: ObjectStoreResource
) -> dict:
    settings = get_settings()
    sweep = _sweeper(context, config, object_store, settings.cleanup_work_retention_days)
    return sweeps.sweep_work_files(context, sweep, settings)


@dg.op(
    description="Delete export archives (zips/ and volumes.json) older than the archive retention; "
    "the production folder stays.",
    tags=HOUSEKEEPING_TAGS,
)
def expire_export_archives(
    context: dg.OpExecutionContext, config: CleanupConfig, object_store: ObjectStoreResource
) -> dict:
    sweep = _sweeper(context, config, object_store, get_settings().cleanup_archive_retention_days)
    return sweeps.sweep_export_archives(context, sweep)


@dg.op(
    description="Delete the partial outputs of exports that never completed and whose last run failed or was "
    "canceled longer ago than the work retention; manifest.zip and error_logs/ stay.",
    tags=HOUSEKEEPING_TAGS,
)
def clean_orphaned_outputs(
    context: dg.OpExecutionContext,
    config: CleanupConfig,
    object_store: ObjectStoreResource,
    databases: DatabaseResource,
) -> dict:
    sweep = _sweeper(context, config, object_store, get_settings().cleanup_work_retention_days)
    return sweeps.sweep_orphaned_outputs(context, sweep, databases.databases().platform())


class PruneConfig(dg.Config):
    retention_days: int | None = None  # None: NP_PARTITION_RETENTION_DAYS
    max_keys: int = 10_000  # pruned per partition set and run; the rest waits for the next run
    dry_run: bool = False


@dg.op(
    description="Delete finished `exports` and `exchanges` partitions (no live run, last run ended longer "
    "ago than the partition retention). Runs and materializations stay; `cases` is never pruned.",
    tags=HOUSEKEEPING_TAGS,
)
def prune_finished_partitions(context: dg.OpExecutionContext, config: PruneConfig) -> dict:
    days = config.retention_days or get_settings().partition_retention_days
    return sweeps.prune_partitions(context, days, config.max_keys, config.dry_run)


@dg.job(
    description="Daily: work files, temp files, scratch folders, unfinished uploads past the work retention.",
    tags=HOUSEKEEPING_TAGS,
)
def housekeeping_work_files_job():
    clean_work_files()


@dg.job(description="Daily: export archives (zips/) past the archive retention.", tags=HOUSEKEEPING_TAGS)
def housekeeping_export_archives_job():
    expire_export_archives()


@dg.job(
    description="Daily: partial outputs of exports whose last run died, past the work retention.",
    tags=HOUSEKEEPING_TAGS,
)
def housekeeping_orphaned_outputs_job():
    clean_orphaned_outputs()


@dg.job(
    description="Daily: finished exports/exchanges partitions past the partition retention.",
    tags=HOUSEKEEPING_TAGS,
)
def housekeeping_partitions_job():
    prune_finished_partitions()


class ReportKeepConfig(dg.Config):
    keep_last: int | None = None  # None: NP_REPORT_KEEP_LAST
    dry_run: bool = False


@dg.op(
    description="Delete report files past the newest N per case and type (per account and month); the file "
    "latest.json names and request files whose emailed link may still work stay.",
    tags=HOUSEKEEPING_TAGS,
)
def keep_last_reports(
    context: dg.OpExecutionContext, config: ReportKeepConfig, object_store: ObjectStoreResource
) -> dict:
    keep_last = config.keep_last or get_settings().report_keep_last
    # The sweeper's age rules are not used here (1 day: the least it takes); the counts and the guard are.
    sweep = sweeps.sweeper(context, object_store.store(), 1, config.dry_run)
    lifetime = timedelta(seconds=object_store.presign_seconds)
    return report_sweeps.sweep_report_files(context, sweep, keep_last, lifetime)


@dg.job(
    description="Daily: report files past the newest NP_REPORT_KEEP_LAST per case and type.",
    tags=HOUSEKEEPING_TAGS,
)
def housekeeping_report_files_job():
    keep_last_reports()


HOUSEKEEPING_JOBS = [
    housekeeping_work_files_job,
    housekeeping_export_archives_job,
    housekeeping_orphaned_outputs_job,
    housekeeping_partitions_job,
    housekeeping_report_files_job,
]
