"""Produce one document: page images or PDF, text, native, with redactions and endorsements.

Runs in a worker process with local files only; the volume step downloads the
inputs and uploads what this writes. Output paths are relative to the export
root ({NAME}/): VOL001/IMAGES/0001/ABC0000001.tif and so on.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pikepdf
from PIL import Image

from domain.errors import PlatformError, without_paths
from domain.geometry import PageGeometry
from domain.productions import leaks
from domain.productions.loadfiles import ProducedDocument, ProducedPage, fulltext_copy_path, text_file_bytes
from domain.productions.manifest import Exhibit, ExportSettings, Problem, Redaction
from domain.productions.plan import PlannedDocument
from imaging import raster
from imaging.raster_pdf import write_raster_pdf

WITHHELD_TEXT = "WITHHELD - PRIVILEGED"


@dataclass
class DocJob:
    doc: PlannedDocument
    exhibit: Exhibit
    export: ExportSettings
    out_root: str
    pdf_path: str | None = None
    native_path: str | None = None
    text_path: str | None = None
    redactions: list[Redaction] = field(default_factory=list)
    leak_key: bytes = b""  # keys the hashes of a redacted document's leak profile (see leaks.py)


@dataclass
class DocOutcome:
    produced: ProducedDocument
    problems: list[Problem] = field(default_factory=list)
    # A redacted document's occurrence profile for QC (leaks.ProfileBuilder.profile): keyed hashes and counts only.
    leak_profile: dict | None = None
    seconds: dict[str, float] = field(default_factory=dict)


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, name: str, start: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


def _endorsements(job: DocJob, page_index: int) -> list[tuple[str, str]]:
    stamps = []
    if job.export.endorse_bates:
        stamps.append((job.export.endorse_bates, job.doc.page_keys[page_index]))
    if job.export.endorse_confidentiality and job.exhibit.confidentiality:
        stamps.append((job.export.endorse_confidentiality, job.exhibit.confidentiality))
    return stamps


def _rel(job: DocJob, kind: str, folder: str, filename: str) -> str:
    return f"{job.doc.volume_label}/{kind}/{folder}/{filename}"


def _write_text(job: DocJob, text: str, out: ProducedDocument) -> None:
    """TEXT/{folder}/{key}.txt (UTF-8 with BOM, CRLF); with a DII asked, the same bytes beside the
    first page's image or PDF, named after it, where Summation's @FULLTEXT DOC looks.
    Called after the pages are written, so the first page is known."""
    if job.export.text_mode == "none":
        return
    data = text_file_bytes(text)
    rel = _rel(job, "TEXT", job.doc.folder, f"{job.doc.file_key}.txt")
    target = Path(job.out_root) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    out.text_path = rel
    if "dii" in job.export.loadfiles and out.pages:
        copy = fulltext_copy_path(out.pages[0].path)
        (Path(job.out_root) / copy).write_bytes(data)
        out.fulltext_path = copy


def produce_document(job: DocJob, engine) -> DocOutcome:
    """Produce one planned document; a page that fails becomes a placeholder page, never a gap."""
    timer = _Timer()
    if job.doc.kind == "withheld":
        outcome = _single_page(job, [WITHHELD_TEXT], WITHHELD_TEXT, timer)
    elif job.doc.kind == "native":
        outcome = _native(job, engine, timer)
    elif job.pdf_path is None:
        outcome = _unavailable(job, timer)
    else:
        outcome = _image_document(job, engine, timer)
    outcome.seconds = timer.seconds
    return outcome


def _single_page(job: DocJob, lines: list[str], text: str, timer: _Timer) -> DocOutcome:
    out = ProducedDocument(job.doc.exhibit_id)
    start = time.perf_counter()
    if job.export.image_format != "none":
        image = raster.text_page(lines)
        raster.burn_endorsements(image, _endorsements(job, 0))
        if job.export.image_format == "pdf":
            _raster_pdf(job, [(image, [])], out, searchable=False)
        else:
            _save_image(job, 0, image, False, out)
    timer.add("encode", start)
    _write_text(job, text, out)
    return DocOutcome(out)


def produce_document_safely(job: DocJob, engine) -> DocOutcome:
    """produce_document, but a document that fails in any unforeseen way is reported by name and
    keeps its numbered pages as placeholders: the rest of the volume goes on."""
    try:
        return produce_document(job, engine)
    except Exception as exc:  # noqa: BLE001 - one bad document must not stop the volume
        shutil.rmtree(Path(job.out_root), ignore_errors=True)
        outcome = _unavailable(job, _Timer())
        outcome.problems = [
            Problem(
                "production_failed",
                f"the document ({job.exhibit.pdf_key or job.exhibit.native_key or 'no object key'}) could not be produced ({_message(exc, job)}); placeholder pages produced",
                job.exhibit.id,
                job.doc.volume,
            )
        ]
        return outcome


def _unavailable(job: DocJob, timer: _Timer) -> DocOutcome:
    """The PDF vanished after numbering: keep every numbered page, as a placeholder, and say so."""
    out = ProducedDocument(job.doc.exhibit_id)
    start = time.perf_counter()
    images = []
    for index in range(job.doc.pages):
        image = raster.text_page(["DOCUMENT COULD NOT BE PRODUCED", job.doc.page_keys[index]])
        raster.burn_endorsements(image, _endorsements(job, index))
        if job.export.image_format in ("tiff", "jpeg"):
            _save_image(job, index, image, False, out)
        images.append((image, []))
    if job.export.image_format == "pdf":
        _raster_pdf(job, images, out, searchable=False)
    timer.add("encode", start)
    _write_text(job, "", out)
    problem = Problem(
        "document_not_found",
        f"the PDF {job.exhibit.pdf_key} could not be read when the volume was produced; placeholder pages produced",
        job.exhibit.id,
        job.doc.volume,
    )
    return DocOutcome(out, [problem])


def _native(job: DocJob, engine, timer: _Timer) -> DocOutcome:
    filename = job.exhibit.filename
    outcome = _single_page(job, ["NATIVE FILE PRODUCED", filename], "", timer)
    out = outcome.produced
    rel = _rel(job, "NATIVES", job.doc.folder, f"{job.doc.file_key}.{job.doc.native_ext}")
    target = Path(job.out_root) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(job.native_path, target)
    out.native_path = rel
    text = ""
    if job.text_path:
        text = Path(job.text_path).read_text(encoding="utf-8", errors="replace")
    elif job.pdf_path:
        try:
            text = "\f".join(engine.page_texts(Path(job.pdf_path)))
        except PlatformError as exc:
            outcome.problems.append(
                Problem(
                    "native_text",
                    f"no text from the rendition {job.exhibit.pdf_key}: {_message(exc, job)}",
                    job.exhibit.id,
                    job.doc.volume,
                    "warning",
                )
            )
    _write_text(job, text, out)
    return outcome


def _image_document(job: DocJob, engine, timer: _Timer) -> DocOutcome:
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

    colour = [
        export.color_mode == "color" or export.image_format == "jpeg" and export.color_mode != "bw"
    ] * doc.pages
    if export.image_format == "tiff" and export.color_mode == "auto" and rasterise:
        start = time.perf_counter()
        thumbs = {
            i: raster.render_dpi(*g.display_size, dpi=24, max_pixels=1_000_000, min_inches=0)
            for i, g in enumerate(geometries)
        }
        colour = [
            raster.is_colour(im)
            for im in engine.iter_render(pdf, [(i, False) for i in range(doc.pages)], 24, thumbs)
        ]
        timer.add("render", start)
    elif export.image_format == "tiff" and export.color_mode == "bw":
        colour = [False] * doc.pages

    texts: list[str] = []
    images_for_pdf: list[tuple[Image.Image, list]] = []
    if rasterise:
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
                # Read before it is blacked out: which words each redaction hides where the text layer cannot say.
                start = time.perf_counter()
                words_seen = engine.ocr_word_boxes(
                    image if image is not None else Image.fromarray(grey), detect_orientation=True
                )
                profile.builder.add_reading(
                    index + 1, leaks.PageCounts.of_words(words_seen, [box for box, _ in boxes])
                )
                timer.add("ocr", start)
            if grey is not None:
                raster.redact_array(grey, boxes)
            else:
                raster.burn_redactions(image, boxes, labels=False)
            words: list = []
            if need_ocr:
                start = time.perf_counter()
                seen = image if image is not None else Image.fromarray(grey)
                if doc.redacted and export.image_format == "pdf":
                    text, words = engine.ocr_words(seen)
                else:
                    text = engine.ocr(seen, detect_orientation=True)
                texts.append(text)
                timer.add("ocr", start)
            if profile is not None and not boxes:
                # A page without redactions shows all of itself: its OCR is one more reading of what is visible.
                if need_ocr:
                    profile.builder.add_reading(index + 1, leaks.PageCounts.of_visible_text(text))
                elif index in profile.unread:
                    seen = image if image is not None else Image.fromarray(grey)
                    profile.builder.add_reading(
                        index + 1, leaks.PageCounts.of_visible_text(engine.ocr(seen, detect_orientation=True))
                    )
            start = time.perf_counter()
            if grey is not None:
                black = grey < raster.BW_THRESHOLD
                raster.label_redactions_bilevel(black, boxes)
                raster.endorse_bilevel(black, _endorsements(job, index))
                _save_bilevel(job, index, black, out)
            else:
                raster.burn_redactions(image, boxes, labels=True)
                if export.image_format in ("tiff", "jpeg") or (doc.redacted and export.image_format == "pdf"):
                    raster.burn_endorsements(image, _endorsements(job, index))
                if export.image_format in ("tiff", "jpeg"):
                    _save_image(job, index, image, colour[index], out)
                elif doc.redacted and export.image_format == "pdf":
                    images_for_pdf.append((image, words))
            timer.add("encode", start)
    if export.image_format == "pdf":
        start = time.perf_counter()
        if doc.redacted:
            _redacted_pdf(job, images_for_pdf, out)
        else:
            _vector_pdf(job, pdf, geometries, out)
        timer.add("encode", start)
    text = "\f".join(texts) if need_ocr else "\f".join(layer_texts or [])
    _write_text(job, text, out)
    if profile is not None:
        outcome.leak_profile = profile.builder.profile(job.leak_key)
    return outcome


@dataclass
class _SourceProfile:
    builder: leaks.ProfileBuilder
    ocr_boxes: set[int]  # page indexes to read with OCR word boxes before redaction
    unread: set[int]  # page indexes without redactions and without a text layer


def _source_profile(
    job: DocJob, engine, pdf: Path, redactions_by_page: dict[int, list[Redaction]]
) -> _SourceProfile:
    """What the source shows and hides, word by word: the text layer's words with their boxes
    on every page; pages that carry a redaction are also read with OCR word boxes in the
    rendering loop (the two readings merge: per token the larger count). Endorsements and
    redaction labels are burned onto the produced pages: visible."""
    if not job.leak_key:
        raise ValueError("a redacted document needs a leak key to hand its profile to QC")
    profile = _SourceProfile(leaks.ProfileBuilder(), set(), set())
    for index in range(job.doc.pages):
        words = engine.words_with_boxes(pdf, index)
        redactions = redactions_by_page.get(index, [])
        rects = [r.rect for r in redactions]
        profile.builder.add_reading(index + 1, leaks.PageCounts.of_words(words, rects))
        if rects:
            # Read again as the page looks: scans, and logos or stamps drawn as images on text pages,
            # hold words the text layer does not; QC's OCR of the produced page will see them.
            profile.ocr_boxes.add(index)
        elif not words:
            profile.unread.add(index)
        profile.builder.add_burned(
            index + 1,
            [text for _, text in _endorsements(job, index)] + [r.label for r in redactions if r.label],
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
                    f"page {index + 1} of {job.exhibit.pdf_key} is {width / 72:.2f} x {height / 72:.2f} inches; imaged at "
                    f"{100 * dpi / raster.DPI:.0f}% of its size {why}",
                    job.doc.exhibit_id,
                    job.doc.volume,
                    "warning",
                )
            )
    return dpis


def _message(exc: Exception, job: DocJob) -> str:
    """An exception's text for a problem line: the worker's local file paths replaced by the object key."""
    return without_paths(
        f"{type(exc).__name__}: {exc}",
        job.pdf_path,
        job.native_path,
        job.text_path,
        job.out_root,
        name=job.exhibit.pdf_key or "the document",
    )[:300]


def _safe_render(pages, outcome: DocOutcome, job: DocJob, array: bool = False):
    """Rendered pages; a page pdfium cannot draw becomes a placeholder so numbering holds."""
    try:
        yield from pages
    except Exception as exc:  # noqa: BLE001 - a corrupt page stream: report it, keep the pages numbered
        outcome.problems.append(
            Problem(
                "render_failed",
                f"pages of {job.exhibit.pdf_key} could not be rendered ({_message(exc, job)}); placeholders produced",
                job.doc.exhibit_id,
                job.doc.volume,
            )
        )
    while True:
        placeholder = raster.text_page(["THIS PAGE COULD NOT BE RENDERED"])
        yield np.asarray(placeholder).copy() if array else placeholder


def _save_bilevel(job: DocJob, index: int, black, out: ProducedDocument) -> None:
    key, folder = job.doc.page_keys[index], job.doc.page_folders[index]
    kind = raster.save_bilevel(black, Path(job.out_root) / job.doc.volume_label / "IMAGES" / folder / key)
    out.pages.append(ProducedPage(key, _rel(job, "IMAGES", folder, f"{key}.{kind}"), kind))


def _save_image(job: DocJob, index: int, image: Image.Image, colour: bool, out: ProducedDocument) -> None:
    key, folder = job.doc.page_keys[index], job.doc.page_folders[index]
    base = Path(job.out_root) / job.doc.volume_label / "IMAGES" / folder / key
    kind = raster.save_page(image, base, job.export.image_format, colour)
    out.pages.append(ProducedPage(key, _rel(job, "IMAGES", folder, f"{key}.{kind}"), kind))


def _pdf_rel(job: DocJob) -> str:
    return _rel(job, "PDF", job.doc.folder, f"{job.doc.file_key}.pdf")


def _record_pdf_pages(job: DocJob, out: ProducedDocument, rel: str) -> None:
    out.pdf_path = rel
    out.pages = [ProducedPage(key, rel, "pdf", offset=i + 1) for i, key in enumerate(job.doc.page_keys)]


def _raster_pdf(
    job: DocJob, pages: list[tuple[Image.Image, list]], out: ProducedDocument, searchable: bool
) -> None:
    """A PDF of (already endorsed) page images, with an invisible OCR text layer when `searchable`."""
    rel = _pdf_rel(job)
    target = Path(job.out_root) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    write_raster_pdf(target, pages, searchable)
    _record_pdf_pages(job, out, rel)


def _redacted_pdf(job: DocJob, pages: list[tuple[Image.Image, list]], out: ProducedDocument) -> None:
    """A redacted document's PDF is image-only plus the OCR of the redacted images."""
    _raster_pdf(job, pages, out, searchable=True)


def _vector_pdf(job: DocJob, source: Path, geometries: list[PageGeometry], out: ProducedDocument) -> None:
    """The document's own pages (text layer kept), review markup removed, endorsements added."""
    rel = _pdf_rel(job)
    target = Path(job.out_root) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    with pikepdf.open(source) as src, pikepdf.new() as dest:
        for index in range(job.doc.pages):
            dest.pages.append(src.pages[index])
        font = dest.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name.Type1,
                BaseFont=pikepdf.Name.Helvetica,
                Encoding=pikepdf.Name.WinAnsiEncoding,
            )
        )
        for index, page in enumerate(dest.pages):
            if "/Annots" in page.obj:
                del page.obj["/Annots"]  # comments and notes are work product: never produced
            stamps = _endorsements(job, index)
            if stamps:
                _stamp_pdf_page(dest, page, geometries[index], stamps, font)
        dest.docinfo = dest.make_indirect(pikepdf.Dictionary(Producer=pikepdf.String("Nextpoint production")))
        dest.save(target, deterministic_id=True, compress_streams=True)
    _record_pdf_pages(job, out, rel)


def _pdf_string(text: str) -> str:
    """A PDF literal string body in WinAnsi, with its delimiters escaped."""
    raw = text.encode("cp1252", "replace").decode("latin-1")
    return raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _stamp_pdf_page(pdf: pikepdf.Pdf, page: pikepdf.Page, geometry: PageGeometry, stamps, font) -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from domain.stamp_layout import layout

    width, height = geometry.display_size
    # On a page under raster.MIN_PAGE_INCHES the endorsement shrinks with the page: the same share
    # of it as on the enlarged page image, instead of falling off the page.
    shrink = min(1.0, min(width, height) / (raster.MIN_PAGE_INCHES * 72)) or 1.0
    boxes = layout(
        width,
        height,
        stamps,
        raster.ENDORSEMENT_POINTS * shrink,
        raster.MARGIN_POINTS * shrink,
        lambda t, s: stringWidth(t, "Helvetica", s),
    )
    a, b, c, d, e, f = geometry.display_matrix()
    ops = [f"q {a} {b} {c} {d} {e} {f} cm"]
    for box in boxes:
        pad = 2 * shrink
        bottom = height - box.y - box.height
        ops.append(
            f"1 g {box.x - pad:.2f} {bottom - pad:.2f} {box.width + 2 * pad:.2f} {box.height + 2 * pad:.2f} re f 0 g"
        )
        for index, line in enumerate(box.lines):
            baseline = (
                height
                - box.y
                - (index + 1) * box.line_height
                + (box.line_height - box.font_size) / 2
                + box.font_size * 0.2
            )
            ops.append(
                f"BT /NPStamp {box.font_size:.2f} Tf {box.x:.2f} {baseline:.2f} Td ({_pdf_string(line)}) Tj ET"
            )
    ops.append("Q")
    resources = page.obj.get("/Resources")
    if resources is None:
        page.obj["/Resources"] = resources = pikepdf.Dictionary()
    fonts = resources.get("/Font")
    if fonts is None:
        resources["/Font"] = fonts = pikepdf.Dictionary()
    fonts["/NPStamp"] = font
    page.contents_coalesce()
    page.contents_add(pikepdf.Stream(pdf, (b"q\n")), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, ("\nQ\n" + "\n".join(ops) + "\n").encode("latin-1")))
