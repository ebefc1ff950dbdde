"""One document's production job and its outcome, and what every way of producing it shares:
its endorsements, its output paths, its text file, its page images, error text without local paths.

imaging/render.py produces a document from a DocJob (imaging/page_images.py draws a PDF's pages,
imaging/production_pdf.py writes the PDF output); the volume step builds the jobs and collects the
outcomes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from domain.errors import without_paths
from domain.productions.export_settings import ExportSettings
from domain.productions.loadfiles import ProducedDocument, ProducedPage, fulltext_copy_path, text_file_bytes
from domain.productions.manifest import Exhibit, Problem, Redaction
from domain.productions.plan import PlannedDocument
from imaging import raster


@dataclass
class DocJob:
    doc: PlannedDocument
    exhibit: Exhibit
    export: ExportSettings
    out_root: str
    pdf_path: str | None = None
    native_path: str | None = None
    text_path: str | None = None
    redactions: list[Redaction] = field(default_factory=list)
    leak_key: bytes = b""  # keys the hashes of a redacted document's leak profile (see leaks.py)


@dataclass
class DocOutcome:
    produced: ProducedDocument
    problems: list[Problem] = field(default_factory=list)
    # A redacted document's occurrence profile for QC (leaks.ProfileBuilder.profile): keyed hashes and
    # counts only.
    leak_profile: dict | None = None
    # QC's reading of each redacted page image, made once by the volume step (page_images._hand_over).
    page_ocr: dict = field(default_factory=dict)
    # Pages OCRed: "source" (a redacted page read before its boxes are burned, a page without a text
    # layer read for the profile) and "produced" (the page as produced); each at most once per page.
    ocr_pages: dict[str, int] = field(default_factory=lambda: {"source": 0, "produced": 0})
    seconds: dict[str, float] = field(default_factory=dict)


class Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, name: str, start: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


def endorsements(job: DocJob, page_index: int) -> list[tuple[str, str]]:
    stamps = []
    if job.export.endorse_bates:
        stamps.append((job.export.endorse_bates, job.doc.page_keys[page_index]))
    if job.export.endorse_confidentiality and job.exhibit.confidentiality:
        stamps.append((job.export.endorse_confidentiality, job.exhibit.confidentiality))
    return stamps


def output_path(job: DocJob, kind: str, folder: str, filename: str) -> str:
    return f"{job.doc.volume_label}/{kind}/{folder}/{filename}"


def write_text(job: DocJob, text: str, out: ProducedDocument) -> None:
    """TEXT/{folder}/{key}.txt (UTF-8 with BOM, CRLF); with a DII asked, the same bytes beside the
    first page's image or PDF, named after it, where Summation's @FULLTEXT DOC looks.
    Called after the pages are written, so the first page is known."""
    if job.export.text_mode == "none":
        return
    data = text_file_bytes(text)
    rel = output_path(job, "TEXT", job.doc.folder, f"{job.doc.file_key}.txt")
    target = Path(job.out_root) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    out.text_path = rel
    if "dii" in job.export.loadfiles and out.pages:
        copy = fulltext_copy_path(out.pages[0].path)
        (Path(job.out_root) / copy).write_bytes(data)
        out.fulltext_path = copy


def error_text(exc: Exception, job: DocJob) -> str:
    """An exception's text for a problem line: the worker's local file paths replaced by the object key."""
    return without_paths(
        f"{type(exc).__name__}: {exc}",
        job.pdf_path,
        job.native_path,
        job.text_path,
        job.out_root,
        name=job.exhibit.pdf_key or "the document",
    )[:300]


def save_bilevel(job: DocJob, index: int, black, out: ProducedDocument) -> None:
    key, folder = job.doc.page_keys[index], job.doc.page_folders[index]
    kind = raster.save_bilevel(black, Path(job.out_root) / job.doc.volume_label / "IMAGES" / folder / key)
    out.pages.append(ProducedPage(key, output_path(job, "IMAGES", folder, f"{key}.{kind}"), kind))


def save_image(job: DocJob, index: int, image: Image.Image, colour: bool, out: ProducedDocument) -> None:
    key, folder = job.doc.page_keys[index], job.doc.page_folders[index]
    base = Path(job.out_root) / job.doc.volume_label / "IMAGES" / folder / key
    kind = raster.save_page(image, base, job.export.image_format, colour)
    out.pages.append(ProducedPage(key, output_path(job, "IMAGES", folder, f"{key}.{kind}"), kind))
