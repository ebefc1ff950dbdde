"""Stamps into PDFs, two ways, page by page without rendering anything.

- annotations: one read-only FreeText annotation per stamp, with its own
  appearance stream (so every viewer shows the same thing) and a
  `/NPCustomData << /type (bates_stamp) >>` entry that says which stamp it is;
  `strip_stamps` removes them by type and leaves every other annotation alone.
- burned: the stamp drawn into the page content, wrapped so the page's own
  graphics state cannot leak into it.

Both honour /Rotate and the crop box (stamps sit on the bottom the reader sees)
and, in band mode, grow the page instead of covering its content.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from domain.errors import DocumentEncrypted, DocumentUnreadable, without_paths
from domain.geometry import PageGeometry
from domain.stamp_layout import PageLayout, StampBox, plan_page

ANNOTATION_TYPES = {
    "bates": "bates_stamp",
    "confidentiality": "confidentiality_stamp",
    "exhibit": "exhibit_stamp",
}
FONT_NAME = Name("/NPStampHelv")
FONT_BYTES = b"/NPStampHelv"
MARGIN = 18.0  # points between the page edge and a stamp
PAD = 2.0  # white space around the text inside a stamp's box
FLAGS = 4 | 64 | 128  # Print, ReadOnly, Locked: shown and printed, never edited


@dataclass(frozen=True)
class Stamp:
    stamp_type: str  # 'bates' | 'confidentiality' | 'exhibit' (stamp_details.stamp_type)
    text: str
    position: str
    font_size: float = 10.0


@lru_cache(maxsize=4096)
def _width(text: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, "Helvetica", size)


def measure(text: str, size: float) -> float:
    return _width(text, round(size, 2))


def pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsi with its delimiters escaped (requests refuse other characters)."""
    raw = text.encode("cp1252", "replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def page_geometry(page: pikepdf.Page) -> PageGeometry:
    left, bottom, right, top = (float(v) for v in page.cropbox)
    return PageGeometry(
        min(left, right), min(bottom, top), max(left, right), max(bottom, top), page.rotation % 360
    )


def plan(
    geometry: PageGeometry, stamps: Sequence[Stamp], mode: str, margin: float = MARGIN
) -> tuple[PageLayout, PageGeometry]:
    """Where the stamps go, and the page's geometry once any band was added."""
    width, height = geometry.display_size
    placed = plan_page(
        width, height, [(s.position, s.text, s.font_size) for s in stamps], 10.0, margin, measure, mode
    )
    grown = (
        geometry.extended(placed.band_top, placed.band_bottom)
        if placed.band_top or placed.band_bottom
        else geometry
    )
    return placed, grown


def _text_ops(box: StampBox, x: float, top: float) -> list[bytes]:
    """Lines of one box, `top` being the box's top edge in bottom-left display coordinates."""
    ops = []
    for index, line in enumerate(box.lines):
        baseline = (
            top - (index + 1) * box.line_height + (box.line_height - box.font_size) / 2 + box.font_size * 0.22
        )
        ops.append(
            b"BT %s %.2f Tf %.2f %.2f Td %s Tj ET"
            % (FONT_BYTES, box.font_size, x, baseline, pdf_string(line))
        )
    return ops


def _grow(page: pikepdf.Page, geometry: PageGeometry) -> None:
    box = Array([geometry.left, geometry.bottom, geometry.right, geometry.top])
    page.obj.MediaBox = box
    page.obj.CropBox = box


class _Stamper:
    """Per-document objects shared by every page: the font and the `q` that opens each page."""

    def __init__(self, pdf: pikepdf.Pdf, overlay: bool) -> None:
        self.pdf = pdf
        self.overlay = overlay
        self.font = pdf.make_indirect(
            Dictionary(
                Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding
            )
        )
        self.form_resources = pdf.make_indirect(Dictionary(Font=Dictionary({str(FONT_NAME): self.font})))
        self.open_q = pdf.make_stream(b"q\n")

    def burn(self, page: pikepdf.Page, placed: PageLayout, geometry: PageGeometry) -> None:
        a, b, c, d, e, f = geometry.display_matrix()
        ops = [b"Q q %g %g %g %g %.4f %.4f cm" % (a, b, c, d, e, f)]
        for box in placed.boxes:
            top = placed.height - box.y
            if self.overlay:
                ops.append(
                    b"1 g %.2f %.2f %.2f %.2f re f 0 g"
                    % (box.x - PAD, top - box.height - PAD, box.width + 2 * PAD, box.height + 2 * PAD)
                )
            ops.extend(_text_ops(box, box.x, top))
        ops.append(b"Q\n")
        page.add_resource(self.font, Name.Font, FONT_NAME)
        page.contents_add(self.open_q, prepend=True)
        page.contents_add(self.pdf.make_stream(b"\n" + b"\n".join(ops)))

    def annotate(
        self,
        page: pikepdf.Page,
        placed: PageLayout,
        geometry: PageGeometry,
        stamps: Sequence[Stamp],
        page_number: int,
    ) -> None:
        a, b, c, d, _, _ = geometry.display_matrix()
        annots = page.obj.get("/Annots")
        if annots is None:
            page.obj.Annots = annots = self.pdf.make_indirect(Array())
        for index, (box, stamp) in enumerate(zip(placed.boxes, stamps, strict=True)):
            width, height = box.width + 2 * PAD, box.height + 2 * PAD
            ops = [b"1 g 0 0 %.2f %.2f re f 0 g" % (width, height)] if self.overlay else []
            ops.extend(_text_ops(box, PAD, height - PAD))
            appearance = self.pdf.make_stream(
                b"\n".join(ops),
                Type=Name.XObject,
                Subtype=Name.Form,
                BBox=Array([0, 0, width, height]),
                Matrix=Array([a, b, c, d, 0, 0]),
                Resources=self.form_resources,
            )
            kind = ANNOTATION_TYPES[stamp.stamp_type]
            annots.append(
                self.pdf.make_indirect(
                    Dictionary(
                        Type=Name.Annot,
                        Subtype=Name.FreeText,
                        F=FLAGS,
                        Rect=Array(geometry.display_rect_to_user(box.x - PAD, box.y - PAD, width, height)),
                        Contents=pikepdf.String(stamp.text),
                        DA=pikepdf.String(f"/Helv {box.font_size:.2f} Tf 0 g"),
                        NM=pikepdf.String(f"np-{kind}-p{page_number}-{index}"),
                        BS=Dictionary(W=0),
                        AP=Dictionary(N=appearance),
                        NPCustomData=Dictionary(
                            type=pikepdf.String(kind), source=pikepdf.String("nextpoint")
                        ),
                    )
                )
            )


def open_pdf(path: Path, name: str | None = None) -> pikepdf.Pdf:
    """The PDF, or a typed error naming `name` (default: the file's name). A PDF that opens
    without a password but is still encrypted is refused too: rewriting it would drop the protection."""
    name = name or Path(path).name
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise DocumentEncrypted(file=name) from None
    except pikepdf.PdfError as exc:
        raise DocumentUnreadable(
            file=name, reason=without_paths(str(exc), path, name="the PDF")[:200]
        ) from None
    if pdf.is_encrypted:
        pdf.close()
        raise DocumentEncrypted(file=name)
    return pdf


def stamp_pdf(
    source: Path,
    target: Path,
    pages: Mapping[int, Sequence[Stamp]],
    output: str,
    mode: str = "band",
    margin: float = MARGIN,
    every_page: set[int] | None = None,
) -> tuple[dict[int, PageLayout], int]:
    """Write `source` with its stamps (page numbers are 1-based) to `target`; return each page's
    layout and the page count. `every_page` (the Bates-numbered pages) must be all of them."""
    if output not in ("annotations", "burned"):
        raise ValueError(f"unknown stamp output {output!r}")
    placements: dict[int, PageLayout] = {}
    with open_pdf(source) as pdf:
        count = len(pdf.pages)
        beyond = [n for n in pages if n < 1 or n > count]
        if beyond:
            raise DocumentUnreadable(
                f"The document has {count} pages but stamps are recorded for page {beyond[0]}.",
                file=Path(source).name,
            )
        missing = sorted(set(range(1, count + 1)) - every_page) if every_page else []
        if missing:
            raise DocumentUnreadable(
                f"Its PDF has {count} pages but page {missing[0]} has no Bates number; the PDF "
                "changed after numbering: remove and re-apply the numbers.",
                file=Path(source).name,
            )
        stamper = _Stamper(pdf, overlay=mode == "overlay")
        for number in sorted(pages):
            stamps = pages[number]
            if not stamps:
                continue
            page = pdf.pages[number - 1]
            original = page_geometry(page)
            placed, geometry = plan(original, stamps, mode, margin)
            if geometry != original:
                _grow(page, geometry)
            if output == "burned":
                stamper.burn(page, placed, geometry)
            else:
                stamper.annotate(page, placed, geometry, stamps, number)
            placements[number] = placed
        if not target.parent.is_dir():
            target.parent.mkdir(parents=True)
        # The source's streams pass through as they are; only the small stamp streams are new, so
        # re-compressing the whole file (qpdf's default) would cost 2-3x the time for ~4% of size.
        pdf.save(target, deterministic_id=True, compress_streams=False)
    return placements, count


def stamp_type_of(annotation: pikepdf.Object) -> str | None:
    custom = annotation.get("/NPCustomData")
    if custom is None or "/type" not in custom:
        return None
    return str(custom.type)


def strip_stamps(pdf: pikepdf.Pdf, types: Iterable[str]) -> int:
    """Remove the stamp annotations of the given annotation types; return how many went."""
    wanted = set(types)
    removed = 0
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        keep = [a for a in annots if stamp_type_of(a) not in wanted]
        removed += len(annots) - len(keep)
        if len(keep) != len(annots):
            page.obj.Annots = pdf.make_indirect(Array(keep))
    return removed
