"""The production job: every production asset for one export partition."""

from __future__ import annotations

import dagster as dg

from nextpoint_assets.partitions import exports_partitions

production_job = dg.define_asset_job(
    "production_job",
    selection=dg.AssetSelection.groups("productions"),
    partitions_def=exports_partitions,
    description="Produce one export: manifest -> volumes (parallel) -> load files -> archive -> QC "
    "-> completion.",
    tags={"kind": "production"},
)
