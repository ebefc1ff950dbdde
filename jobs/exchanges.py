"""The exchange job: one EXCHANGE_REQUESTED body (as run config) carried out for its partition."""

from __future__ import annotations

import dagster as dg

from domain.exchange.request import parse_exchange_request
from nextpoint_assets.exchanges.assets import EXCHANGE_ASSETS, exchanges_partitions
from nextpoint_assets.exchanges.pii import exchange_pii_scan

exchange_job = dg.define_asset_job(
    "exchange_job",
    selection=[*EXCHANGE_ASSETS, exchange_pii_scan],
    partitions_def=exchanges_partitions,
    description="Exchange documents between two cases: request -> PII scan and gate -> database copy (Spark) -> documents -> search text -> completion. "
    "ops.exchange_request.config.request holds the EXCHANGE_REQUESTED body.",
    tags={"kind": "exchange"},
)


def exchange_run_config(body: dict) -> dict:
    return {"ops": {"exchange_request": {"config": {"request": body}}}}


def exchange_run_request(body: dict) -> dg.RunRequest:
    """A validated EXCHANGE_REQUESTED body as a run of its partition; the run key is the idempotency
    key, so a request delivered twice starts one run. Raises PermanentError for a bad body."""
    request = parse_exchange_request(body)
    return dg.RunRequest(
        run_key=f"exchange:{request.key}",
        partition_key=request.exchange_id,
        run_config=exchange_run_config(body),
        tags={"exchange/idempotency_key": request.key[:63]},
    )
