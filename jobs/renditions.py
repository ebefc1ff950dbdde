"""Rendition jobs: a case's documents screened for personal data, then made accessible HTML (one
case, or many in one backfill run)."""

from __future__ import annotations

import dagster as dg

from nextpoint_assets.partitions import cases_partitions
from nextpoint_assets.renditions.assets import html_renditions
from nextpoint_assets.renditions.pii import html_rendition_pii_gate, html_rendition_pii_scan

html_renditions_job = dg.define_asset_job(
    "html_renditions_job",
    selection=dg.AssetSelection.assets(html_rendition_pii_scan, html_renditions)
    | dg.AssetSelection.checks(html_rendition_pii_gate),
    partitions_def=cases_partitions,
    description="HTML renditions of a case's documents: ops.html_rendition_pii_scan.config names which "
    "(all, a label or exhibit ids) and screens them; html_rendition_pii_gate holds the renditions until "
    "the scan is clean or approved; documents unchanged since the last run are skipped.",
)
