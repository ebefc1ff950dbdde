"""PII review jobs (docs/pii.md):

- `pii_decision_job`: approve or reject a scan from the UI (config: scan_id, decision, justification,
  decided_by) or from a PII_DECISION_SUBMITTED event; a second decision on a scan is refused;
- `pii_rejection_job`: what a rejection does to the held work (started by pii_review_sensor): an
  export's produced files are deleted and EXPORT_FAILED goes out; an exchange is marked failed;
- `pii_findings_report_job`: a scan's findings as CSV or XLSX, masked unless asked otherwise.
"""

import tempfile
from pathlib import Path

import dagster as dg
from pydantic import ValidationError

from domain.errors import RetryableError, validation_problems
from domain.exchanges.request import parse_exchange_key
from domain.pii.review import Decision, DecisionRefused
from domain.pii.spreadsheets import spreadsheet_text
from domain.productions.paths import ExportPaths
from domain.rejections import Rejected, rejection_event_fields
from domain.tabular import write_csv, write_xlsx
from nextpoint_assets.exchanges.state import set_state
from nextpoint_assets.pii.records import decide, get_scan
from nextpoint_assets.pii.scanning import REPORT_COLUMNS, read_findings
from nextpoint_assets.productions.common import announce_export_failed, parse_export_key
from resources.dagster_resources import (
    BackendApiResource,
    DatabaseResource,
    DocumentEngineResource,
    EventBusResource,
    ObjectStoreResource,
)
from resources.event_bus import make_event


class PiiDecisionConfig(dg.Config):
    scan_id: str  # from the scan's metadata, its PII_SCAN_COMPLETED event or its report
    decision: str  # approve | reject
    justification: str  # why: kept with the decision
    decided_by: str  # who decides (a name or an email address)
    event_id: str | None = None  # set when a PII_DECISION_SUBMITTED event asked


def decided_event(row: dict, source: str) -> dict:
    return make_event(
        "PII_SCAN_DECIDED",
        row["case_id"],
        event_id=f"pii_scan_decided-{row['scan_id']}",
        scan_id=row["scan_id"],
        subject=row["subject"],
        subject_key=row["subject_key"],
        decision=row["decision"],
        decided_by=row["decided_by"],
        justification=row["justification"],
        source=source,
    )


def refusal_event(config: PiiDecisionConfig, message: str, case_id: int | None) -> dict:
    """EVENT_REJECTED for a PII_DECISION_SUBMITTED that could not be recorded, echoing what it asked."""
    body = {"event_type": "PII_DECISION_SUBMITTED", **config.model_dump()}
    rejected = Rejected(
        message, body, "PII_DECISION_SUBMITTED", config.event_id, case_id, f"pii-decision-{config.event_id}"
    )
    return make_event("EVENT_REJECTED", case_id or 0, **rejection_event_fields(rejected))


@dg.op(description="Records one decision on a PII scan and announces PII_SCAN_DECIDED; refuses a second one.")
def record_pii_decision(
    context: dg.OpExecutionContext,
    config: PiiDecisionConfig,
    databases: DatabaseResource,
    event_bus: EventBusResource,
) -> None:
    source = "event" if config.event_id else "ui"
    bus = event_bus.bus()
    try:
        decision = Decision.model_validate(config.model_dump())
        row = decide(databases.databases().platform(), decision, source)
    except (ValidationError, DecisionRefused) as exc:
        message = (
            f"The decision is invalid: {validation_problems(exc)}"
            if isinstance(exc, ValidationError)
            else exc.user_message
        )
        if config.event_id:  # the backend asked: tell it why nothing happened
            scan = get_scan(databases.databases().platform(), config.scan_id)
            bus.publish(refusal_event(config, message, scan["case_id"] if scan else None))
        raise dg.Failure(description=message, allow_retries=False) from None
    bus.publish(decided_event(row, source))
    context.log.info(f"Scan {row['scan_id']} {row['status']} by {row['decided_by']}.")


@dg.job(
    tags={"kind": "pii"},
    description="Approve or reject a PII scan (ops.record_pii_decision.config: scan_id, "
    "decision approve|reject, justification, decided_by).",
)
def pii_decision_job():
    record_pii_decision()


class PiiScanRef(dg.Config):
    scan_id: str


@dg.op(
    description="Deletes a rejected production's files "
    "(manifest, work files, PII records and error logs stay) "
    "and announces EXPORT_FAILED; marks a rejected exchange failed and announces EXCHANGER_FAILED."
)
def apply_pii_rejection(
    context: dg.OpExecutionContext,
    config: PiiScanRef,
    databases: DatabaseResource,
    object_store: ObjectStoreResource,
    event_bus: EventBusResource,
    backend_api: BackendApiResource,
) -> None:
    platform = databases.databases().platform()
    row = get_scan(platform, config.scan_id)
    if row is None or row["status"] != "rejected":
        raise dg.Failure(f"Scan {config.scan_id} is not a rejected scan.", allow_retries=False)
    why = (
        "the review deadline passed"
        if row["decision_source"] == "timeout"
        else f"rejected by {row['decided_by']}: {row['justification']}"
    )
    message = f"The PII review did not clear this work ({why}); nothing was delivered."
    bus = event_bus.bus()
    if row["decision_source"] == "timeout":
        bus.publish(decided_event(row, "timeout"))  # the job announced the others
    if row["subject"] == "export":
        case_id, export_id = parse_export_key(row["subject_key"])
        store = object_store.case(case_id)
        paths = ExportPaths(export_id)
        produced = [key for prefix in (f"{paths.base}/production/", paths.zips) for key in store.list(prefix)]
        if store.exists(paths.volumes_json):
            produced.append(paths.volumes_json)
        # One request per 1,000 keys on S3: a production holds tens of thousands of files.
        failed = store.store.delete_many([store.key(k) for k in produced])
        if failed:
            raise RetryableError(
                f"{len(failed)} of the rejected production's files could not be deleted; "
                "the clean-up will be retried.",
                export_id=export_id,
            )
        context.log.info(
            f"Export {export_id}: {len(produced)} produced file(s) deleted after the PII rejection."
        )
        event_id = f"export_failed-{case_id}-{export_id}-{row['scan_id']}"
        announce_export_failed(bus, backend_api.api(), case_id, export_id, event_id, message)
    elif row["subject"] == "rendition":
        # Nothing was rendered for this scan: the renditions wait behind it. Tell the requester.
        bus.publish(
            make_event(
                "HTML_RENDITION_FAILED",
                row["case_id"],
                event_id=f"html_rendition_failed-{row['case_id']}-{row['scan_id']}",
                pii_scan_id=row["scan_id"],
                error=message,
            )
        )
    else:
        destination, source, batch = parse_exchange_key(row["subject_key"])
        set_state(platform, row["subject_key"], "failed", error=message)
        bus.publish(
            make_event(
                "EXCHANGER_FAILED",
                destination,
                event_id=f"{row['subject_key']}-EXCHANGER_FAILED-pii",
                source_case_id=source,
                batch_id=batch,
                error=message,
            )
        )


@dg.job(
    tags={"kind": "pii"},
    description="What a rejected PII review does to the held export, exchange or renditions.",
)
def pii_rejection_job():
    apply_pii_rejection()


class PiiReportConfig(dg.Config):
    scan_id: str
    format: str = "csv"  # csv | xlsx
    masked: bool = True  # False adds each finding's clear value, read again from the scanned text


@dg.op(description="A scan's findings as CSV or XLSX next to the scan's other files; masked by default.")
def pii_findings_report(
    context: dg.OpExecutionContext,
    config: PiiReportConfig,
    databases: DatabaseResource,
    object_store: ObjectStoreResource,
    document_engine: DocumentEngineResource,
) -> dg.Output:
    if config.format not in ("csv", "xlsx"):
        raise dg.Failure(f"Unknown report format {config.format!r}; choose csv or xlsx.", allow_retries=False)
    row = get_scan(databases.databases().platform(), config.scan_id)
    if row is None:
        raise dg.Failure(f"There is no PII scan {config.scan_id}.", allow_retries=False)
    store = object_store.case(row["case_id"])
    findings_key = store.relative(row["findings_key"])
    lines = read_findings(store, findings_key)
    columns = list(REPORT_COLUMNS)
    if not config.masked:
        columns.append("value")
        texts: dict[str, list[str]] = {}
        for line in lines:
            key = line.get("text_key")
            if key and key not in texts:
                texts[key] = _pages(store, key, document_engine.engine(), line.get("native"))
            pages = texts.get(key or "", [])
            page = int(line.get("page") or 0)
            line["value"] = pages[page - 1][line["start"] : line["end"]] if 0 < page <= len(pages) else ""
        context.log.warning(f"Unmasked PII findings report of scan {config.scan_id} asked for.")
    name = f"findings{'' if config.masked else '_unmasked'}.{config.format}"
    target = findings_key.rsplit("/", 1)[0] + "/" + name
    with tempfile.TemporaryDirectory(prefix="np-pii-report-") as tmp:
        path = Path(tmp) / name
        rows = ([line.get(c, "") for c in columns] for line in lines)
        if config.format == "csv":
            write_csv(path, columns, rows)
        else:
            write_xlsx(path, columns, rows, sheet_title="PII findings")
        key = store.put_file(target, path)
    context.log.info(f"PII findings report: {key}")
    return dg.Output(key, metadata={"report_key": key, "findings": len(lines), "masked": config.masked})


def _pages(store, key: str, engine, native: str | None = None) -> list[str]:
    """The scanned text again, page by page: a text file, a PDF's text layer, or a spreadsheet native
    read as a table (a page per sheet)."""
    if native:
        return spreadsheet_text(store.get_bytes(key), native).split("\f")
    if key.lower().endswith(".pdf"):
        with tempfile.TemporaryDirectory(prefix="np-pii-report-") as tmp:
            return engine.page_texts(store.download(key, Path(tmp) / "doc.pdf"))
    return store.get_bytes(key).decode("utf-8", errors="replace").split("\f")


@dg.job(tags={"kind": "pii"}, description="A PII scan's findings report (CSV or XLSX), masked by default.")
def pii_findings_report_job():
    pii_findings_report()
