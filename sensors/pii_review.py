"""pii_review_sensor: what happens after a PII scan is decided, and when nobody decides.

Each tick (every NP_PII_REVIEW_POLL_SECONDS, 60):
1. rejects every scan still awaiting approval past its deadline (NP_PII_APPROVAL_HOURS, 72);
2. for every decided scan whose held work has not been dealt with, asks for one run (its run key is
   the scan's, so it is asked once): an approved export goes on with export_archive and
   export_completion, an approved exchange with its copy, approved renditions with html_renditions
   (what the scan screened); a rejection runs pii_rejection_job (clean-up, EXPORT_FAILED /
   EXCHANGER_FAILED / HTML_RENDITION_FAILED);
3. marks the scans whose run now exists as dealt with.
"""

import dagster as dg

from domain.requests import CASE_TAG, SERIAL_TAG
from jobs.exchanges import exchange_job
from jobs.pii import pii_rejection_job
from jobs.productions import production_job
from jobs.renditions import html_renditions_job
from nextpoint_assets.pii.records import decided_not_resumed, expire, mark_resumed
from resources.dagster_resources import DatabaseResource
from resources.settings import get_settings

EXPORT_HELD = [dg.AssetKey("export_archive"), dg.AssetKey("export_completion")]
RENDITION_HELD = [dg.AssetKey("html_renditions")]
EXCHANGE_HELD = [
    dg.AssetKey(k)
    for k in ("exchange_database_copy", "exchange_documents", "exchange_search_text", "exchange_completion")
]


def follow_up(row: dict) -> dg.RunRequest:
    """The one run that deals with a decided scan's held work."""
    run_key = f"pii-{row['decision']}-{row['scan_id']}"
    tags = {
        "np/pii_scan": row["scan_id"],
        CASE_TAG: str(row["case_id"]),
        SERIAL_TAG: f"{row['subject']}-{row['subject_key']}",
    }
    if row["decision"] == "rejected":
        return dg.RunRequest(
            run_key=run_key,
            job_name=pii_rejection_job.name,
            tags=tags,
            run_config={"ops": {"apply_pii_rejection": {"config": {"scan_id": row["scan_id"]}}}},
        )
    if row["subject"] == "rendition":
        return dg.RunRequest(
            run_key=run_key,
            job_name=html_renditions_job.name,
            partition_key=str(row["case_id"]),
            asset_selection=RENDITION_HELD,
            tags=tags,
            run_config={"ops": {"html_renditions": {"config": {"pii_scan_id": row["scan_id"]}}}},
        )
    if row["subject"] == "export":
        return dg.RunRequest(
            run_key=run_key,
            job_name=production_job.name,
            partition_key=row["subject_key"],
            asset_selection=EXPORT_HELD,
            tags=tags,
        )
    return dg.RunRequest(
        run_key=run_key,
        job_name=exchange_job.name,
        partition_key=row["subject_key"],
        asset_selection=EXCHANGE_HELD,
        tags=tags,
    )


def evaluate(context, databases) -> dg.SensorResult | dg.SkipReason:
    platform = databases.databases().platform()
    expired = expire(platform)
    for row in expired:
        context.log.warning(
            f"PII scan {row['scan_id']} ({row['subject']} {row['subject_key']}) rejected: no decision "
            "before its deadline."
        )
    decided = decided_not_resumed(platform)
    requests = [follow_up(row) for row in decided]
    if requests:
        started = {
            r.tags.get("dagster/run_key")
            for r in context.instance.get_runs(
                dg.RunsFilter(tags={"dagster/run_key": [r.run_key for r in requests]})
            )
        }
        for row, request in zip(decided, requests, strict=True):
            if request.run_key in started:
                mark_resumed(platform, row["scan_id"])
        requests = [r for r in requests if r.run_key not in started]
    if not requests:
        return dg.SkipReason(f"{len(expired)} scan(s) expired; nothing to start")
    return dg.SensorResult(run_requests=requests)


@dg.sensor(
    minimum_interval_seconds=get_settings().pii_review_poll_seconds,
    default_status=dg.DefaultSensorStatus.RUNNING,
    jobs=[production_job, exchange_job, html_renditions_job, pii_rejection_job],
    description="Rejects PII scans past their review deadline; "
    "starts the held work of approved scans and the "
    "clean-up of rejected ones.",
)
def pii_review_sensor(context: dg.SensorEvaluationContext, databases: DatabaseResource):
    return evaluate(context, databases)
