"""Brand review markup and stamps into the copy of a document that goes to another case.

The order is fixed, so that overlaps come out right:

1. redactions: a redacted page is replaced by its 300 dpi image with the black boxes burned in,
   plus an invisible OCR text layer of that image. Covering text with a box would leave it in
   the file; rasterising removes it. Nothing drawn earlier survives under a box.
2. highlights, notes, stickers: drawn into the page content (on top of any redaction).
3. stamps (Bates, confidentiality, exhibit): burned last by domain.stamping, in band mode.

Every page without a redaction keeps its own vector content, text layer and annotations; page
count and order never change. Markup rectangles are PDF user space (origin bottom-left, before
/Rotate), like annotations.rect and production redactions.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import tempfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pikepdf
from pikepdf import Array, Dictionary, Name
from PIL import Image, UnidentifiedImageError

from domain.geometry import PageGeometry
from domain.stamp_layout import fit
from imaging import raster
from imaging.raster_pdf import OcrLine, write_raster_pdf
from imaging.stamp_pdf import Stamp, measure, open_pdf, page_geometry, pdf_string, stamp_pdf

REDACTION, HIGHLIGHT, NOTE, STICKER = "redaction", "highlight", "note", "sticker"
DRAWN = (HIGHLIGHT, NOTE, STICKER)  # drawn after redactions, in this order
KINDS = (REDACTION, *DRAWN)
DPI = raster.DPI  # the production's resolution: the same redacted pages either way

HIGHLIGHT_RGB = (1.0, 0.92, 0.23)
HIGHLIGHT_ALPHA = (
    0.5  # with Multiply, text under the yellow stays black; the alpha is for viewers without blend modes
)
NOTE_FILL_RGB = (1.0, 0.97, 0.72)
NOTE_FONT, NOTE_MIN_FONT = 11.0, 5.0
NOTE_MIN_SIZE = (96.0, 36.0)  # a note's rect is often just its icon: grow it so the text can be read
NOTE_PAD, LINE_SPACING = 3.0, 1.2


@dataclass(frozen=True)
class Markup:
    kind: str  # 'redaction' | 'highlight' | 'note' | 'sticker'
    page_number: int  # 1-based
    rect: tuple[float, float, float, float]  # x0, y0, x1, y1 in PDF points, user space (before /Rotate)
    content: str | None = None  # note text; redaction reason label (may be None)
    image: bytes | None = None  # sticker image (PNG/JPEG); None when the image is missing


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
        by_page = _markups_by_page(markups, count, problems)
        stamped = _stamps_by_page(stamps, count, problems)
        redacted = _redact(pdf, source, by_page, engine, stack)  # page -> OCR text of the redacted image
        drawn = _draw(pdf, by_page, problems)
        temp = stack.enter_context(_temporary(target))
        _save(pdf, temp, stamped, stack)
        changed = sorted(set(redacted) | drawn | set(stamped))
        # A redacted page nothing was drawn on afterwards reads as its OCR already did.
        known = {n: text for n, text in redacted.items() if n not in drawn and n not in stamped}
        texts = _page_texts(temp, count, changed, known, engine)
        os.replace(temp, target)
    return BrandResult(texts, changed, sorted(redacted), problems)


# -- what goes where ---------------------------------------------------------------------------


def _markups_by_page(markups: Sequence[Markup], count: int, problems: list[str]) -> dict[int, list[Markup]]:
    by_page: dict[int, list[Markup]] = {}
    for markup in markups:
        problem = _markup_problem(markup, count)
        if problem:
            problems.append(f"page {markup.page_number}: {problem}; not branded")
        else:
            by_page.setdefault(markup.page_number, []).append(markup)
    return by_page


def _markup_problem(markup: Markup, count: int) -> str | None:
    if markup.kind not in KINDS:
        return f"unknown markup kind {markup.kind!r}"
    if not 1 <= markup.page_number <= count:
        return f"a {markup.kind} is on page {markup.page_number} but the document has {count} pages"
    if len(markup.rect) != 4 or not all(math.isfinite(v) for v in markup.rect):
        return f"a {markup.kind} has an invalid rectangle {markup.rect!r}"
    if markup.kind == STICKER and not markup.image:
        return "a sticker has no image"
    return None


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
                f"page {number}: stamps are recorded for page {number} but the document has {count} pages; not stamped"
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


# -- 2. highlights, notes, stickers: drawn into the page content ---------------------------------


def _draw(pdf: pikepdf.Pdf, by_page: dict[int, list[Markup]], problems: list[str]) -> set[int]:
    """Draw every page's highlights, then notes, then stickers; the pages that changed."""
    shared = _SharedResources(pdf)
    changed = set()
    for number in sorted(by_page):
        marks = [m for kind in DRAWN for m in by_page[number] if m.kind == kind]
        if not marks:
            continue
        painter = _PagePainter(pdf, pdf.pages[number - 1], shared)
        for markup in marks:
            problem = painter.draw(markup)
            if problem:
                problems.append(f"page {number}: {problem}; not branded")
        if painter.finish():
            changed.add(number)
    return changed


class _SharedResources:
    """Objects every page can use, made once per document."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.font = pdf.make_indirect(
            Dictionary(
                Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding
            )
        )
        self.highlight = pdf.make_indirect(
            Dictionary(Type=Name.ExtGState, BM=Name.Multiply, ca=HIGHLIGHT_ALPHA, CA=HIGHLIGHT_ALPHA)
        )


class _PagePainter:
    """Collects one page's drawing in display space (origin bottom-left of the page as shown,
    upright), so note text and stickers read upright on a rotated page too."""

    def __init__(self, pdf: pikepdf.Pdf, page: pikepdf.Page, shared: _SharedResources) -> None:
        self.pdf, self.page, self.shared = pdf, page, shared
        self.geometry = page_geometry(page)
        self.ops: list[bytes] = []
        self.names: dict[str, bytes] = {}  # stem -> name of a shared resource on this page

    def draw(self, markup: Markup) -> str | None:
        """Add one markup's drawing; a reason when it cannot be drawn."""
        box = _display_box(self.geometry, markup.rect)
        if markup.kind == HIGHLIGHT:
            self._highlight(box)
        elif markup.kind == NOTE:
            self._note(box, markup.content or "")
        else:
            return self._sticker(box, markup.image or b"")
        return None

    def finish(self) -> bool:
        """Put the drawing on the page, after its content; False when there was nothing to draw."""
        if not self.ops:
            return False
        a, b, c, d, e, f = self.geometry.display_matrix()
        # The page's own content is wrapped in q/Q so its graphics state cannot leak into ours.
        self.page.contents_add(self.pdf.make_stream(b"q\n"), prepend=True)
        self.page.contents_add(
            self.pdf.make_stream(
                b"\nQ q %g %g %g %g %.4f %.4f cm\n" % (a, b, c, d, e, f) + b"\n".join(self.ops) + b"\nQ\n"
            )
        )
        return True

    def _highlight(self, box: tuple[float, float, float, float]) -> None:
        gs = self._resource(self.shared.highlight, Name.ExtGState, "NPBrandHighlight")
        self.ops.append(b"q %s gs %.3f %.3f %.3f rg %.2f %.2f %.2f %.2f re f Q" % (gs, *HIGHLIGHT_RGB, *box))

    def _note(self, box: tuple[float, float, float, float], text: str) -> None:
        x, y, width, height = self._note_box(box)
        size, lines = _note_lines(text, width - 2 * NOTE_PAD, height - 2 * NOTE_PAD)
        font = self._resource(self.shared.font, Name.Font, "NPBrandHelv")
        ops = [
            b"q %.3f %.3f %.3f rg 0.4 G 0.5 w %.2f %.2f %.2f %.2f re B 0 g"
            % (*NOTE_FILL_RGB, x, y, width, height)
        ]
        top = y + height - NOTE_PAD
        for index, line in enumerate(lines):
            baseline = top - size * (index + 1) * LINE_SPACING + size * 0.2 * LINE_SPACING
            ops.append(
                b"BT %s %.2f Tf %.2f %.2f Td %s Tj ET"
                % (font, size, x + NOTE_PAD, baseline, pdf_string(line))
            )
        ops.append(b"Q")
        self.ops.extend(ops)

    def _note_box(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """The rect, grown to a readable size from its top-left corner, kept on the page."""
        x, bottom, width, height = box
        top = bottom + height
        page_width, page_height = self.geometry.display_size
        width, height = (
            min(max(width, NOTE_MIN_SIZE[0]), page_width),
            min(max(height, NOTE_MIN_SIZE[1]), page_height),
        )
        x = min(max(0.0, x), page_width - width)
        top = min(max(top, height), page_height)
        return x, top - height, width, height

    def _sticker(self, box: tuple[float, float, float, float], data: bytes) -> str | None:
        try:
            image, size = _image_xobject(self.pdf, data)
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
            return f"a sticker's image cannot be read ({type(exc).__name__})"
        name = self._resource(image, Name.XObject, "NPBrandImage", shared=False)
        x, y, width, height = _fit_inside(box, size)
        self.ops.append(b"q %.4f 0 0 %.4f %.4f %.4f cm %s Do Q" % (width, height, x, y, name))
        return None

    def _resource(self, obj: pikepdf.Object, kind: Name, stem: str, shared: bool = True) -> bytes:
        """A page resource name for `obj` that clashes with nothing on the page (an earlier
        branding of the same document may have used ours)."""
        if shared and stem in self.names:
            return self.names[stem]
        taken = {
            str(key)
            for group in self.page.resources.values()
            if isinstance(group, Dictionary)
            for key in group
        }
        number = 0
        while f"/{stem}{number}" in taken:
            number += 1
        name = str(self.page.add_resource(obj, kind, Name(f"/{stem}{number}"))).encode("ascii")
        self.names[stem] = name
        return name


def _display_box(
    geometry: PageGeometry, rect: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """A user-space rect as (x, y, width, height) in display space with origin bottom-left."""
    (ax, ay), (bx, by) = geometry.to_display(rect[0], rect[1]), geometry.to_display(rect[2], rect[3])
    x0, x1 = sorted((ax, bx))
    top, bottom = sorted((ay, by))
    _, page_height = geometry.display_size
    return x0, page_height - bottom, x1 - x0, bottom - top


def _note_lines(text: str, width: float, height: float) -> tuple[float, list[str]]:
    """The largest font size (down to NOTE_MIN_FONT) at which the wrapped text fits the box;
    text that still does not fit is cut with an ellipsis."""
    size, lines = fit(text, width, NOTE_FONT, NOTE_MIN_FONT, measure)
    while len(lines) * size * LINE_SPACING > height and size > NOTE_MIN_FONT:
        size, lines = fit(text, width, max(NOTE_MIN_FONT, size * 0.9), NOTE_MIN_FONT, measure)
    room = max(1, int(height // (size * LINE_SPACING)))
    if len(lines) > room:
        lines = [*lines[: room - 1], lines[room - 1] + "\u2026"]
    return size, lines


def _fit_inside(
    box: tuple[float, float, float, float], size: tuple[int, int]
) -> tuple[float, float, float, float]:
    """The image's box inside `box`, as large as fits with its aspect ratio kept, centred."""
    x, y, width, height = box
    scale = min(width / size[0], height / size[1])
    shown_width, shown_height = size[0] * scale, size[1] * scale
    return x + (width - shown_width) / 2, y + (height - shown_height) / 2, shown_width, shown_height


def _image_xobject(pdf: pikepdf.Pdf, data: bytes) -> tuple[pikepdf.Stream, tuple[int, int]]:
    """An Image XObject of PNG/JPEG bytes: a plain JPEG passes through as it is; anything else
    becomes Flate-compressed RGB (or grey), its transparency a soft mask."""
    image = Image.open(io.BytesIO(data))
    image.load()
    if image.format == "JPEG" and image.mode in ("RGB", "L"):
        return _image_stream(pdf, data, image, Name.DCTDecode), image.size
    alpha = None
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        alpha = image.getchannel("A")
    image = image.convert("L" if image.mode in ("L", "1", "I", "I;16") else "RGB")
    stream = _image_stream(pdf, zlib.compress(image.tobytes()), image, Name.FlateDecode)
    if alpha is not None:
        stream.SMask = _image_stream(pdf, zlib.compress(alpha.tobytes()), alpha, Name.FlateDecode)
    return stream, image.size


def _image_stream(pdf: pikepdf.Pdf, encoded: bytes, image: Image.Image, codec: Name) -> pikepdf.Stream:
    return pikepdf.Stream(
        pdf,
        encoded,
        Type=Name.XObject,
        Subtype=Name.Image,
        Width=image.width,
        Height=image.height,
        BitsPerComponent=8,
        Filter=codec,
        ColorSpace=Name.DeviceGray if image.mode == "L" else Name.DeviceRGB,
    )


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
