"""One document's HTML rendition, from its PDF to a folder holding `index.html` and its images.

The structure comes from the tag tree when the PDF has a usable one (imaging/renditions/tagged.py),
else from layout analysis of the text layer, page by page, with scanned pages read by OCR first
(imaging/renditions/ocr_spans.py, domain/renditions/layout.py `iter_blocks`). Images become PNG
assets `fig-{n}.png`: extracted from the page for layout analysis; for a tagged Figure (which has a
page and a box but no pixels) the page is rendered at 150 dpi and the box cropped. Page anchors
take the caller's Bates numbers when it has them.

A PDF that cannot be made (encrypted, damaged, no pages, more than `max_pages`) gives a
`DocumentProblem` naming why and writes nothing. Files are staged in a hidden folder inside
`out_dir` and renamed into place (images first, `index.html` last); images of an earlier rendition
that the new one does not use are then removed, so a re-run leaves exactly what it made (and
removes the staging folder a killed run left behind).
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from domain.errors import DocumentEncrypted, DocumentUnreadable
from domain.renditions.html import write_html
from domain.renditions.layout import iter_blocks
from domain.renditions.manifest import (
    DAMAGED,
    ENCRYPTED,
    MISSING_SOURCE,
    TOO_MANY_PAGES,
    ZERO_PAGES,
    DocumentProblem,
    RenditionEntry,
    entry_for,
)
from domain.renditions.model import Document, Figure, Heading, PageStart
from imaging.engine import LocalDocumentEngine
from imaging.renditions.ocr_spans import layout_pages
from imaging.renditions.spans import MAX_IMAGE_PIXELS, ImageCandidate
from imaging.renditions.tagged import NotTagged, read_tagged

FIGURE_DPI = 150
INDEX = "index.html"
_STAGING_PREFIX = ".staging-"


@dataclass(frozen=True)
class RenditionResult:
    """What `render_document` made: the manifest entry, or the problem that stopped it."""

    entry: RenditionEntry | None = None
    problem: DocumentProblem | None = None
    document: Document | None = None  # the blocks written (for tests and the PII text scan)


def render_document(
    engine: LocalDocumentEngine,
    pdf_path: Path,
    *,
    title: str,
    page_labels: list[str] | None,
    out_dir: Path,
    max_pages: int = 5000,
    document_id: int = 0,
    exhibit_ids: Sequence[int] = (),
    key_prefix: str = "",
) -> RenditionResult:
    """Render `pdf_path` into `out_dir` (`index.html` + `fig-{n}.png`). Keys in the manifest entry
    are `key_prefix` + file name (e.g. "case_7/renditions/html/12/"). `page_labels[i]` is page i+1's
    Bates number. Returns the entry, or a problem (nothing written) for a PDF that cannot be made."""
    source_sha256 = _sha256(pdf_path) if pdf_path.is_file() else None

    def problem(name: str, detail: str) -> RenditionResult:
        return RenditionResult(
            problem=DocumentProblem(document_id, tuple(exhibit_ids), name, detail, source_sha256)
        )

    if source_sha256 is None:
        return problem(MISSING_SOURCE, "the PDF is not there")

    try:
        pages = engine.page_count(pdf_path)
        if pages == 0:
            return problem(ZERO_PAGES, "the PDF has no pages")
        if pages > max_pages:
            return problem(TOO_MANY_PAGES, f"{pages} pages, more than the {max_pages} a rendition may have")
        out_dir.mkdir(parents=True, exist_ok=True)
        for left in out_dir.glob(_STAGING_PREFIX + "*"):  # a killed run's half-made files
            shutil.rmtree(left, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=out_dir))
        try:
            document = _structure(engine, pdf_path, title, staging)
            _label_pages(document, page_labels)
            html = write_html(document)
            assets = sorted({b.asset for b in document.blocks if isinstance(b, Figure) and b.asset})
            _publish(staging, out_dir, assets, html)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except DocumentEncrypted:
        return problem(ENCRYPTED, "the PDF needs a password to open")
    except DocumentUnreadable as exc:
        if exc.context.get("reason") == "no pages":
            return problem(ZERO_PAGES, "the PDF has no pages")
        reason = exc.context.get("reason") or str(exc)  # path-free: the engine names no local path
        return problem(DAMAGED, f"the PDF could not be read or rebuilt: {reason}"[:300])
    entry = entry_for(
        document,
        html,
        document_id=document_id,
        exhibit_ids=tuple(exhibit_ids),
        source_sha256=source_sha256,
        pages=pages,
        html_key=key_prefix + INDEX,
        assets=[key_prefix + name for name in assets],
    )
    return RenditionResult(entry=entry, document=document)


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _structure(engine: LocalDocumentEngine, pdf: Path, title: str, staging: Path) -> Document:
    """The document's blocks, from its tags or its layout; images saved into `staging`."""
    try:
        document = read_tagged(pdf, title=title, engine=engine)
    except NotTagged:
        return _from_layout(engine, pdf, title, staging)
    _render_figures(engine, pdf, document, staging)
    return document


def _from_layout(engine: LocalDocumentEngine, pdf: Path, title: str, staging: Path) -> Document:
    count = 0

    def save_image(image: ImageCandidate) -> str | None:
        nonlocal count
        if image.png is None:
            return None
        count += 1
        name = f"fig-{count}.png"
        (staging / name).write_bytes(image.png)
        return name

    ocr_pages = text_pages = 0

    def pages():
        nonlocal ocr_pages, text_pages
        for page, by_ocr in layout_pages(engine, pdf, save_image=save_image):
            ocr_pages += by_ocr
            text_pages += not by_ocr
            yield page

    blocks = list(iter_blocks(pages()))  # streamed: memory per page, plus the blocks themselves
    source = "mixed" if ocr_pages and text_pages else "ocr" if ocr_pages else "layout"
    if not title:  # as analyse() does: the first heading, else a plain name
        first = next((b for b in blocks if isinstance(b, Heading)), None)
        title = "".join(i.text for i in first.inlines) if first else "Document"
    return Document(title=title, blocks=blocks, source=source)


def _render_figures(engine: LocalDocumentEngine, pdf: Path, document: Document, staging: Path) -> None:
    """Each tagged Figure with a box and no asset: its page rendered once at FIGURE_DPI (less for
    a page so large it would exceed MAX_IMAGE_PIXELS) and the box cropped to `fig-{n}.png`."""
    figures = [b for b in document.blocks if isinstance(b, Figure) and b.asset is None and b.box and b.page]
    if not figures:
        return
    sizes = engine.page_sizes(pdf)
    wanted = sorted({f.page - 1 for f in figures if 0 < f.page <= len(sizes)})
    page_dpi = {}
    for index in wanted:
        width, height, _ = sizes[index]
        cap = math.sqrt(MAX_IMAGE_PIXELS / max(width * height / 72.0**2, 1e-6))
        page_dpi[index] = min(FIGURE_DPI, cap)
    count = 0
    rendered = engine.iter_render(pdf, [(index, False) for index in wanted], FIGURE_DPI, page_dpi)
    for index, image in zip(wanted, rendered, strict=True):
        try:
            scale = page_dpi[index] / 72.0
            for figure in (f for f in figures if f.page - 1 == index):
                x0, y0, x1, y1 = figure.box
                box = (
                    max(0, math.floor(x0 * scale)),
                    max(0, math.floor(y0 * scale)),
                    min(image.width, math.ceil(x1 * scale)),
                    min(image.height, math.ceil(y1 * scale)),
                )
                if box[2] - box[0] < 2 or box[3] - box[1] < 2:
                    continue  # off the page or a sliver: the manifest asks a person for it
                count += 1
                name = f"fig-{count}.png"
                crop = image.crop(box)
                crop.save(staging / name, "PNG")
                figure.asset, figure.width, figure.height = name, crop.width, crop.height
                crop.close()
        finally:
            image.close()


def _label_pages(document: Document, labels: list[str] | None) -> None:
    """Page anchors named by the caller's Bates numbers (page i+1 takes labels[i]); pages past the
    end of `labels` keep what the PDF said."""
    if not labels:
        return
    for n, block in enumerate(document.blocks):
        if isinstance(block, PageStart) and 0 < block.page <= len(labels) and labels[block.page - 1]:
            document.blocks[n] = PageStart(block.page, labels[block.page - 1])


def _publish(staging: Path, out_dir: Path, assets: list[str], html: str) -> None:
    """Images renamed into `out_dir`, then index.html (written to a temp name and renamed), then
    earlier images the new HTML does not use removed."""
    for name in assets:
        os.replace(staging / name, out_dir / name)
    temp = staging / INDEX
    temp.write_text(html, encoding="utf-8")
    os.replace(temp, out_dir / INDEX)
    for stale in out_dir.glob("fig-*.png"):
        if stale.name not in assets:
            stale.unlink(missing_ok=True)
