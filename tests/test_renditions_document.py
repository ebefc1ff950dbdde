"""One document's rendition from a real PDF (imaging/renditions/document.py): a Chromium-printed
tagged PDF, a reportlab PDF without tags and a real scan (tests/corpus/) each give an index.html
and its images that pass axe-core's WCAG 2.1 A/AA rules in the system Chromium; encrypted, damaged,
empty and over-long PDFs give the named manifest problem and write nothing.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Image as RLImage
from reportlab.platypus import PageBreak, SimpleDocTemplate, Table, TableStyle
from reportlab.platypus import Paragraph as RLParagraph

import imaging.ocr
from domain.errors import SettingsError
from domain.renditions.html import HtmlWriter, write_html
from domain.renditions.manifest import (
    DAMAGED,
    ENCRYPTED,
    IMAGE_ONLY_WITHOUT_OCR,
    MISSING_SOURCE,
    TOO_MANY_PAGES,
    ZERO_PAGES,
)
from domain.renditions.model import Document, Figure, Heading, Inline, PageStart, Paragraph
from imaging.engine import LocalDocumentEngine
from imaging.renditions.document import render_document
from tests import test_renditions_axe as axe_checks

pytestmark = pytest.mark.timeout(600)

CORPUS = Path(__file__).parent / "corpus"
# The axe check's browser (system Chromium) and axe-core script, shared with its own tests.
browser = axe_checks.browser
axe_script = axe_checks.axe_script

TAGGED_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Site report</title>
</head><body><h1>Site report</h1><p>The inspection found the following on the first visit.</p>
<h2>Findings</h2><ul><li>Cracked kerb</li><li>Loose railing</li></ul>
<table><thead><tr><th scope="col">Item</th><th scope="col">Cost</th></tr></thead>
<tbody><tr><td>Kerb</td><td>1,200</td></tr><tr><td>Railing</td><td>300</td></tr></tbody></table>
<figure><img alt="A green square" width="120" height="120" src="@GREEN@"></figure>
<figure><img width="90" height="60" src="@ORANGE@"></figure>
<p style="break-before: page">Second page words closing the report.</p></body></html>"""


def _svg(colour: str, width: int, height: int) -> str:
    svg = f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'>"
    svg += f"<rect width='{width}' height='{height}' fill='{colour}'/></svg>"
    return "data:image/svg+xml," + svg.replace("<", "%3C").replace(">", "%3E")


@pytest.fixture(scope="module")
def engine() -> LocalDocumentEngine:
    return LocalDocumentEngine()


@pytest.fixture(scope="module")
def tagged_pdf(browser, tmp_path_factory) -> Path:
    html = TAGGED_HTML.replace("@GREEN@", _svg("rgb(0,160,0)", 120, 120))
    html = html.replace("@ORANGE@", _svg("rgb(255,128,0)", 90, 60))
    page = browser.new_page()
    try:
        page.set_content(html, wait_until="load")
        pdf = tmp_path_factory.mktemp("tagged") / "report.tagged.pdf"
        pdf.write_bytes(page.pdf(format="Letter", tagged=True, print_background=True))
    finally:
        page.close()
    return pdf


@pytest.fixture(scope="module")
def untagged_pdf(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("untagged")
    picture = folder / "red.png"
    Image.new("RGB", (60, 40), (200, 30, 30)).save(picture)
    pdf = folder / "memo.pdf"
    styles = getSampleStyleSheet()
    SimpleDocTemplate(str(pdf), pagesize=letter, invariant=1).build(
        [
            RLParagraph("Quarterly Memo", styles["Title"]),
            RLParagraph("Budget", styles["Heading2"]),
            RLParagraph(
                "The budget paragraph says what was spent and on what, in plain words.", styles["BodyText"]
            ),
            RLImage(str(picture), width=120, height=80),
            Table(
                [["Name", "Amount"], ["Alpha", "10"], ["Beta", "20"]],
                style=TableStyle([("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold")]),
            ),
            PageBreak(),
            RLParagraph("The second page has a closing paragraph.", styles["BodyText"]),
        ]
    )
    return pdf


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_tagged_pdf_gives_its_structure_its_figures_cropped_and_bates_anchors(
    engine, tagged_pdf, tmp_path, browser, axe_script
):
    out = tmp_path / "12"
    result = render_document(
        engine,
        tagged_pdf,
        title="Site report",
        page_labels=["NEX0000001", "NEX0000002"],
        out_dir=out,
        document_id=12,
        exhibit_ids=[5, 3, 5],
        key_prefix="case_7/renditions/html/12/",
    )
    assert result.problem is None
    entry = result.entry
    assert entry.source == "tagged" and entry.pages == 2 and entry.exhibit_ids == (3, 5)
    assert entry.source_sha256 == hashlib.sha256(tagged_pdf.read_bytes()).hexdigest()
    assert entry.html_key == "case_7/renditions/html/12/index.html"
    assert entry.assets == ("case_7/renditions/html/12/fig-1.png", "case_7/renditions/html/12/fig-2.png")
    assert sorted(_files(out)) == ["fig-1.png", "fig-2.png", "index.html"]  # no staging left behind
    html = (out / "index.html").read_text(encoding="utf-8")
    assert entry.html_sha256 == hashlib.sha256(html.encode()).hexdigest()
    assert "<table" in html and 'scope="col"' in html and "<ul" in html
    assert 'alt="A green square"' in html and 'src="fig-1.png"' in html
    assert "NEX0000001" in html and "NEX0000002" in html and 'id="page-2"' in html
    # The crops hold the drawn colours: the figure box was rendered, not guessed.
    with Image.open(out / "fig-1.png") as green, Image.open(out / "fig-2.png") as orange:
        assert green.convert("RGB").getpixel((green.width // 2, green.height // 2)) == (0, 160, 0)
        assert orange.convert("RGB").getpixel((orange.width // 2, orange.height // 2)) == (255, 128, 0)
        assert abs(green.width - 120 * 150 / 96) <= 6  # 120 CSS px = 90 pt, at 150 dpi
    assert any("figure 2" in line and "no alternate text" in line for line in entry.needs_person)
    axe_checks.assert_accessible(browser, axe_script, out / "index.html", "tagged")


def test_an_untagged_pdf_goes_through_layout_and_a_rerun_gives_the_same_bytes(
    engine, untagged_pdf, tmp_path, browser, axe_script
):
    out = tmp_path / "doc"
    out.mkdir()
    (out / "fig-9.png").write_bytes(b"an image of an earlier rendition")
    (out / ".staging-killed").mkdir()  # what a run killed mid-way leaves
    (out / ".staging-killed" / "fig-1.png").write_bytes(b"half")
    first = render_document(
        engine, untagged_pdf, title="Memo", page_labels=None, out_dir=out, keep_document=True
    )
    assert first.problem is None and first.entry.source == "layout" and first.entry.pages == 2
    assert sorted(_files(out)) == ["fig-1.png", "index.html"]  # the stale image is gone
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Quarterly Memo" in html and "<table" in html and 'src="fig-1.png"' in html
    assert 'id="page-1"' in html and 'id="page-2"' in html
    with Image.open(out / "fig-1.png") as image:
        assert image.size == (60, 40) and image.convert("RGB").getpixel((30, 20)) == (200, 30, 30)
    figures = [b for b in first.document.blocks if isinstance(b, Figure)]
    assert [f.asset for f in figures] == ["fig-1.png"]
    assert write_html(first.document) == html  # streamed to disk, the same page as written whole
    assert not any(IMAGE_ONLY_WITHOUT_OCR in line for line in first.entry.needs_person)
    before = _files(out)
    again = render_document(engine, untagged_pdf, title="Memo", page_labels=None, out_dir=out)
    assert again.entry == first.entry and _files(out) == before
    assert again.document is None  # not asked for: a long document's blocks are not held
    axe_checks.assert_accessible(browser, axe_script, out / "index.html", "untagged")


def test_a_scan_is_read_by_ocr(engine, tmp_path, browser, axe_script):
    out = tmp_path / "scan"
    result = render_document(
        engine,
        CORPUS / "img2pdf-g4-scan.pdf",
        title="Scanned letter",
        page_labels=["ABC0001"],
        out_dir=out,
        keep_document=True,
    )
    assert result.problem is None and result.entry.source == "ocr"
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "ABC0001" in html
    words = re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1])
    assert len(re.findall(r"[A-Za-z]{4,}", words)) >= 5, words[:500]  # OCR found text
    assert [b.label for b in result.document.blocks if isinstance(b, PageStart)] == ["ABC0001"]
    axe_checks.assert_accessible(browser, axe_script, out / "index.html", "scan")


def _empty_pdf(folder: Path) -> Path:
    pdf = folder / "empty.pdf"
    pikepdf.new().save(pdf)
    return pdf


@pytest.mark.parametrize(
    "make,problem",
    [
        (lambda folder: CORPUS / "libreoffice-user-password.pdf", ENCRYPTED),
        (lambda folder: CORPUS / "qpdf-user-password-aes256.pdf", ENCRYPTED),
        (lambda folder: CORPUS / "damaged-truncated.pdf", DAMAGED),
        (lambda folder: CORPUS / "not-a-pdf.pdf", DAMAGED),
        (_empty_pdf, ZERO_PAGES),
        (lambda folder: CORPUS / "pdflatex-4-pages.pdf", TOO_MANY_PAGES),
        (lambda folder: folder / "absent.pdf", MISSING_SOURCE),
    ],
    ids=["encrypted-rc4", "encrypted-aes", "damaged", "not-a-pdf", "zero-pages", "too-many", "missing"],
)
def test_a_pdf_that_cannot_be_made_is_a_named_problem_and_writes_nothing(engine, tmp_path, make, problem):
    pdf = make(tmp_path)
    out = tmp_path / "out"
    result = render_document(
        engine, pdf, title="x", page_labels=None, out_dir=out, max_pages=3, document_id=4, exhibit_ids=[8]
    )
    assert result.entry is None and result.problem is not None
    assert (result.problem.problem, result.problem.document_id, result.problem.exhibit_ids) == (
        problem,
        4,
        (8,),
    )
    assert str(CORPUS) not in result.problem.detail and str(tmp_path) not in result.problem.detail
    assert not out.exists() or not any(out.iterdir())
    if problem != MISSING_SOURCE:
        assert result.problem.source_sha256 == hashlib.sha256(pdf.read_bytes()).hexdigest()


def test_a_damaged_pdf_qpdf_can_rebuild_is_made(engine, tmp_path):
    result = render_document(
        engine,
        CORPUS / "damaged-truncated-repairable.pdf",
        title="Rebuilt",
        page_labels=None,
        out_dir=tmp_path,
    )
    assert result.problem is None and (tmp_path / "index.html").is_file()
    assert io.BytesIO((tmp_path / "index.html").read_bytes()).read(15) == b"<!DOCTYPE html>"


# Every PDF of the real-world corpus (tests/corpus/SOURCES.md): a rendition that passes axe, or a
# named problem. imagemagick-tiny-images.pdf has 16 px blank "scans": tesseract finds nothing there
# (it used to crash the process reading the row of an empty result).
UNREADABLE = {
    "libreoffice-user-password.pdf": ENCRYPTED,
    "qpdf-user-password-aes256.pdf": ENCRYPTED,
    "damaged-truncated.pdf": DAMAGED,
    "not-a-pdf.pdf": DAMAGED,
    "zero-bytes.pdf": DAMAGED,
}


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.pdf")))
def test_every_corpus_pdf_gives_an_accessible_rendition_or_a_named_problem(
    engine, tmp_path, browser, axe_script, name
):
    out = tmp_path / "out"
    result = render_document(
        engine, CORPUS / name, title="", page_labels=None, out_dir=out, keep_document=True
    )
    if name in UNREADABLE:
        assert result.entry is None and result.problem.problem == UNREADABLE[name]
        return
    assert result.problem is None, result.problem.line()
    pages = [b for b in result.document.blocks if isinstance(b, PageStart)]
    assert [p.page for p in pages] == list(range(1, result.entry.pages + 1))
    assert sorted(_files(out)) == sorted(["index.html", *(a for a in result.entry.assets)])
    axe_checks.assert_accessible(browser, axe_script, out / "index.html", name)


def test_the_streamed_page_is_the_page_written_whole(tmp_path):
    blocks = [
        PageStart(1, "ABC1"),
        Heading(1, [Inline("Annual  report")]),
        Paragraph([Inline("Opening words.")]),
        PageStart(2),
        Heading(2, [Inline("Costs")]),
        Figure(asset="fig-1.png", alt=None, width=10, height=10),
    ]
    whole = write_html(Document(title="Annual report", lang="fr", blocks=blocks))
    with (tmp_path / "spool").open("w+", encoding="utf-8") as spool:
        # no title given: the first heading names the page, and is not repeated under the h1
        writer = HtmlWriter(spool, title=None, untitled="Document")
        for block in blocks:
            writer.add(block)
        out = io.StringIO()
        writer.finish(out, "fr")
    assert out.getvalue() == whole and "<title>Annual report</title>" in whole
    assert whole.count("Annual report") == 2  # <title> and <h1>: the heading itself was dropped
    with (tmp_path / "none").open("w+", encoding="utf-8") as spool:
        writer = HtmlWriter(spool, title=None, untitled="Document")
        writer.add(Paragraph([Inline("No heading at all.")]))
        assert writer.title == "Document"


def _blank_scan(folder: Path) -> Path:
    pdf = folder / "blank-scan.pdf"
    Image.new("L", (850, 1100), 255).save(pdf, "PDF", resolution=100)
    return pdf


def test_an_image_only_pdf_without_ocr_is_made_and_asks_a_person(tmp_path, monkeypatch):
    def no_language_data(configured=None):
        raise SettingsError("Tesseract language data (eng.traineddata) was not found.")

    monkeypatch.setattr(imaging.ocr, "find_tessdata", no_language_data)
    engine = LocalDocumentEngine()  # a fresh engine: its tesseract is made on first use, and fails
    out = tmp_path / "scan"
    result = render_document(
        engine, CORPUS / "img2pdf-g4-scan.pdf", title="Scanned letter", page_labels=["ABC0001"], out_dir=out
    )
    assert result.problem is None and result.entry is not None
    assert result.entry.source == "layout"  # nothing was read by OCR
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "ABC0001" in html and 'src="fig-1.png"' in html  # the scan itself is shown
    assert result.entry.needs_person[0] == (
        f"{IMAGE_ONLY_WITHOUT_OCR}: no text on page 1 (OCR is not available): a person should read it"
    )
    assert "figure 1 on page 1 has no alternate text" in result.entry.needs_person


def test_pages_that_give_no_text_even_by_ocr_ask_a_person(engine, tmp_path):
    blank = _blank_scan(tmp_path)
    with pikepdf.open(blank) as one, pikepdf.new() as pdf:
        for _ in range(3):
            pdf.pages.append(one.pages[0])
        pdf.save(tmp_path / "three.pdf")
    result = render_document(
        engine, tmp_path / "three.pdf", title="Blank", page_labels=None, out_dir=tmp_path / "o"
    )
    assert result.problem is None and result.entry.source == "ocr"
    assert result.entry.needs_person[0] == (
        f"{IMAGE_ONLY_WITHOUT_OCR}: no text on pages 1-3, OCR found none: a person should read or describe it"
    )


def test_an_untagged_pdf_keeps_the_language_its_catalog_names(engine, untagged_pdf, tmp_path):
    """No tag tree, but a catalog /Lang: the page says it (a screen reader picks its voice by it);
    an invalid one falls back to the default."""
    for value, expected in (("de-DE", 'lang="de-DE"'), ("not a language!", 'lang="en"')):
        pdf = tmp_path / f"{expected[6:8]}.pdf"
        with pikepdf.open(untagged_pdf) as source:
            source.Root.Lang = pikepdf.String(value)
            source.save(pdf)
        out = tmp_path / f"out-{expected[6:8]}"
        result = render_document(engine, pdf, title="Memo", page_labels=None, out_dir=out)
        assert result.entry.source == "layout"
        assert expected in (out / "index.html").read_text(encoding="utf-8")
