"""Stamp jobs: one stamp request (as run config) applied to a case, then its page set re-stamped."""

from __future__ import annotations

import dagster as dg

from nextpoint_assets.partitions import cases_partitions
from nextpoint_assets.stamps.assets import stamped_page_set

stamp_job = dg.define_asset_job(
    "stamp_job",
    selection=[stamped_page_set],
    partitions_def=cases_partitions,
    description="Apply, update or remove stamps (ops.stamped_page_set.config.request holds the STAMP_REQUESTED body) "
    "for one case, then re-stamp the exhibits that changed.",
)


def stamp_run_config(request: dict, **settings) -> dict:
    """Run config for stamp_job from a STAMP_REQUESTED body (case_id travels as the partition key).

    Only the fields the job reads are passed on: an event may carry more than the contract names,
    and run config refuses unknown fields."""
    from nextpoint_assets.stamps.assets import StampRequestConfig, StampTemplateConfig

    body = {k: v for k, v in request.items() if k in StampRequestConfig.model_fields}
    template = body.pop("template", None)
    if isinstance(template, dict):
        body["template"] = {k: v for k, v in template.items() if k in StampTemplateConfig.model_fields}
    return {"ops": {"stamped_page_set": {"config": {"request": body, **settings}}}}
