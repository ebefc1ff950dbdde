"""Which volumes are OCR-heavy, so their steps can ask for more CPU than the rest.

Measured on the benchmark machine (bench `production`, `production_ocr`): producing a page image costs
about 0.05 core-seconds, OCRing one about 2.7 (tesseract, 98 % of an OCRed page's cost). A volume whose
expected OCR work is at least its image work is OCR-heavy: from about 2 % of its pages OCRed, OCR is
most of its CPU, and more cores shorten it almost in proportion.

The plan can only expect what the manifest says: every page with `text_mode=ocr`, every page of a
document without a text file under `extracted_then_ocr`, and each redacted page twice (read before its
boxes are burned, and the produced image once for QC). A PDF whose text layer turns out empty is OCRed
too, but that is only known once it is opened; such a volume runs at the ordinary size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from domain.productions.plan import PlannedDocument

IMAGE_CORE_SECONDS = 0.05
OCR_CORE_SECONDS = 2.7


def expected_ocr_pages(
    docs: Iterable[PlannedDocument],
    text_mode: str,
    has_text_file: Callable[[int], bool],
    redacted_pages: Callable[[int], int],
) -> int:
    """Pages the volume step is expected to OCR (see the module docstring); `redacted_pages` gives a
    document's number of redacted pages."""
    total = 0
    for doc in docs:
        if doc.kind not in ("image", "native"):
            continue
        if text_mode == "ocr" or (text_mode == "extracted_then_ocr" and not has_text_file(doc.exhibit_id)):
            total += doc.pages
        if doc.redacted:
            total += 2 * min(doc.pages, redacted_pages(doc.exhibit_id))
    return total


def is_ocr_heavy(pages: int, ocr_pages: int) -> bool:
    return pages > 0 and ocr_pages * OCR_CORE_SECONDS >= pages * IMAGE_CORE_SECONDS
