"""One document's production in isolation: a document that breaks is named and keeps its pages."""

from pathlib import Path

from PIL import Image

from domain.productions import loadfiles
from domain.productions.manifest import validate_manifest
from domain.productions.plan import PdfInfo, build_plan
from imaging.doc_job import DocJob
from imaging.engine import LocalDocumentEngine
from imaging.render import produce_document_safely
from tests.production_fixtures import exhibit, export_row, tables


def _job(tmp_path: Path, pdf: Path, **export) -> DocJob:
    manifest = validate_manifest(tables(export_row(**export), [exhibit(7, page_count=2)]), 101, 1)
    plan = build_plan(manifest, {7: PdfInfo(pages=2)})
    return DocJob(
        plan.documents[0], manifest.exhibits[7], manifest.export, str(tmp_path / "out"), pdf_path=str(pdf)
    )


def test_a_document_that_breaks_keeps_its_numbered_pages(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 truncated")
    outcome = produce_document_safely(_job(tmp_path, broken), LocalDocumentEngine())
    assert [p.key for p in outcome.produced.pages] == ["ACME0000001", "ACME0000002"]
    assert [p.code for p in outcome.problems] == ["production_failed"] and outcome.problems[0].exhibit_id == 7
    for page in outcome.produced.pages:
        with Image.open(tmp_path / "out" / page.path) as image:
            assert image.size == (2550, 3300)
    assert (
        tmp_path / "out" / outcome.produced.text_path
    ).read_bytes() == b"\xef\xbb\xbf\r\n"  # empty text: BOM and CRLF


def test_every_format_produces_every_numbered_page(tmp_path):
    import random

    from demo import documents

    pdf = tmp_path / "two.pdf"
    pdf.write_bytes(documents.text_pdf(random.Random(5), "Two pages", 2).data)
    engine = LocalDocumentEngine()
    for image_format, suffix in (("tiff", ".tif"), ("jpeg", ".jpg"), ("pdf", ".pdf")):
        job = _job(tmp_path / image_format, pdf, image_format=image_format)
        outcome = produce_document_safely(job, engine)
        assert not outcome.problems
        assert len(outcome.produced.pages) == 2 and all(
            p.path.endswith(suffix) for p in outcome.produced.pages
        )
        text = (tmp_path / image_format / "out" / outcome.produced.text_path).read_bytes()
        assert (
            "Two pages - page 2 of 2" in text.decode("utf-8-sig")
            and loadfiles.text_file_problem(text) is None
        )
        # With a DII asked, the same bytes beside the first page's file, named after it.
        first = outcome.produced.pages[0].path
        assert outcome.produced.fulltext_path == first.rsplit(".", 1)[0] + ".txt"
        assert (tmp_path / image_format / "out" / outcome.produced.fulltext_path).read_bytes() == text
