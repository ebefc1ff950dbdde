"""The PDF output of a production document: its own pages (text layer kept, review markup removed,
endorsements drawn into the page content) or page images with an optional OCR text layer.

Written to {VOLUME}/PDF/{folder}/{key}.pdf; every planned page points at its page of that PDF.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf
from PIL import Image

from domain.geometry import PageGeometry
from domain.productions.loadfiles import ProducedDocument, ProducedPage
from imaging import raster
from imaging.doc_job import DocJob, endorsements, output_path
from imaging.raster_pdf import write_raster_pdf


def pdf_output_path(job: DocJob) -> str:
    return output_path(job, "PDF", job.doc.folder, f"{job.doc.file_key}.pdf")


def record_pdf_pages(job: DocJob, out: ProducedDocument, rel: str) -> None:
    out.pdf_path = rel
    out.pages = [ProducedPage(key, rel, "pdf", offset=i + 1) for i, key in enumerate(job.doc.page_keys)]


def write_image_pdf(
    job: DocJob, pages: list[tuple[Image.Image, list]], out: ProducedDocument, searchable: bool
) -> None:
    """A PDF of (already endorsed) page images, with an invisible OCR text layer when `searchable`."""
    rel = pdf_output_path(job)
    target = Path(job.out_root) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    write_raster_pdf(target, pages, searchable)
    record_pdf_pages(job, out, rel)


def write_redacted_pdf(job: DocJob, pages: list[tuple[Image.Image, list]], out: ProducedDocument) -> None:
    """A redacted document's PDF is image-only plus the OCR of the redacted images."""
    write_image_pdf(job, pages, out, searchable=True)


def write_vector_pdf(
    job: DocJob, source: Path, geometries: list[PageGeometry], out: ProducedDocument
) -> None:
    """The document's own pages (text layer kept), review markup removed, endorsements added."""
    rel = pdf_output_path(job)
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
            stamps = endorsements(job, index)
            if stamps:
                _stamp_pdf_page(dest, page, geometries[index], stamps, font)
        dest.docinfo = dest.make_indirect(pikepdf.Dictionary(Producer=pikepdf.String("Nextpoint production")))
        dest.save(target, deterministic_id=True, compress_streams=True)
    record_pdf_pages(job, out, rel)


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
            f"1 g {box.x - pad:.2f} {bottom - pad:.2f} "
            f"{box.width + 2 * pad:.2f} {box.height + 2 * pad:.2f} re f 0 g"
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
                f"BT /NPStamp {box.font_size:.2f} Tf {box.x:.2f} {baseline:.2f} Td "
                f"({_pdf_string(line)}) Tj ET"
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
