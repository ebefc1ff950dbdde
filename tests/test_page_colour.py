"""Colour detection without a second render: a page pdfium's page objects prove grey skips the
thumbnail; every other page is still judged on it. Real PDFs: the corpus, and pages written with
pikepdf (coloured text, a gradient, a coloured tiling pattern and a Type 3 font, which pdfium reports
as grey)."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from domain.productions.manifest import validate_manifest
from domain.productions.plan import PdfInfo, build_plan
from imaging import raster
from imaging.doc_job import DocJob
from imaging.engine import LocalDocumentEngine
from imaging.render import produce_document_safely
from tests.production_fixtures import exhibit, export_row, tables

CORPUS = Path(__file__).parent / "corpus"
UNREADABLE = {
    "libreoffice-user-password.pdf",
    "qpdf-user-password-aes256.pdf",
    "damaged-truncated.pdf",
    "zero-bytes.pdf",
    "not-a-pdf.pdf",
}


def _thumbnail_colour(engine: LocalDocumentEngine, pdf: Path) -> list[bool]:
    """The verdict of the 24 dpi thumbnail alone (what colour detection was before the proof)."""
    geometries = engine.page_geometries(pdf)
    thumbs = {
        i: raster.render_dpi(*g.display_size, dpi=24, max_pixels=1_000_000, min_inches=0)
        for i, g in enumerate(geometries)
    }
    requests = [(i, False) for i in range(len(geometries))]
    return [raster.is_colour(image) for image in engine.iter_render(pdf, requests, 24, thumbs)]


def _made_pdf(path: Path) -> Path:
    """Five pages: black text; red text; a red-to-blue gradient (a shading pattern fill, which pdfium
    reports as white) under black text; a red and blue tiling pattern (reported as 0xBFBFBF grey);
    text in a Type 3 font whose glyph paints itself red (the text object's own colour is black)."""
    pdf = pikepdf.new()
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    shading = pikepdf.Dictionary(
        ShadingType=2,
        ColorSpace=pikepdf.Name.DeviceRGB,
        Coords=[0, 0, 612, 0],
        Function=pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[1, 0, 0], C1=[0, 0, 1], N=1),
        Extend=[True, True],
    )
    gradient = pikepdf.Dictionary(Type=pikepdf.Name.Pattern, PatternType=2, Shading=shading)
    tile = pdf.make_stream(b"1 0 0 rg 0 0 10 10 re f 0 0 1 rg 10 10 10 10 re f")
    tile.Type, tile.PatternType, tile.PaintType, tile.TilingType = pikepdf.Name.Pattern, 1, 1, 1
    tile.BBox, tile.XStep, tile.YStep, tile.Resources = [0, 0, 20, 20], 20, 20, pikepdf.Dictionary()
    type3 = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type3,
        FontBBox=[0, 0, 1000, 1000],
        FontMatrix=[0.001, 0, 0, 0.001, 0, 0],
        CharProcs=pikepdf.Dictionary(sq=pdf.make_stream(b"1000 0 d0 1 0 0 rg 0 0 800 800 re f")),
        Encoding=pikepdf.Dictionary(Type=pikepdf.Name.Encoding, Differences=[65, pikepdf.Name.sq]),
        FirstChar=65,
        LastChar=65,
        Widths=[1000],
        Resources=pikepdf.Dictionary(),
    )
    for content, resources in (
        (b"BT /F1 24 Tf 72 700 Td (Black text) Tj ET", {"/Font": {"/F1": font}}),
        (b"1 0 0 rg BT /F1 24 Tf 72 700 Td (Red text) Tj ET", {"/Font": {"/F1": font}}),
        (
            b"/Pattern cs /P0 scn 0 0 612 792 re f BT 0 g /F1 24 Tf 72 700 Td (Gradient) Tj ET",
            {"/Font": {"/F1": font}, "/Pattern": {"/P0": gradient}},
        ),
        (b"/Pattern cs /P0 scn 0 0 612 792 re f", {"/Pattern": {"/P0": tile}}),
        (b"0 g BT /T3 72 Tf 72 600 Td (AAA) Tj ET", {"/Font": {"/T3": type3}}),
    ):
        page = pdf.add_blank_page(page_size=(612, 792))
        page.obj.Resources = pikepdf.Dictionary(resources)
        page.obj.Contents = pdf.make_stream(content)
    pdf.save(path)
    return path


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.pdf") if p.name not in UNREADABLE))
def test_a_page_proven_grey_is_never_a_colour_page(name):
    engine = LocalDocumentEngine()
    pdf = CORPUS / name
    proven = engine.grey_only_pages(pdf, list(range(len(engine.page_geometries(pdf)))))
    colour = _thumbnail_colour(engine, pdf)
    assert not [i for i, (grey, col) in enumerate(zip(proven, colour, strict=True)) if grey and col]


def test_text_pages_skip_the_thumbnail_and_colour_paints_do_not():
    engine = LocalDocumentEngine()
    # Born-digital text (TeX, groff, Chromium) is proven grey page by page.
    for name, pages in (
        ("pdflatex-4-pages.pdf", 4),
        ("groff-memo.pdf", 1),
        ("chromium-hebrew-arabic.pdf", 1),
    ):
        assert engine.grey_only_pages(CORPUS / name, list(range(pages))) == [True] * pages, name
    # A colour image or annotations: not proven, the thumbnail decides.
    assert engine.grey_only_pages(CORPUS / "cmyk-image.pdf", [0]) == [False]
    assert engine.grey_only_pages(CORPUS / "fpdf2-annotations.pdf", [0]) == [False]


def test_coloured_text_and_patterns_come_out_colour(tmp_path):
    pdf = _made_pdf(tmp_path / "made.pdf")
    engine = LocalDocumentEngine()
    assert engine.grey_only_pages(pdf, [0, 1, 2, 3, 4]) == [True, False, False, False, False]
    assert _thumbnail_colour(engine, pdf) == [False, True, True, True, True]
    manifest = validate_manifest(tables(export_row(color_mode="auto"), [exhibit(7, page_count=5)]), 101, 1)
    plan = build_plan(manifest, {7: PdfInfo(pages=5)})
    job = DocJob(
        plan.documents[0], manifest.exhibits[7], manifest.export, str(tmp_path / "out"), pdf_path=str(pdf)
    )
    outcome = produce_document_safely(job, engine)
    assert not outcome.problems
    # Pages keep their order whichever thread wrote them: G4 for the grey page, colour JPEG for the others.
    assert [p.key for p in outcome.produced.pages] == [f"ACME000000{n}" for n in range(1, 6)]
    assert [p.path.rsplit(".", 1)[1] for p in outcome.produced.pages] == ["tif"] + ["jpg"] * 4
