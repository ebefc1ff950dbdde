"""The one-process path encodes page N on a second thread while page N+1 renders: the same bytes,
in the same page order, as encoding in turn."""

from __future__ import annotations

import hashlib
import random

import pytest

from demo import documents
from domain.productions.manifest import validate_manifest
from domain.productions.plan import PdfInfo, build_plan
from imaging import page_images
from imaging.doc_job import DocJob
from imaging.engine import LocalDocumentEngine
from imaging.render import produce_document_safely
from tests.production_fixtures import exhibit, export_row, tables
from tests.test_page_colour import _made_pdf


@pytest.fixture
def restore_overlap():
    yield
    page_images.overlap_encodes(False)


def _produce(tmp_path, pdf, pages: int, overlap: bool) -> tuple[list[str], dict[str, str]]:
    page_images.overlap_encodes(overlap)
    manifest = validate_manifest(tables(export_row(), [exhibit(7, page_count=pages)]), 101, 1)
    plan = build_plan(manifest, {7: PdfInfo(pages=pages)})
    root = tmp_path / f"overlap-{overlap}"
    job = DocJob(plan.documents[0], manifest.exhibits[7], manifest.export, str(root), pdf_path=str(pdf))
    outcome = produce_document_safely(job, LocalDocumentEngine())
    assert not outcome.problems
    files = {
        str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(root.rglob("*"))
        if f.is_file()
    }
    return [p.path for p in outcome.produced.pages], files


@pytest.mark.usefixtures("restore_overlap")
@pytest.mark.parametrize("kind", ["text", "mixed colour"])
def test_overlapped_encodes_give_the_same_pages_in_order(tmp_path, kind):
    if kind == "text":
        pdf, pages = tmp_path / "text.pdf", 7
        pdf.write_bytes(documents.text_pdf(random.Random(3), "Overlap", pages).data)
    else:  # a grey page, then colour pages written on the render thread
        pdf, pages = _made_pdf(tmp_path / "made.pdf"), 5
    in_turn = _produce(tmp_path, pdf, pages, overlap=False)
    overlapped = _produce(tmp_path, pdf, pages, overlap=True)
    assert overlapped == in_turn
    assert len(in_turn[0]) == pages and [p.rsplit("/", 1)[1][:11] for p in in_turn[0]] == [
        f"ACME{n:07d}" for n in range(1, pages + 1)
    ]
