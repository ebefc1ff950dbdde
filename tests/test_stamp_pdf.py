"""Stamp layout (pure) and the two PDF outputs on real PDFs, checked by rendering them with pdfium."""

from __future__ import annotations

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest

from domain.geometry import PageGeometry
from domain.stamp_layout import plan_page
from imaging.stamp_images import stamp_image
from imaging.stamp_pdf import Stamp, measure, stamp_pdf, strip_stamps
from tests.stamp_fixtures import Doc, make_pdf

STAMPS = [
    Stamp("bates", "ACME0000001", "bottom_right"),
    Stamp(
        "confidentiality",
        "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY UNDER THE PROTECTIVE ORDER",
        "bottom_left",
    ),
    Stamp("exhibit", "PLAINTIFF EXHIBIT 12", "top_right", 14),
    Stamp("bates", "SECOND-STAMP", "bottom_right"),
]


def _overlap(a, b) -> bool:
    return a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height and b.y < a.y + a.height


def test_layout_never_overlaps_and_bands_hold_the_stamps():
    placed = plan_page(612, 792, [(s.position, s.text, s.font_size) for s in STAMPS], 10, 18, measure, "band")
    boxes = placed.boxes
    assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert (
        placed.band_top > 0
        and placed.band_bottom > 0
        and placed.height == 792 + placed.band_top + placed.band_bottom
    )
    for box in boxes:  # every stamp lies inside a band, never on the original page area
        assert box.y + box.height <= placed.band_top or box.y >= placed.band_top + 792
        assert box.x >= 0 and box.x + box.width <= 612
    long = boxes[1]
    assert len(long.lines) > 1 and all(measure(line, long.font_size) <= (612 - 36) / 3 for line in long.lines)
    overlay = plan_page(612, 792, [("bottom_right", "X")], 10, 18, measure, "overlay")
    assert overlay.band_bottom == 0 and overlay.height == 792


def test_layout_shrinks_then_hard_wraps_a_word_too_long_for_the_column():
    placed = plan_page(200, 300, [("bottom_center", "A" * 120)], 10, 10, measure, "overlay")
    box = placed.boxes[0]
    assert box.font_size == pytest.approx(5, abs=0.01)  # halved, no further
    assert "".join(box.lines) == "A" * 120 and all(measure(line, box.font_size) <= 60 for line in box.lines)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_geometry_bands_grow_the_visual_top_and_bottom(rotation):
    g = PageGeometry(0, 0, 612, 792, rotation)
    grown = g.extended(10, 20)
    width, height = g.display_size
    assert grown.display_size == (width, height + 30)
    # The original page appears 10 points down in the grown page, at its own size.
    x0, y0, x1, y1 = grown.display_rect_to_user(0, 10, width, height)
    assert (round(x0), round(y0), round(x1), round(y1)) == (0, 0, 612, 792)


def _render(path, index: int, scale: float = 1.0) -> np.ndarray:
    document = pdfium.PdfDocument(str(path))
    try:
        page = document[index]
        return np.asarray(
            page.render(scale=scale, draw_annots=True, may_draw_forms=True).to_pil().convert("L")
        )
    finally:
        document.close()


@pytest.mark.parametrize("output", ["annotations", "burned"])
@pytest.mark.parametrize("rotation", [0, 90, 270])
def test_band_mode_keeps_every_content_pixel_and_puts_stamps_on_the_visual_bottom(tmp_path, output, rotation):
    source = tmp_path / "source.pdf"
    source.write_bytes(make_pdf(Doc(1, pages=1, rotation=rotation)))
    target = tmp_path / "stamped.pdf"
    layouts, count = stamp_pdf(source, target, {1: STAMPS}, output, "band")
    assert count == 1
    placed = layouts[1]
    before, after = _render(source, 0), _render(target, 0)
    top, bottom = round(placed.band_top), round(placed.band_bottom)
    assert after.shape == (before.shape[0] + top + bottom, before.shape[1])
    # The original page, moved down by the top band, is untouched: no stamp covers content.
    original = after[top : top + before.shape[0]].astype(int)
    assert np.abs(original - before.astype(int)).max() <= 40
    # Ink in the bottom band's right third (Bates) and in the top band's right third (exhibit stamp).
    band = after[top + before.shape[0] :]
    assert (band[:, 2 * after.shape[1] // 3 :] < 128).any()
    assert (after[:top, 2 * after.shape[1] // 3 :] < 128).any()
    assert not (after[:top, : after.shape[1] // 3] < 128).any()  # nothing at top-left


def test_burned_text_is_in_the_content_and_upright(tmp_path):
    source = tmp_path / "source.pdf"
    source.write_bytes(make_pdf(Doc(1, pages=2, rotation=90)))
    target = tmp_path / "burned.pdf"
    stamp_pdf(
        source,
        target,
        {1: STAMPS[:1], 2: [Stamp("bates", "ACME0000002", "bottom_right")]},
        "burned",
        "overlay",
    )
    document = pdfium.PdfDocument(str(target))
    texts = [document[i].get_textpage().get_text_range() for i in range(2)]
    assert "ACME0000001" in texts[0] and "ACME0000002" in texts[1] and "ACME0000001" not in texts[1]
    # Upright: the stamp's characters advance left to right on the displayed page.
    textpage = document[0].get_textpage()
    start = texts[0].index("ACME0000001")
    first, last = textpage.get_charbox(start), textpage.get_charbox(start + 10)
    width = document[0].get_width()
    assert first[0] < last[0] and first[0] > width / 2  # right side of the page as shown
    document.close()


def test_annotations_are_read_only_typed_and_removable_by_type(tmp_path):
    source = tmp_path / "source.pdf"
    source.write_bytes(make_pdf(Doc(1, pages=2, links=True)))
    target = tmp_path / "annotated.pdf"
    stamp_pdf(source, target, {1: STAMPS, 2: STAMPS[:1]}, "annotations", "band")
    with pikepdf.open(target) as pdf:
        annots = list(pdf.pages[0].Annots)
        stamps = [a for a in annots if "/NPCustomData" in a]
        assert len(annots) == 5 and len(stamps) == 4  # the link is still there
        for a in stamps:
            assert a.Subtype == "/FreeText" and int(a.F) & 64 and int(a.F) & 128 and "/N" in a.AP
        assert sorted(str(a.NPCustomData.type) for a in stamps) == [
            "bates_stamp",
            "bates_stamp",
            "confidentiality_stamp",
            "exhibit_stamp",
        ]
        assert str(stamps[0].Contents) == "ACME0000001"
        # The text layer of the page itself carries no stamp: it is an annotation layer.
        assert strip_stamps(pdf, ["bates_stamp"]) == 3
        kinds = [
            str(a.NPCustomData.type) if "/NPCustomData" in a else str(a.Subtype) for a in pdf.pages[0].Annots
        ]
        assert sorted(kinds) == ["/Link", "confidentiality_stamp", "exhibit_stamp"]
        assert len(pdf.pages[1].Annots) == 0


def test_stamp_pdf_refuses_encrypted_and_out_of_range_pages(tmp_path):
    from domain.errors import DocumentEncrypted, DocumentUnreadable

    encrypted = tmp_path / "enc.pdf"
    encrypted.write_bytes(make_pdf(Doc(1, encrypted=True)))
    with pytest.raises(DocumentEncrypted):
        stamp_pdf(encrypted, tmp_path / "x.pdf", {1: STAMPS}, "burned")
    source = tmp_path / "s.pdf"
    source.write_bytes(make_pdf(Doc(1, pages=2)))
    with pytest.raises(DocumentUnreadable, match="has 2 pages"):
        stamp_pdf(source, tmp_path / "y.pdf", {3: STAMPS}, "burned")
    with pytest.raises(DocumentUnreadable, match="page 2 has no Bates number"):
        stamp_pdf(source, tmp_path / "y.pdf", {1: STAMPS}, "burned", every_page={1})
    assert not (tmp_path / "y.pdf").exists()


def test_image_stamping_grows_the_image_and_inks_the_bands():
    from PIL import Image

    page = Image.new("L", (1275, 1650), 255)
    stamped, placed = stamp_image(page, STAMPS, dpi=150, mode="band")
    pixels = np.asarray(stamped)
    assert stamped.size == (1275, round(placed.height)) and placed.band_bottom > 0
    assert (pixels[-round(placed.band_bottom) :, 850:] < 128).any()
    assert (
        pixels[round(placed.band_top) : round(placed.band_top) + 1650] == 255
    ).all()  # page itself untouched
