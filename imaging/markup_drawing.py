"""Step 2 of branding (imaging/branding.py): highlights, notes and stickers drawn into the page content.

Drawn in display space (upright as the page is shown), so note text and stickers read upright on
a rotated page too; a highlight multiplies, so the text under it stays readable. A markup that
cannot be drawn (a sticker image that does not decode) is named in the problems; the rest is drawn.
"""

from __future__ import annotations

import io
import zlib

import pikepdf
from pikepdf import Dictionary, Name
from PIL import Image, UnidentifiedImageError

from domain.geometry import PageGeometry
from domain.stamp_layout import fit
from imaging.markup import DRAWN, HIGHLIGHT, NOTE, Markup
from imaging.stamp_pdf import measure, page_geometry, pdf_string

HIGHLIGHT_RGB = (1.0, 0.92, 0.23)
HIGHLIGHT_ALPHA = (
    0.5  # with Multiply, text under the yellow stays black; the alpha is for viewers without blend modes
)
NOTE_FILL_RGB = (1.0, 0.97, 0.72)
NOTE_FONT, NOTE_MIN_FONT = 11.0, 5.0
NOTE_MIN_SIZE = (96.0, 36.0)  # a note's rect is often just its icon: grow it so the text can be read
NOTE_PAD, LINE_SPACING = 3.0, 1.2


def draw_markups(pdf: pikepdf.Pdf, by_page: dict[int, list[Markup]], problems: list[str]) -> set[int]:
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
