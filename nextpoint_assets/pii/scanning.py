"""One PII scan over a set of document texts: findings written masked to the case's store, the
scan recorded in the platform database, a masked CSV report, PII_SCAN_COMPLETED announced.

The export and exchange scan assets (nextpoint_assets/productions/pii.py, exchanges/pii.py) gather the
texts; this module is what they share. A document whose text cannot be read is not skipped: it
becomes an UNSCANNED finding, so the gate holds the work until someone has looked.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import dagster as dg

from domain.batches import batched
from domain.errors import ObjectNotFound, PermanentError, PlatformError
from domain.log import get_logger
from domain.pii.recognizers import PERSON, TYPES, load_ner
from domain.pii.review import scan_id, status_of
from domain.pii.scan import Scanner, normalize
from domain.pii.spreadsheets import SPREADSHEET_EXTENSIONS, spreadsheet_text
from domain.tabular import write_csv
from nextpoint_assets.pii.records import record_scan
from resources.event_bus import make_event

log = get_logger("pii")
UNSCANNED = "UNSCANNED"
ALLOWLIST_KEY = "pii/allowlist.txt"  # in each case's store: one value per line, '#' starts a comment
REPORT_COLUMNS = ["document", "document_id", "page", "type", "score", "masked", "snippet", "start", "end"]


@dataclass(frozen=True)
class ScanText:
    """One document to scan: its id, how people name it (Bates or control number), where its text is."""

    document_id: int
    label: str
    text_key: str | None  # relative to the case's store; None: the document has no text to scan
    problem: str | None = None  # why it could not be scanned, when known beforehand
    load: Callable[[], str] | None = None  # makes the text when there is no text file (a PDF's text layer)
    #: page -> the text under the redactions that will be burned in there: what never leaves is not a finding
    redacted: Callable[[], dict[int, str]] | None = None
    #: the spreadsheet format ('xlsx', 'csv' ...) when this is a native read as a table (its page is a
    #: sheet): its findings are in cells, with no place on a PDF page, and `text_key` is the native's key
    native: str | None = None


@dataclass(frozen=True)
class ScanOutcome:
    row: dict[str, Any]  # the platform database's row (status, deadline, decision ...)
    findings: int
    unscanned: list[str]
    report_key: str
    event: dict[str, Any] | None
    text_keys: dict[int, str]  # document id -> the scanned text (relative key), to place findings again
    lines: list[dict[str, Any]]  # every finding as written to the findings file (masked)


class PiiScanConfig(dg.Config):
    threshold: float | None = None  # findings scoring at least this count; default NP_PII_THRESHOLD (0.5)
    suggest_redactions: bool | None = (
        None  # write findings as redaction annotations; default NP_PII_SUGGEST_REDACTIONS
    )

    def threshold_or(self, settings) -> float:
        return settings.pii_threshold if self.threshold is None else self.threshold


def scan_metadata(outcome: ScanOutcome, threshold: float, **extra: Any) -> dict[str, Any]:
    """The scan asset's materialization metadata (export and exchange alike)."""
    row = outcome.row
    return {
        "scan_id": row["scan_id"],
        "status": row["status"],
        "findings": outcome.findings,
        "threshold": threshold,
        "counts": dg.MetadataValue.json(row["counts"]),
        "documents": row["documents"],
        "pages": row["pages"],
        "unscanned": dg.MetadataValue.md("\n".join(f"- {u}" for u in outcome.unscanned[:200]) or "none"),
        "report_key": outcome.report_key,
        "deadline": str(row["deadline"] or ""),
        **extra,
    }


def allowlist(store) -> list[str]:
    """The case's allowlist (values known not to be personal data), if it has one."""
    try:
        raw = store.get_bytes(ALLOWLIST_KEY).decode("utf-8", errors="replace")
    except ObjectNotFound:
        return []
    return [line.strip() for line in raw.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def hold_types(settings) -> set[str]:
    """The kinds of finding that hold the work (NP_PII_HOLD_TYPES); a document nobody could read
    always does."""
    return {t.strip() for t in settings.pii_hold_types.split(",") if t.strip()} | {UNSCANNED}


def scanner_for(settings, store) -> Scanner:
    types = tuple(t.strip() for t in settings.pii_types.split(",") if t.strip()) or tuple(
        t for t in TYPES if t != PERSON
    )
    ner = load_ner() if PERSON in types else None
    return Scanner(types=types, allowlist=allowlist(store), ner=ner)


def native_scan_text(
    store, document_id: int, label: str, key: str, document_extension: str = ""
) -> ScanText | None:
    """A spreadsheet native that leaves whole (produced, or copied by an exchange) as its own text to
    scan, read as a table (domain/pii/spreadsheets.py); None for a native of another kind. Its format is
    its key's extension, else its document's (a case's native key need not have one). One that cannot
    be read (corrupt, encrypted, too large, missing) becomes an UNSCANNED finding."""
    name = key.rsplit("/", 1)[-1]
    candidates = (name.rpartition(".")[2] if "." in name else "", document_extension)
    ext = next((c for c in (c.lower().lstrip(".") for c in candidates) if c in SPREADSHEET_EXTENSIONS), None)
    if ext is None:
        return None

    def load() -> str:
        try:
            data = store.get_bytes(key)
        except ObjectNotFound:
            raise PermanentError(f"its native {key} is missing") from None
        return spreadsheet_text(data, ext)

    return ScanText(document_id, f"{label} (native)", key, load=load, native=ext)


def _read_one(store, doc: ScanText) -> tuple[ScanText, str | None, str | None]:
    """(document, its text, why it could not be read); a retryable fault is raised (the step retries)."""
    if doc.text_key is None and doc.load is None:
        return doc, None, doc.problem or "the document has no text to scan"
    try:
        if doc.load is not None:
            return doc, doc.load(), None
        return doc, store.get_bytes(doc.text_key).decode("utf-8", errors="replace"), None
    except ObjectNotFound:
        return doc, None, f"its text {doc.text_key} is missing"
    except PlatformError as exc:
        if exc.kind == "retryable":
            raise
        return doc, None, exc.user_message


def _read(
    store, texts: Iterable[ScanText], threads: int = 8, chunk: int = 64
) -> Iterator[tuple[ScanText, str | None, str | None]]:
    """Every document's text, in order; fetched a few at a time (object store reads wait on the network),
    a chunk at a time (a case's texts need not all be in memory at once)."""
    with ThreadPoolExecutor(threads) as pool:
        for part in batched(texts, chunk):
            yield from pool.map(lambda doc: _read_one(store, doc), part)


def run_scan(
    *,
    subject: str,
    subject_key: str,
    case_id: int,
    store,
    texts: Iterable[ScanText],
    findings_prefix: str,
    threshold: float,
    settings,
    platform,
    bus,
    extra_event: dict[str, Any],
) -> ScanOutcome:
    """Scan `texts` (relative keys in `store`, the case whose documents they are) and record the scan.

    `findings_prefix` is where this work keeps its PII files (e.g. exports/export_7/pii/)."""
    scanner = scanner_for(settings, store)
    lines: list[dict[str, Any]] = []
    digests, unscanned = [], []
    text_keys: dict[int, str] = {}
    pages = 0
    read: set[int] = set()  # a document read twice (its text, its native) counts once
    for doc, text, problem in _read(store, texts):
        read.add(doc.document_id)
        if text is None:
            unscanned.append(f"{doc.label} (document {doc.document_id}): {problem}")
            digests.append(f"unscanned:{doc.document_id}:{problem}")
            lines.append(
                {
                    "type": UNSCANNED,
                    "document": doc.label,
                    "document_id": doc.document_id,
                    "page": 0,
                    "start": 0,
                    "end": 0,
                    "masked": "",
                    "snippet": problem,
                    "score": 1.0,
                }
            )
            continue
        digests.append(f"{doc.document_id}:{hashlib.sha256(text.encode('utf-8')).hexdigest()}")
        if doc.native is None:
            text_keys[doc.document_id] = doc.text_key
        pages += text.count("\f") + 1
        hidden = {page: normalize(t) for page, t in (doc.redacted() if doc.redacted else {}).items()}
        page_texts = text.split("\f") if hidden else []
        for finding in scanner.scan_document(doc.document_id, text):
            if (
                finding.page in hidden
                and normalize(page_texts[finding.page - 1][finding.start : finding.end])
                in hidden[finding.page]
            ):
                continue  # under a redaction that is burned in: it does not leave
            lines.append(
                {
                    **finding.as_dict(),
                    "document": doc.label,
                    "text_key": doc.text_key,  # a text file, or the PDF read, or the native
                    **({"native": doc.native} if doc.native else {}),
                }
            )
    documents = len(read)
    holds = hold_types(settings)
    found = [line for line in lines if line["score"] >= threshold]
    flagged = [line for line in found if line["type"] in holds]
    scan = scan_id(
        subject_key,
        threshold,
        [*digests, *(f"allow:{v}" for v in scanner.allowed), *(f"hold:{t}" for t in sorted(holds))],
    )
    findings_key = f"{findings_prefix}{scan}/findings.jsonl"
    store.put_bytes(
        findings_key,
        "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines).encode("utf-8"),
        "application/x-ndjson",
    )
    report_key = f"{findings_prefix}{scan}/findings.csv"
    store.put_bytes(report_key, report_csv(lines), "text/csv; charset=utf-8")
    type_counts = dict(sorted(Counter(line["type"] for line in found).items()))
    row = record_scan(
        platform,
        {
            "scan_id": scan,
            "subject": subject,
            "subject_key": subject_key,
            "case_id": case_id,
            "status": status_of(len(flagged)),
            "threshold": threshold,
            "findings": len(flagged),
            "counts": type_counts,
            "documents": documents,
            "pages": pages,
            "findings_key": store.key(findings_key),
        },
        settings.pii_approval_hours,
    )
    log.info(
        f"PII scan {scan}: {len(found)} finding(s) at or above {threshold}, {len(flagged)} holding the work, "
        f"in {documents} document(s), "
        f"{pages} page(s); {row['status']}",
        extra={"fields": {"scan_id": scan, "subject_key": subject_key}},
    )
    event = None
    if row["decision"] is None:  # a re-run of a decided scan has nothing new to say
        event = make_event(
            "PII_SCAN_COMPLETED",
            case_id,
            event_id=f"pii_scan_completed-{scan}",
            scan_id=scan,
            subject=subject,
            status=row["status"],
            findings=len(flagged),
            counts=type_counts,
            holding_types=sorted(holds),
            documents=documents,
            pages=pages,
            unscanned=len(unscanned),
            report_key=store.key(report_key),
            deadline=row["deadline"].strftime("%Y-%m-%dT%H:%M:%SZ") if row["deadline"] else None,
            **extra_event,
        )
        bus.publish(event)
    return ScanOutcome(row, len(flagged), unscanned, store.key(report_key), event, text_keys, lines)


def report_csv(lines: list[dict[str, Any]], columns: list[str] = REPORT_COLUMNS) -> bytes:
    """The findings as CSV (RFC 4180, UTF-8), masked: the clear value is never in it."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="np-pii-") as tmp:
        path = Path(tmp) / "findings.csv"
        write_csv(path, columns, ([line.get(c, "") for c in columns] for line in lines))
        return path.read_bytes()


def read_findings(store, findings_key: str) -> list[dict[str, Any]]:
    raw = store.get_bytes(findings_key).decode("utf-8")
    return [json.loads(line) for line in io.StringIO(raw) if line.strip()]
