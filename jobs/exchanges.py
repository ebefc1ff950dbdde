"""The exchange job: one EXCHANGE_REQUESTED body (as run config) carried out for its partition.

The run config of a request is built in domain/exchanges/request.py (`exchange_run_config`).
"""

from __future__ import annotations

import dagster as dg

from nextpoint_assets.exchanges.assets import EXCHANGE_ASSETS
from nextpoint_assets.exchanges.pii import exchange_pii_scan
from nextpoint_assets.partitions import exchanges_partitions

exchange_job = dg.define_asset_job(
    "exchange_job",
    selection=[*EXCHANGE_ASSETS, exchange_pii_scan],
    partitions_def=exchanges_partitions,
    description="Exchange documents between two cases: request -> PII scan and gate -> database copy "
    "(Spark) -> documents -> search text -> completion. "
    "ops.exchange_request.config.request holds the EXCHANGE_REQUESTED body.",
    tags={"kind": "exchange"},
)
