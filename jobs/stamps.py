"""Stamp jobs: one stamp request (as run config) applied to a case, then its page set re-stamped.

The run config of a request is built in domain/stamps/request.py (`stamp_run_config`).
"""

from __future__ import annotations

import dagster as dg

from nextpoint_assets.partitions import cases_partitions
from nextpoint_assets.stamps.assets import stamped_page_set

stamp_job = dg.define_asset_job(
    "stamp_job",
    selection=[stamped_page_set],
    partitions_def=cases_partitions,
    description="Apply, update or remove stamps (ops.stamped_page_set.config.request holds the "
    "STAMP_REQUESTED body) for one case, then re-stamp the exhibits that changed.",
)
