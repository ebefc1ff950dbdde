"""Brand review markup and stamps into the copy of a document that goes to another case.

The order is fixed, so that overlaps come out right:

1. redactions: a redacted page is replaced by its 300 dpi image with the black boxes burned in,
   plus an invisible OCR text layer of that image. Covering text with a box would leave it in
   the file; rasterising removes it. Nothing drawn earlier survives under a box.
2. highlights, notes, stickers: drawn into the page content (on top of any redaction).
3. stamps (Bates, confidentiality, exhibit): burned last by domain.stamps, in band mode.

The markup model is imaging/markup.py; step 2 is imaging/markup_drawing.py.

Every page without a redaction keeps its own vector content, text layer and annotations; page
count and order never change. Markup rectangles are PDF user space (origin bottom-left, before
/Rotate), like annotations.rect and production redactions.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pikepdf
from pikepdf import Array, Dictionary
from PIL import Image

from domain.geometry import PageGeometry
from imaging import raster
from imaging.markup import REDACTION, Markup, markups_by_page
from imaging.markup_drawing import draw_markups
from imaging.raster_pdf import OcrLine, write_raster_pdf
from imaging.stamp_pdf import Stamp, open_pdf, page_geometry, stamp_pdf

DPI = raster.DPI  # the production's resolution: the same redacted pages either way


@dataclass
class BrandResult:
    page_texts: list[str]  # text of every page of the output (index 0 = page 1)
    changed_pages: list[int] = field(default_factory=list)  # 1-based pages whose content changed
    redacted_pages: list[int] = field(default_factory=list)  # 1-based pages that carry a redaction
    problems: list[str] = field(default_factory=list)  # markup or stamps left out; the rest was branded


class BrandingEngine(Protocol):
    """What branding needs of imaging.engine.DocumentEngine."""

    def page_geometries(self, pdf: Path) -> list[PageGeometry]: ...
    def page_texts(self, pdf: Path) -> list[str]: ...
    def iter_render(self, pdf: Path, requests: list[tuple[int, bool]], dpi: int) -> Iterator[Image.Image]: ...
    def ocr(self, image: Image.Image, detect_orientation: bool = False) -> str: ...
    def ocr_words(self, image: Image.Image) -> tuple[str, list[OcrLine]]: ...


def brand_in(
    source: Path,
    target: Path,
    markups: Sequence[Markup],
    stamps: Mapping[int, Sequence[Stamp]],
    engine: BrandingEngine,
) -> BrandResult:
    """Write `source` with its markup and stamps burned in to `target` (atomically: a temporary
    file in the same folder, renamed when complete). Raises DocumentUnreadable/DocumentEncrypted
    for a source that cannot be read; markup that cannot be branded is reported in `problems`."""
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with contextlib.ExitStack() as stack:
        pdf = stack.enter_context(open_pdf(source))
        count = len(pdf.pages)
        by_page = markups_by_page(markups, count, problems)
        stamped = _stamps_by_page(stamps, count, problems)
        redacted = _redact(pdf, source, by_page, engine, stack)  # page -> OCR text of the redacted image
        drawn = draw_markups(pdf, by_page, problems)
        temp = stack.enter_context(_temporary(target))
        _save(pdf, temp, stamped, stack)
        changed = sorted(set(redacted) | drawn | set(stamped))
        # A redacted page nothing was drawn on afterwards reads as its OCR already did.
        known = {n: text for n, text in redacted.items() if n not in drawn and n not in stamped}
        texts = _page_texts(temp, count, changed, known, engine)
        os.replace(temp, target)
    return BrandResult(texts, changed, sorted(redacted), problems)


# -- what goes where ---------------------------------------------------------------------------


def _stamps_by_page(
    stamps: Mapping[int, Sequence[Stamp]], count: int, problems: list[str]
) -> dict[int, Sequence[Stamp]]:
    kept = {}
    for number, page_stamps in stamps.items():
        if not page_stamps:
            continue
        if 1 <= number <= count:
            kept[number] = page_stamps
        else:
            problems.append(
                f"page {number}: stamps are recorded for page {number} but the document has {count} "
                "pages; not stamped"
            )
    return kept


# -- 1. redactions: the page becomes its redacted image plus an OCR text layer ------------------


def _redact(
    pdf: pikepdf.Pdf,
    source: Path,
    by_page: dict[int, list[Markup]],
    engine: BrandingEngine,
    stack: contextlib.ExitStack,
) -> dict[int, str]:
    numbers = sorted(n for n, marks in by_page.items() if any(m.kind == REDACTION for m in marks))
    if not numbers:
        return {}
    geometries = engine.page_geometries(source)
    texts: dict[int, str] = {}
    raster = io.BytesIO()
    write_raster_pdf(
        raster,
        _redacted_images(source, numbers, by_page, geometries, engine, texts),
        searchable=True,
        colour=True,
    )
    # The raster pages' streams are copied into `pdf` when it is saved: keep their file open till then.
    rasters = stack.enter_context(pikepdf.open(raster))
    gone: set[tuple[int, int]] = set()
    for number, raster_page in zip(numbers, rasters.pages, strict=True):
        gone |= _replace_with_raster(pdf, pdf.pages[number - 1], raster_page)
    _forget_page_text(pdf, gone)
    return texts


def _redacted_images(
    source: Path,
    numbers: list[int],
    by_page: dict[int, list[Markup]],
    geometries: list[PageGeometry],
    engine: BrandingEngine,
    texts: dict[int, str],
) -> Iterator[tuple[Image.Image, list[OcrLine]]]:
    """Each redacted page rendered, blacked out and read, one at a time (a 300 dpi page is ~25 MB)."""
    renders = engine.iter_render(source, [(n - 1, False) for n in numbers], DPI)
    for number, image in zip(numbers, renders, strict=True):
        boxes = [
            (geometries[number - 1].rect_to_pixels(m.rect, DPI), m.content)
            for m in by_page[number]
            if m.kind == REDACTION
        ]
        # As the production does: OCR reads the boxes without their labels (white on black reads
        # as noise), then the labels are drawn.
        raster.burn_redactions(image, boxes, labels=False)
        text, lines = engine.ocr_words(image)
        raster.burn_redactions(image, boxes, labels=True)
        texts[number] = text
        yield (image if raster.is_colour(image.reduce(8)) else image.convert("L")), lines


def _replace_with_raster(
    pdf: pikepdf.Pdf, page: pikepdf.Page, raster_page: pikepdf.Page
) -> set[tuple[int, int]]:
    """Empty the page dictionary in place (links and outlines pointing at it keep working) and
    fill it with the raster page, placed so the page keeps its crop box and /Rotate: markup and
    stamps drawn later use the same user space as on any other page. Returns the object ids of
    the annotations that went (their appearances are in the image, under the boxes)."""
    geometry = page_geometry(page)
    annots = page.obj.get("/Annots")
    gone = {a.objgen for a in annots if a.objgen != (0, 0)} if annots is not None else set()
    width, height = geometry.display_size
    raster_width, raster_height = (float(v) for v in raster_page.mediabox[2:4])
    form = pdf.copy_foreign(raster_page.as_form_xobject())
    for key in list(page.obj.keys()):
        if key not in ("/Type", "/Parent"):
            del page.obj[key]  # old contents, /Annots, /Thumb, /StructParents, /PieceInfo...
    box = Array([geometry.left, geometry.bottom, geometry.right, geometry.top])
    page.obj.MediaBox, page.obj.CropBox, page.obj.Rotate = box, box, geometry.rotation
    page.obj.Resources = Dictionary(XObject=Dictionary(NPRedactedPage=form))
    a, b, c, d, e, f = geometry.display_matrix()
    page.obj.Contents = pdf.make_stream(
        b"q %g %g %g %g %.4f %.4f cm %.6f 0 0 %.6f 0 0 cm /NPRedactedPage Do Q\n"
        % (a, b, c, d, e, f, width / raster_width, height / raster_height)
    )
    return gone


def _forget_page_text(pdf: pikepdf.Pdf, gone_annotations: set[tuple[int, int]]) -> None:
    """Document-level copies of what a redacted page said: the structure tree (ActualText, Alt)
    and the form fields whose widgets were on a redacted page (their values)."""
    for key in ("/StructTreeRoot", "/MarkInfo"):
        if key in pdf.Root:
            del pdf.Root[key]
    form = pdf.Root.get("/AcroForm")
    if form is not None and "/Fields" in form:
        form.Fields = Array([f for f in form.Fields if _keep_field(f, gone_annotations)])


def _keep_field(field_obj: pikepdf.Object, gone: set[tuple[int, int]]) -> bool:
    kids = field_obj.get("/Kids")
    if kids is None:
        return field_obj.objgen not in gone
    field_obj.Kids = Array([k for k in kids if _keep_field(k, gone)])
    return len(field_obj.Kids) > 0


# -- 3. stamps, and the file -----------------------------------------------------------------


@contextlib.contextmanager
def _temporary(target: Path) -> Iterator[Path]:
    """A temporary file next to `target` (a rename in the same folder is atomic), gone afterwards
    unless it was renamed."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _save(
    pdf: pikepdf.Pdf, temp: Path, stamped: dict[int, Sequence[Stamp]], stack: contextlib.ExitStack
) -> None:
    if not stamped:
        pdf.save(temp, deterministic_id=True)
        return
    # Stamps are burned by the stamping code itself, from the branded file into the final one.
    branded = stack.enter_context(_temporary(temp))
    pdf.save(branded, deterministic_id=True)
    stamp_pdf(branded, temp, stamped, output="burned", mode="band")


def _page_texts(
    pdf: Path, count: int, changed: list[int], known: dict[int, str], engine: BrandingEngine
) -> list[str]:
    """The text layer of unchanged pages; OCR of the final rendering of changed ones."""
    texts = engine.page_texts(pdf)
    if len(texts) != count:
        raise RuntimeError(f"branding changed the page count from {count} to {len(texts)}")
    to_read = [n for n in changed if n not in known]
    for number, image in zip(
        to_read, engine.iter_render(pdf, [(n - 1, True) for n in to_read], DPI), strict=True
    ):
        texts[number - 1] = engine.ocr(image)
    for number, text in known.items():
        texts[number - 1] = text
    return texts
