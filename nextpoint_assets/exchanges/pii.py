"""PII screening of an exchange: exchange_pii_scan reads the text of every document the exchange
would copy out of the source case, and the spreadsheet natives it copies (read as tables), and the
blocking check exchange_pii_gate holds the copy (database, files, index, completion) while findings at
or above the threshold have no approval (docs/pii.md)."""

import tempfile
from pathlib import Path

import dagster as dg
from sqlalchemy import select

from domain.exchanges.request import ExchangeRequest
from domain.pii.scan import Scanner
from domain.schema import annotations, document_variants, documents, exhibits
from nextpoint_assets.code_references import code_references
from nextpoint_assets.exchanges.assets import _begin, exchange_asset, exchange_request, exchange_step
from nextpoint_assets.exchanges.documents import id_chunks, markup_rect, selected_exhibit_ids
from nextpoint_assets.partitions import exchanges_partitions
from nextpoint_assets.pii.gate import gate_result
from nextpoint_assets.pii.scanning import PiiScanConfig, ScanText, native_scan_text, run_scan, scan_metadata
from resources.dagster_resources import (
    DatabaseResource,
    DocumentEngineResource,
    EventBusResource,
    ObjectStoreResource,
)
from resources.settings import get_settings


def exchange_texts(dbs, request: ExchangeRequest, source, engine) -> list[ScanText]:
    """Each selected exhibit's document: its text rendition, else its PDF's text layer; with the text
    under its redactions when the exchange burns them in (that text never reaches the destination).
    A spreadsheet native, copied unchanged, is read as well, as a table."""
    with dbs.case_reader(request.source_case_id).connect() as conn:
        ids = selected_exhibit_ids(conn, request)
        rows = []
        for chunk in id_chunks(ids):
            rows += (
                conn.execute(
                    select(
                        exhibits.c.id,
                        exhibits.c.control_number,
                        document_variants.c.kind,
                        document_variants.c.object_key,
                        documents.c.file_extension,
                    )
                    .join(
                        document_variants,
                        document_variants.c.document_id == exhibits.c.document_id,
                        isouter=True,
                    )
                    .join(documents, documents.c.id == exhibits.c.document_id, isouter=True)
                    .where(exhibits.c.id.in_(chunk))
                )
                .mappings()
                .all()
            )
    variants: dict[int, dict[str, str]] = {i: {} for i in ids}
    labels: dict[int, str] = {}
    extensions: dict[int, str] = {}  # the document's own extension: a native's key need not have one
    for row in rows:
        labels[row["id"]] = row["control_number"] or f"exhibit {row['id']}"
        extensions[row["id"]] = row["file_extension"] or ""
        if row["kind"]:
            variants[row["id"]][row["kind"]] = (
                source.relative(row["object_key"])
                if row["object_key"].startswith("case_")
                else row["object_key"]
            )

    redactions: dict[int, dict[int, list[tuple]]] = {}
    if "redaction" in request.brand_markups:
        with dbs.case_reader(request.source_case_id).connect() as conn:
            for chunk in id_chunks(ids):
                for row in conn.execute(
                    select(annotations.c.exhibit_id, annotations.c.page_number, annotations.c.rect).where(
                        annotations.c.exhibit_id.in_(chunk), annotations.c.annotation_type == "redaction"
                    )
                ).mappings():
                    rect = markup_rect(row["rect"])
                    if rect is not None:
                        redactions.setdefault(row["exhibit_id"], {}).setdefault(
                            int(row["page_number"]), []
                        ).append(rect)

    def hidden(key: str, pages: dict[int, list[tuple]]):
        def read() -> dict[int, str]:
            with tempfile.TemporaryDirectory(prefix="np-pii-r-") as tmp:
                pdf = source.download(key, Path(tmp) / "doc.pdf")
                return {
                    page: " ".join(engine.text_in_rect(pdf, page - 1, rect) for rect in rects)
                    for page, rects in pages.items()
                }

        return read

    def pdf_text(key: str):
        def load() -> str:
            with tempfile.TemporaryDirectory(prefix="np-pii-x-") as tmp:
                return "\f".join(engine.page_texts(source.download(key, Path(tmp) / "doc.pdf")))

        return load

    texts = []
    for exhibit_id in ids:
        kinds = variants.get(exhibit_id, {})
        label = labels.get(exhibit_id, f"exhibit {exhibit_id}")
        burned = (
            hidden(kinds["pdf"], redactions[exhibit_id])
            if "pdf" in kinds and exhibit_id in redactions
            else None
        )
        if "text" in kinds:
            texts.append(ScanText(exhibit_id, label, kinds["text"], redacted=burned))
        elif "pdf" in kinds:
            texts.append(
                ScanText(exhibit_id, label, kinds["pdf"], load=pdf_text(kinds["pdf"]), redacted=burned)
            )
        else:
            texts.append(ScanText(exhibit_id, label, None, "it has no text or PDF to read"))
        if "native" in kinds and request.include_natives:  # copied unchanged: every cell leaves
            native = native_scan_text(
                source, exhibit_id, label, kinds["native"], extensions.get(exhibit_id, "")
            )
            if native is not None:
                texts.append(native)
    return texts


@exchange_asset(
    deps=[exchange_request],
    kinds={"python"},
    description="Personal data in every document the exchange would copy out of the source case, per "
    "document and page, masked. Held by exchange_pii_gate.",
    metadata=code_references(pii_scanner=Scanner),
)
def exchange_pii_scan(
    context: dg.AssetExecutionContext,
    config: PiiScanConfig,
    databases: DatabaseResource,
    object_store: ObjectStoreResource,
    event_bus: EventBusResource,
    document_engine: DocumentEngineResource,
) -> dg.MaterializeResult:
    settings = get_settings()
    threshold = config.threshold_or(settings)
    with exchange_step(context):
        state, request, done = _begin(databases, context)
        if done:
            return done
        dbs = databases.databases()
        source = object_store.case(request.source_case_id)
        outcome = run_scan(
            subject="exchange",
            subject_key=context.partition_key,
            case_id=request.source_case_id,
            store=source,
            texts=exchange_texts(dbs, request, source, document_engine.engine()),
            findings_prefix=f"exchanges/{request.exchange_id}/pii/",
            threshold=threshold,
            settings=settings,
            platform=dbs.platform(),
            bus=event_bus.bus(),
            extra_event={
                "exchange_id": request.exchange_id,
                "destination_case_id": request.destination_case_id,
                "batch_id": request.batch_id,
            },
        )
        return dg.MaterializeResult(metadata=scan_metadata(outcome, threshold))


@dg.asset_check(
    asset=exchange_pii_scan,
    blocking=True,
    partitions_def=exchanges_partitions,  # each result belongs to the exchange it gated
    description="Holds the exchange's copy while findings at or above the threshold await approval, "
    "or when the review rejected it.",
)
def exchange_pii_gate(
    context: dg.AssetCheckExecutionContext, databases: DatabaseResource
) -> dg.AssetCheckResult:
    return gate_result(databases, context.partition_key)
