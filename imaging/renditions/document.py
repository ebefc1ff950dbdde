"""One document's HTML rendition, from its PDF to a folder holding `index.html` and its images.

The structure comes from the tag tree when the PDF has a usable one (imaging/renditions/tagged.py),
else from layout analysis of the text layer, page by page, with scanned pages read by OCR first
(imaging/renditions/ocr_spans.py, domain/renditions/layout.py `iter_blocks`). Images become PNG
assets `fig-{n}.png`: extracted from the page for layout analysis; for a tagged Figure (which has a
page and a box but no pixels) the page is rendered at 150 dpi and the box cropped. Page anchors
take the caller's Bates numbers when it has them.

Memory does not grow with the page count (bench/renditions_speed.py measures 100 against 10,000
pages): blocks are written as they are found (domain/renditions/html.py `HtmlWriter`, <main>'s lines
spooled to a file in the staging folder, the head written last), the manifest's needs-person lines
are taken from a skeleton of the figures and tables (`_Review`), and the `Document` itself is held
only when the caller asks (`keep_document`). A page that gives no text at all, because OCR is not
available or found nothing, is still made (its scan shown as an image) and the manifest entry says
a person must read it (IMAGE_ONLY_WITHOUT_OCR).

A PDF that cannot be made (encrypted, damaged, no pages, more than `max_pages`) gives a
`DocumentProblem` naming why and writes nothing. Files are staged in a hidden folder inside
`out_dir` and renamed into place (images first, `index.html` last); images of an earlier rendition
that the new one does not use are then removed, so a re-run leaves exactly what it made (and
removes the staging folder a killed run left behind).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from domain.errors import DocumentEncrypted, DocumentUnreadable
from domain.renditions.html import HtmlWriter, is_data_table
from domain.renditions.layout import iter_blocks
from domain.renditions.manifest import (
    DAMAGED,
    ENCRYPTED,
    IMAGE_ONLY_WITHOUT_OCR,
    MISSING_SOURCE,
    TOO_MANY_PAGES,
    ZERO_PAGES,
    DocumentProblem,
    RenditionEntry,
    entry_for,
)
from domain.renditions.model import Block, Cell, Document, Figure, PageStart, Table
from imaging.engine import LocalDocumentEngine
from imaging.renditions.ocr_spans import layout_pages
from imaging.renditions.spans import MAX_IMAGE_PIXELS, ImageCandidate, PagesOf
from imaging.renditions.tagged import NotTagged, TaggedInfo, catalog_lang, read_tagged_blocks

FIGURE_DPI = 150
INDEX = "index.html"
_STAGING_PREFIX = ".staging-"
_SPOOL = ".body.html"  # <main>'s lines as they are written, inside the staging folder


@dataclass(frozen=True)
class RenditionResult:
    """What `render_document` made: the manifest entry, or the problem that stopped it."""

    entry: RenditionEntry | None = None
    problem: DocumentProblem | None = None
    # the blocks written, only when asked (`keep_document`): held whole they grow with the document
    document: Document | None = None


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
    keep_document: bool = False,
) -> RenditionResult:
    """Render `pdf_path` into `out_dir` (`index.html` + `fig-{n}.png`). Keys in the manifest entry
    are `key_prefix` + file name (e.g. "case_7/renditions/html/12/"). `page_labels[i]` is page i+1's
    Bates number. Returns the entry (and, with `keep_document`, the blocks written), or a problem
    (nothing written) for a PDF that cannot be made. Memory does not grow with the page count: blocks
    are written as they are found (unless `keep_document`)."""
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
            made = _make(engine, pdf_path, title, page_labels, staging, keep_document)
            _publish(staging, out_dir, made.assets)
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
        made.review,
        "",  # the page is on disk, hashed as it was written
        document_id=document_id,
        exhibit_ids=tuple(exhibit_ids),
        source_sha256=source_sha256,
        pages=pages,
        html_key=key_prefix + INDEX,
        assets=[key_prefix + name for name in made.assets],
    )
    entry = dataclasses.replace(entry, html_sha256=made.html_sha256)
    return RenditionResult(entry=entry, document=made.document)


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclass
class _Made:
    html_sha256: str
    assets: list[str]  # file names, sorted
    review: Document  # what the manifest's needs_person reads (see _Review)
    document: Document | None  # every block, when kept


# A figure or data table that needs no one: shared placeholders, so the review keeps one reference each.
_FINE_FIGURE = Figure(asset="fine", alt="fine")
_HEADED_TABLE = Table(rows=[[Cell([], header=True), Cell([], header=True)], [Cell([]), Cell([])]])
_HEADLESS_TABLE = Table(rows=[[Cell([]), Cell([])], [Cell([]), Cell([])]])


class _Review:
    """What the manifest's `needs_person` reads of the blocks and no more, so a long document's text
    is not held for it: every figure and data table in order (they are numbered), those needing
    nothing as shared placeholders, and a page anchor before the first of them on each page."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._page: int | None = None
        self._placed: int | None = None

    def add(self, block: Block) -> None:
        if isinstance(block, PageStart):
            self._page = block.page
            return
        if isinstance(block, Figure):
            fine = block.asset is not None and block.alt is not None
            kept: Block = _FINE_FIGURE if fine else Figure(asset=block.asset, alt=block.alt)
        elif isinstance(block, Table) and is_data_table(block):
            headed = any(cell.header for row in block.rows for cell in row)
            kept = _HEADED_TABLE if headed else _HEADLESS_TABLE
        else:
            return
        if self._page is not None and self._page != self._placed:
            self.blocks.append(PageStart(self._page))
            self._placed = self._page
        self.blocks.append(kept)


class _Output:
    """Where the blocks go as they are found: page anchors take the caller's Bates numbers, then the
    HTML writer (its body spooled to a file in the staging folder), the review, and the whole
    `Document` only when the caller keeps it."""

    def __init__(
        self, staging: Path, title: str | None, untitled: str, labels: list[str] | None, keep: bool
    ) -> None:
        self.staging = staging
        self.labels = labels or []
        self.spool = (staging / _SPOOL).open("w+", encoding="utf-8")
        self.writer = HtmlWriter(self.spool, title=title, untitled=untitled)
        self.review = _Review()
        self.blocks: list[Block] | None = [] if keep else None
        self.named = 0  # fig-{n}.png names given
        self.assets: set[str] = set()  # of them, the ones a written figure shows
        self.notes: list[str] = []

    def asset_name(self) -> str:
        self.named += 1
        return f"fig-{self.named}.png"

    def add(self, block: Block) -> None:
        if (
            isinstance(block, PageStart)
            and 0 < block.page <= len(self.labels)
            and self.labels[block.page - 1]
        ):
            block = PageStart(block.page, self.labels[block.page - 1])  # pages past the labels keep the PDF's
        elif isinstance(block, Figure) and block.asset:
            self.assets.add(block.asset)
        self.writer.add(block)
        self.review.add(block)
        if self.blocks is not None:
            self.blocks.append(block)

    def close(self) -> None:
        self.spool.close()

    def finish(self, lang: str | None, source: str) -> _Made:
        """index.html written into the staging folder (the head, then the spooled body)."""
        page = self.staging / INDEX
        with page.open("w", encoding="utf-8") as handle:
            self.writer.finish(handle, lang)
        self.close()
        (self.staging / _SPOOL).unlink()
        title = self.writer.title
        review = Document(title=title, blocks=self.review.blocks, source=source, notes=self.notes)
        document = None
        if self.blocks is not None:
            document = Document(title=title, blocks=self.blocks, source=source, notes=self.notes)
            if lang:
                document.lang = lang
        return _Made(_sha256(page), sorted(self.assets), review, document)


def _make(
    engine: LocalDocumentEngine, pdf: Path, title: str, labels: list[str] | None, staging: Path, keep: bool
) -> _Made:
    """The rendition in `staging`, from the tags, else (what the tags gave dropped) from the layout."""
    try:
        return _from_tags(engine, pdf, title, labels, staging, keep)
    except NotTagged:
        for leftover in staging.iterdir():
            leftover.unlink()
        return _from_layout(engine, pdf, title, labels, staging, keep)


def _from_tags(
    engine: LocalDocumentEngine, pdf: Path, title: str, labels: list[str] | None, staging: Path, keep: bool
) -> _Made:
    made: dict[str, object] = {}

    def begin(info: TaggedInfo) -> None:  # title: the caller's, the PDF's, else the first heading's
        made["output"] = _Output(staging, title or info.title or None, "", labels, keep)
        made["lang"] = info.lang

    with _FigureCrops(pdf, staging, engine) as crops:

        def add(block: Block) -> None:
            output = made["output"]
            if isinstance(block, Figure) and block.asset is None and block.box and block.page:
                crops.crop(block, output.asset_name)
            output.add(block)

        try:
            read_tagged_blocks(pdf, add, begin=begin, engine=engine)
        except BaseException:
            if "output" in made:
                made["output"].close()
            raise
    return made["output"].finish(made["lang"], "tagged")


class _FigureCrops:
    """Tagged figures (a page and a box, no pixels) cut from their page rendered at FIGURE_DPI (less
    for a page so large it would exceed MAX_IMAGE_PIXELS). The PDF is opened once, at the first
    figure; the last page rendered is kept for the figures after it on the same page."""

    def __init__(self, pdf: Path, staging: Path, engine: LocalDocumentEngine) -> None:
        self.pdf, self.staging, self.engine = pdf, staging, engine
        self.pages: PagesOf | None = None
        self.page: tuple[int, Image.Image, float] | None = None  # (index, image, dpi)

    def __enter__(self) -> _FigureCrops:
        return self

    def __exit__(self, *exc) -> None:
        if self.page is not None:
            self.page[1].close()
        if self.pages is not None:
            self.pages.__exit__()

    def _render(self, index: int) -> tuple[Image.Image, float] | None:
        if self.page is not None and self.page[0] == index:
            return self.page[1], self.page[2]
        if self.page is not None:
            self.page[1].close()
            self.page = None
        if self.pages is None:
            self.pages = PagesOf(self.engine, self.pdf).__enter__()
        if not 0 <= index < len(self.pages.document):
            return None
        page = self.pages.page(index)
        try:
            width, height = page.get_size()
            dpi = min(FIGURE_DPI, math.sqrt(MAX_IMAGE_PIXELS / max(width * height / 72.0**2, 1e-6)))
            scale = dpi / 72.0
            image = page.render(scale=scale, may_draw_forms=True).to_pil()
        finally:
            page.close()
        # pdfium rounds sizes up: the exact size, as the engine's renders are
        exact = (max(1, round(width * scale)), max(1, round(height * scale)))
        if image.width >= exact[0] and image.height >= exact[1] and image.size != exact:
            image = image.crop((0, 0, *exact))
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        self.page = (index, image, dpi)
        return image, dpi

    def crop(self, figure: Figure, name) -> None:
        """`figure`'s box saved as the next `fig-{n}.png` (`name()` gives it) and named its asset;
        a box off the page or a sliver is left without (the manifest asks a person for it)."""
        rendered = self._render(figure.page - 1)
        if rendered is None or figure.box is None:
            return
        image, dpi = rendered
        scale = dpi / 72.0
        x0, y0, x1, y1 = figure.box
        box = (
            max(0, math.floor(x0 * scale)),
            max(0, math.floor(y0 * scale)),
            min(image.width, math.ceil(x1 * scale)),
            min(image.height, math.ceil(y1 * scale)),
        )
        if box[2] - box[0] < 2 or box[3] - box[1] < 2:
            return
        asset = name()
        crop = image.crop(box)
        try:
            crop.save(self.staging / asset, "PNG")
            figure.asset, figure.width, figure.height = asset, crop.width, crop.height
        finally:
            crop.close()


def _from_layout(
    engine: LocalDocumentEngine, pdf: Path, title: str, labels: list[str] | None, staging: Path, keep: bool
) -> _Made:
    """Layout analysis page by page (`iter_blocks` holds its first pages only); title: the caller's,
    else the first heading's, else "Document"."""
    output = _Output(staging, title or None, "Document", labels, keep)
    counts = {"ocr": 0, "text": 0}
    unread = _PageRuns()  # scanned pages no OCR read (it is not available)
    blank = _PageRuns()  # pages with no text at all, OCR's included

    def save_image(image: ImageCandidate) -> str | None:
        if image.png is None:
            return None
        name = output.asset_name()
        (staging / name).write_bytes(image.png)
        return name

    def pages():
        for page, by_ocr in layout_pages(engine, pdf, save_image=save_image):
            counts["ocr" if by_ocr else "text"] += 1
            if not page.spans:
                (blank if by_ocr else unread).add(page.page)
            yield page

    try:
        for block in iter_blocks(pages()):
            output.add(block)
    except BaseException:
        output.close()
        raise
    # A page no one can read in the rendition: a person must (the rendition is still made).
    output.notes += [
        f"{IMAGE_ONLY_WITHOUT_OCR}: no text on {where} (OCR is not available): a person should read it"
        for where in unread.phrases()
    ]
    output.notes += [
        f"{IMAGE_ONLY_WITHOUT_OCR}: no text on {where}, OCR found none: a person should read or describe it"
        for where in blank.phrases()
    ]
    ocr, text = counts["ocr"], counts["text"]
    return output.finish(catalog_lang(pdf), "mixed" if ocr and text else "ocr" if ocr else "layout")


class _PageRuns:
    """Page numbers as runs (a 10,000-page scan is one line, not 10,000)."""

    def __init__(self) -> None:
        self.runs: list[list[int]] = []

    def add(self, page: int) -> None:
        if self.runs and self.runs[-1][1] == page - 1:
            self.runs[-1][1] = page
        else:
            self.runs.append([page, page])

    def phrases(self) -> list[str]:
        return [f"page {a}" if a == b else f"pages {a}-{b}" for a, b in self.runs]


def _publish(staging: Path, out_dir: Path, assets: list[str]) -> None:
    """Images renamed into `out_dir`, then index.html (written in the staging folder, renamed), then
    earlier images the new HTML does not use removed."""
    for name in assets:
        os.replace(staging / name, out_dir / name)
    os.replace(staging / INDEX, out_dir / INDEX)
    for stale in out_dir.glob("fig-*.png"):
        if stale.name not in assets:
            stale.unlink(missing_ok=True)
