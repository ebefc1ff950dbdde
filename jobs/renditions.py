"""Rendition jobs: a case's documents as accessible HTML (one case, or many in one backfill run)."""

from __future__ import annotations

import dagster as dg

from nextpoint_assets.partitions import cases_partitions
from nextpoint_assets.renditions.assets import html_renditions

html_renditions_job = dg.define_asset_job(
    "html_renditions_job",
    selection=[html_renditions],
    partitions_def=cases_partitions,
    description="HTML renditions of a case's documents (ops.html_renditions.config names which: all, a "
    "label or exhibit ids); documents whose PDF did not change since the last run are skipped.",
)
