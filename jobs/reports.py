"""Report jobs."""

from __future__ import annotations

import dagster as dg

from nextpoint_assets.partitions import cases_partitions
from nextpoint_assets.reports.page_count import page_count_report

page_count_report_job = dg.define_asset_job(
    "page_count_report_job",
    selection=[page_count_report],
    partitions_def=cases_partitions,
    description="Page-count report for one case, or many in one run (a backfill).",
)
