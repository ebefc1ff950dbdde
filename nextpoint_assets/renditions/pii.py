"""PII screening of a rendition request: html_rendition_pii_scan reads the text of every document the
request would render (the PDF's text layer, which is what the rendition shows; the case's text file
too where pages have no text layer: scanned pages, which the rendition reads by OCR), records the
scan and what it screened (domain/renditions/scope.py), and the blocking check
html_rendition_pii_gate holds html_renditions while findings at or above the threshold have no
approval, or after a rejection (docs/pii.md, docs/renditions.md).

A scanned page with no text layer and no text file cannot be screened: the document becomes an
UNSCANNED finding, which holds the renditions until a person approves. A PDF that cannot be opened
(damaged, encrypted) or is missing has nothing to screen and is not rendered either (the renditions
report it), so it does not hold the others.
"""

import hashlib
import json
import tempfile
from pathlib import Path

import dagster as dg
from sqlalchemy import select

from domain.batches import IN_LIST_SIZE, batched
from domain.errors import DocumentError, ObjectNotFound, PermanentError
from domain.pii.scan import Scanner
from domain.renditions.scope import CURRENT_KEY, RenditionScope, ScopeError, scope_key, subject_key
from domain.schema import document_variants
from nextpoint_assets.code_references import code_references
from nextpoint_assets.errors import RETRY_POLICY, dagster_errors
from nextpoint_assets.partitions import case_id_of, cases_partitions, require_case
from nextpoint_assets.pii.gate import verdict
from nextpoint_assets.pii.records import get_scan
from nextpoint_assets.pii.scanning import ScanText, run_scan, scan_metadata
from nextpoint_assets.renditions.documents import SelectedDocument, in_case, select_documents
from nextpoint_assets.renditions.forms import RenditionSelectionConfig, check_selection
from resources.dagster_resources import (
    DatabaseResource,
    DocumentEngineResource,
    EventBusResource,
    ObjectStoreResource,
)
from resources.settings import get_settings


def text_files(conn, document_ids: list[int]) -> dict[int, str]:
    """Document id -> its text file's key (the first text variant), for the documents that have one."""
    found: dict[int, str] = {}
    for chunk in batched(document_ids, IN_LIST_SIZE):
        for document_id, key in conn.execute(
            select(document_variants.c.document_id, document_variants.c.object_key)
            .where(document_variants.c.document_id.in_(chunk), document_variants.c.kind == "text")
            .order_by(document_variants.c.id)
        ):
            found.setdefault(document_id, key)
    return found


def rendition_texts(
    store, engine, selected: list[SelectedDocument], texts: dict[int, str], screened: dict[int, str]
) -> list[ScanText]:
    """What to scan for each selected document with a PDF. Reading a PDF records its SHA-256 in
    `screened` (what the renditions may then make)."""

    def layer(doc: SelectedDocument, label: str):
        def load() -> str:
            with tempfile.TemporaryDirectory(prefix="np-pii-h-") as tmp:
                try:
                    pdf = store.download(in_case(store, doc.pdf_key), Path(tmp) / "doc.pdf")
                except ObjectNotFound:
                    return ""  # not rendered either: the renditions report the missing PDF
                with pdf.open("rb") as f:
                    screened[doc.document_id] = hashlib.file_digest(f, "sha256").hexdigest()
                try:
                    pages = engine.page_texts(pdf)
                except DocumentError:
                    return ""  # damaged or encrypted: not rendered, reported by the renditions
            blank = [n for n, text in enumerate(pages, 1) if not text.strip()]
            if blank and doc.document_id not in texts:
                shown = ", ".join(str(n) for n in blank[:20]) + (" ..." if len(blank) > 20 else "")
                raise PermanentError(
                    f"page(s) {shown} of {label} have no text layer to screen (scanned) and the case "
                    "has no text file for it; a person must look before it is rendered"
                )
            return "\f".join(pages)

        return load

    scan_texts = []
    for doc in selected:
        if doc.pdf_key is None:
            continue
        label = doc.title or f"document {doc.document_id}"
        scan_texts.append(ScanText(doc.document_id, label, doc.pdf_key, load=layer(doc, label)))
        if doc.document_id in texts:  # the words of its scanned pages, as the case read them
            scan_texts.append(
                ScanText(doc.document_id, f"{label} (text)", in_case(store, texts[doc.document_id]))
            )
    return scan_texts


@dg.asset(
    partitions_def=cases_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="renditions",
    kinds={"python"},
    owners=["team:platform"],
    retry_policy=RETRY_POLICY,
    description="Personal data in the documents a rendition request would render, per document and "
    "page, masked; with what was screened. Held by html_rendition_pii_gate.",
    metadata=code_references(pii_scanner=Scanner),
)
def html_rendition_pii_scan(
    context: dg.AssetExecutionContext,
    config: RenditionSelectionConfig,
    databases: DatabaseResource,
    object_store: ObjectStoreResource,
    event_bus: EventBusResource,
    document_engine: DocumentEngineResource,
):
    settings = get_settings()
    threshold = config.threshold_or(settings)
    with dagster_errors(context):
        check_selection(config)
        dbs = databases.databases()
        engine = document_engine.engine()
        selection = {
            "documents": str(config.documents),
            "label": config.label,
            "exhibit_ids": sorted(set(config.exhibit_ids)),
        }
        metadata: dict[str, dict] = {}
        for partition_key in context.partition_keys:
            case_id = case_id_of(partition_key)
            require_case(dbs, case_id)
            store = object_store.case(case_id)
            with dbs.case_reader(case_id).connect() as conn:
                selected = select_documents(
                    conn, selection["documents"], config.label, list(config.exhibit_ids)
                )
                texts = text_files(conn, [d.document_id for d in selected if d.pdf_key])
            screened: dict[int, str] = {}
            outcome = run_scan(
                subject="rendition",
                subject_key=subject_key(case_id),
                case_id=case_id,
                store=store,
                texts=rendition_texts(store, engine, selected, texts, screened),
                findings_prefix="renditions/html/pii/",
                threshold=threshold,
                settings=settings,
                platform=dbs.platform(),
                bus=event_bus.bus(),
                extra_event={"selection": selection},
            )
            scan = outcome.row["scan_id"]
            scope = RenditionScope(case_id, scan, selection, screened)
            store.put_bytes(scope_key(scan), scope.to_json().encode("utf-8"), "application/json")
            # The scope first, then the pointer to it: a crash between leaves the older scan current.
            current = json.dumps({"scan_id": scan}).encode("utf-8")
            store.put_bytes(CURRENT_KEY, current, "application/json")
            metadata[partition_key] = {
                **scan_metadata(outcome, threshold),
                "case_id": case_id,
                "documents_screened": len(screened),
                "scope_key": store.key(scope_key(scan)),
            }
        # One output for the run (a backfill's range shares it): one case's figures, or each case's scan.
        if len(metadata) == 1:
            return dg.MaterializeResult(metadata=next(iter(metadata.values())))
        return dg.MaterializeResult(
            metadata={
                "cases": len(metadata),
                "scans": dg.MetadataValue.json(
                    {k: {"scan_id": m["scan_id"], "status": m["status"]} for k, m in metadata.items()}
                ),
            }
        )


def current_scan_id(store) -> str | None:
    """The id of the case's newest rendition scan (what its renditions go by), if it has one."""
    try:
        value = json.loads(store.get_bytes(CURRENT_KEY)).get("scan_id")
    except (ObjectNotFound, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def rendition_clearance(platform, case_id: int, scan: str | None) -> tuple[bool, str, dict | None]:
    """(may the case's renditions go on, why, the scan row) for the scan that screened them."""
    if scan is None:
        return (
            False,
            (
                f"No PII scan of case {case_id}'s renditions is recorded; run html_renditions_job "
                "(it scans first)."
            ),
            None,
        )
    row = get_scan(platform, scan)
    if row is None or row["case_id"] != case_id or row["subject"] != "rendition":
        return False, f"{scan} is not a PII scan of case {case_id}'s renditions.", None
    return (*verdict(row), row)


def cleared_scope(store, platform, case_id: int, scan: str | None) -> RenditionScope:
    """The scope of a cleared scan, or a PermanentError saying why the renditions are held."""
    ok, why, _ = rendition_clearance(platform, case_id, scan)
    if not ok:
        raise PermanentError(why)
    try:
        return RenditionScope.from_json(store.get_bytes(scope_key(scan)).decode("utf-8"))
    except (ObjectNotFound, ScopeError, UnicodeDecodeError):
        raise PermanentError(
            f"What PII scan {scan} screened is not readable; run html_renditions_job again to scan anew."
        ) from None


@dg.asset_check(
    asset=html_rendition_pii_scan,
    blocking=True,
    partitions_def=cases_partitions,  # each result belongs to the case it gated
    description="Holds html_renditions while findings at or above the threshold await approval, or "
    "when the review rejected the renditions.",
)
def html_rendition_pii_gate(
    context: dg.AssetCheckExecutionContext, databases: DatabaseResource, object_store: ObjectStoreResource
) -> dg.AssetCheckResult:
    # A backfill run checks many cases at once, and a check has one result: it blocks (ERROR) only
    # when no case may go on; otherwise it warns and html_renditions skips the held cases itself.
    platform = databases.databases().platform()
    held: dict[str, str] = {}
    scans: dict[str, str | None] = {}
    for partition_key in context.partition_keys:
        case_id = case_id_of(partition_key)
        scans[partition_key] = current_scan_id(object_store.case(case_id))
        ok, why, _ = rendition_clearance(platform, case_id, scans[partition_key])
        if not ok:
            held[partition_key] = why
    keys = list(context.partition_keys)
    metadata: dict = {"cases_checked": len(keys), "cases_held": len(held)}
    if len(keys) == 1:
        metadata["scan_id"] = scans[keys[0]] or ""
    if held:
        metadata["held"] = dg.MetadataValue.md(
            "\n".join(f"- case {k}: {w}" for k, w in sorted(held.items())[:200])
        )
    if len(held) == len(keys):
        why = (
            next(iter(held.values()))
            if len(keys) == 1
            else f"All {len(keys)} cases are held by their PII review."
        )
        return dg.AssetCheckResult(
            passed=False, severity=dg.AssetCheckSeverity.ERROR, description=why, metadata=metadata
        )
    if held:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{len(held)} of {len(keys)} cases are held by their PII review; the others go on.",
            metadata=metadata,
        )
    return dg.AssetCheckResult(passed=True, description="cleared", metadata=metadata)
