"""The report writers and the load file reader on their own: bytes, types, limits, line numbers."""

import codecs
import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone

import openpyxl
import pandas as pd
import pytest

from domain.reports.load_file import MalformedLoadFile, read_load_file
from domain.tabular import write_csv, write_xlsx

HOSTILE = [
    "=SUM(A1:A2)",
    'Zürich, "quoted"',
    "line one\r\nline two",
    "+1 555",
    "",
    "tab\there",
    "日本語 — ok",
]


def test_csv_is_rfc4180_with_bom_and_round_trips_through_pandas(tmp_path):
    path = tmp_path / "r.csv"
    moment = datetime(2026, 3, 1, 9, 30, 5, 123456)
    rows = [[i, text, moment, date(2026, 3, 2), None] for i, text in enumerate(HOSTILE)]
    summary = write_csv(
        path, ["n", "text", "at", "day", "empty"], rows, kinds=["int", "text", "datetime", "date", "text"]
    )
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and data.count(b"\r\n") >= len(HOSTILE) + 1
    assert summary.rows == len(HOSTILE) and len(summary.preview) == len(HOSTILE)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(frame["text"]) == HOSTILE
    assert set(frame["at"]) == {"2026-03-01T09:30:05Z"} and set(frame["day"]) == {"2026-03-02"}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        assert [r[1] for r in csv.reader(handle)][1:] == HOSTILE


def test_csv_dates_are_utc_whatever_the_zone(tmp_path):
    path = tmp_path / "z.csv"
    aware = datetime(2026, 3, 1, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    write_csv(path, ["at"], [[aware]] * 12, kinds=["datetime"])
    assert set(pd.read_csv(path, dtype=str)["at"]) == {"2026-03-01T09:00:00Z"}


def test_xlsx_types_widths_frozen_header_and_sheet_split(tmp_path):
    path = tmp_path / "r.xlsx"
    rows = [
        [i, f"=not a formula {i}", datetime(2026, 1, 1, tzinfo=UTC), date(2026, 1, 2), 2.5, "a\x01b"]
        for i in range(7)
    ]
    summary = write_xlsx(
        path,
        ["n", "text", "at", "day", "amount", "control"],
        rows,
        kinds=["int", "text", "datetime", "date", "float", "text"],
        rows_per_sheet=3,
    )
    assert (summary.rows, summary.sheets, summary.escaped_cells) == (7, 3, 7)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Report", "Report (2)", "Report (3)"]
    values = []
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        rows_here = list(sheet.iter_rows(values_only=True))
        assert rows_here[0] == ("n", "text", "at", "day", "amount", "control")
        values += rows_here[1:]
        assert sheet["B2"].data_type == "s"  # a string, never a formula
        assert sheet.column_dimensions["C"].width >= 20
    assert [v[0] for v in values] == list(range(7))
    assert (
        values[0][2] == datetime(2026, 1, 1) and values[0][3] == datetime(2026, 1, 2) and values[0][4] == 2.5
    )
    assert values[0][5] == "a_x0001_b"
    assert book.worksheets[0]["D2"].number_format == "yyyy-mm-dd"


def test_xlsx_cuts_cells_past_excels_limit_and_counts_them(tmp_path):
    summary = write_xlsx(tmp_path / "long.xlsx", ["text"], [["x" * 40_000]])
    assert summary.truncated_cells == 1
    assert len(openpyxl.load_workbook(tmp_path / "long.xlsx").active["A2"].value) == 32_767


def test_xlsx_of_an_empty_report_still_has_its_header(tmp_path):
    write_xlsx(tmp_path / "e.xlsx", ["a", "b"], [])
    assert list(openpyxl.load_workbook(tmp_path / "e.xlsx").active.iter_rows(values_only=True)) == [
        ("a", "b")
    ]


def test_dat_in_utf16_with_raw_line_breaks_inside_a_value(tmp_path):
    q, s = "\u00fe", "\x14"
    text = (
        f"{q}BEGBATES{q}{s}{q}Issue{q}\r\n{q}A1{q}{s}{q}two\r\nlines{q}\r\n\r\n{q}A2{q}{s}{q}x\u00aey{q}\r\n"
    )
    path = tmp_path / "u.dat"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    kind, header, records = read_load_file(path)
    assert (kind, header) == ("dat", ["BEGBATES", "Issue"])
    got = [(r.line, r.values) for r in records]
    assert got == [(2, ("A1", "two\nlines")), (5, ("A2", "x\ny"))]


def test_a_value_outside_its_qualifiers_is_named_by_line(tmp_path):
    path = tmp_path / "b.dat"
    path.write_text("\u00feA\u00fe\x14\u00feB\u00fe\r\n\u00fe1\u00fe\x14bare\r\n", encoding="utf-8")
    _, _, records = read_load_file(path)
    with pytest.raises(MalformedLoadFile, match="Line 2 of the DAT has a value without its þ qualifiers"):
        list(records)


def test_an_empty_file_is_rejected(tmp_path):
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(MalformedLoadFile, match="empty"):
        read_load_file(tmp_path / "e.csv")


def test_csv_line_numbers_count_quoted_line_breaks(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b'Control Number,Note\r\nA,"one\r\ntwo"\r\nB,x\r\nC\r\n')
    _, _, records = read_load_file(path)
    assert [next(records).line, next(records).line] == [2, 4]
    _, _, records = read_load_file(path)
    with pytest.raises(MalformedLoadFile, match="Line 5 of the load file has 1 fields"):
        list(records)


def test_preview_is_kept_for_small_reports(tmp_path):
    summary = write_csv(tmp_path / "p.csv", ["a"], ([i] for i in range(3)))
    assert summary.preview == [[0], [1], [2]]
    assert io.BytesIO((tmp_path / "p.csv").read_bytes()).read(3) == codecs.BOM_UTF8
