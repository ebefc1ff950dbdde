"""A PDF document's pages produced: rendered (colour detected, bilevel fast path for black-and-white
TIFF), redacted, read by OCR when the text mode asks, endorsed, and saved as page images or a PDF.

A redacted document also gets its leak profile here (what the source shows and hides, word by
word), which QC compares with what the produced pages show.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from domain.geometry import PageGeometry
from domain.productions import leaks
from domain.productions.loadfiles import ProducedDocument
from domain.productions.manifest import Problem, Redaction
from imaging import raster
from imaging.doc_job import (
    DocJob,
    DocOutcome,
    Timer,
    endorsements,
    error_text,
    save_bilevel,
    save_image,
    write_text,
)
from imaging.production_pdf import write_redacted_pdf, write_vector_pdf

# One encoder thread per process (see _PageWriter), started on first use, and only where
# overlap_encodes(True) was called.
_ENCODER: ThreadPoolExecutor | None = None
_ENCODER_LOCK = threading.Lock()
_OVERLAP = False


def overlap_encodes(on: bool) -> None:
    """Encode bilevel pages on a second thread while the next page renders. Worth it only where the
    process has a spare core: with one producing process per core (a pool of workers) the second
    thread measured slower than encoding in turn (bench `ours_tiff_all_cores`)."""
    global _OVERLAP
    _OVERLAP = on


def image_document(job: DocJob, engine, timer: Timer) -> DocOutcome:
    export, doc = job.export, job.doc
    pdf = Path(job.pdf_path)
    out = ProducedDocument(doc.exhibit_id)
    outcome = DocOutcome(out)
    geometries = engine.page_geometries(pdf)[: doc.pages]
    redactions_by_page: dict[int, list[Redaction]] = {}
    for r in job.redactions:
        if r.page_number <= doc.pages:
            redactions_by_page.setdefault(r.page_number - 1, []).append(r)
        else:
            outcome.problems.append(
                Problem(
                    "redaction_off_page",
                    f"a redaction on page {r.page_number} is beyond the {doc.pages} produced pages",
                    doc.exhibit_id,
                    doc.volume,
                    "warning",
                )
            )
    profile = _source_profile(job, engine, pdf, redactions_by_page) if doc.redacted else None

    layer_texts: list[str] | None = None
    if export.text_mode == "extracted_then_ocr" and not doc.redacted:
        layer_texts = engine.page_texts(pdf)[: doc.pages]
        if not any(t.strip() for t in layer_texts):
            layer_texts = None
            if job.text_path:
                layer_texts = [Path(job.text_path).read_text(encoding="utf-8", errors="replace")]
    need_ocr = export.text_mode != "none" and (
        doc.redacted or export.text_mode == "ocr" or layer_texts is None
    )
    rasterise = export.image_format in ("tiff", "jpeg") or doc.redacted or need_ocr
    # Orientation detection (OSD) only where the text layer leaves it unknown: a page whose text
    # layer holds words is upright as rendered (pdfium applies /Rotate); a page without one (a scan)
    # may lie on its side.
    if profile is not None:
        has_layer = profile.has_layer
    elif export.text_mode == "ocr":
        try:
            has_layer = {i for i, t in enumerate(engine.page_texts(pdf)[: doc.pages]) if t.strip()}
        except Exception:  # noqa: BLE001 - an unreadable text layer leaves orientation unknown
            has_layer = set()
    else:
        has_layer = set()  # extracted_then_ocr OCRs a document only when its whole layer is empty
    # The OCR of each produced redacted page, made once here and handed to QC (see _hand_over).
    produced_readings: dict[int, str] = {}

    colour = [
        export.color_mode == "color" or export.image_format == "jpeg" and export.color_mode != "bw"
    ] * doc.pages
    if export.image_format == "tiff" and export.color_mode == "auto" and rasterise:
        start = time.perf_counter()
        colour = _detect_colour(engine, pdf, geometries, doc.pages)
        timer.add("render", start)
    elif export.image_format == "tiff" and export.color_mode == "bw":
        colour = [False] * doc.pages

    texts: list[str] = []
    images_for_pdf: list[tuple[Image.Image, list]] = []
    if rasterise:
        writer = _PageWriter(out)
        # Black-and-white TIFF pages take the fast path: crisp grey arrays, thresholded, G4.
        bilevel = [export.image_format == "tiff" and not colour[i] for i in range(doc.pages)]
        dpis = _page_dpis(job, geometries, outcome)
        greys = _safe_render(
            engine.iter_render_bilevel_gray(
                pdf, [i for i in range(doc.pages) if bilevel[i]], raster.DPI, dpis
            ),
            outcome,
            job,
            array=True,
        )
        pictures = _safe_render(
            engine.iter_render(
                pdf, [(i, not colour[i]) for i in range(doc.pages) if not bilevel[i]], raster.DPI, dpis
            ),
            outcome,
            job,
        )
        for index in range(doc.pages):
            start = time.perf_counter()
            grey = next(greys) if bilevel[index] else None
            image = None if bilevel[index] else next(pictures)
            timer.add("render", start)
            boxes = [
                (geometries[index].rect_to_pixels(r.rect, dpis.get(index, raster.DPI)), r.label)
                for r in redactions_by_page.get(index, [])
            ]
            if profile is not None and index in profile.ocr_boxes:
                # Read before it is blacked out: which words each redaction hides where the text layer
                # cannot say.
                start = time.perf_counter()
                words_seen = engine.ocr_word_boxes(
                    image if image is not None else Image.fromarray(grey),
                    detect_orientation=index not in has_layer,
                )
                outcome.ocr_pages["source"] += 1
                profile.builder.add_reading(
                    index + 1, leaks.PageCounts.of_words(words_seen, [box for box, _ in boxes])
                )
                timer.add("ocr", start)
            if grey is not None:
                raster.redact_array(grey, boxes)
            else:
                raster.burn_redactions(image, boxes, labels=False)
            words: list = []
            if need_ocr or (profile is not None and boxes and export.image_format != "none"):
                # The redacted page as produced is read once: its text file's text, and QC's reading.
                start = time.perf_counter()
                seen = image if image is not None else Image.fromarray(grey)
                if doc.redacted and export.image_format == "pdf":
                    text, lines = engine.ocr_words(seen)
                    words = lines if need_ocr else []  # the PDF's invisible text layer, when text is asked
                else:
                    text = engine.ocr(seen, detect_orientation=index not in has_layer)
                outcome.ocr_pages["produced"] += 1
                if need_ocr:
                    texts.append(text)
                if profile is not None and boxes:
                    produced_readings[index + 1] = text
                timer.add("ocr", start)
            if profile is not None and not boxes:
                # A page without redactions shows all of itself: its OCR is one more reading of what is
                # visible.
                if need_ocr:
                    profile.builder.add_reading(index + 1, leaks.PageCounts.of_visible_text(text))
                elif index in profile.unread:
                    seen = image if image is not None else Image.fromarray(grey)
                    profile.builder.add_reading(
                        index + 1, leaks.PageCounts.of_visible_text(engine.ocr(seen, detect_orientation=True))
                    )
                    outcome.ocr_pages["source"] += 1
            start = time.perf_counter()
            if grey is not None:
                # Labels and endorsements drawn in grey (ink 0, paper 255) give the same page once
                # thresholded; the threshold and the encode are the writer's (timed there, added on close).
                raster.label_redactions_bilevel(grey, boxes)
                raster.endorse_bilevel(grey, endorsements(job, index))
                timer.add("encode", start)
                writer.bilevel(job, index, grey)
                start = time.perf_counter()
            else:
                raster.burn_redactions(image, boxes, labels=True)
                if export.image_format in ("tiff", "jpeg") or (doc.redacted and export.image_format == "pdf"):
                    raster.burn_endorsements(image, endorsements(job, index))
                if export.image_format in ("tiff", "jpeg"):
                    save_image(job, index, image, colour[index], writer.direct())
                elif doc.redacted and export.image_format == "pdf":
                    images_for_pdf.append((image, words))
            timer.add("encode", start)
        timer.seconds["encode"] = timer.seconds.get("encode", 0.0) + writer.close()
    if export.image_format == "pdf":
        start = time.perf_counter()
        if doc.redacted:
            write_redacted_pdf(job, images_for_pdf, out)
        else:
            write_vector_pdf(job, pdf, geometries, out)
        timer.add("encode", start)
    text = "\f".join(texts) if need_ocr else "\f".join(layer_texts or [])
    write_text(job, text, out)
    if profile is not None:
        outcome.leak_profile = profile.builder.profile(job.leak_key)
        outcome.page_ocr = _hand_over(job, outcome.leak_profile, produced_readings, out)
    return outcome


def _encoder() -> ThreadPoolExecutor:
    global _ENCODER
    with _ENCODER_LOCK:
        if _ENCODER is None:
            _ENCODER = ThreadPoolExecutor(1, thread_name_prefix="page-encode")
        return _ENCODER


def wait_for_encodes() -> None:
    """Return once every page handed to the encoder thread is written (or failed): before a failed
    document's output folder is removed."""
    if _ENCODER is not None:
        _ENCODER.submit(int).result()


def _encode_bilevel(job: DocJob, index: int, grey: np.ndarray, record: ProducedDocument) -> float:
    start = time.perf_counter()
    save_bilevel(job, index, grey < raster.BW_THRESHOLD, record)
    return time.perf_counter() - start


class _PageWriter:
    """A document's pages, written in page order. With overlap_encodes(True) a bilevel page's
    threshold and G4 encode (numpy and libtiff, outside the GIL) run on one encoder thread while this
    thread renders the next page; at most DEPTH pages wait for it, so memory stays flat. Each page
    is written into its own scratch record and the records join the document in order on close()."""

    DEPTH = 2

    def __init__(self, out: ProducedDocument) -> None:
        self.out = out
        self.records: list[ProducedDocument] = []
        self.waiting: deque[Future] = deque()
        self.seconds = 0.0

    def bilevel(self, job: DocJob, index: int, grey: np.ndarray) -> None:
        """Threshold and encode a grey page (on the encoder thread when overlapping); the caller does
        not touch `grey` afterwards."""
        while len(self.waiting) >= self.DEPTH:
            self.seconds += self.waiting.popleft().result()
        record = ProducedDocument(self.out.exhibit_id)
        self.records.append(record)
        if _OVERLAP:
            self.waiting.append(_encoder().submit(_encode_bilevel, job, index, grey, record))
        else:
            self.seconds += _encode_bilevel(job, index, grey, record)

    def direct(self) -> ProducedDocument:
        """The record a page written on this thread goes into."""
        record = ProducedDocument(self.out.exhibit_id)
        self.records.append(record)
        return record

    def close(self) -> float:
        """Wait for the encodes (raising the first failure); the seconds the encodes took (not the
        time this thread waited for them)."""
        while self.waiting:
            self.seconds += self.waiting.popleft().result()
        for record in self.records:
            self.out.pages.extend(record.pages)
        self.records = []
        return self.seconds


def _detect_colour(engine, pdf: Path, geometries: list[PageGeometry], pages: int) -> list[bool]:
    """Which pages are colour: a page whose page objects pdfium proves grey is not; the others are
    judged on a 24 dpi thumbnail (raster.is_colour). A grey page's thumbnail is grey too, so the
    verdict is the thumbnail's either way, without rendering a text page twice."""
    proven = engine.grey_only_pages(pdf, list(range(pages)))
    unknown = [i for i in range(pages) if not proven[i]]
    colour = [False] * pages
    if unknown:
        thumbs = {
            i: raster.render_dpi(*geometries[i].display_size, dpi=24, max_pixels=1_000_000, min_inches=0)
            for i in unknown
        }
        renders = engine.iter_render(pdf, [(i, False) for i in unknown], 24, thumbs)
        for i, image in zip(unknown, renders, strict=True):
            colour[i] = raster.is_colour(image)
    return colour


def _hand_over(job: DocJob, profile: dict, readings: dict[int, str], out: ProducedDocument) -> dict:
    """QC's leak check of each redacted page image, without a second OCR: per page number the
    keyed counts of the profile's hidden tokens and bigrams in the OCR made above of that page as
    produced (boxes burned; labels and endorsements, drawn after, are visible text in the profile),
    and the SHA-256 of the file that holds the page, which QC verifies before trusting the counts."""
    hashes: dict[str, str] = {}
    handed = {}
    for number, text in sorted(readings.items()):
        if number - 1 >= len(out.pages):
            continue
        path = out.pages[number - 1].path
        if path not in hashes:
            hashes[path] = hashlib.sha256((Path(job.out_root) / path).read_bytes()).hexdigest()
        handed[str(number)] = {"sha256": hashes[path], **leaks.reading(profile, job.leak_key, [text])}
    return handed


@dataclass
class _SourceProfile:
    builder: leaks.ProfileBuilder
    ocr_boxes: set[int]  # page indexes to read with OCR word boxes before redaction
    unread: set[int]  # page indexes without redactions and without a text layer
    has_layer: set[int]  # page indexes whose text layer holds words


def _source_profile(
    job: DocJob, engine, pdf: Path, redactions_by_page: dict[int, list[Redaction]]
) -> _SourceProfile:
    """What the source shows and hides, word by word: the text layer's words with their boxes
    on every page; pages that carry a redaction are also read with OCR word boxes in the
    rendering loop (the two readings merge: per token the larger count). Endorsements and
    redaction labels are burned onto the produced pages: visible."""
    if not job.leak_key:
        raise ValueError("a redacted document needs a leak key to hand its profile to QC")
    profile = _SourceProfile(leaks.ProfileBuilder(), set(), set(), set())
    for index in range(job.doc.pages):
        words = engine.words_with_boxes(pdf, index)
        redactions = redactions_by_page.get(index, [])
        rects = [r.rect for r in redactions]
        if words:
            profile.has_layer.add(index)
        profile.builder.add_reading(index + 1, leaks.PageCounts.of_words(words, rects))
        if rects:
            # Read again as the page looks: scans, and logos or stamps drawn as images on text pages,
            # hold words the text layer does not; QC's OCR of the produced page will see them.
            profile.ocr_boxes.add(index)
        elif not words:
            profile.unread.add(index)
        profile.builder.add_burned(
            index + 1,
            [text for _, text in endorsements(job, index)] + [r.label for r in redactions if r.label],
        )
    return profile


def _page_dpis(job: DocJob, geometries: list[PageGeometry], outcome: DocOutcome) -> dict[int, float]:
    """Pages too large to image at 300 dpi within raster.MAX_PAGE_PIXELS, or too small to carry a
    legible endorsement: the resolution each is drawn at (the image is labelled 300 dpi, so it
    prints smaller or larger than the page), each reported as a warning."""
    dpis = {}
    for index, geometry in enumerate(geometries):
        width, height = geometry.display_size
        dpi = raster.render_dpi(width, height)
        if dpi != raster.DPI:
            dpis[index] = dpi
            code, why = (
                ("page_reduced", f"to stay within {raster.MAX_PAGE_PIXELS:,} pixels a page")
                if dpi < raster.DPI
                else (
                    "page_enlarged",
                    f"so its shorter side is {raster.MIN_PAGE_INCHES} inches and the endorsement fits",
                )
            )
            outcome.problems.append(
                Problem(
                    code,
                    f"page {index + 1} of {job.exhibit.pdf_key} is {width / 72:.2f} x {height / 72:.2f} "
                    "inches; imaged at "
                    f"{100 * dpi / raster.DPI:.0f}% of its size {why}",
                    job.doc.exhibit_id,
                    job.doc.volume,
                    "warning",
                )
            )
    return dpis


def _safe_render(pages, outcome: DocOutcome, job: DocJob, array: bool = False):
    """Rendered pages; a page pdfium cannot draw becomes a placeholder so numbering holds."""
    try:
        yield from pages
    except Exception as exc:  # noqa: BLE001 - a corrupt page stream: report it, keep the pages numbered
        outcome.problems.append(
            Problem(
                "render_failed",
                f"pages of {job.exhibit.pdf_key} could not be rendered ({error_text(exc, job)}); "
                "placeholders produced",
                job.doc.exhibit_id,
                job.doc.volume,
            )
        )
    while True:
        placeholder = raster.text_page(["THIS PAGE COULD NOT BE RENDERED"])
        yield np.asarray(placeholder).copy() if array else placeholder
