"""Branding markup and stamps into exchanged documents: real PDFs, real rendering, real tesseract."""

import io
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from domain.errors import DocumentEncrypted, DocumentUnreadable
from imaging.branding import BrandResult, brand_in
from imaging.engine import LocalDocumentEngine
from imaging.markup import Markup
from imaging.stamp_pdf import Stamp

PAGE = (420, 300)  # small pages: OCR at 300 dpi stays quick
SIZE = 24


@pytest.fixture(scope="module")
def engine():
    return LocalDocumentEngine()


def word_rect(
    x: float, y: float, word: str, size: float = SIZE, pad: float = 2.0
) -> tuple[float, float, float, float]:
    """The box around a word drawn at baseline (x, y)."""
    return (
        x - pad,
        y - size * 0.25 - pad,
        x + stringWidth(word, "Helvetica", size) + pad,
        y + size * 0.8 + pad,
    )


def make_pdf(
    path: Path, pages: list[list[tuple[float, float, str]]], rotate: dict[int, int] | None = None
) -> Path:
    """Pages of big Helvetica lines at (x, baseline); `rotate` sets /Rotate on 1-based pages."""
    drawing = canvas.Canvas(str(path), pagesize=PAGE, invariant=1)
    for lines in pages:
        drawing.setFont("Helvetica", SIZE)
        for x, y, text in lines:
            drawing.drawString(x, y, text)
        drawing.showPage()
    drawing.save()
    if rotate:
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            for number, degrees in rotate.items():
                pdf.pages[number - 1].obj.Rotate = degrees
            pdf.save(path)
    return path


def layer_texts(pdf: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(pdf).pages]


def plain_bytes(pdf: Path) -> bytes:
    """The whole file with every stream decoded and no object streams: nothing can hide in it."""
    buffer = io.BytesIO()
    with pikepdf.open(pdf) as document:
        document.save(
            buffer,
            compress_streams=False,
            stream_decode_level=pikepdf.StreamDecodeLevel.all,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
        )
    return buffer.getvalue()


def hide_copies_of(pdf_path: Path, word: str, page_index: int) -> None:
    """Put `word` where a page's text is copied besides its content: an annotation, a form field's
    value and the structure tree; and a link annotation on page 1."""
    with pikepdf.open(pdf_path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[page_index]
        note = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Text,
                Rect=[5, 5, 25, 25],
                Contents=pikepdf.String(word),
            )
        )
        field = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Widget,
                FT=pikepdf.Name.Tx,
                T=pikepdf.String("name"),
                V=pikepdf.String(word),
                Rect=[300, 5, 400, 25],
                P=page.obj,
            )
        )
        page.obj.Annots = pdf.make_indirect(pikepdf.Array([note, field]))
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))
        pdf.Root.StructTreeRoot = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.StructTreeRoot,
                K=pikepdf.Dictionary(S=pikepdf.Name.P, ActualText=pikepdf.String(word)),
            )
        )
        pdf.pages[0].obj.Annots = pikepdf.Array(
            [
                pdf.make_indirect(
                    pikepdf.Dictionary(
                        Type=pikepdf.Name.Annot,
                        Subtype=pikepdf.Name.Link,
                        Rect=[10, 10, 60, 30],
                        A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://example.com/")),
                    )
                )
            ]
        )
        pdf.save(pdf_path)


def pixels(engine, pdf: Path, page_index: int, rect, dpi: int = 72, inset: int = 2) -> Image.Image:
    """The rendered area of a user-space rect, a little inside its edges."""
    geometry = engine.page_geometries(pdf)[page_index]
    x0, y0, x1, y1 = geometry.rect_to_pixels(rect, dpi)
    image = engine.render_page(pdf, page_index, dpi).convert("RGB")
    return image.crop((x0 + inset, y0 + inset, x1 - inset, y1 - inset))


def mean_rgb(image: Image.Image) -> tuple[float, float, float]:
    bands = image.split()
    return tuple(sum(band.getdata()) / (image.width * image.height) for band in bands)


def image_bytes(colour: tuple[int, ...], size=(60, 40), kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA" if len(colour) == 4 else "RGB", size, colour).save(buffer, format=kind)
    return buffer.getvalue()


def test_a_redaction_removes_the_word_from_the_file_and_keeps_the_rest(tmp_path, engine):
    source = make_pdf(
        tmp_path / "source.pdf",
        [
            [(30, 200, "Alpha page one")],
            [(30, 200, "Name ZEBULON here"), (30, 100, "Visible WOMBAT")],
            [(30, 200, "Gamma page three")],
        ],
    )
    secret = word_rect(30 + stringWidth("Name ", "Helvetica", SIZE), 200, "ZEBULON")
    assert "ZEBULON" in engine.text_in_rect(source, 1, secret)  # the rect is where the word is
    hide_copies_of(source, "ZEBULON", 1)
    target = tmp_path / "out" / "branded.pdf"

    result = brand_in(source, target, [Markup("redaction", 2, secret)], {}, engine)

    assert (result.redacted_pages, result.changed_pages, result.problems) == ([2], [2], [])
    assert len(result.page_texts) == 3 and len(PdfReader(target).pages) == 3
    assert all(
        "ZEBULON" not in text for text in result.page_texts + layer_texts(target) + engine.page_texts(target)
    )
    assert b"ZEBULON" not in plain_bytes(target)  # nor in annotations, form values, structure tree
    assert "WOMBAT" in result.page_texts[1] and "WOMBAT" in layer_texts(target)[1]  # OCR text layer
    assert max(mean_rgb(pixels(engine, target, 1, secret))) < 10  # black where the word was
    source_texts = engine.page_texts(source)
    assert [result.page_texts[0], result.page_texts[2]] == [source_texts[0], source_texts[2]]
    assert [engine.page_texts(target)[i] for i in (0, 2)] == [
        source_texts[0],
        source_texts[2],
    ]  # vector pages kept
    assert engine.page_geometries(target) == engine.page_geometries(source)
    with pikepdf.open(target) as branded:  # other pages' annotations are left alone
        assert [str(a.Subtype) for a in branded.pages[0].Annots] == ["/Link"]
        assert "/Annots" not in branded.pages[1].obj  # flattened into the redacted image


def test_a_note_over_a_redaction_is_drawn_on_top_of_the_box(tmp_path, engine):
    source = make_pdf(tmp_path / "source.pdf", [[(30, 200, "Code SECRET"), (30, 80, "Plain words")]])
    secret = word_rect(30 + stringWidth("Code ", "Helvetica", SIZE), 200, "SECRET")
    # The note starts inside the redaction, to its right, and runs past it.
    note_rect = (secret[2] - 20, secret[1] - 10, secret[2] + 130, secret[3])
    markups = [
        Markup("note", 1, note_rect, content="Reviewed OK"),  # given first: order comes from the kind
        Markup("redaction", 1, secret, content="PII"),
    ]

    result = brand_in(source, tmp_path / "branded.pdf", markups, {}, engine)

    assert (result.redacted_pages, result.changed_pages, result.problems) == ([1], [1], [])
    assert "SECRET" not in result.page_texts[0] and "SECRET" not in "".join(
        layer_texts(tmp_path / "branded.pdf")
    )
    assert "Reviewed OK" in result.page_texts[0] and "Plain words" in result.page_texts[0]
    overlap = (secret[2] - 18, secret[1] + 2, secret[2] - 2, secret[3] - 2)
    red, green, blue = mean_rgb(pixels(engine, tmp_path / "branded.pdf", 0, overlap, inset=0))
    assert red > 200 and green > 200  # the note's light fill, not the box's black
    left_of_note = (secret[0] + 2, secret[1] + 2, note_rect[0] - 2, secret[3] - 2)
    assert (
        max(mean_rgb(pixels(engine, tmp_path / "branded.pdf", 0, left_of_note, inset=0))) < 60
    )  # box (with its label)


def test_highlights_and_stickers_are_drawn_and_faulty_markup_is_reported(tmp_path, engine):
    source = make_pdf(tmp_path / "source.pdf", [[(30, 200, "HIGHLIGHTED WORDS")], [(30, 200, "Second page")]])
    highlight = word_rect(30, 200, "HIGHLIGHTED WORDS")
    sticker = (300, 40, 390, 100)
    markups = [
        Markup("highlight", 1, highlight),
        Markup("sticker", 1, sticker, image=image_bytes((220, 20, 20, 255), size=(90, 60))),
        Markup(
            "sticker", 2, (300, 40, 390, 100), image=image_bytes((20, 160, 20), size=(90, 60), kind="JPEG")
        ),
        Markup("sticker", 2, (30, 40, 90, 80), image=b"not an image"),
        Markup("sticker", 1, (30, 40, 90, 80), image=None),
        Markup("note", 99, (10, 10, 50, 50), content="lost"),
    ]
    target = tmp_path / "branded.pdf"

    result = brand_in(source, target, markups, {}, engine)

    assert (result.redacted_pages, result.changed_pages) == ([], [1, 2])
    assert len(result.problems) == 3
    assert any("sticker" in p and "no image" in p for p in result.problems)
    assert any("page 2" in p and "cannot be read" in p for p in result.problems)
    assert any("page 99" in p for p in result.problems)
    # Yellow over the white around the letters, the letters still read (by OCR and in the text layer).
    band = (highlight[0], highlight[3] - 5, highlight[2], highlight[3] - 1)
    red, green, blue = mean_rgb(pixels(engine, target, 0, band, dpi=150, inset=1))
    assert red > 200 and green > 180 and blue < 150
    assert "HIGHLIGHTED WORDS" in result.page_texts[0] and "HIGHLIGHTED WORDS" in layer_texts(target)[0]
    red, green, blue = mean_rgb(pixels(engine, target, 0, sticker))
    assert red > 180 and green < 60 and blue < 60
    red, green, blue = mean_rgb(pixels(engine, target, 1, (300, 40, 390, 100)))
    assert green > 120 and red < 60 and blue < 60
    assert "Second page" in result.page_texts[1] and "Second page" in layer_texts(target)[1]


def test_stamps_are_burned_last_and_read_back(tmp_path, engine):
    source = make_pdf(tmp_path / "source.pdf", [[(30, 200, "First page")], [(30, 200, "Second page")]])
    stamps = {
        2: [Stamp("bates", "ABC0000002", "bottom_right", 14.0)],
        7: [Stamp("bates", "ABC0000007", "bottom_right")],
    }

    result = brand_in(source, tmp_path / "branded.pdf", [], stamps, engine)

    assert result.changed_pages == [2] and result.redacted_pages == []
    assert any("page 7" in p for p in result.problems)
    # OCR may read the zeros after a capital C as the letter O.
    assert "ABC0000002" in result.page_texts[1].replace("O", "0") and "Second page" in result.page_texts[1]
    assert result.page_texts[0] == engine.page_texts(source)[0]


def test_a_redaction_on_a_rotated_page_covers_the_right_word(tmp_path, engine):
    # A portrait page shown landscape (/Rotate 90) and cropped, its text drawn so it reads upright as shown.
    path = tmp_path / "source.pdf"
    drawing = canvas.Canvas(str(path), pagesize=(PAGE[1], PAGE[0]), invariant=1)
    drawing.translate(PAGE[1], 0)
    drawing.rotate(90)  # local (u, v) is now display space: user x = 300 - v, user y = u
    drawing.setFont("Helvetica", SIZE)
    drawing.drawString(30, 200, "LEFTWORD")
    drawing.drawString(180, 100, "RIGHTWORD")
    drawing.showPage()
    drawing.save()
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj.Rotate = 90
        pdf.pages[0].obj.CropBox = pikepdf.Array([10, 5, 290, 415])
        pdf.save(path)

    def user_rect(u0, v0, u1, v1):
        return PAGE[1] - v1, u0, PAGE[1] - v0, u1

    secret = user_rect(*word_rect(180, 100, "RIGHTWORD"))
    highlight = user_rect(*word_rect(30, 200, "LEFTWORD"))
    assert "RIGHTWORD" in engine.text_in_rect(path, 0, secret) and "LEFTWORD" in engine.text_in_rect(
        path, 0, highlight
    )
    target = tmp_path / "branded.pdf"

    result = brand_in(
        path, target, [Markup("redaction", 1, secret), Markup("highlight", 1, highlight)], {}, engine
    )

    assert "LEFTWORD" in result.page_texts[0] and "RIGHTWORD" not in result.page_texts[0]
    assert "RIGHTWORD" not in layer_texts(target)[0] and "LEFTWORD" in layer_texts(target)[0]
    assert engine.page_geometries(target) == engine.page_geometries(path)  # still /Rotate 90, same boxes
    assert max(mean_rgb(pixels(engine, target, 0, secret))) < 10
    assert mean_rgb(pixels(engine, target, 0, highlight))[2] < 200  # yellow over LEFTWORD, where it is shown


def test_the_target_is_written_whole_or_not_at_all_and_reruns_agree(tmp_path, engine):
    source = make_pdf(tmp_path / "source.pdf", [[(30, 200, "Name ZEBULON here")], [(30, 200, "Other page")]])
    markups = [
        Markup("redaction", 1, word_rect(30 + stringWidth("Name ", "Helvetica", SIZE), 200, "ZEBULON")),
        Markup("highlight", 2, word_rect(30, 200, "Other page")),
    ]
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "branded.pdf"
    target.write_bytes(b"the previous version")

    class FailingEngine(LocalDocumentEngine):
        def ocr(self, image, detect_orientation=False):
            raise RuntimeError("OCR broke")

    with pytest.raises(RuntimeError, match="OCR broke"):
        brand_in(source, target, markups, {}, FailingEngine())
    assert [p.name for p in folder.iterdir()] == [
        "branded.pdf"
    ] and target.read_bytes() == b"the previous version"

    first: BrandResult = brand_in(source, target, markups, {}, engine)
    first_bytes = target.read_bytes()
    second = brand_in(source, target, markups, {}, engine)
    assert second.page_texts == first.page_texts and target.read_bytes() == first_bytes
    assert [p.name for p in folder.iterdir()] == ["branded.pdf"]


def test_unreadable_and_encrypted_sources_raise_typed_errors(tmp_path, engine):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 not really")
    with pytest.raises(DocumentUnreadable):
        brand_in(broken, tmp_path / "a.pdf", [], {}, engine)
    locked = make_pdf(tmp_path / "locked.pdf", [[(30, 200, "Locked")]])
    with pikepdf.open(locked, allow_overwriting_input=True) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="owner", user="user"))
    with pytest.raises(DocumentEncrypted):
        brand_in(locked, tmp_path / "b.pdf", [], {}, engine)
    assert not (tmp_path / "a.pdf").exists() and not (tmp_path / "b.pdf").exists()
