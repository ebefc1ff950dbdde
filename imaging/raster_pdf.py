"""PDFs made of page images, with an optional invisible OCR text layer.

A redacted page is produced (and exchanged) as an image: what a redaction hides must be gone
from the file, not covered. The OCR of the redacted image, laid out as invisible text over the
lines it was read from, keeps the page searchable without bringing the hidden words back.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from imaging.raster import DPI

# A line of OCR text and its pixel box (x0, y0, x1, y1), origin top-left, as engine.ocr_words gives it.
OcrLine = tuple[str, tuple[int, int, int, int]]


def write_raster_pdf(
    target: Path | BinaryIO,
    pages: Iterable[tuple[Image.Image, Sequence[OcrLine]]],
    searchable: bool,
    dpi: int = DPI,
    colour: bool = False,
) -> None:
    """One page per image, sized image / dpi inches; invisible OCR lines over the image when
    `searchable`. Images are stored grey unless `colour` (then RGB images stay RGB).
    `pages` may be a generator: each image is encoded as it comes, so only one is held at a time."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(target if not isinstance(target, Path) else str(target), invariant=1)
    scale = 72 / dpi
    for image, lines in pages:
        width, height = image.width * scale, image.height * scale
        pdf.setPageSize((width, height))
        buffer = io.BytesIO()
        image.convert("RGB" if colour and image.mode != "L" else "L").save(buffer, format="PNG")
        pdf.drawImage(ImageReader(buffer), 0, 0, width=width, height=height)
        if searchable:
            _invisible_text(pdf, lines, scale, height)
        pdf.showPage()
    pdf.save()


def _invisible_text(pdf, lines: Sequence[OcrLine], scale: float, height: float) -> None:
    """Each OCR line stretched over the box it was read from, in render mode 3 (not painted)."""
    text = pdf.beginText()
    text.setTextRenderMode(3)
    for line, (x0, y0, x1, y1) in lines:
        size = max(1.0, (y1 - y0) * scale)
        text.setFont("Helvetica", size)
        natural = pdf.stringWidth(line, "Helvetica", size) or 1
        text.setHorizScale(100 * (x1 - x0) * scale / natural)
        text.setTextOrigin(x0 * scale, height - y1 * scale)
        text.textOut(line)
    pdf.drawText(text)
