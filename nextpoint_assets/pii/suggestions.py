"""Suggested redactions: each finding at or above the threshold written to the case database as a
redaction annotation labelled "REDACTED - PII", over the finding's place on the exhibit's PDF page,
so the next production burns it in (and review sees it first).

The place comes from the PDF's text layer (pdfium finds the finding's text on its page). A finding
on a page without a text layer (a scan whose text came from OCR) cannot be placed: it is counted as
`not_placed`, for a reviewer to draw; so is a finding in a cell of a spreadsheet native. Writing
twice adds nothing: an identical annotation is kept.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, insert, select

from domain.batches import IN_LIST_SIZE, batched
from domain.errors import ObjectNotFound, PlatformError
from domain.log import get_logger
from domain.schema import annotations, document_variants, exhibits
from nextpoint_assets.pii.scanning import UNSCANNED, ScanOutcome

log = get_logger("pii")
LABEL = "REDACTED - PII"


def _pdf_keys(engine, exhibit_ids: list[int]) -> dict[int, str]:
    """The PDF rendition of each exhibit's document (relative to the case's store)."""
    keys: dict[int, str] = {}
    with engine.connect() as conn:
        for chunk in batched(exhibit_ids, IN_LIST_SIZE):
            rows = conn.execute(
                select(exhibits.c.id, document_variants.c.object_key)
                .join(document_variants, document_variants.c.document_id == exhibits.c.document_id)
                .where(exhibits.c.id.in_(chunk), document_variants.c.kind == "pdf")
            ).mappings()
            keys.update({row["id"]: row["object_key"] for row in rows})
    return keys


def suggest_redactions(
    dbs, case_id: int, store, outcome: ScanOutcome, threshold: float, document_engine, types: set[str]
) -> dict[str, Any]:
    """Write the outcome's findings of `types` (those that hold the work) as redaction annotations;
    counts of what was written and skipped."""
    from domain.keys import relative_to_case

    lines = [
        f for f in outcome.lines if f["score"] >= threshold and f["type"] in types and f["type"] != UNSCANNED
    ]
    # A finding in a spreadsheet native is in a cell: it has no place on the exhibit's PDF page.
    in_natives = sum(1 for line in lines if line.get("native"))
    lines = [line for line in lines if not line.get("native")]
    engine = dbs.case_writer(case_id)
    by_exhibit: dict[int, list[dict[str, Any]]] = {}
    for line in lines:
        by_exhibit.setdefault(int(line["document_id"]), []).append(line)
    pdfs = _pdf_keys(engine, sorted(by_exhibit))
    written = kept = 0
    not_placed = in_natives
    with tempfile.TemporaryDirectory(prefix="np-pii-suggest-") as tmp:
        for exhibit_id, found in sorted(by_exhibit.items()):
            key = pdfs.get(exhibit_id)
            if key is None:
                not_placed += len(found)
                continue
            try:
                relative = relative_to_case(case_id, key) if key.startswith("case_") else key
                pdf = store.download(relative, Path(tmp) / f"{exhibit_id}.pdf")
                # The findings' offsets are in the text that was scanned: the value is read back from it.
                text = store.get_bytes(outcome.text_keys[exhibit_id]).decode("utf-8", errors="replace")
            except (ObjectNotFound, PlatformError) as exc:
                log.warning(f"exhibit {exhibit_id}: no redaction suggested ({exc})")
                not_placed += len(found)
                continue
            pages = text.split("\f")
            for line in found:
                page = int(line["page"])
                value = pages[page - 1][line["start"] : line["end"]] if 0 < page <= len(pages) else ""
                boxes = document_engine.find_text(pdf, page - 1, value) if value.strip() else []
                if not boxes:
                    not_placed += 1
                    continue
                for box in boxes:
                    made = _annotate(engine, exhibit_id, page, box)
                    written += made
                    kept += not made
    log.info(f"suggested redactions: {written} written, {kept} already there, {not_placed} not placed")
    return {"written": written, "already_there": kept, "not_placed": not_placed}


def _annotate(engine, exhibit_id: int, page: int, box: tuple[float, float, float, float]) -> bool:
    rect = json.dumps([round(v, 2) for v in box])
    where = and_(
        annotations.c.exhibit_id == exhibit_id,
        annotations.c.page_number == page,
        annotations.c.annotation_type == "redaction",
        annotations.c.rect == rect,
        annotations.c.content == LABEL,
    )
    with engine.begin() as conn:
        if conn.execute(select(annotations.c.id).where(where)).first() is not None:
            return False
        conn.execute(
            insert(annotations).values(
                exhibit_id=exhibit_id,
                page_number=page,
                annotation_type="redaction",
                rect=rect,
                content=LABEL,
                user_id=None,
                created_at=datetime.now(UTC).replace(tzinfo=None),
            )
        )
    return True
