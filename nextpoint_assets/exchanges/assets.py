"""Exchange assets, one partition per exchange ('{destination}-{source}-{batch}'):

exchange_request -> exchange_pii_scan (+ exchange_pii_gate, exchanges/pii.py)
                 -> exchange_database_copy (Spark, glue_scripts/exchange_copy.py)
                 -> exchange_documents (files, branding, re-OCR)
                 -> exchange_search_text -> exchange_completion

Every step reads the validated request and the state record from the platform database,
so steps may run on different machines; every step may be re-run and does only what is left.
"""

import contextlib
from collections.abc import Iterator

import dagster as dg

from domain.errors import PermanentError, PlatformError
from domain.exchanges.request import ExchangeRequest, parse_exchange_key, parse_exchange_request
from domain.log import get_logger, log_context
from nextpoint_assets.code_references import code_references
from nextpoint_assets.errors import RETRY_POLICY, dagster_errors
from nextpoint_assets.exchanges import documents as docs
from nextpoint_assets.exchanges.launch import SCRIPT, copy_params, run_copy
from nextpoint_assets.exchanges.preflight import check_request
from nextpoint_assets.exchanges.state import (
    FINISHED,
    counts_of,
    get_state,
    record_request,
    request_of,
    set_state,
)
from nextpoint_assets.partitions import exchanges_partitions
from nextpoint_assets.pii.gate import require_clearance
from resources.dagster_resources import (
    DatabaseResource,
    DocumentEngineResource,
    EventBusResource,
    ObjectStoreResource,
    SearchIndexResource,
)
from resources.event_bus import make_event
from resources.search_index import IndexedText
from resources.settings import get_settings

log = get_logger("exchanges")


def exchange_asset(**kwargs):
    return dg.asset(
        partitions_def=exchanges_partitions,
        group_name="exchanges",
        owners=["team:exchanges"],
        retry_policy=RETRY_POLICY,
        **kwargs,
    )


@contextlib.contextmanager
def exchange_step(context) -> Iterator[None]:
    destination, source, batch = parse_exchange_key(context.partition_key)
    with (
        log_context(
            case_id=destination,
            source_case_id=source,
            batch_id=batch,
            exchange_id=context.partition_key,
            run_id=context.run.run_id,
        ),
        dagster_errors(context),
    ):
        yield


def _state(databases: DatabaseResource, context) -> tuple[dict, ExchangeRequest]:
    state = get_state(databases.databases().platform(), context.partition_key)
    return state, request_of(state)


def _begin(databases: DatabaseResource, context) -> tuple[dict, ExchangeRequest, dg.MaterializeResult | None]:
    """The exchange's state and request, and the result to return at once when it already finished."""
    state, request = _state(databases, context)
    done = (
        dg.MaterializeResult(metadata=_metadata(state, already_done=True))
        if state["status"] == FINISHED
        else None
    )
    return state, request, done


def _metadata(state: dict, **extra) -> dict:
    return {"status": state["status"], "counts": dg.MetadataValue.json(counts_of(state)), **extra}


class ExchangeRequestConfig(dg.Config):
    request: dict = {}  # the EXCHANGE_REQUESTED body (domain/exchanges/request.py: exchange_run_config)


@exchange_asset(
    kinds={"python"},
    description="The EXCHANGE_REQUESTED body validated (cases, exhibits or label, tables) "
    "before anything is written, its state record, EXCHANGER_INITIATED.",
)
def exchange_request(
    context: dg.AssetExecutionContext,
    config: ExchangeRequestConfig,
    databases: DatabaseResource,
    event_bus: EventBusResource,
) -> dg.MaterializeResult:
    with exchange_step(context):
        request = parse_exchange_request(config.request)
        if request.exchange_id != context.partition_key:
            raise PermanentError(
                f"The request is for exchange {request.exchange_id}, not {context.partition_key}."
            )
        platform = databases.databases().platform()
        state = record_request(platform, request)
        if state["status"] == FINISHED:
            context.log.info(f"Exchange {request.key} already finished: nothing to do.")
            return dg.MaterializeResult(metadata=_metadata(state, already_done=True))
        selected = check_request(databases.databases(), request)
        state = set_state(platform, request.exchange_id, "requested", {"exhibits_selected": selected})
        event_bus.bus().publish(
            make_event(
                "EXCHANGER_INITIATED",
                request.destination_case_id,
                event_id=f"{request.exchange_id}-EXCHANGER_INITIATED",
                source_case_id=request.source_case_id,
                batch_id=request.batch_id,
                idempotency_key=request.key,
                exhibit_count=selected,
            )
        )
        return dg.MaterializeResult(metadata=_metadata(state, idempotency_key=request.key))


@exchange_asset(
    deps=[exchange_request, "exchange_pii_scan"],
    kinds={"spark", "sql"},
    description="Exhibits and every dependent row copied to the destination case database with new ids "
    "(a PySpark script: local Spark, a cluster, or AWS Glue through Pipes). "
    "Held while the exchange's PII scan awaits approval (exchange_pii_gate).",
    metadata=code_references(spark_copy=SCRIPT),
)
def exchange_database_copy(
    context: dg.AssetExecutionContext, databases: DatabaseResource
) -> dg.MaterializeResult:
    with exchange_step(context):
        state, request, done = _begin(databases, context)
        if done:
            return done
        require_clearance(databases, context.partition_key)
        dbs = databases.databases()
        settings = get_settings()
        # One exchange into a case at a time: ids are allocated above the destination's highest.
        with dbs.case_lock(request.destination_case_id, "exchange"):
            result = run_copy(context, settings, copy_params(dbs, settings, request))
        tables = result.get("tables", {})
        state = set_state(
            dbs.platform(),
            request.exchange_id,
            "copied",
            {
                "tables": tables,
                "rows_inserted": sum(t["inserted"] for t in tables.values()),
                "copy_seconds": result.get("seconds"),
                "spark_start_seconds": result.get("spark_start_seconds"),
            },
        )
        return dg.MaterializeResult(
            metadata=_metadata(state, rows_inserted=counts_of(state)["rows_inserted"])
        )


@exchange_asset(
    deps=[exchange_database_copy],
    kinds={"s3", "pdf"},
    description="Renditions and natives copied to the destination (server-side), markup branded in "
    "(redactions first), changed pages re-OCR'd, per-document events.",
)
def exchange_documents(
    context: dg.AssetExecutionContext,
    databases: DatabaseResource,
    object_store: ObjectStoreResource,
    document_engine: DocumentEngineResource,
    event_bus: EventBusResource,
) -> dg.MaterializeResult:
    with exchange_step(context):
        state, request, done = _begin(databases, context)
        if done:
            return done
        dbs = databases.databases()
        source, dest = (
            object_store.case(request.source_case_id),
            object_store.case(request.destination_case_id),
        )
        works = docs.plan_documents(dbs, request)
        outcomes = docs.run_documents(
            works, request, source, dest, document_engine.engine(), event_bus.bus(), request.exchange_id
        )
        for outcome in outcomes:
            docs.ensure_text_variant(dbs, request, outcome)
        missing_stickers = docs.copy_sticker_images(dbs, request, source, dest)
        counts = {
            "documents": len(outcomes),
            "documents_copied": sum("pdf" in o.copied for o in outcomes),
            "natives_copied": sum("native" in o.copied for o in outcomes),
            "documents_not_found": sum(bool(o.missing) for o in outcomes),
            "documents_branded": sum(o.branded for o in outcomes),
            "pages_reocred": sum(len(o.changed_pages) for o in outcomes),
            "documents_with_problems": sum(bool(o.problems) for o in outcomes),
            "sticker_images_missing": len(missing_stickers),
        }
        state = set_state(dbs.platform(), request.exchange_id, "documents_done", counts)
        problems = [
            f"document {o.document_id} (source {o.source_document_id}): {p}"
            for o in outcomes
            for p in o.problems
        ]
        problems += [
            f"document {o.document_id} (source {o.source_document_id}): missing {k}"
            for o in outcomes
            for k in o.missing
        ]
        return dg.MaterializeResult(
            metadata=_metadata(
                state, problems=dg.MetadataValue.md("\n".join(f"- {p}" for p in problems[:200]) or "none")
            )
        )


@exchange_asset(
    deps=[exchange_documents],
    kinds={"sqlite"},
    description="The exchanged documents' text in the destination case's full-text index "
    "(FTS5, or OpenSearch).",
)
def exchange_search_text(
    context: dg.AssetExecutionContext,
    databases: DatabaseResource,
    object_store: ObjectStoreResource,
    document_engine: DocumentEngineResource,
    search_index: SearchIndexResource,
) -> dg.MaterializeResult:
    with exchange_step(context):
        state, request, done = _begin(databases, context)
        if done:
            return done
        dest = object_store.case(request.destination_case_id)
        texts = list(_texts(dest, request, document_engine.engine()))
        indexed = search_index.index().upsert(request.destination_case_id, texts)
        state = set_state(
            databases.databases().platform(), request.exchange_id, "indexed", {"documents_indexed": indexed}
        )
        return dg.MaterializeResult(metadata=_metadata(state))


def _texts(dest, request: ExchangeRequest, engine) -> Iterator[IndexedText]:
    """Each exchanged document's text: its stored (or re-OCR'd) text, else its PDF's text layer."""
    import tempfile
    from pathlib import Path

    for outcome in docs.read_outcomes(dest, request.exchange_id):
        text = None
        if outcome.text_key:
            text = dest.get_bytes(outcome.text_key).decode("utf-8", errors="replace")
        elif outcome.pdf_key:
            with tempfile.TemporaryDirectory(prefix="np-index-") as tmp, contextlib.suppress(PlatformError):
                text = "\f".join(engine.page_texts(dest.download(outcome.pdf_key, Path(tmp) / "doc.pdf")))
        if text is not None:
            yield IndexedText(
                outcome.document_id, outcome.exhibit_id, text, source=f"exchange:{request.exchange_id}"
            )


@exchange_asset(
    deps=[exchange_search_text],
    kinds={"python"},
    description="The exchange's state record finished and EXCHANGER_FINISHED published with its counts.",
)
def exchange_completion(
    context: dg.AssetExecutionContext, databases: DatabaseResource, event_bus: EventBusResource
) -> dg.MaterializeResult:
    with exchange_step(context):
        state, request = _state(databases, context)
        platform = databases.databases().platform()
        if state["status"] != FINISHED:
            state = set_state(platform, request.exchange_id, FINISHED)
            counts = counts_of(state)
            event_bus.bus().publish(
                make_event(
                    "EXCHANGER_FINISHED",
                    request.destination_case_id,
                    event_id=f"{request.exchange_id}-EXCHANGER_FINISHED",
                    source_case_id=request.source_case_id,
                    batch_id=request.batch_id,
                    idempotency_key=request.key,
                    counts={k: v for k, v in counts.items() if k != "tables"},
                    rows_copied={t: c["inserted"] for t, c in counts.get("tables", {}).items()},
                )
            )
        seconds = (
            (state["finished_at"] - state["created_at"]).total_seconds() if state["finished_at"] else None
        )
        return dg.MaterializeResult(
            metadata=_metadata(
                state,
                seconds=seconds,
                created_at=str(state["created_at"]),
                finished_at=str(state["finished_at"]),
            )
        )


EXCHANGE_ASSETS = [
    exchange_request,
    exchange_database_copy,
    exchange_documents,
    exchange_search_text,
    exchange_completion,
]
