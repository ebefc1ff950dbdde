import io
import random

import pikepdf
import pytest
from PIL import Image

from demo import documents as docs
from domain.errors import DocumentEncrypted, DocumentUnreadable
from imaging.engine import LocalDocumentEngine


@pytest.fixture(scope="module")
def engine():
    return LocalDocumentEngine()


@pytest.fixture
def text_pdf(tmp_path):
    made = docs.text_pdf(random.Random(1), "Engine test", 3, secret_pages=(2,))
    path = tmp_path / "text.pdf"
    path.write_bytes(made.data)
    return path, made


def test_page_count_text_and_sizes(engine, text_pdf):
    path, made = text_pdf
    assert engine.page_count(path) == 3
    texts = engine.page_texts(path)
    assert "Engine test - page 2 of 3" in texts[1]
    assert made.secrets[0].text in texts[1]
    assert engine.page_sizes(path)[0][:2] == (612.0, 792.0)


def test_render_at_chosen_dpi(engine, text_pdf):
    image = engine.render_page(text_pdf[0], 0, dpi=150, grayscale=True)
    assert image.size == (1275, 1650)
    assert image.mode == "L"
    with pytest.raises(DocumentUnreadable):
        engine.render_page(text_pdf[0], 3, dpi=72)


def test_ocr_reads_a_rendered_page(engine, text_pdf):
    image = engine.render_page(text_pdf[0], 0, dpi=300, grayscale=True)
    words = engine.ocr(image).lower()
    assert "engine" in words and "page" in words


def test_ocr_detects_an_upside_down_scan(engine):
    made = docs.scanned_pdf(random.Random(3), "Rotated scan", 2)
    path = io.BytesIO(made.data)
    pdf_path = __import__("pathlib").Path(__import__("tempfile").mkdtemp()) / "scan.pdf"
    pdf_path.write_bytes(path.getvalue())
    assert engine.page_texts(pdf_path) == ["", ""]  # image-only: no text layer
    upside_down = engine.render_page(pdf_path, 1, dpi=200, grayscale=True)
    plain = engine.ocr(upside_down).lower()
    righted = engine.ocr(upside_down, detect_orientation=True).lower()
    assert "rotated scan" in righted
    assert "rotated scan" not in plain


def test_corrupt_and_encrypted_pdfs_are_typed_errors(engine, tmp_path, text_pdf):
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.7\nthis is not a pdf")
    with pytest.raises(DocumentUnreadable):
        engine.page_count(corrupt)
    encrypted = tmp_path / "locked.pdf"
    with pikepdf.open(text_pdf[0]) as pdf:
        pdf.save(encrypted, encryption=pikepdf.Encryption(user="u-pass", owner="o-pass"))
    with pytest.raises(DocumentEncrypted):
        engine.page_count(encrypted)


def test_pdf_editing_with_pikepdf_keeps_pages(text_pdf, tmp_path, engine):
    with pikepdf.open(text_pdf[0]) as pdf:
        del pdf.pages[1]
        pdf.save(tmp_path / "edited.pdf")
    assert engine.page_count(tmp_path / "edited.pdf") == 2


def test_colour_page_renders_in_colour(engine, tmp_path):
    made = docs.text_pdf(random.Random(2), "Chart", 1, color=True)
    (tmp_path / "c.pdf").write_bytes(made.data)
    image = engine.render_page(tmp_path / "c.pdf", 0, dpi=50)
    assert isinstance(image, Image.Image)
    r, g, b = image.convert("RGB").split()
    assert max(abs(x - y) for x, y in zip(r.getdata(), b.getdata(), strict=True)) > 100
