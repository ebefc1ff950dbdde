"""Load files to the byte, page geometry on real rendered PDFs, stamp layout, G4 TIFF writing."""

import numpy as np
import pytest
from PIL import Image
from reportlab.pdfgen import canvas

from domain.geometry import PageGeometry
from domain.production import loadfiles
from domain.production.g4 import write_g4
from domain.production.loadfiles import ProducedDocument, ProducedPage
from domain.production.manifest import validate_manifest
from domain.production.plan import PdfInfo, build_plan
from domain.stamp_layout import layout
from resources.document_engine import LocalDocumentEngine
from tests.production_fixtures import exhibit, export_row, order, tables


@pytest.fixture
def production():
    exhibits = [
        exhibit(1, page_count=3, title='Memo, "draft"\nline two', custodian="José Müller", confidentiality="CONFIDENTIAL"),
        exhibit(2, parent_exhibit_id=1, page_count=1, filename="þorn\x14.pdf"),
        exhibit(3, page_count=1),
    ]
    rows = [order(1, 1), order(2, 2), order(3, 3, withheld=1)]
    manifest = validate_manifest(tables(export_row(name="ABC", bates_prefix="ABC"), exhibits, rows), 101, 1)
    plan = build_plan(manifest, {e: PdfInfo(pages=p) for e, p in ((1, 3), (2, 1), (3, 1))})
    produced = {}
    for doc in plan.documents:
        produced[doc.exhibit_id] = ProducedDocument(
            doc.exhibit_id,
            [ProducedPage(k, f"VOL001/IMAGES/0001/{k}.tif", "tif") for k in doc.page_keys],
            text_path=f"VOL001/TEXT/0001/{doc.begin}.txt",
        )
    return manifest, plan, produced


def test_opt_lfp_log_dii_match_the_contract(production, tmp_path):
    manifest, plan, produced = production
    loadfiles.write_all(tmp_path, manifest.export, plan.documents, produced, manifest.exhibits)
    opt = (tmp_path / "ABC.opt").read_bytes()
    assert opt == (
        b"ABC0000001,VOL001,VOL001\\IMAGES\\0001\\ABC0000001.tif,Y,,,3\r\n"
        b"ABC0000002,VOL001,VOL001\\IMAGES\\0001\\ABC0000002.tif,,,,\r\n"
        b"ABC0000003,VOL001,VOL001\\IMAGES\\0001\\ABC0000003.tif,,,,\r\n"
        b"ABC0000004,VOL001,VOL001\\IMAGES\\0001\\ABC0000004.tif,Y,,,1\r\n"
        b"ABC0000005,VOL001,VOL001\\IMAGES\\0001\\ABC0000005.tif,Y,,,1\r\n"
    )
    assert (tmp_path / "ABC.log").read_bytes() == opt.replace(b",", b"\t")
    assert (tmp_path / "ABC.lfp").read_bytes() == (
        b"IM,ABC0000001,D,0,@VOL001;VOL001\\IMAGES\\0001;ABC0000001.tif;2\r\n"
        b"IM,ABC0000002,,0,@VOL001;VOL001\\IMAGES\\0001;ABC0000002.tif;2\r\n"
        b"IM,ABC0000003,,0,@VOL001;VOL001\\IMAGES\\0001;ABC0000003.tif;2\r\n"
        b"IM,ABC0000004,C,0,@VOL001;VOL001\\IMAGES\\0001;ABC0000004.tif;2\r\n"
        b"IM,ABC0000005,D,0,@VOL001;VOL001\\IMAGES\\0001;ABC0000005.tif;2\r\n"
    )
    dii = (tmp_path / "ABC.dii").read_bytes()
    assert dii.startswith(
        b"@T ABC0000001\r\n@C ENDDOC ABC0000003\r\n@C PGCOUNT 3\r\n@D @I\\VOL001\\IMAGES\\0001\\\r\n"
        b"ABC0000001.tif\r\nABC0000002.tif\r\nABC0000003.tif\r\n\r\n@T ABC0000004\r\n"
    )
    assert [r["pages"] for r in loadfiles.read_dii(tmp_path / "ABC.dii")] == [3, 1, 1]


def test_dat_and_csv(production, tmp_path):
    manifest, plan, produced = production
    loadfiles.write_all(tmp_path, manifest.export, plan.documents, produced, manifest.exhibits)
    raw = (tmp_path / "ABC.dat").read_bytes()
    assert raw.startswith("\ufeffþBEGBATESþ\x14þENDBATESþ".encode())
    assert raw.endswith(b"\r\n") and raw.count(b"\r\n") == 4
    header, rows = loadfiles.read_dat(tmp_path / "ABC.dat")
    assert header == list(manifest.export.dat_fields)
    first = dict(zip(header, rows[0], strict=True))
    assert first["BEGATTACH"] == "ABC0000001" and first["ENDATTACH"] == "ABC0000004" and first["PGCOUNT"] == "3"
    assert first["TITLE"] == 'Memo, "draft"®line two'
    assert first["CUSTODIAN"] == "José Müller" and first["CONFIDENTIALITY"] == "CONFIDENTIAL"
    assert first["TEXTLINK"] == "VOL001\\TEXT\\0001\\ABC0000001.txt"
    second = dict(zip(header, rows[1], strict=True))
    assert second["FILENAME"] == "Þorn .pdf"  # qualifier and separator cannot be escaped: replaced
    withheld = dict(zip(header, rows[2], strict=True))
    assert withheld["TITLE"] == withheld["FILENAME"] == withheld["MD5HASH"] == ""
    import csv

    with open(tmp_path / "ABC.csv", encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == header and table[1][header.index("TITLE")] == 'Memo, "draft"\nline two'


def test_parsers_refuse_broken_files(tmp_path):
    (tmp_path / "x.opt").write_bytes(b"A,VOL001,p,Y,,,1\n")
    with pytest.raises(ValueError):
        loadfiles.read_opt(tmp_path / "x.opt")
    (tmp_path / "x.dat").write_bytes("\ufeffþAþ\x14þBþ\r\nþ1þ\r\n".encode())
    with pytest.raises(ValueError, match="line 2"):
        loadfiles.read_dat(tmp_path / "x.dat")


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_redaction_box_lands_on_the_text_for_every_rotation(tmp_path, rotation):
    """Draw a black square at known PDF coordinates, render with pdfium, check our box covers it."""
    path = tmp_path / f"r{rotation}.pdf"
    c = canvas.Canvas(str(path), pagesize=(612, 792))
    c.setPageRotation(rotation)
    c.rect(100, 300, 80, 40, fill=1, stroke=0)
    c.showPage()
    c.save()
    engine = LocalDocumentEngine()
    geometry = engine.page_geometries(path)[0]
    image = np.asarray(engine.render_page(path, 0, 72, grayscale=True))
    x0, y0, x1, y1 = geometry.rect_to_pixels((100, 300, 180, 340), 72)
    inside = image[y0 + 2:y1 - 2, x0 + 2:x1 - 2]
    assert inside.size and inside.max() < 60  # the whole box is the black square
    dark = np.argwhere(image < 128)
    assert dark[:, 1].min() >= x0 - 1 and dark[:, 1].max() <= x1 and dark[:, 0].min() >= y0 - 1 and dark[:, 0].max() <= y1


def test_geometry_matrix_inverts_display_mapping():
    for rotation in (0, 90, 180, 270):
        g = PageGeometry(0, 0, 612, 792, rotation)
        a, b, c, d, e, f = g.display_matrix()
        width, height = g.display_size
        for X, Y in ((0, 0), (10, 20), (width, height)):
            x, y = a * X + c * Y + e, b * X + d * Y + f
            dx, dy = g.to_display(x, y)
            assert (round(dx, 6), round(dy, 6)) == (X, round(height - Y, 6))


def test_layout_positions_stack_and_wrap():
    measure = lambda text, size: len(text) * size * 0.5  # noqa: E731
    boxes = layout(612, 792, [("bottom_right", "ACME0000001"), ("bottom_right", "CONFIDENTIAL"), ("top_left", "EXHIBIT 12"),
                              ("bottom_center", "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY " * 3)], 10, 18, measure)
    first, second, top, long = boxes
    assert first.x + first.width == pytest.approx(612 - 18) and first.y + first.height == pytest.approx(792 - 18)
    assert second.y + second.height <= first.y  # stacked above, never overlapping
    assert (top.x, top.y) == (18, 18)
    assert len(long.lines) > 1 and max(measure(line, long.font_size) for line in long.lines) <= (612 - 36) / 3
    with pytest.raises(ValueError):
        layout(612, 792, [("middle", "x")], 10, 18, measure)


def test_g4_writer_round_trips_as_white_is_zero(tmp_path):
    rng = np.random.default_rng(1)
    black = rng.random((330, 255)) > 0.9
    write_g4(tmp_path / "p.tif", black, 300)
    with Image.open(tmp_path / "p.tif") as image:
        assert image.info["compression"] == "group4" and image.info["dpi"] == (300, 300)
        assert image.tag_v2[262] == 0  # PhotometricInterpretation: WhiteIsZero
        assert np.array_equal(np.asarray(image.convert("L")) < 128, black)
