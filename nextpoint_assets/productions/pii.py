"""PII screening of a production: export_pii_scan reads the text files the production will deliver
(after redaction) and the spreadsheet natives it delivers (read as tables), and the blocking check
export_pii_gate holds export_archive and export_completion while findings at or above the threshold
have no approval (docs/pii.md)."""

import dagster as dg

from domain.pii.scan import Scanner
from nextpoint_assets.code_references import code_references
from nextpoint_assets.partitions import exports_partitions
from nextpoint_assets.pii.gate import gate_result
from nextpoint_assets.pii.scanning import (
    PiiScanConfig,
    ScanText,
    hold_types,
    native_scan_text,
    run_scan,
    scan_metadata,
)
from nextpoint_assets.pii.suggestions import suggest_redactions
from nextpoint_assets.productions.common import ExportState, export_step, parse_export_key, production_asset
from resources.dagster_resources import (
    DatabaseResource,
    DocumentEngineResource,
    EventBusResource,
    ObjectStoreResource,
)
from resources.settings import get_settings

GATE = "export_pii_gate"


def export_texts(state: ExportState) -> list[ScanText]:
    produced = state.produced()
    texts = []
    for doc in state.plan.documents:
        out = produced.get(doc.exhibit_id)
        if out is None:
            texts.append(ScanText(doc.exhibit_id, doc.begin, None, "it was not produced"))
        else:
            if out.text_path:
                texts.append(ScanText(doc.exhibit_id, doc.begin, state.production_prefix + out.text_path))
            if out.native_path:  # a spreadsheet native leaves whole: every cell, hidden sheets included
                # its key ends in the produced native's extension (NATIVES/{file}.{native_ext})
                native = native_scan_text(
                    state.store, doc.exhibit_id, doc.begin, state.production_prefix + out.native_path
                )
                if native is not None:
                    texts.append(native)
    return texts


@production_asset(
    deps=["export_volumes"],
    kinds={"python"},
    description="Personal data (SSN, card, IBAN, routing number, email, phone, date of birth; names "
    "with a NER model) "
    "in the text the production delivers, per document and page, masked.",
    metadata=code_references(pii_scanner=Scanner),
)
def export_pii_scan(
    context: dg.AssetExecutionContext,
    config: PiiScanConfig,
    object_store: ObjectStoreResource,
    databases: DatabaseResource,
    event_bus: EventBusResource,
    document_engine: DocumentEngineResource,
) -> dg.MaterializeResult:
    settings = get_settings()
    threshold = config.threshold_or(settings)
    with export_step(context, object_store) as (case_id, export_id, store):
        state = ExportState(store, export_id)
        dbs = databases.databases()
        outcome = run_scan(
            subject="export",
            subject_key=context.partition_key,
            case_id=case_id,
            store=store,
            texts=export_texts(state),
            findings_prefix=f"{state.paths.base}/pii/",
            threshold=threshold,
            settings=settings,
            platform=dbs.platform(),
            bus=event_bus.bus(),
            extra_event={"export_id": export_id},
        )
        suggested = {}
        if outcome.findings and (
            settings.pii_suggest_redactions
            if config.suggest_redactions is None
            else config.suggest_redactions
        ):
            suggested = suggest_redactions(
                dbs, case_id, store, outcome, threshold, document_engine.engine(), hold_types(settings)
            )
        return dg.MaterializeResult(
            metadata=scan_metadata(
                outcome,
                threshold,
                suggested_redactions=dg.MetadataValue.json(suggested) if suggested else "not asked",
            )
        )


@dg.asset_check(
    asset=export_pii_scan,
    blocking=True,
    partitions_def=exports_partitions,  # each result belongs to the export it gated
    description="Holds export_archive and export_completion while findings at or above the threshold "
    "await approval, or when the review rejected the production.",
)
def export_pii_gate(
    context: dg.AssetCheckExecutionContext, databases: DatabaseResource
) -> dg.AssetCheckResult:
    parse_export_key(context.partition_key)
    return gate_result(databases, context.partition_key)
