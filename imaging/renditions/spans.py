"""A PDF's text layer as layout analysis reads it: per page, runs of characters (`Span`s) of one
font, size and weight on one line, in display space (points, origin top-left, after /Rotate), with
the URI of a link annotation they lie under; the page's images with their position (and, when asked,
their pixels as PNG) as figure candidates; bullets drawn as small round or square shapes (Chromium
draws a list's discs) as spans "•" / "◦"; and whether the page has no text at all (a scan the
caller OCRs, imaging/renditions/ocr_spans.py).

A page is read, turned into plain Python values and closed before the next one is opened, so memory
does not grow with the page count. The document is opened by the engine (`open_pdf`): a password,
damage beyond repair or no pages raise its typed errors (DocumentEncrypted, DocumentUnreadable);
a damaged file qpdf can rebuild is read from the rebuilt copy.
"""

from __future__ import annotations

import ctypes
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as c

from domain.errors import DocumentUnreadable
from domain.geometry import PageGeometry
from domain.renditions.layout import LayoutPage, PlacedImage
from domain.renditions.model import Span
from imaging.engine import LocalDocumentEngine

# An image bigger than this many pixels is placed but not extracted (a hostile 40,000 x 40,000 px
# image would need 6 GB); the manifest then asks a person for it like any image without alt text.
MAX_IMAGE_PIXELS = 25_000_000
REOPEN_PAGES = 500  # pages loaded before the document is opened again (see PagesOf)
# Only links a reader may follow safely: javascript:, file: and data: URIs in a hostile PDF are dropped.
_SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
_SUBSET_PREFIX = re.compile(r"^[A-Z]{6}\+")
_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_ITALIC_NAME = re.compile(r"italic|oblique", re.IGNORECASE)
_FORCE_BOLD, _ITALIC_FLAG = 1 << 18, 1 << 6  # PDF font descriptor flags (PDF 32000 9.8.2)
# pdfium reports a hyphen that ends a line as U+0002; a soft hyphen is shown as a hyphen too.
_HYPHENS = {0x02, 0xAD}


@dataclass
class ImageCandidate:
    """An image drawn on a page: where (display space) and, when extracted, its pixels as PNG."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    png: bytes | None = None
    width: int = 0  # pixels of the extracted image
    height: int = 0


@dataclass
class PdfPage:
    page: int  # 1-based
    width: float  # display size in points
    height: float
    spans: list[Span] = field(default_factory=list)
    images: list[ImageCandidate] = field(default_factory=list)
    scanned: bool = False  # no text characters at all: OCR it

    def layout_page(self, assets: dict[int, str] | None = None) -> LayoutPage:
        """The page as layout analysis takes it; `assets` names the file each extracted image
        (by its index in `images`) was saved as."""
        assets = assets or {}
        return LayoutPage(
            page=self.page,
            width=self.width,
            height=self.height,
            spans=self.spans,
            images=[
                PlacedImage(i.x0, i.y0, i.x1, i.y1, asset=assets.get(n), width=i.width, height=i.height)
                for n, i in enumerate(self.images)
            ],
        )


def read_pages(
    engine: LocalDocumentEngine, pdf: Path, *, images: bool = True, pages: list[int] | None = None
) -> Iterator[PdfPage]:
    """Every page (or the 0-based `pages`) of `pdf`, one at a time. `images=False` places images
    without extracting their pixels. Raises DocumentEncrypted / DocumentUnreadable (no pages too)."""
    with PagesOf(engine, pdf) as opened:
        count = len(opened.document)
        if count == 0:
            raise DocumentUnreadable("The PDF has no pages.", reason="no pages")
        for index in pages if pages is not None else range(count):
            if not 0 <= index < count:
                raise DocumentUnreadable(f"Page {index + 1} does not exist.")
            try:
                page = opened.page(index)
            except pdfium.PdfiumError as exc:
                raise DocumentUnreadable(
                    f"Page {index + 1} could not be read.", reason=str(exc)[:200]
                ) from None
            try:
                read = _read_page(opened.document, page, index + 1, images)
            except pdfium.PdfiumError as exc:
                raise DocumentUnreadable(
                    f"Page {index + 1} could not be read.", reason=str(exc)[:200]
                ) from None
            finally:
                page.close()
            yield read


class PagesOf:
    """A PDF open in the engine (its typed errors on opening), whose pages are loaded one by one and
    which is opened again every REOPEN_PAGES pages: pdfium keeps what it parsed for every page it
    loaded (objects, fonts, decoded images: some 13 kB a page of a Chromium print) until the
    document is closed, so a 10,000-page document would otherwise grow by a hundred MB or more."""

    def __init__(self, engine: LocalDocumentEngine, pdf: Path) -> None:
        self.engine, self.pdf = engine, pdf
        self._context = None
        self.document = None  # the open pypdfium2 PdfDocument: do not keep it across `page`
        self.loaded = 0

    def __enter__(self) -> PagesOf:
        self._open()
        return self

    def __exit__(self, *exc) -> None:
        self._close()

    def _open(self) -> None:
        context = self.engine.open_pdf(self.pdf)
        self.document = context.__enter__()
        self._context = context

    def _close(self) -> None:
        context, self._context, self.document = self._context, None, None
        if context is not None:
            context.__exit__(None, None, None)

    def page(self, index: int):
        """Page `index` (a pypdfium2 PdfPage, to close before the next)."""
        if self.loaded >= REOPEN_PAGES:
            self._close()
            self._open()
            self.loaded = 0
        self.loaded += 1
        return self.document[index]


def _read_page(document, page, number: int, with_pixels: bool) -> PdfPage:
    left, bottom, right, top = page.get_cropbox()
    geometry = PageGeometry(left, bottom, right, top, page.get_rotation() % 360)
    width, height = geometry.display_size
    textpage = page.get_textpage()
    try:
        spans, chars = _spans(textpage.raw, number, geometry, _links(document.raw, page.raw))
    finally:
        textpage.close()
    placed, bullets = _objects(document, page, number, geometry, with_pixels, text=chars > 0)
    return PdfPage(number, width, height, spans + bullets, placed, scanned=chars == 0)


def _display_box(geometry: PageGeometry, left: float, bottom: float, right: float, top: float):
    (ax, ay), (bx, by) = geometry.to_display(left, bottom), geometry.to_display(right, top)
    return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


def _links(raw_document, raw_page) -> list[tuple[tuple[float, float, float, float], str]]:
    """The page's link annotations with a URI action: (user-space rect, uri); the first 500 (each
    character is tested against each link)."""
    found = []
    position = ctypes.c_int(0)
    link = c.FPDF_LINK()
    while len(found) < 500 and c.FPDFLink_Enumerate(raw_page, ctypes.byref(position), ctypes.byref(link)):
        action = c.FPDFLink_GetAction(link)
        if not action or c.FPDFAction_GetType(action) != c.PDFACTION_URI:
            continue
        size = c.FPDFAction_GetURIPath(raw_document, action, None, 0)
        if size <= 1 or size > 8192:
            continue
        buffer = ctypes.create_string_buffer(size)
        c.FPDFAction_GetURIPath(raw_document, action, buffer, size)
        uri = buffer.value.decode("latin-1").strip()
        rect = c.FS_RECTF()
        if _SAFE_LINK.match(uri) and c.FPDFLink_GetAnnotRect(link, ctypes.byref(rect)):
            box = (min(rect.left, rect.right), min(rect.bottom, rect.top))
            box += (max(rect.left, rect.right), max(rect.bottom, rect.top))
            found.append((box, uri))
    return found


class _Styles:
    """Font name, size as printed, bold and italic of a character, asked of pdfium once per text
    object (its characters share font, size and matrix) and once per font."""

    def __init__(self, raw_textpage) -> None:
        self._textpage = raw_textpage
        self._objects: dict[int, tuple[str, float, bool, bool]] = {}
        self._fonts: dict[int, tuple[str, bool, bool]] = {}
        self._matrix = c.FS_MATRIX()

    def of(self, index: int) -> tuple[str, float, bool, bool]:
        obj = c.FPDFText_GetTextObject(self._textpage, index)
        key = ctypes.cast(obj, ctypes.c_void_p).value or 0
        known = self._objects.get(key)
        if known is None or not key:
            # The font size as set (Tf) times the scale of the character's matrix: the size as printed.
            size = abs(c.FPDFText_GetFontSize(self._textpage, index))
            if c.FPDFText_GetMatrix(self._textpage, index, ctypes.byref(self._matrix)):
                m = self._matrix
                size *= abs(m.a * m.d - m.b * m.c) ** 0.5 or 1.0
            name, bold, italic = self._font(c.FPDFTextObj_GetFont(obj) if obj else None)
            known = self._objects[key] = (name, round(size, 1), bold, italic)
        return known

    def _font(self, font) -> tuple[str, bool, bool]:
        key = ctypes.cast(font, ctypes.c_void_p).value or 0 if font else 0
        if key not in self._fonts:
            name, flags, weight = "", 0, -1
            if font:
                length = c.FPDFFont_GetBaseFontName(font, None, 0)
                if 0 < length < 1024:
                    buffer = ctypes.create_string_buffer(length)
                    c.FPDFFont_GetBaseFontName(font, buffer, length)
                    name = _SUBSET_PREFIX.sub("", buffer.value.decode("latin-1"))
                flags = c.FPDFFont_GetFlags(font)
                weight = c.FPDFFont_GetWeight(font)
            bold = bool(_BOLD_NAME.search(name)) or weight >= 600 or (flags > 0 and bool(flags & _FORCE_BOLD))
            italic = bool(_ITALIC_NAME.search(name)) or (flags > 0 and bool(flags & _ITALIC_FLAG))
            self._fonts[key] = (name, bold, italic)
        return self._fonts[key]


def _spans(raw_textpage, number: int, geometry: PageGeometry, links) -> tuple[list[Span], int]:
    """The page's spans and how many non-blank characters it has."""
    styles = _Styles(raw_textpage)
    spans: list[Span] = []
    text: list[str] = []
    box = [0.0, 0.0, 0.0, 0.0]  # x0, y0, x1, y1 of the current span
    last: tuple | None = None  # style key of the current span
    previous: tuple[float, float, float, float] | None = None  # box of the last non-blank character
    chars = 0
    rect = c.FS_RECTF()
    rect_ref = ctypes.byref(rect)
    upright = geometry.rotation == 0
    left_edge, top_edge = geometry.left, geometry.top

    def flush() -> None:
        value = " ".join("".join(text).split())
        if value and last is not None:
            name, size, bold, italic, link = last
            spans.append(Span(number, value, *box, size=size, bold=bold, italic=italic, font=name, link=link))
        text.clear()

    for index in range(c.FPDFText_CountChars(raw_textpage)):
        code = c.FPDFText_GetUnicode(raw_textpage, index)
        char = "-" if code in _HYPHENS else (chr(code) if 0 < code < 0x110000 else "")
        if not char or char.isspace() or not char.isprintable():
            if text and (char.isspace() or char in "\r\n"):
                text.append(" ")
            continue
        chars += 1
        if not c.FPDFText_GetLooseCharBox(raw_textpage, index, rect_ref):
            continue
        name, size, bold, italic = styles.of(index)
        if upright:  # most pages: no need for the general transform
            here = (
                rect.left - left_edge,
                top_edge - rect.top,
                rect.right - left_edge,
                top_edge - rect.bottom,
            )
        else:
            here = _display_box(geometry, rect.left, rect.bottom, rect.right, rect.top)
        if here[3] - here[1] <= 0 or (size and here[3] - here[1] > 3 * size):
            # A font with broken ascent/descent metrics: the glyph's own box.
            left, bottom, right, top = (ctypes.c_double() for _ in range(4))
            c.FPDFText_GetCharBox(raw_textpage, index, left, right, bottom, top)
            here = _display_box(geometry, left.value, bottom.value, right.value, top.value)
        if not size:
            size = round(here[3] - here[1], 1) or 1.0
        link = None
        if links:
            centre_x, centre_y = (rect.left + rect.right) / 2, (rect.bottom + rect.top) / 2
            link = next(
                (uri for (x0, y0, x1, y1), uri in links if x0 <= centre_x <= x1 and y0 <= centre_y <= y1),
                None,
            )
        key = (name, size, bold, italic, link)  # a span never straddles a link's edge
        if previous is not None and (key != last or not _same_line(previous, here, size, box[0])):
            flush()
        if not text:
            box[:] = here
            last = key
        else:
            if here[0] < box[0]:
                box[0] = here[0]
            if here[1] < box[1]:
                box[1] = here[1]
            if here[2] > box[2]:
                box[2] = here[2]
            if here[3] > box[3]:
                box[3] = here[3]
        text.append(char)
        previous = here
    flush()
    return spans, chars


def _same_line(previous, here, size: float, start: float) -> bool:
    """`here` continues the line of `previous`: their vertical bands overlap by half the smaller
    one, it follows on in the writing direction (right of the last character, or left of the run
    for right-to-left text), and no gap over 0.9 of a font size (a column gutter or a
    table's cell gap) lies between them."""
    overlap = min(previous[3], here[3]) - max(previous[1], here[1])
    smaller = min(previous[3] - previous[1], here[3] - here[1])
    if smaller <= 0 or overlap < 0.5 * smaller:
        return False
    reach = max(0.9 * size, 1.0)  # as layout analysis cuts segments: a wider gap is a cell or a gutter
    left_to_right = previous[2] - 0.5 * size <= here[0] <= previous[2] + reach
    # Hebrew, Arabic: the next character (or the next word, when a producer writes each word's
    # characters left to right) lies left of the run so far.
    right_to_left = start - reach <= here[2] <= start + 0.5 * size
    return left_to_right or right_to_left


def _objects(document, page, number: int, geometry: PageGeometry, with_pixels: bool, text: bool):
    """The images the page draws, in form XObjects too, in content order; and, on a page with text,
    its bullets drawn as small round or square shapes (Chromium draws a list's discs as paths) as
    spans "•" (filled) or "◦" (outlined), so layout analysis sees the list."""
    found: list[ImageCandidate] = []
    bullets: list[Span] = []
    identity = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

    def bounds(obj, matrix):
        left, bottom, right, top = (ctypes.c_float() for _ in range(4))
        if not c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
            return None
        corners = [_apply(matrix, x, y) for x in (left.value, right.value) for y in (bottom.value, top.value)]
        xs, ys = [p[0] for p in corners], [p[1] for p in corners]
        return _display_box(geometry, min(xs), min(ys), max(xs), max(ys))

    def walk(objects, matrix) -> None:
        for obj in objects:
            kind = c.FPDFPageObj_GetType(obj)
            if kind == c.FPDF_PAGEOBJ_FORM:
                own = c.FS_MATRIX()
                inner = matrix
                if c.FPDFPageObj_GetMatrix(obj, ctypes.byref(own)):
                    inner = _multiply((own.a, own.b, own.c, own.d, own.e, own.f), matrix)
                count = c.FPDFFormObj_CountObjects(obj)
                if count > 0 and len(found) < 1000:
                    walk((c.FPDFFormObj_GetObject(obj, i) for i in range(count)), inner)
            elif kind == c.FPDF_PAGEOBJ_IMAGE and len(found) < 1000:
                box = bounds(obj, matrix)
                if box is not None:
                    candidate = ImageCandidate(number, *box)
                    if with_pixels:
                        _extract(document, page, obj, candidate)
                    found.append(candidate)
            elif kind == c.FPDF_PAGEOBJ_PATH and text and len(bullets) < 500:
                box = bounds(obj, matrix)
                if box is None:
                    continue
                w, h = box[2] - box[0], box[3] - box[1]
                if 1.5 <= w <= 8 and 1.5 <= h <= 8 and 0.6 <= w / h <= 1.6:
                    fill, stroke = ctypes.c_int(), ctypes.c_int()
                    c.FPDFPath_GetDrawMode(obj, fill, stroke)
                    mark = "•" if fill.value else "◦" if stroke.value else None
                    if mark:
                        bullets.append(Span(number, mark, *box, size=round(2.5 * h, 1)))

    raw_page = page.raw
    walk((c.FPDFPage_GetObject(raw_page, i) for i in range(c.FPDFPage_CountObjects(raw_page))), identity)
    return found, bullets


def _multiply(inner, outer):
    """The matrix that applies `inner` and then `outer` (PDF row-vector convention)."""
    a, b, c_, d, e, f = inner
    A, B, C, D, E, F = outer
    return (
        a * A + b * C,
        a * B + b * D,
        c_ * A + d * C,
        c_ * B + d * D,
        e * A + f * C + E,
        e * B + f * D + F,
    )


def _apply(matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c_, d, e, f = matrix
    return x * a + y * c_ + e, x * b + y * d + f


def _extract(document, page, obj, candidate: ImageCandidate) -> None:
    """The image's pixels as PNG at its own resolution: as drawn (soft mask applied) when pdfium can
    render it, else as decoded; nothing for an image over MAX_IMAGE_PIXELS or one pdfium cannot decode."""
    pixels_w, pixels_h = ctypes.c_uint(), ctypes.c_uint()
    if not c.FPDFImageObj_GetImagePixelSize(obj, pixels_w, pixels_h):
        return
    if not 0 < pixels_w.value * pixels_h.value <= MAX_IMAGE_PIXELS:
        return
    image_object = pdfium.PdfImage(obj, page=page, pdf=document)
    try:
        try:
            bitmap = image_object.get_bitmap(render=True)
        except (pdfium.PdfiumError, ZeroDivisionError):
            bitmap = image_object.get_bitmap(render=False)
        # pdfium's own bitmap: freed when the wrapper is collected (closing it by hand is unsafe).
        if bitmap.width * bitmap.height > 2 * MAX_IMAGE_PIXELS:
            return
        image = bitmap.to_pil()
        if image.mode not in ("1", "L", "RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.mode else "RGB")
        out = io.BytesIO()
        image.save(out, "PNG")
        candidate.png, candidate.width, candidate.height = out.getvalue(), image.width, image.height
    except (ValueError, OSError, pdfium.PdfiumError):
        return
