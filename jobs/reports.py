"""Report jobs: one per report asset (any case, or many in one backfill run), and the request mapper.

`report_run_request(body)` turns a REPORT_REQUESTED event into the job, partition
and run config that make it: the SQS sensor (and tests) call it. The request is
validated first; a bad one raises PermanentError with the reason to reject it.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from domain.reports.request import parse_report_request
from nextpoint_assets.partitions import cases_partitions
from nextpoint_assets.reports.account_activity import account_user_activity_report
from nextpoint_assets.reports.assets import REPORT_ASSETS


def report_job_name(report_type: str) -> str:
    return f"{report_type}_report_job"


REPORT_JOBS = {
    report_type: dg.define_asset_job(
        report_job_name(report_type),
        selection=[asset],
        partitions_def=cases_partitions,
        description=f"The {report_type} report for one case, or many in one run (a backfill).",
        tags={"report_type": report_type},
    )
    for report_type, asset in REPORT_ASSETS.items()
}
page_count_report_job = REPORT_JOBS["page_count"]

account_user_activity_job = dg.define_asset_job(
    "account_user_activity_report_job",
    selection=[account_user_activity_report],
    partitions_def=account_user_activity_report.partitions_def,
    description="Each account's user activity over all its cases, for a month.",
)


def report_run_request(body: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(job name, case partition key, run config) for a REPORT_REQUESTED event body."""
    request = parse_report_request(body)
    p = request.parameters
    config: dict[str, Any] = {
        "format": request.delivery.format,
        "email": list(request.delivery.email),
        "event_id": request.event_id,
        **({"user_id": request.user_id} if request.user_id else {}),
        **({"date_from": p.date_from} if p.date_from else {}),
        **({"date_to": p.date_to} if p.date_to else {}),
        **{
            name: getattr(p, name)
            for name in ("case_ids", "columns", "actions", "user_ids", "relevancy")
            if getattr(p, name)
        },
        **(
            {"overlay_key": p.overlay_key, "match_by": p.match_by, "dry_run": p.dry_run}
            if request.report_type == "coding_overlay"
            else {}
        ),
    }
    asset_name = f"{request.report_type}_report"
    return (
        report_job_name(request.report_type),
        str(request.case_id),
        {"ops": {asset_name: {"config": config}}},
    )
