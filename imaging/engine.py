"""Document engine: page counts, text layers, rendering, PDF editing and OCR.

`DocumentEngine` is the interface every capability uses; `LocalDocumentEngine`
runs in-process (pypdfium2 for reading and rendering, pikepdf for editing,
tesserocr for OCR, in imaging/ocr.py). A remote engine (a document-engine service) can be plugged
in by implementing the same protocol.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

from domain.errors import DocumentEncrypted, DocumentUnreadable, without_paths
from domain.geometry import PageGeometry
from imaging.ocr import TesseractOcr


class DocumentEngine(Protocol):
    def page_count(self, pdf: Path) -> int: ...
    def repair_note(self, pdf: Path) -> str | None: ...
    def page_texts(self, pdf: Path) -> list[str]: ...
    def page_sizes(self, pdf: Path) -> list[tuple[float, float, int]]: ...
    def page_geometries(self, pdf: Path) -> list[PageGeometry]: ...
    def text_in_rect(self, pdf: Path, page_index: int, rect: tuple[float, float, float, float]) -> str: ...
    def words_with_boxes(
        self, pdf: Path, page_index: int
    ) -> list[tuple[str, tuple[float, float, float, float]]]: ...
    def find_text(
        self, pdf: Path, page_index: int, needle: str
    ) -> list[tuple[float, float, float, float]]: ...
    def render_page(self, pdf: Path, page_index: int, dpi: int, grayscale: bool = False) -> Image.Image: ...
    def iter_render(
        self,
        pdf: Path,
        requests: list[tuple[int, bool]],
        dpi: int,
        page_dpi: Mapping[int, float] | None = None,
    ) -> Iterator[Image.Image]: ...
    def iter_render_bilevel_gray(
        self, pdf: Path, pages: list[int], dpi: int, page_dpi: Mapping[int, float] | None = None
    ) -> Iterator[np.ndarray]: ...
    def grey_only_pages(self, pdf: Path, pages: list[int]) -> list[bool]: ...
    def ocr(self, image: Image.Image, detect_orientation: bool = False) -> str: ...
    def ocr_words(self, image: Image.Image) -> tuple[str, list[tuple[str, tuple[int, int, int, int]]]]: ...
    def ocr_word_boxes(
        self, image: Image.Image, detect_orientation: bool = False
    ) -> list[tuple[str, tuple[int, int, int, int]]]: ...


class LocalDocumentEngine(TesseractOcr):
    """In-process engine. OCR engines are created once per thread and reused.

    pdfium is not thread-safe: every open document holds a process-wide
    re-entrant lock, so threads take turns while one thread may nest calls.
    """

    _pdfium_lock = threading.RLock()

    @contextmanager
    def open_pdf(self, pdf: Path):
        """The document, open in pdfium. A file pdfium refuses is classified by qpdf (pikepdf):
        password-protected, empty or beyond repair raise typed errors that name no local path;
        one qpdf can rebuild (a lost xref, a cut-off end, bytes in front of %PDF) is opened from
        qpdf's rebuilt copy, in memory, so every reader sees the same repaired document."""
        import pypdfium2 as pdfium

        with self._pdfium_lock:
            try:
                document = pdfium.PdfDocument(str(pdf))
            except pdfium.PdfiumError as exc:
                repaired = self._repaired(pdf, exc)
                try:
                    document = pdfium.PdfDocument(repaired)
                except pdfium.PdfiumError as again:
                    raise DocumentUnreadable(reason=without_paths(str(again), pdf, name="the PDF")) from None
            try:
                yield document
            finally:
                document.close()

    def repair_note(self, pdf: Path) -> str | None:
        """Why the document had to be rebuilt before it could be read, or None when it opens as it is."""
        import pypdfium2 as pdfium

        with self._pdfium_lock:
            try:
                pdfium.PdfDocument(str(pdf)).close()
                return None
            except pdfium.PdfiumError as exc:
                self._repaired(pdf, exc)  # raises when it cannot be rebuilt
                return (
                    f"the PDF is damaged ({without_paths(str(exc), pdf, name='the PDF')}); "
                    "qpdf rebuilt it and the rebuilt copy was produced"
                )

    @staticmethod
    def _repaired(pdf: Path, exc: Exception) -> bytes:
        """qpdf's rebuilt copy of a PDF pdfium refused, or the typed reason it cannot be read.
        pdfium's own error code is process-global and can be stale, so qpdf classifies."""
        import pikepdf

        try:
            with pikepdf.open(pdf) as document:
                if len(document.pages) == 0:
                    raise DocumentUnreadable("The PDF has no pages.", reason="no pages")
                out = io.BytesIO()
                document.save(out)
                return out.getvalue()
        except pikepdf.PasswordError:
            raise DocumentEncrypted() from None
        except pikepdf.PdfError as error:
            raise DocumentUnreadable(reason=without_paths(str(error), pdf, name="the PDF")[:200]) from None
        except (
            RuntimeError,
            ValueError,
            KeyError,
            TypeError,
        ) as error:  # qpdf gave up while writing the rebuilt copy
            raise DocumentUnreadable(
                reason=without_paths(f"{exc}; {error}", pdf, name="the PDF")[:200]
            ) from None

    def page_count(self, pdf: Path) -> int:
        try:
            with self.open_pdf(pdf) as document:
                return len(document)
        except DocumentUnreadable as exc:
            if exc.context.get("reason") == "no pages":
                return 0
            raise

    def page_sizes(self, pdf: Path) -> list[tuple[float, float, int]]:
        """(width, height, rotation) of every page, in points, as displayed before rotation."""
        with self.open_pdf(pdf) as document:
            return [(page.get_width(), page.get_height(), page.get_rotation()) for page in document]

    def page_geometries(self, pdf: Path) -> list[PageGeometry]:
        with self.open_pdf(pdf) as document:
            out = []
            for page in document:
                left, bottom, right, top = page.get_cropbox()
                out.append(PageGeometry(left, bottom, right, top, page.get_rotation() % 360))
                page.close()
            return out

    @contextmanager
    def _text_page(self, pdf: Path, page_index: int):
        """One page's text layer, closed afterwards; None for a page the document does not have."""
        with self.open_pdf(pdf) as document:
            if not 0 <= page_index < len(document):
                yield None
                return
            page = document[page_index]
            textpage = page.get_textpage()
            try:
                yield textpage
            finally:
                textpage.close()
                page.close()

    def text_in_rect(self, pdf: Path, page_index: int, rect: tuple[float, float, float, float]) -> str:
        """The text layer's characters inside a user-space rectangle (what a redaction hides)."""
        with self._text_page(pdf, page_index) as textpage:
            if textpage is None:
                raise DocumentUnreadable(f"Page {page_index + 1} does not exist.")
            return textpage.get_text_bounded(left=rect[0], bottom=rect[1], right=rect[2], top=rect[3])

    def words_with_boxes(
        self, pdf: Path, page_index: int
    ) -> list[tuple[str, tuple[float, float, float, float]]]:
        """The text layer's words of a page in content order, each with the union of its
        characters' glyph boxes in user space (x0, y0, x1, y1; the space of redaction rects).
        A word is a run of characters between blanks; [] for a page without a text layer."""
        import pypdfium2.raw as pdfium_c

        words: list[tuple[str, tuple[float, float, float, float]]] = []
        chars: list[str] = []
        boxes: list[tuple[float, float, float, float]] = []

        def flush() -> None:
            if chars:
                words.append(
                    (
                        "".join(chars),
                        (
                            min(b[0] for b in boxes),
                            min(b[1] for b in boxes),
                            max(b[2] for b in boxes),
                            max(b[3] for b in boxes),
                        ),
                    )
                )
            chars.clear()
            boxes.clear()

        with self._text_page(pdf, page_index) as textpage:
            if textpage is None:
                return []
            for index in range(textpage.count_chars()):
                # One code point per character index (get_text_range need not map 1:1).
                code = pdfium_c.FPDFText_GetUnicode(textpage.raw, index)
                char = chr(code) if 0 < code < 0x110000 else " "
                if char.isspace() or not char.isprintable():
                    flush()
                    continue
                chars.append(char)
                boxes.append(textpage.get_charbox(index))
        flush()
        return words

    def find_text(self, pdf: Path, page_index: int, needle: str) -> list[tuple[float, float, float, float]]:
        """Where the text layer holds `needle` on a page: one user-space box (x0, y0, x1, y1) per
        occurrence, each the union of its characters' boxes (a redaction that covers it)."""
        with self._text_page(pdf, page_index) as textpage:
            if textpage is None:
                return []
            boxes = []
            searcher = textpage.search(needle, match_case=False, match_whole_word=False)
            while (found := searcher.get_next()) is not None:
                index, count = found
                rects = [textpage.get_charbox(i, loose=True) for i in range(index, index + count)]
                rects = [r for r in rects if r[2] > r[0] and r[3] > r[1]]
                if rects:
                    boxes.append(
                        (
                            min(r[0] for r in rects),
                            min(r[1] for r in rects),
                            max(r[2] for r in rects),
                            max(r[3] for r in rects),
                        )
                    )
            searcher.close()
            return boxes

    def page_texts(self, pdf: Path) -> list[str]:
        texts = []
        with self.open_pdf(pdf) as document:
            for page in document:
                textpage = page.get_textpage()
                texts.append(textpage.get_text_bounded())
                textpage.close()
                page.close()
        return texts

    def render_page(self, pdf: Path, page_index: int, dpi: int, grayscale: bool = False) -> Image.Image:
        with self.open_pdf(pdf) as document:
            if not 0 <= page_index < len(document):
                raise DocumentUnreadable(f"Page {page_index + 1} does not exist.")
        # pdfium rounds sizes up; iter_render crops to exactly inches x dpi pixels.
        return next(self.iter_render(pdf, [(page_index, grayscale)], dpi))

    def iter_render(
        self,
        pdf: Path,
        requests: list[tuple[int, bool]],
        dpi: int,
        page_dpi: Mapping[int, float] | None = None,
    ) -> Iterator[Image.Image]:
        """Render (page index, grayscale) requests from one open document, exact pixel sizes.
        `page_dpi` draws the pages it names at their own resolution (oversized pages, smaller);
        the images are still labelled `dpi`."""
        with self.open_pdf(pdf) as document:
            for index, grayscale in requests:
                scale = (page_dpi or {}).get(index, dpi) / 72.0
                page = document[index]
                width, height = page.get_size()
                image = page.render(scale=scale, grayscale=grayscale, may_draw_forms=True).to_pil()
                page.close()
                exact = (max(1, round(width * scale)), max(1, round(height * scale)))
                if image.size != exact:
                    image = (
                        image.crop((0, 0, *exact))
                        if image.width >= exact[0] and image.height >= exact[1]
                        else image.resize(exact)
                    )
                if image.mode not in ("L", "RGB"):
                    image = image.convert("L" if grayscale else "RGB")
                image.info["dpi"] = (dpi, dpi)
                yield image

    def grey_only_pages(self, pdf: Path, pages: list[int]) -> list[bool]:
        """Per page: True when pdfium's page objects prove it draws nothing but grey, so colour
        detection needs no thumbnail render; False means "not known" (the caller renders one).
        A page with annotations, shadings, Type 3 text, colour images or a non-grey fill or stroke
        is not known."""
        from imaging.grey_pages import grey_only  # imports pypdfium2: only where pages are drawn

        with self.open_pdf(pdf) as document:
            out = []
            for index in pages:
                page = document[index]
                out.append(grey_only(page.raw))
                page.close()
            return out

    def iter_render_bilevel_gray(
        self, pdf: Path, pages: list[int], dpi: int, page_dpi: Mapping[int, float] | None = None
    ) -> Iterator[np.ndarray]:
        """Grey pages meant for thresholding to black and white: rendered without anti-aliasing
        (crisp edges, three times faster) straight into arrays of exactly inches x dpi pixels
        (`page_dpi` as in iter_render)."""
        with self.open_pdf(pdf) as document:
            for index in pages:
                scale = (page_dpi or {}).get(index, dpi) / 72.0
                page = document[index]
                width, height = page.get_size()
                exact = (max(1, round(height * scale)), max(1, round(width * scale)))
                bitmap = page.render(
                    scale=scale,
                    grayscale=True,
                    may_draw_forms=True,
                    no_smoothtext=True,
                    no_smoothpath=True,
                    no_smoothimage=True,
                    bitmap_maker=_bitmap_in_numpy,
                )
                array = bitmap.to_numpy()
                if array.ndim == 3:
                    array = array[:, :, 0]
                page.close()
                if array.shape[0] < exact[0] or array.shape[1] < exact[1]:
                    array = np.array(Image.fromarray(array).resize((exact[1], exact[0])))
                # No copy: pypdfium2 allocates the buffer in Python (a native bitmap) and the array
                # holds a reference to it, so the pixels outlive the bitmap; the caller may write into it.
                yield array[: exact[0], : exact[1]]


def _bitmap_in_numpy(width: int, height: int, format: int, rev_byteorder: bool = False):
    """A pdfium bitmap over uninitialised numpy memory: pypdfium2's own zeroes its buffer, which the
    render's white fill then overwrites (2 ms a page at 300 dpi); the array outlives the bitmap."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.internal as pdfium_i

    memory = np.empty(width * height * pdfium_i.BitmapTypeToNChannels[format], dtype=np.uint8)
    buffer = (ctypes.c_ubyte * memory.size).from_buffer(memory)
    return pdfium.PdfBitmap.new_native(width, height, format, rev_byteorder, buffer=buffer)
