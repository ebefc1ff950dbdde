"""stamped_page_set: every exhibit page of a case carrying the stamps its database says it carries.

Materialized from the UI (one case or a backfill of many, in one run) it
re-stamps only the exhibits whose stamp rows, source PDF or style changed;
given a stamp request (stamp_job, or a STAMP_REQUESTED event) it first applies
the request to the database (domain/stamps/service.py), then re-stamps, then
announces STAMP_COMPLETED / STAMP_FAILED. Given several (`requests`: the request
sensor batches a case's requests), it applies each in order, re-stamps once, and
announces each; one bad request is announced and the others go on. Whatever was left unstamped
fails the check `all_stamped` of that case (stamps/checks.py), so it shows in the UI.
"""

import tempfile
from pathlib import Path

import dagster as dg

from domain.errors import PermanentError, PlatformError, RetryableError
from domain.log import get_logger, log_context
from domain.stamp_layout import MODES
from domain.stamps import service
from domain.stamps.request import SUPPLIED_BY_RUN, StampRequest, parse_request
from imaging.pageset import OUTPUTS, PageSetSettings
from nextpoint_assets.config_models import config_of
from nextpoint_assets.errors import RETRY_POLICY, user_message
from nextpoint_assets.partitions import case_id_of, cases_partitions
from nextpoint_assets.stamps.checks import (
    StampFindings,
    all_stamped_result,
    stamp_check_outputs,
    stamp_check_specs,
)
from nextpoint_assets.stamps.sync import SourceCache, SyncSummary, sync_page_set
from resources.dagster_resources import DatabaseResource, EventBusResource, ObjectStoreResource
from resources.event_bus import make_event

log = get_logger("stamps")
DATA_VERSION_TAG = "dagster/data_version"


#: A STAMP_REQUESTED body as run config: the domain model's fields, less those the run supplies.
StampRequestConfig = config_of(StampRequest, exclude=SUPPLIED_BY_RUN)


class StampedPageSetConfig(dg.Config):
    request: StampRequestConfig | None = None
    requests: list[StampRequestConfig] = []  # several, applied in order, then one re-stamp
    mode: str = "band"  # "overlay" draws on the page as it is; band: grow the page so no stamp covers content
    outputs: list[str] = ["annotations", "burned"]  # add "images" for legacy burned-in page images
    image_dpi: int = 150
    workers: int = 0  # processes; 0 = one per CPU core
    max_document_pages: int = service.DEFAULT_MAX_PAGES
    force: bool = False  # re-stamp every exhibit, changed or not


def _settings(config: StampedPageSetConfig) -> PageSetSettings:
    if config.mode not in MODES:
        raise PermanentError(f"Unknown stamp mode {config.mode!r}; choose from {list(MODES)}.")
    unknown = sorted(set(config.outputs) - set(OUTPUTS))
    if unknown or not config.outputs:
        raise PermanentError(f"Unknown stamped page outputs {unknown}; choose from {list(OUTPUTS)}.")
    return PageSetSettings(config.mode, tuple(o for o in OUTPUTS if o in config.outputs), config.image_dpi)


def _request(item: StampRequestConfig, case_id: int) -> StampRequest:
    return parse_request({**item.model_dump(), "case_id": case_id}, case_id)


def _unreadable(item: StampRequestConfig) -> StampRequest:
    """A request that failed its checks, as far as its announcement needs (the failure sensor does the
    same)."""
    return StampRequest.model_construct(
        event_id=item.event_id, type=item.type, action=item.action, exhibit_ids=list(item.exhibit_ids)
    )


def _announce(
    bus,
    case_id: int,
    request: StampRequest,
    result: service.StampResult | None,
    sync: SyncSummary | None,
    error: str | None = None,
) -> list[dict]:
    """STAMP_COMPLETED for what is stamped, STAMP_FAILED for what is not; ids derive from the request."""
    events = []
    failed = dict(result.failed) if result else {}
    if result and sync:
        failed.update({e: m for e, m in sync.failed.items() if e in result.exhibit_ids})
    done = [e for e in (result.exhibit_ids if result else []) if e not in failed]
    common = {"stamp_type": request.type, "action": request.action, "request_event_id": request.event_id}
    if done:
        events.append(
            make_event(
                "STAMP_COMPLETED",
                case_id,
                event_id=f"stamp_completed-{case_id}-{request.receipt_name}",
                exhibit_ids=done,
                bates_range=result.bates_range,
                pages=result.pages,
                skipped={str(k): v for k, v in result.skipped.items()},
                **common,
            )
        )
    if failed or error:
        ids = sorted(failed) if failed else list(request.exhibit_ids)
        message = (
            error
            or f"{len(failed)} exhibit(s) could not be stamped: "
            + "; ".join(failed[e] for e in sorted(failed))[:2000]
        )
        events.append(
            make_event(
                "STAMP_FAILED",
                case_id,
                event_id=f"stamp_failed-{case_id}-{request.receipt_name}",
                exhibit_ids=ids,
                bates_range=None,
                error=message,
                errors={str(k): v for k, v in failed.items()},
                **common,
            )
        )
    for event in events:
        bus.publish(event)
    return events


@dg.asset(
    partitions_def=cases_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="stamps",
    kinds={"pdf", "png"},
    owners=["team:productions"],
    retry_policy=RETRY_POLICY,
    output_required=False,
    description="Every stamped exhibit's pages with their Bates, confidentiality and exhibit stamps, "
    "as an annotation layer and burned in (stamped_pages/ of each case).",
    check_specs=stamp_check_specs("stamped_page_set", cases_partitions),
)
def stamped_page_set(
    context: dg.AssetExecutionContext,
    config: StampedPageSetConfig,
    databases: DatabaseResource,
    object_store: ObjectStoreResource,
    event_bus: EventBusResource,
):
    settings = _settings(config)
    items = ([config.request] if config.request is not None else []) + list(config.requests)
    if items and len(context.partition_keys) != 1:
        raise dg.Failure(
            "A stamp request names one case: run it for exactly one partition.", allow_retries=False
        )
    failures: dict[str, str] = {}
    for partition_key in context.partition_keys:
        case_id = case_id_of(partition_key)
        with log_context(case_id=case_id, run_id=context.run_id, job="stamped_page_set"):
            try:
                materialization, refused, findings = _materialize(
                    context, config, items, settings, case_id, databases, object_store, event_bus
                )
                yield materialization
                yield from all_stamped_result(context, partition_key, findings)
                failures.update({f"request {e}": m for e, m in refused.items()})
            except RetryableError:
                raise
            except PlatformError as exc:
                log.error(f"stamping failed: {exc}")
                failures[f"case {partition_key}"] = user_message(exc)
    yield from stamp_check_outputs(context)
    if failures:
        summary = "; ".join(f"{k}: {v}" for k, v in sorted(failures.items()))
        raise dg.Failure(
            description=f"Stamping failed: {summary}"[:4000],
            metadata={"failed": dg.MetadataValue.json(failures)},
            allow_retries=False,
        )


def _materialize(
    context, config, items, settings, case_id, databases, object_store, event_bus
) -> tuple[dg.AssetMaterialization, dict[str, str], StampFindings]:
    """Apply the requests, re-stamp the case, announce each request. Returns the materialization, the
    requests of a batch that failed ({event id: message}) and what was not stamped (the all_stamped
    check); a single request's failure raises."""
    dbs = databases.databases()
    store = object_store.case(case_id)
    engine = dbs.case_writer(case_id)
    bus = event_bus.bus()
    single = len(items) == 1 and config.request is not None
    handled: list[tuple[StampRequest, service.StampResult]] = []
    refused: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="np-stamp-") as tmp:
        sources = SourceCache(
            store, Path(tmp)
        )  # PDFs fetched to check a request are stamped from the same copy
        for item in items:
            request = None
            try:
                request = _request(item, case_id)
                with log_context(event_id=request.event_id):
                    result = service.handle(
                        request, engine, store, sources.count_pages, config.max_document_pages
                    )
                    log.info(
                        f"stamp request: {len(result.exhibit_ids)} exhibit(s), {len(result.failed)} failed, "
                        f"already done: {result.already_done}"
                    )
                handled.append((request, result))
            except PermanentError as exc:
                _announce(bus, case_id, request or _unreadable(item), None, None, error=exc.user_message)
                if single:
                    raise
                refused[item.event_id] = exc.user_message
        with dbs.case_lock(case_id, "stamped_pages"):
            summary = sync_page_set(
                store, engine, settings, config.workers, config.force, sources, progress=context.log.info
            )
        events = [e for request, result in handled for e in _announce(bus, case_id, request, result, summary)]
    for request, result in handled:
        if not result.exhibit_ids and result.failed and not result.skipped:
            message = (
                "No exhibit of the request could be stamped: "
                + "; ".join(result.failed[e] for e in sorted(result.failed))[:1500]
            )
            if single:
                raise PermanentError(message)
            refused[request.event_id] = message
    metadata = {
        "case_id": case_id,
        "data_version": summary.version,
        "exhibits_stamped": summary.exhibits,
        "restamped_now": len(summary.stamped),
        "unchanged": summary.unchanged,
        "removed": len(summary.removed),
        "pages_restamped": summary.pages_stamped,
        "failed": dg.MetadataValue.json({str(k): v for k, v in summary.failed.items()}),
        "index_key": store.key("stamped_pages/index.json"),
    }
    if single and handled:
        request, result = handled[0]
        metadata.update(
            {
                "request_event_id": request.event_id,
                "request_exhibits": dg.MetadataValue.json(result.exhibit_ids),
                "request_failed": dg.MetadataValue.json({str(k): v for k, v in result.failed.items()}),
                "bates_range": dg.MetadataValue.json(result.bates_range),
                "already_done": result.already_done,
                "events": dg.MetadataValue.json([e["event_type"] for e in events]),
            }
        )
    elif items:
        # Every request here was announced by this step (the failure sensor reads this list).
        metadata.update(
            {
                "request_event_ids": dg.MetadataValue.json([item.event_id for item in items]),
                "requests": dg.MetadataValue.json(
                    {
                        request.event_id: {
                            "exhibits": result.exhibit_ids,
                            "failed": {str(k): v for k, v in result.failed.items()},
                            "bates_range": result.bates_range,
                            "already_done": result.already_done,
                        }
                        for request, result in handled
                    }
                ),
                "refused": dg.MetadataValue.json(refused),
                "events": dg.MetadataValue.json([e["event_type"] for e in events]),
            }
        )
    materialization = dg.AssetMaterialization(
        asset_key=context.asset_key,
        partition=str(case_id),
        metadata=metadata,
        tags={DATA_VERSION_TAG: summary.version},
    )
    return materialization, refused, StampFindings.of(items, handled, refused, summary)
