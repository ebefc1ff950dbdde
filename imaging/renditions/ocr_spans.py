"""A scanned page (no text layer) as spans, so the same layout analysis reads it: the page is
rendered by the engine at 300 dpi and read by the engine's tesseract (imaging/ocr.py `ocr_lines`:
the same per-thread API and settings as every other OCR in the platform).

Each line's words become runs (words closer than 0.9 x the line's size), in points from the top-left
of the page as shown, with the line's estimated size (tesseract's row height, ascender to descender,
which is close to the font size) so heading sizes, columns and tables are found as on a text page.
OCR gives no weights: nothing is bold or italic, so headings come from size alone.

An engine that cannot OCR (no tesserocr, no language data, tesseract failing to start) raises
`OcrUnavailable`; `layout_pages` then gives the remaining scanned pages without text (their scan is
kept as a figure) and says they were not read by OCR, so the caller can ask a person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from PIL import Image

from domain.errors import SettingsError
from domain.log import get_logger
from domain.renditions.layout import LayoutPage, shown_as_figure
from domain.renditions.model import Span
from imaging.engine import LocalDocumentEngine
from imaging.renditions.spans import ImageCandidate, PdfPage, read_pages

OCR_DPI = 300
log = get_logger("renditions")


class OcrUnavailable(Exception):
    """The engine cannot OCR at all (not: this page held nothing to read)."""


def ocr_page(engine: LocalDocumentEngine, pdf: Path, page: PdfPage, dpi: int = OCR_DPI) -> PdfPage:
    """`page` (as read by spans.read_pages, flagged scanned) with spans read by OCR; its images
    (the scan itself) are kept for the layout to judge. Raises `OcrUnavailable`."""
    image = engine.render_page(pdf, page.page - 1, dpi, grayscale=True)
    try:
        spans = ocr_spans(engine, image, page.page, dpi)
    finally:
        image.close()
    return PdfPage(page.page, page.width, page.height, spans, page.images, scanned=True)


def ocr_spans(engine: LocalDocumentEngine, image: Image.Image, page: int, dpi: int = OCR_DPI) -> list[Span]:
    """The words tesseract reads in `image` (a page rendered at `dpi`) as spans in points."""
    scale = 72.0 / dpi
    spans: list[Span] = []
    try:
        lines = engine.ocr_lines(image)
    except (ImportError, SettingsError) as exc:  # no tesserocr, no language data
        raise OcrUnavailable(type(exc).__name__) from exc
    except RuntimeError as exc:  # tesserocr: "Failed to init API, possibly an invalid tessdata path"
        raise OcrUnavailable(str(exc)[:200]) from exc
    for size_px, words in lines:
        line_height = max(box[3] for _, box in words) - min(box[1] for _, box in words)
        size = round((size_px if size_px > 0 else line_height) * scale, 1) or 1.0
        run: list[tuple[str, tuple[int, int, int, int]]] = []
        for word in words:
            if run and (word[1][0] - run[-1][1][2]) * scale > 0.9 * size:
                spans.append(_span(run, page, size, scale))
                run = []
            run.append(word)
        if run:
            spans.append(_span(run, page, size, scale))
    return spans


def _span(run: list[tuple[str, tuple[int, int, int, int]]], page: int, size: float, scale: float) -> Span:
    return Span(
        page,
        " ".join(text for text, _ in run),
        min(box[0] for _, box in run) * scale,
        min(box[1] for _, box in run) * scale,
        max(box[2] for _, box in run) * scale,
        max(box[3] for _, box in run) * scale,
        size=size,
        font="ocr",
    )


def layout_pages(
    engine: LocalDocumentEngine,
    pdf: Path,
    save_image: Callable[[ImageCandidate], str | None] | None = None,
    ocr: bool = True,
) -> Iterator[tuple[LayoutPage, bool]]:
    """Every page of `pdf` as layout analysis takes it, and whether it was read by OCR (a page with
    no text layer, when `ocr` and the engine can: once it cannot, the rest are given unread, with
    no text). `save_image` stores an extracted image and names its asset (None: images are placed
    but not extracted); pixels are let go as soon as it returns, so memory stays per page. Raises
    the typed errors of `read_pages`."""
    for page in read_pages(engine, pdf, images=save_image is not None):
        if page.scanned and ocr:
            try:
                page = ocr_page(engine, pdf, page)
            except OcrUnavailable as exc:
                log.warning(f"OCR is not available, scanned pages are left unread: {exc}")
                ocr = False
        assets = {}
        for n, image in enumerate(page.images):
            figure = shown_as_figure(image, page.width, page.height, bool(page.spans))
            if save_image is not None and image.png is not None and figure:
                name = save_image(image)
                if name:
                    assets[n] = name
            image.png = None
        yield page.layout_page(assets), page.scanned and ocr
