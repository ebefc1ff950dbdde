"""Report jobs: one per report asset (any case, or many in one backfill run).

A REPORT_REQUESTED event becomes a run of one of them through the request table
(domain/requests.py; its run config from domain/reports/request.py, `report_run_config`).
"""

from __future__ import annotations

import dagster as dg

from domain.reports.request import report_job_name
from nextpoint_assets.partitions import cases_partitions
from nextpoint_assets.reports.account_activity import account_user_activity_report
from nextpoint_assets.reports.assets import REPORT_ASSETS

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
