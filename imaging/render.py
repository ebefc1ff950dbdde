"""Produce one document: page images or PDF, text, native, with redactions and endorsements.

Runs in a worker process with local files only; the volume step downloads the
inputs and uploads what this writes. Output paths are relative to the export
root ({NAME}/): VOL001/IMAGES/0001/ABC0000001.tif and so on.

The job and its outcome are imaging/doc_job.py; a PDF's pages are drawn by
imaging/page_images.py, the PDF output written by imaging/production_pdf.py.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from domain.errors import PlatformError
from domain.productions.loadfiles import ProducedDocument
from domain.productions.manifest import Problem
from imaging import raster
from imaging.doc_job import (
    DocJob,
    DocOutcome,
    Timer,
    endorsements,
    error_text,
    output_path,
    save_image,
    write_text,
)
from imaging.page_images import image_document, wait_for_encodes
from imaging.production_pdf import write_image_pdf

WITHHELD_TEXT = "WITHHELD - PRIVILEGED"


def produce_document(job: DocJob, engine) -> DocOutcome:
    """Produce one planned document; a page that fails becomes a placeholder page, never a gap."""
    timer = Timer()
    if job.doc.kind == "withheld":
        outcome = _single_page(job, [WITHHELD_TEXT], WITHHELD_TEXT, timer)
    elif job.doc.kind == "native":
        outcome = _native(job, engine, timer)
    elif job.pdf_path is None:
        outcome = _unavailable(job, timer)
    else:
        outcome = image_document(job, engine, timer)
    outcome.seconds = timer.seconds
    return outcome


def _single_page(job: DocJob, lines: list[str], text: str, timer: Timer) -> DocOutcome:
    out = ProducedDocument(job.doc.exhibit_id)
    start = time.perf_counter()
    if job.export.image_format != "none":
        image = raster.text_page(lines)
        raster.burn_endorsements(image, endorsements(job, 0))
        if job.export.image_format == "pdf":
            write_image_pdf(job, [(image, [])], out, searchable=False)
        else:
            save_image(job, 0, image, False, out)
    timer.add("encode", start)
    write_text(job, text, out)
    return DocOutcome(out)


def produce_document_safely(job: DocJob, engine) -> DocOutcome:
    """produce_document, but a document that fails in any unforeseen way is reported by name and
    keeps its numbered pages as placeholders: the rest of the volume goes on."""
    try:
        return produce_document(job, engine)
    except Exception as exc:  # noqa: BLE001 - one bad document must not stop the volume
        wait_for_encodes()  # pages still being written would land in the folder removed here
        shutil.rmtree(Path(job.out_root), ignore_errors=True)
        outcome = _unavailable(job, Timer())
        outcome.problems = [
            Problem(
                "production_failed",
                f"the document ({job.exhibit.pdf_key or job.exhibit.native_key or 'no object key'}) "
                f"could not be produced ({error_text(exc, job)}); placeholder pages produced",
                job.exhibit.id,
                job.doc.volume,
            )
        ]
        return outcome


def _unavailable(job: DocJob, timer: Timer) -> DocOutcome:
    """The PDF vanished after numbering: keep every numbered page, as a placeholder, and say so."""
    out = ProducedDocument(job.doc.exhibit_id)
    start = time.perf_counter()
    images = []
    for index in range(job.doc.pages):
        image = raster.text_page(["DOCUMENT COULD NOT BE PRODUCED", job.doc.page_keys[index]])
        raster.burn_endorsements(image, endorsements(job, index))
        if job.export.image_format in ("tiff", "jpeg"):
            save_image(job, index, image, False, out)
        images.append((image, []))
    if job.export.image_format == "pdf":
        write_image_pdf(job, images, out, searchable=False)
    timer.add("encode", start)
    write_text(job, "", out)
    problem = Problem(
        "document_not_found",
        f"the PDF {job.exhibit.pdf_key} could not be read when the volume was produced; "
        "placeholder pages produced",
        job.exhibit.id,
        job.doc.volume,
    )
    return DocOutcome(out, [problem])


def _native(job: DocJob, engine, timer: Timer) -> DocOutcome:
    filename = job.exhibit.filename
    outcome = _single_page(job, ["NATIVE FILE PRODUCED", filename], "", timer)
    out = outcome.produced
    rel = output_path(job, "NATIVES", job.doc.folder, f"{job.doc.file_key}.{job.doc.native_ext}")
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
                    f"no text from the rendition {job.exhibit.pdf_key}: {error_text(exc, job)}",
                    job.exhibit.id,
                    job.doc.volume,
                    "warning",
                )
            )
    write_text(job, text, out)
    return outcome
