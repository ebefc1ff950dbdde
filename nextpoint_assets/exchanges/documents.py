"""The exchange's files: renditions and natives copied to the destination case (server-side),
markup branded in where the request asks for it (redactions first), changed pages re-OCR'd,
and every document's outcome recorded so a re-run does only what is left."""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, insert, select

from domain.batches import IN_LIST_SIZE, batched
from domain.errors import DocumentError, ObjectNotFound, PlatformError
from domain.exchanges.request import ExchangeRequest
from domain.log import get_logger
from domain.schema import (
    annotations,
    document_variants,
    exchange_id_map,
    exhibits,
    label_category_labels,
    stamp_details,
)
from resources.event_bus import make_event

log = get_logger("exchanges.documents")
WORKERS = 8


@dataclass
class DocumentWork:
    source_document_id: int
    document_id: int  # in the destination
    exhibit_ids: list[tuple[int, int]]  # (source, destination)
    variants: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # kind -> (source key, destination key)
    markups: list[dict] = field(default_factory=list)
    stamps: list[dict] = field(default_factory=list)


@dataclass
class DocumentOutcome:
    document_id: int
    source_document_id: int
    exhibit_id: int | None
    copied: list[str] = field(default_factory=list)  # variant kinds copied
    missing: list[str] = field(default_factory=list)  # source keys that were not there
    branded: bool = False
    changed_pages: list[int] = field(default_factory=list)
    pdf_key: str | None = None  # the rendition in the destination, when it is there
    text_key: str | None = None
    problems: list[str] = field(default_factory=list)


def outcome_key(exchange_id: str, document_id: int) -> str:
    return f"exchanges/{exchange_id}/documents/{document_id}.json"


def read_outcomes(dest, exchange_id: str) -> list[DocumentOutcome]:
    """Every document outcome an exchange recorded, in document order."""
    prefix = outcome_key(exchange_id, 0).rsplit("/", 1)[0] + "/"
    return [DocumentOutcome(**json.loads(dest.get_bytes(key))) for key in sorted(dest.list(prefix))]


def selected_exhibit_ids(conn, request: ExchangeRequest) -> list[int]:
    if request.exhibit_ids:
        return sorted(set(request.exhibit_ids))
    query = (
        select(label_category_labels.c.exhibit_id)
        .where(label_category_labels.c.label_category_id == request.label_id)
        .distinct()
    )
    return sorted(conn.execute(query).scalars())


def id_map(platform, request: ExchangeRequest, table: str) -> dict[int, int]:
    m = exchange_id_map.c
    with platform.connect() as conn:
        rows = conn.execute(
            select(m.source_id, m.destination_id).where(
                and_(
                    m.source_case_id == request.source_case_id,
                    m.destination_case_id == request.destination_case_id,
                    m.table_name == table,
                )
            )
        )
        return dict(rows.all())


def id_chunks(ids: Iterable[int]) -> Iterator[tuple[int, ...]]:
    """`ids` a bound IN list at a time (SQLite and MySQL cap a statement's parameters)."""
    return batched(ids, IN_LIST_SIZE)


def plan_documents(databases, request: ExchangeRequest) -> list[DocumentWork]:
    """One unit of work per copied document, from the source rows and the exchange's id maps."""
    platform = databases.platform()
    exhibit_map, document_map, variant_map = (
        id_map(platform, request, t) for t in ("exhibits", "documents", "document_variants")
    )
    works: dict[int, DocumentWork] = {}
    with databases.case_reader(request.source_case_id).connect() as src:
        chosen = selected_exhibit_ids(src, request)
        for chunk in id_chunks(chosen):
            for exhibit_id, document_id in src.execute(
                select(exhibits.c.id, exhibits.c.document_id).where(exhibits.c.id.in_(chunk))
            ):
                if exhibit_id not in exhibit_map or document_id not in document_map:
                    continue  # not copied (the database step reports why)
                work = works.setdefault(document_id, DocumentWork(document_id, document_map[document_id], []))
                work.exhibit_ids.append((exhibit_id, exhibit_map[exhibit_id]))
        source_docs = sorted(works)
        variant_rows = []
        for chunk in id_chunks(source_docs):
            variant_rows += (
                src.execute(select(document_variants).where(document_variants.c.document_id.in_(chunk)))
                .mappings()
                .all()
            )
        exhibit_doc = {e: w.source_document_id for w in works.values() for e, _ in w.exhibit_ids}
        if request.brand_markups:
            for chunk in id_chunks(sorted(exhibit_doc)):
                for row in src.execute(
                    select(annotations).where(
                        annotations.c.exhibit_id.in_(chunk),
                        annotations.c.annotation_type.in_(request.brand_markups),
                    )
                ).mappings():
                    works[exhibit_doc[row["exhibit_id"]]].markups.append(dict(row))
        if request.brand_stamps:
            for chunk in id_chunks(sorted(exhibit_doc)):
                for row in src.execute(
                    select(stamp_details).where(
                        stamp_details.c.exhibit_id.in_(chunk),
                        stamp_details.c.stamp_type.in_(request.brand_stamps),
                    )
                ).mappings():
                    works[exhibit_doc[row["exhibit_id"]]].stamps.append(dict(row))
    dest_keys = _destination_keys(
        databases, request, [variant_map[r["id"]] for r in variant_rows if r["id"] in variant_map]
    )
    for row in variant_rows:
        dest_id = variant_map.get(row["id"])
        if dest_id in dest_keys:
            works[row["document_id"]].variants[row["kind"]] = (row["object_key"], dest_keys[dest_id])
    return [works[d] for d in source_docs]


def _destination_keys(databases, request: ExchangeRequest, variant_ids: list[int]) -> dict[int, str]:
    keys: dict[int, str] = {}
    with databases.case_reader(request.destination_case_id).connect() as dst:
        for chunk in id_chunks(sorted(variant_ids)):
            keys.update(
                dst.execute(
                    select(document_variants.c.id, document_variants.c.object_key).where(
                        document_variants.c.id.in_(chunk)
                    )
                ).all()
            )
    return keys


def process_document(work: DocumentWork, request: ExchangeRequest, source, dest, engine) -> DocumentOutcome:
    """Copy (or brand) one document; a missing file is noted and the rest of the document goes on."""
    first_exhibit = work.exhibit_ids[0][1] if work.exhibit_ids else None
    outcome = DocumentOutcome(work.document_id, work.source_document_id, first_exhibit)
    brand = bool(work.markups or work.stamps) and "pdf" in work.variants
    for kind, (source_key, dest_key) in sorted(work.variants.items()):
        if brand and kind in ("pdf", "text"):
            continue  # written by branding below: the source's PDF and text still hold what was redacted
        try:
            if not dest.exists(dest_key):  # never overwrite what the destination holds
                source.copy_to(dest, source_key, dest_key)
            outcome.copied.append(kind)
        except ObjectNotFound:
            outcome.missing.append(source_key)
        except PlatformError as exc:  # a hostile key (escaping the case) or similar: this file only
            outcome.problems.append(f"{kind} {source_key}: {exc.user_message}")
    if brand:
        _brand(work, request, source, dest, engine, outcome)
    elif "text" in work.variants and "text" in outcome.copied:
        outcome.text_key = work.variants["text"][1]
    if "pdf" in outcome.copied:
        outcome.pdf_key = work.variants["pdf"][1]
    return outcome


def _brand(
    work: DocumentWork, request: ExchangeRequest, source, dest, engine, outcome: DocumentOutcome
) -> None:
    from imaging.branding import brand_in
    from imaging.markup import Markup
    from imaging.stamp_pdf import Stamp

    source_key, dest_key = work.variants["pdf"]
    with tempfile.TemporaryDirectory(prefix="np-exchange-") as tmp:
        folder = Path(tmp)
        try:
            pdf = source.download(source_key, folder / "source.pdf")
        except ObjectNotFound:
            outcome.missing.append(source_key)
            return
        markups = [
            Markup(
                row["annotation_type"],
                int(row["page_number"]),
                tuple(markup_rect(row["rect"])),
                row["content"],
                _sticker(source, row),
            )
            for row in work.markups
            if markup_rect(row["rect"]) is not None
        ]
        outcome.problems += [
            f"annotation {row['id']}: its rect is not [x0, y0, x1, y1]"
            for row in work.markups
            if markup_rect(row["rect"]) is None
        ]
        stamps: dict[int, list] = defaultdict(list)
        for row in sorted(work.stamps, key=lambda r: (r["page_number"], r["stamp_type"], r["id"])):
            stamps[int(row["page_number"])].append(Stamp(row["stamp_type"], row["text"], row["position"]))
        target = folder / "branded.pdf"
        try:
            result = brand_in(pdf, target, markups, stamps, engine)
        except DocumentError as exc:  # named by exhibit and key, not by the temporary copy
            raise exc.about(work.exhibit_ids[0][0] if work.exhibit_ids else None, source_key) from None
        dest.put_file(dest_key, target, "application/pdf")
        text_key = work.variants.get("text", (None, f"documents/{work.document_id}/extracted.txt"))[1]
        dest.put_bytes(text_key, "\f".join(result.page_texts).encode("utf-8"), "text/plain; charset=utf-8")
    outcome.branded = True
    outcome.copied += ["pdf", "text"]
    outcome.changed_pages = list(result.changed_pages)
    outcome.problems += list(result.problems)
    outcome.text_key = text_key


def markup_rect(value) -> list[float] | None:
    try:
        rect = [float(v) for v in json.loads(value)]
    except (TypeError, ValueError):
        return None
    return rect if len(rect) == 4 else None


def _sticker(source, row: dict) -> bytes | None:
    if row["annotation_type"] != "sticker" or not row.get("image_key"):
        return None
    try:
        return source.get_bytes(row["image_key"])
    except PlatformError:
        return None  # brand_in reports the sticker without its image


def ensure_text_variant(databases, request: ExchangeRequest, outcome: DocumentOutcome) -> None:
    """A branded document whose source had no text rendition gets one (its re-OCR'd text)."""
    if not outcome.branded or outcome.text_key is None:
        return
    with databases.case_writer(request.destination_case_id).begin() as conn:
        present = conn.execute(
            select(document_variants.c.id).where(
                document_variants.c.document_id == outcome.document_id, document_variants.c.kind == "text"
            )
        ).first()
        if present is None:
            conn.execute(
                insert(document_variants).values(
                    document_id=outcome.document_id, kind="text", object_key=outcome.text_key
                )
            )


def copy_sticker_images(databases, request: ExchangeRequest, source, dest) -> list[str]:
    """Images of stickers copied as a layer, to the key the database copy gave them."""
    if "sticker" not in request.layer_annotation_types:
        return []
    prefix = f"annotations/exchanged/case_{request.source_case_id}/"
    with databases.case_reader(request.destination_case_id).connect() as conn:
        keys = sorted(
            set(
                conn.execute(
                    select(annotations.c.image_key).where(annotations.c.image_key.like(prefix + "%"))
                ).scalars()
            )
        )
    missing = []
    for key in keys:
        try:
            if not dest.exists(key):
                source.copy_to(dest, key[len(prefix) :], key)
        except PlatformError:
            missing.append(key[len(prefix) :])
    return missing


def run_documents(
    works: list[DocumentWork], request: ExchangeRequest, source, dest, engine, bus, exchange_id: str
) -> list[DocumentOutcome]:
    """Every document once: a document whose outcome is recorded is not done again."""

    def one(work: DocumentWork) -> DocumentOutcome:
        key = outcome_key(exchange_id, work.document_id)
        if dest.exists(key):
            return DocumentOutcome(**json.loads(dest.get_bytes(key)))
        try:
            outcome = process_document(work, request, source, dest, engine)
        except PlatformError as exc:  # a corrupt or encrypted PDF: named, and the others go on
            outcome = DocumentOutcome(
                work.document_id,
                work.source_document_id,
                work.exhibit_ids[0][1] if work.exhibit_ids else None,
                problems=[str(exc) if isinstance(exc, DocumentError) else exc.user_message],
            )
        _announce(outcome, request, bus, exchange_id)
        dest.put_bytes(key, json.dumps(asdict(outcome)).encode("utf-8"), "application/json")
        return outcome

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(one, works))


def _announce(outcome: DocumentOutcome, request: ExchangeRequest, bus, exchange_id: str) -> None:
    """Per-document events; ids derive from the exchange and document, so a re-run repeats none."""

    def publish(event_type: str, **extra: Any) -> None:
        bus.publish(
            make_event(
                event_type,
                request.destination_case_id,
                event_id=f"{exchange_id}-{event_type}-{outcome.document_id}",
                batch_id=request.batch_id,
                source_case_id=request.source_case_id,
                document_id=outcome.document_id,
                exhibit_id=outcome.exhibit_id,
                source_document_id=outcome.source_document_id,
                **extra,
            )
        )

    if outcome.missing:
        publish("DOCUMENT_NOT_FOUND", missing_keys=outcome.missing)
    if "pdf" in outcome.copied:
        publish("DOCUMENT_COPIED")
    if "native" in outcome.copied:
        publish("NATIVE_DOCUMENT_COPIED")
    if outcome.branded:
        publish("DOCUMENT_PRE_PROCESSED", changed_pages=outcome.changed_pages)
