"""The stamped page set: what each exhibit's pages carry (from stamp_details) and the files that show it.

Layout under the case's prefix:

    stamped_pages/index.json                       exhibit -> digest, pages, Bates range, files
    stamped_pages/style.json                       font size per stamp type (case-wide)
    stamped_pages/exhibit_{id}/annotated.pdf       stamps as read-only FreeText annotations
    stamped_pages/exhibit_{id}/burned.pdf          stamps drawn into the page content
    stamped_pages/exhibit_{id}/images/page_00001.png   legacy page images (when asked)
    stamped_pages/exhibit_{id}/manifest.json       every page and the stamps it carries
    stamped_pages/requests/{sha256(event id)}.json receipts of handled requests

An exhibit's digest covers its stamp rows, its source PDF (key and size), the
style and the output settings: the set re-stamps exactly the exhibits whose
digest changed since the index was written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from domain.errors import PlatformError, without_paths
from domain.stamps.ledger import StampRow
from domain.stamps.service import DEFAULT_FONT_SIZE, PREFIX
from imaging.stamp_pdf import Stamp, stamp_pdf

RENDERER = "stamps-1"  # bump when the drawing changes: every exhibit is then re-stamped
INDEX_KEY = f"{PREFIX}index.json"
OUTPUTS = ("annotations", "burned", "images")
TYPE_ORDER = {"bates": 0, "confidentiality": 1, "exhibit": 2}
FILE_NAMES = {"annotations": "annotated.pdf", "burned": "burned.pdf"}


@dataclass(frozen=True)
class PageSetSettings:
    mode: str = "band"
    outputs: tuple[str, ...] = ("annotations", "burned")
    dpi: int = 150  # legacy page images

    def to_json(self) -> dict:
        return {"mode": self.mode, "outputs": list(self.outputs), "dpi": self.dpi}


@dataclass
class ExhibitStamps:
    exhibit_id: int
    pdf_key: str | None
    pdf_bytes: int | None
    pages: dict[int, list[Stamp]]
    digest: str = ""


def exhibit_prefix(exhibit_id: int) -> str:
    return f"{PREFIX}exhibit_{int(exhibit_id)}/"


def desired_state(
    rows: Iterable[StampRow],
    sources: dict[int, tuple[str | None, int | None]],
    style: dict[str, float],
    settings: PageSetSettings,
) -> dict[int, ExhibitStamps]:
    """Every exhibit that carries a stamp, with what each page carries and the digest of it all."""
    wanted: dict[int, ExhibitStamps] = {}
    for r in sorted(rows, key=lambda r: (r.exhibit_id, r.page_number, TYPE_ORDER.get(r.stamp_type, 9))):
        if r.stamp_type not in TYPE_ORDER:
            continue  # a stamp type this platform does not draw is left to whoever wrote it
        entry = wanted.get(r.exhibit_id)
        if entry is None:
            key, size = sources.get(r.exhibit_id, (None, None))
            entry = wanted[r.exhibit_id] = ExhibitStamps(r.exhibit_id, key, size, {})
        entry.pages.setdefault(r.page_number, []).append(
            Stamp(r.stamp_type, r.text, r.position, style.get(r.stamp_type, DEFAULT_FONT_SIZE))
        )
    for entry in wanted.values():
        entry.digest = _digest(entry, settings)
    return wanted


def _digest(entry: ExhibitStamps, settings: PageSetSettings) -> str:
    body = {
        "renderer": RENDERER,
        "settings": settings.to_json(),
        "source": [entry.pdf_key, entry.pdf_bytes],
        "pages": [
            [n, [[s.stamp_type, s.text, s.position, s.font_size] for s in stamps]]
            for n, stamps in sorted(entry.pages.items())
        ],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


def set_version(wanted: dict[int, ExhibitStamps]) -> str:
    """The data version of a case's whole stamped page set."""
    digest = hashlib.sha256()
    for exhibit_id in sorted(wanted):
        digest.update(f"{exhibit_id}:{wanted[exhibit_id].digest}\n".encode())
    return digest.hexdigest()[:24]


def changes(wanted: dict[int, ExhibitStamps], index: dict[int, dict]) -> tuple[list[int], list[int]]:
    """(exhibits to stamp, exhibits whose stamps are all gone)."""
    stale = [e for e, entry in sorted(wanted.items()) if index.get(e, {}).get("digest") != entry.digest]
    gone = sorted(e for e in index if e not in wanted)
    return stale, gone


# One exhibit, local files only (runs in a worker process) ----------------------


@dataclass
class ExhibitJob:
    exhibit: ExhibitStamps
    source: str | None  # local path of the PDF
    out_dir: str  # scratch folder shared by every job: outputs are named after the exhibit
    settings: PageSetSettings


@dataclass
class ExhibitOutcome:
    exhibit_id: int
    digest: str
    files: dict[str, str] = field(default_factory=dict)  # name under the exhibit's prefix -> local path
    manifest: dict = field(default_factory=dict)
    error: str | None = None


def _bates_pages(pages: dict[int, list[Stamp]]) -> set[int] | None:
    numbered = {n for n, stamps in pages.items() if any(s.stamp_type == "bates" for s in stamps)}
    return numbered or None


def stamp_exhibit(job: ExhibitJob, render_pages=None) -> ExhibitOutcome:
    """Every asked-for output of one exhibit; a bad document becomes an error that names it."""
    entry = job.exhibit
    outcome = ExhibitOutcome(entry.exhibit_id, entry.digest)
    try:
        if job.source is None:
            raise PlatformError(f"Exhibit {entry.exhibit_id} has no PDF rendition to stamp.")
        out = Path(job.out_dir)
        layouts: dict = {}
        page_count = 0
        for output in ("annotations", "burned"):
            if output in job.settings.outputs:
                local = out / f"exhibit_{entry.exhibit_id}.{FILE_NAMES[output]}"
                layouts, page_count = stamp_pdf(
                    Path(job.source),
                    local,
                    entry.pages,
                    output,
                    job.settings.mode,
                    every_page=_bates_pages(entry.pages),
                )
                outcome.files[FILE_NAMES[output]] = str(local)
        if "images" in job.settings.outputs:
            outcome.files.update(_images(job, out, render_pages))
        outcome.manifest = _manifest(job, page_count or None, layouts)
    except PlatformError as exc:
        message = exc.user_message
        outcome.error = message if message.startswith("Exhibit") else f"Exhibit {entry.exhibit_id}: {message}"
        outcome.files = {}
    except Exception as exc:  # a PDF that breaks the stamper is that exhibit's problem, not the run's
        reason = without_paths(str(exc), job.source, job.out_dir, name=entry.pdf_key or "its PDF")[:200]
        outcome.error = (
            f"Exhibit {entry.exhibit_id}: its PDF{' ' + entry.pdf_key if entry.pdf_key else ''} "
            f"could not be stamped ({type(exc).__name__}: {reason})."
        )
        outcome.files = {}
    return outcome


def _images(job: ExhibitJob, out: Path, render_pages) -> dict[str, str]:
    from imaging.stamp_images import stamp_image

    numbers = sorted(n for n, stamps in job.exhibit.pages.items() if stamps)
    folder = out / f"exhibit_{job.exhibit.exhibit_id}.images"
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for number, image in zip(
        numbers, render_pages(Path(job.source), [n - 1 for n in numbers], job.settings.dpi), strict=True
    ):
        stamped, _ = stamp_image(image, job.exhibit.pages[number], job.settings.dpi, job.settings.mode)
        local = folder / f"page_{number:05d}.png"
        stamped.save(local, optimize=False, dpi=(job.settings.dpi, job.settings.dpi))
        files[f"images/page_{number:05d}.png"] = str(local)
    return files


def _manifest(job: ExhibitJob, page_count: int | None, layouts: dict) -> dict:
    entry = job.exhibit
    pages = []
    for number in sorted(entry.pages):
        placed = layouts.get(number)
        pages.append(
            {
                "page": number,
                "stamps": [
                    {"type": s.stamp_type, "text": s.text, "position": s.position, "font_size": s.font_size}
                    for s in entry.pages[number]
                ],
                "band_top": round(placed.band_top, 2) if placed else 0,
                "band_bottom": round(placed.band_bottom, 2) if placed else 0,
            }
        )
    return {
        "exhibit_id": entry.exhibit_id,
        "digest": entry.digest,
        "source_key": entry.pdf_key,
        "page_count": page_count,
        "settings": job.settings.to_json(),
        "pages": pages,
    }


MANIFEST = "manifest.json"


def index_entry(outcome: ExhibitOutcome, entry: ExhibitStamps) -> dict:
    bates = [s.text for n in sorted(entry.pages) for s in entry.pages[n] if s.stamp_type == "bates"]
    return {
        "digest": outcome.digest if outcome.error is None else None,
        "error": outcome.error,
        "files": [exhibit_prefix(entry.exhibit_id) + f for f in [*sorted(outcome.files), MANIFEST]]
        if not outcome.error
        else [],
        "pages": outcome.manifest.get("page_count"),
        "bates_begin": bates[0] if bates else None,
        "bates_end": bates[-1] if bates else None,
    }


def read_index(raw: bytes | None) -> dict[int, dict]:
    if not raw:
        return {}
    try:
        return {int(k): v for k, v in json.loads(raw).get("exhibits", {}).items()}
    except (ValueError, AttributeError):
        return {}  # an unreadable index only costs a full re-stamp


def write_index(index: dict[int, dict], version: str) -> bytes:
    return json.dumps(
        {"version": version, "exhibits": {str(k): index[k] for k in sorted(index)}}, sort_keys=True
    ).encode("utf-8")
