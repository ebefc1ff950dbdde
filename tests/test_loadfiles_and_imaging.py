"""Load files to the byte, page geometry on real rendered PDFs, stamp layout, G4 TIFF writing."""

import numpy as np
import pytest
from PIL import Image
from reportlab.pdfgen import canvas

from domain.geometry import PageGeometry
from domain.productions import loadfile_parsers, loadfiles
from domain.productions.loadfiles import ProducedDocument, ProducedPage
from domain.productions.manifest import sent_date_time, validate_manifest
from domain.productions.plan import PdfInfo, build_plan
from domain.stamp_layout import layout
from imaging.engine import LocalDocumentEngine
from imaging.g4 import write_g4
from tests.production_fixtures import exhibit, export_row, order, tables


@pytest.fixture
def production():
    exhibits = [
        exhibit(
            1,
            page_count=3,
            title='Memo, "draft"\nline two',
            custodian="José Müller",
            confidentiality="CONFIDENTIAL",
            date_sent="2024-03-01T23:30:00-05:00",
        ),
        exhibit(2, parent_exhibit_id=1, page_count=1, filename="þorn\x14.pdf", date_sent="2024-02-29"),
        exhibit(3, page_count=1, date_sent="last Tuesday"),
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
            fulltext_path=f"VOL001/IMAGES/0001/{doc.begin}.txt",
            native_path="VOL001/NATIVES/0001/ABC0000004.xlsx" if doc.exhibit_id == 2 else None,
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
        b"IM,ABC0000001,D,0,@VOL001;IMAGES\\0001;ABC0000001.tif;2,0\r\n"
        b"IM,ABC0000002,,0,@VOL001;IMAGES\\0001;ABC0000002.tif;2,0\r\n"
        b"IM,ABC0000003,,0,@VOL001;IMAGES\\0001;ABC0000003.tif;2,0\r\n"
        b"IM,ABC0000004,C,0,@VOL001;IMAGES\\0001;ABC0000004.tif;2,0\r\n"
        b"IM,ABC0000005,D,0,@VOL001;IMAGES\\0001;ABC0000005.tif;2,0\r\n"
    )
    assert (tmp_path / "ABC.dii").read_bytes() == (
        b"@T ABC0000001\r\n@C ENDDOC ABC0000003\r\n@C PGCOUNT 3\r\n@FULLTEXT DOC\r\n"
        b"@D @I\\VOL001\\IMAGES\\0001\\\r\n"
        b"ABC0000001.tif\r\nABC0000002.tif\r\nABC0000003.tif\r\n\r\n"
        b"@T ABC0000004\r\n@C ENDDOC ABC0000004\r\n@C PGCOUNT 1\r\n@FULLTEXT DOC\r\n"
        b"@EDOC \\VOL001\\NATIVES\\0001\\ABC0000004.xlsx\r\n"
        b"@D @I\\VOL001\\IMAGES\\0001\\\r\nABC0000004.tif\r\n\r\n"
        b"@T ABC0000005\r\n@C ENDDOC ABC0000005\r\n@C PGCOUNT 1\r\n@FULLTEXT DOC\r\n"
        b"@D @I\\VOL001\\IMAGES\\0001\\\r\nABC0000005.tif\r\n"
    )
    records = loadfile_parsers.read_dii(tmp_path / "ABC.dii")
    assert [r["pages"] for r in records] == [3, 1, 1]
    assert [r["edoc"] for r in records] == [None, "\\VOL001\\NATIVES\\0001\\ABC0000004.xlsx", None] and all(
        r["fulltext"] for r in records
    )
    assert (
        loadfile_parsers.referenced_paths(tmp_path, "lfp", "ABC")[0] == "VOL001\\IMAGES\\0001\\ABC0000001.tif"
    )
    assert "VOL001\\IMAGES\\0001\\ABC0000004.txt" in loadfile_parsers.referenced_paths(tmp_path, "dii", "ABC")


def test_a_multi_page_pdf_is_one_lfp_file_with_page_offsets(production, tmp_path):
    manifest, plan, _ = production
    produced = {
        d.exhibit_id: ProducedDocument(
            d.exhibit_id,
            [
                ProducedPage(k, f"VOL001/PDF/0001/{d.begin}.pdf", "pdf", offset=i + 1)
                for i, k in enumerate(d.page_keys)
            ],
        )
        for d in plan.documents
    }
    loadfiles.write_lfp(tmp_path / "x.lfp", plan.documents, produced)
    assert (tmp_path / "x.lfp").read_bytes().split(b"\r\n")[:2] == [
        b"IM,ABC0000001,D,1,@VOL001;PDF\\0001;ABC0000001.pdf;7,0",
        b"IM,ABC0000002,,2,@VOL001;PDF\\0001;ABC0000001.pdf;7,0",
    ]


def test_dat_and_csv(production, tmp_path):
    manifest, plan, produced = production
    loadfiles.write_all(tmp_path, manifest.export, plan.documents, produced, manifest.exhibits)
    raw = (tmp_path / "ABC.dat").read_bytes()
    assert raw.startswith("\ufeffþBEGBATESþ\x14þENDBATESþ".encode())
    assert raw.endswith(b"\r\n") and raw.count(b"\r\n") == 4
    header, rows = loadfile_parsers.read_dat(tmp_path / "ABC.dat")
    assert header == list(manifest.export.dat_fields)
    first = dict(zip(header, rows[0], strict=True))
    assert (
        first["BEGATTACH"] == "ABC0000001" and first["ENDATTACH"] == "ABC0000004" and first["PGCOUNT"] == "3"
    )
    assert first["TITLE"] == 'Memo, "draft"®line two'
    assert first["CUSTODIAN"] == "José Müller" and first["CONFIDENTIALITY"] == "CONFIDENTIAL"
    assert first["TEXTLINK"] == "VOL001\\TEXT\\0001\\ABC0000001.txt"
    # An offset is converted to UTC, the date with it; a date alone has no time; garbage is left empty.
    assert header[header.index("DATESENT") + 1] == "TIMESENT"
    assert (first["DATESENT"], first["TIMESENT"]) == ("03/02/2024", "04:30:00")
    second = dict(zip(header, rows[1], strict=True))
    assert second["FILENAME"] == "Þorn .pdf"  # qualifier and separator cannot be escaped: replaced
    assert (second["DATESENT"], second["TIMESENT"]) == ("02/29/2024", "")
    withheld = dict(zip(header, rows[2], strict=True))
    assert withheld["TITLE"] == withheld["FILENAME"] == withheld["MD5HASH"] == ""
    assert (withheld["DATESENT"], withheld["TIMESENT"]) == ("", "")
    assert [(p.exhibit_id, p.code, p.severity) for p in manifest.problems] == [
        (3, "bad_date_sent", "warning")
    ]
    import csv

    raw_csv = (tmp_path / "ABC.csv").read_bytes()
    assert raw_csv.startswith(b"\xef\xbb\xbfBEGBATES,ENDBATES,") and raw_csv.endswith(b"\r\n")
    with open(tmp_path / "ABC.csv", encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == header and table[1][header.index("TITLE")] == 'Memo, "draft"\nline two'
    assert (
        b'"Memo, ""draft""\nline two"' in raw_csv
    )  # RFC 4180: quotes doubled, the line break kept inside quotes
    assert loadfile_parsers.read_csv(tmp_path / "ABC.csv") == (header, table[1:])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("one\ntwo\r\nthree\rfour", "one\r\ntwo\r\nthree\r\nfour\r\n"),
        ("", "\r\n"),
        ("no line break at all", "no line break at all\r\n"),
        ("ends with one\n", "ends with one\r\n"),
        ("word " * 30, ("word " * 15).rstrip() + "\r\n" + "word " * 15 + "\r\n"),
        ("x" * 100, "x" * 78 + "\r\n" + "x" * 22 + "\r\n"),
    ],
)
def test_text_files_have_a_bom_crlf_and_an_early_line_break(text, expected):
    data = loadfiles.text_file_bytes(text)
    assert data == b"\xef\xbb\xbf" + expected.encode("utf-8")
    assert loadfiles.text_file_problem(data) is None


def test_text_file_problems_are_named():
    assert loadfiles.text_file_problem(b"no bom\r\n") == "has no UTF-8 BOM"
    assert loadfiles.text_file_problem(b"\xef\xbb\xbfbare\nlf\r\n") == "has a line end that is not CRLF"
    assert (
        loadfiles.text_file_problem(b"\xef\xbb\xbf" + b"y" * 90 + b"\r\n")
        == "has no CRLF within its first 80 characters"
    )


@pytest.mark.parametrize(
    ("value", "cells"),
    [
        ("2024-03-01T09:00:00Z", ("03/01/2024", "09:00:00")),
        ("2024-03-01T23:30:00-05:00", ("03/02/2024", "04:30:00")),
        ("2024-03-01 09:00:00.999", ("03/01/2024", "09:00:00")),
        ("2024-03-01", ("03/01/2024", "")),
        (None, ("", "")),
        ("  ", ("", "")),
    ],
)
def test_sent_dates_become_concordance_date_and_utc_time(value, cells):
    assert sent_date_time(value) == cells


@pytest.mark.parametrize(
    "value", ["03/01/2024", "2024-13-01", "garbage", "0001-01-01T00:30:00+01:00", 20240301]
)
def test_a_date_that_is_not_iso_8601_is_refused(value):
    with pytest.raises(ValueError, match="date_sent"):
        sent_date_time(value)


def test_parsers_refuse_broken_files(tmp_path):
    (tmp_path / "x.opt").write_bytes(b"A,VOL001,p,Y,,,1\n")
    with pytest.raises(ValueError):
        loadfile_parsers.read_opt(tmp_path / "x.opt")
    (tmp_path / "x.lfp").write_bytes(b"IM,A,D,0,@VOL001;IMAGES\\0001;A.tif;2\r\n")  # no rotation field
    with pytest.raises(ValueError, match="rotation"):
        loadfile_parsers.read_lfp(tmp_path / "x.lfp")
    (tmp_path / "nobom.dat").write_bytes("þAþ\r\nþ1þ\r\n".encode())
    with pytest.raises(ValueError, match="BOM"):
        loadfile_parsers.read_dat(tmp_path / "nobom.dat")
    (tmp_path / "x.dat").write_bytes("\ufeffþAþ\x14þBþ\r\nþ1þ\r\n".encode())
    with pytest.raises(ValueError, match="line 2"):
        loadfile_parsers.read_dat(tmp_path / "x.dat")


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
    inside = image[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2]
    assert inside.size and inside.max() < 60  # the whole box is the black square
    dark = np.argwhere(image < 128)
    assert (
        dark[:, 1].min() >= x0 - 1
        and dark[:, 1].max() <= x1
        and dark[:, 0].min() >= y0 - 1
        and dark[:, 0].max() <= y1
    )


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
    boxes = layout(
        612,
        792,
        [
            ("bottom_right", "ACME0000001"),
            ("bottom_right", "CONFIDENTIAL"),
            ("top_left", "EXHIBIT 12"),
            ("bottom_center", "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY " * 3),
        ],
        10,
        18,
        measure,
    )
    first, second, top, long = boxes
    assert first.x + first.width == pytest.approx(612 - 18) and first.y + first.height == pytest.approx(
        792 - 18
    )
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
