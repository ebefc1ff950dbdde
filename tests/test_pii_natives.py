"""Spreadsheet natives are scanned as tables (docs/pii.md, "What is read"): a production or an exchange
that ships a CSV or XLSX native ships every cell of it, so the scan reads the native itself, not only its
text rendition. Real files made here with openpyxl and csv; hostile ones too (corrupt, encrypted, bombs)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import openpyxl
import pytest
from sqlalchemy import select

from domain.errors import DocumentEncrypted, DocumentUnreadable, PermanentError
from domain.pii import spreadsheets
from domain.pii.spreadsheets import SpreadsheetTooLarge, spreadsheet_text
from domain.schema import document_variants, documents, exhibits
from nextpoint_assets.pii.records import latest_scan
from nextpoint_assets.pii.scanning import ScanText, native_scan_text, read_findings, run_scan
from resources.event_bus import LocalEventBus
from resources.object_store import CaseStore, build_object_store
from resources.settings import get_settings
from tests.test_pii_screening import EXPORT, build_databases, platform, produce


def xlsx(*sheets: list[list[object]], hidden: tuple[int, ...] = ()) -> bytes:
    """A real workbook: one sheet per table, rows as given (None is an empty cell)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for number, rows in enumerate(sheets, start=1):
        ws = wb.create_sheet(f"Sheet{number}")
        for row in rows:
            ws.append(row)
        if number in hidden:
            ws.sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The workbook `data` with some of its zip members replaced or added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, (replace or {}).get(info.filename, source.read(info.filename)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


# --- the text a native becomes -----------------------------------------------------------------------


def test_a_csv_is_a_table_whatever_its_delimiter_and_encoding():
    rows = [["Name", "SSN", "Date of Birth"], ["Ann Smith", "536-22-8419", "1963-02-16"]]
    expected = "Name\tSSN\tDate of Birth\nAnn Smith\t536-22-8419\t1963-02-16"
    assert spreadsheet_text(csv_bytes(rows), "csv") == expected
    assert spreadsheet_text(csv_bytes(rows, ";"), "CSV") == expected  # a European Excel's export
    assert spreadsheet_text(b"\xef\xbb\xbf" + csv_bytes(rows), ".csv") == expected  # the BOM is not a header
    assert spreadsheet_text(csv_bytes(rows, "\t"), "tsv") == expected
    assert spreadsheet_text(csv_bytes(rows, "\t", "utf-16"), "tsv") == expected  # Excel's "Unicode text"
    # Not UTF-8: Windows' code page. A quoted cell keeps its delimiter; its line break and tab become spaces.
    windows = csv_bytes([["Name", "Note"], ["José", "a;b\nline\ttwo"]], ";", "cp1252")
    assert spreadsheet_text(windows, "csv") == "Name\tNote\nJosé\ta;b line two"
    # A form feed in a cell would start a new page: a space too.
    assert spreadsheet_text(b'a,b\r\n"x\fy",z\r\n', "csv") == "a\tb\nx y\tz"
    # One column: nothing to sniff a delimiter from; still one line per row.
    assert spreadsheet_text(b"SSN\r\n536228419\r\n", "csv") == "SSN\n536228419"


def test_a_workbook_is_a_page_per_sheet_with_values_as_people_read_them():
    first = [
        ["Name", "SSN", "DOB", "Card", "Amount", "Ratio", "Big", "Paid", None],
        ["Ann Smith", 536228419, datetime(1963, 2, 16), "4111111111111111", 1234.5, 0.00001, 1e20, True],
        ["Bob", None, date(1980, 1, 21), None, 12.0, None, None, False, None, None],
        ["Line\nbreak", "tab\there", "carriage\rreturn"],
    ]
    second = [["Employee", "Started"], ["Cy", datetime(2020, 5, 4, 13, 45)]]
    text = spreadsheet_text(xlsx(first, second, hidden=(2,)), "xlsx")
    page1, page2 = text.split("\f")  # the hidden sheet leaves with the file: it is read
    assert page1.split("\n") == [
        "Name\tSSN\tDOB\tCard\tAmount\tRatio\tBig\tPaid",  # an empty trailing cell is dropped
        "Ann Smith\t536228419\t1963-02-16\t4111111111111111\t1234.5\t0.00001\t100000000000000000000\tTRUE",
        "Bob\t\t1980-01-21\t\t12\t\t\tFALSE",  # an empty cell inside the row keeps its column
        "Line break\ttab here\tcarriage return",
    ]
    assert page2 == "Employee\tStarted\nCy\t2020-05-04 13:45:00"
    # A workbook with macros is read the same way.
    assert spreadsheet_text(xlsx(second), "xlsm") == page2


def test_a_sheet_that_lies_about_its_size_is_read_as_it_is_stored():
    data = xlsx([["SSN"], [536228419]])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    lying = sheet.replace(b'<dimension ref="A1:A2"/>', b'<dimension ref="A1:XFD1048576"/>')
    assert lying != sheet
    assert spreadsheet_text(rezip(data, {"xl/worksheets/sheet1.xml": lying}), "xlsx") == "SSN\n536228419"


def test_a_corrupt_or_encrypted_workbook_is_a_typed_error_that_says_why():
    good = xlsx([["a"]])
    cases = {
        b"not a workbook at all": "corrupt",
        good[: len(good) // 2]: "corrupt",  # truncated in transfer
        rezip(good, {"xl/workbook.xml": b"<workbook><sheets>"}): "corrupt",  # broken XML inside
        rezip(good, {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row>"}): "corrupt",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512: ".xls",  # an old binary workbook, renamed
    }
    for data, why in cases.items():
        with pytest.raises(DocumentUnreadable) as caught:
            spreadsheet_text(data, "xlsx")
        assert why in caught.value.user_message and "/tmp" not in str(caught.value)
    # Office's password protection: an OLE file holding an EncryptedPackage stream.
    encrypted = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64 + "EncryptedPackage".encode("utf-16-le")
    with pytest.raises(DocumentEncrypted, match="password-protected"):
        spreadsheet_text(encrypted, "xlsx")
    assert issubclass(DocumentEncrypted, PermanentError) and issubclass(SpreadsheetTooLarge, PermanentError)


def test_a_bomb_or_an_oversized_file_is_refused_before_it_is_read(monkeypatch):
    # A zip bomb: a small file that says it unpacks to more than the limit.
    monkeypatch.setattr(spreadsheets, "MAX_UNZIPPED_BYTES", 1024 * 1024)
    bomb = rezip(xlsx([["a"]]), add={"xl/media/image1.bin": b"\0" * (2 * 1024 * 1024)})
    assert len(bomb) < 64 * 1024
    with pytest.raises(SpreadsheetTooLarge, match="unpacks to"):
        spreadsheet_text(bomb, "xlsx")
    # Too many cells, in a workbook and a CSV.
    monkeypatch.setattr(spreadsheets, "MAX_CELLS", 100)
    with pytest.raises(SpreadsheetTooLarge, match="more than 100 cells"):
        spreadsheet_text(xlsx([[str(i)] * 10 for i in range(11)]), "xlsx")
    with pytest.raises(SpreadsheetTooLarge, match="more than 100 cells"):
        spreadsheet_text(csv_bytes([["x"] * 10] * 11), "csv")
    # A row number far away costs its empty rows: a hostile r="4000000" does not loop for long.
    data = xlsx([["SSN"]])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    far = sheet.replace(b'r="1"', b'r="4000000"').replace(b'r="A1"', b'r="A4000000"')
    with pytest.raises(SpreadsheetTooLarge):
        spreadsheet_text(rezip(data, {"xl/worksheets/sheet1.xml": far}), "xlsx")
    # Too much text.
    monkeypatch.setattr(spreadsheets, "MAX_CELLS", 2_000_000)
    monkeypatch.setattr(spreadsheets, "MAX_TEXT_CHARS", 10_000)
    with pytest.raises(SpreadsheetTooLarge, match="MiB of text"):
        spreadsheet_text(csv_bytes([["y" * 100]] * 200), "csv")
    with pytest.raises(SpreadsheetTooLarge):
        spreadsheet_text(xlsx([["y" * 1000]] * 20), "xlsx")
    # An unclosed quote swallows the rest of the file into one field beyond the csv module's limit.
    monkeypatch.setattr(spreadsheets, "MAX_TEXT_CHARS", 64 * 1024 * 1024)
    with pytest.raises(DocumentUnreadable, match="could not be read"):
        spreadsheet_text(b'Name,Note\nAnn,"' + b"z" * 200_000, "csv")


# --- the scan --------------------------------------------------------------------------------------


def test_an_unreadable_native_is_unscanned_and_named_and_its_document_counted_once(np_home):
    settings = get_settings()
    store = CaseStore(build_object_store(settings), 5)
    store.put_bytes("t/1.txt", b"Quarterly figures attached.")
    store.put_bytes("n/1.xlsx", b"PK\x03\x04 this is no workbook")
    store.put_bytes("t/2.txt", b"Ledger attached.")
    store.put_bytes("n/2.csv", csv_bytes([["Name", "Note"], ["Ann", "SSN 536-22-8419"]]))
    texts = [
        ScanText(1, "ACME01", "t/1.txt"),
        native_scan_text(store, 1, "ACME01", "n/1.xlsx", "xlsx"),
        ScanText(2, "ACME02", "t/2.txt"),
        native_scan_text(store, 2, "ACME02", "n/2.csv", "csv"),
        native_scan_text(store, 3, "ACME03", "n/3.xlsx", "xlsx"),  # vanished from the store
    ]
    assert native_scan_text(store, 4, "ACME04", "n/4.docx", "docx") is None  # read from its text
    outcome = run_scan(
        subject="export",
        subject_key="5-1",
        case_id=5,
        store=store,
        texts=texts,
        findings_prefix="pii/",
        threshold=0.5,
        settings=settings,
        platform=platform(),
        bus=LocalEventBus(settings.events_file),
        extra_event={},
    )
    assert outcome.row["documents"] == 3 and outcome.row["status"] == "awaiting_approval"
    assert [u.split(":")[0] for u in outcome.unscanned] == [
        "ACME01 (native) (document 1)",
        "ACME03 (native) (document 3)",
    ]
    assert "the workbook is corrupt" in outcome.unscanned[0] and "n/3.xlsx is missing" in outcome.unscanned[1]
    lines = read_findings(store, store.relative(outcome.row["findings_key"]))
    [ssn] = [f for f in lines if f["type"] == "US_SSN"]
    assert (ssn["document"], ssn["page"], ssn["native"], ssn["text_key"]) == (
        "ACME02 (native)",
        1,
        "csv",
        "n/2.csv",
    )
    assert outcome.text_keys == {1: "t/1.txt", 2: "t/2.txt"}  # where redactions would be placed: the text


# --- end to end: the demo production ships its spreadsheets as natives ----------------------------


def _native_of(home: Path, ext: str) -> tuple[int, Path]:
    """The demo case's (exhibit id, native object) of its one spreadsheet of this kind."""
    dbs = build_databases(get_settings())
    with dbs.case_reader(101).connect() as conn:
        [row] = (
            conn.execute(
                select(exhibits.c.id, document_variants.c.object_key)
                .join(documents, documents.c.id == exhibits.c.document_id)
                .join(document_variants, document_variants.c.document_id == documents.c.id)
                .where(document_variants.c.kind == "native", documents.c.file_extension == ext)
            )
            .mappings()
            .all()
        )
    key = row["object_key"]
    return row["id"], home / "objects" / (key if key.startswith("case_") else f"case_101/{key}")


def test_an_ssn_in_a_produced_workbook_native_holds_the_production(demo_home):
    """The SSN is only in the native (on a hidden sheet), not in the text the production delivers."""
    exhibit_id, native = _native_of(demo_home, "xlsx")
    assert native.exists()
    native.write_bytes(
        xlsx(
            [["Item", "Quantity"], ["widget", 4]],
            [["Name", "Employee number", "Note"], ["Ann Smith", "E-1001", "123-45-6789"]],
            hidden=(2,),
        )
    )
    d, instance, result = produce()
    assert not result.success  # held at the gate
    assert not result.asset_materializations_for_node("export_archive")
    scan = latest_scan(platform(), EXPORT)
    assert scan["status"] == "awaiting_approval" and scan["counts"].get("US_SSN") == 1
    store = CaseStore(build_object_store(get_settings()), 101)
    lines = read_findings(store, store.relative(scan["findings_key"]))
    [ssn] = [f for f in lines if f["type"] == "US_SSN"]
    assert ssn["document"].endswith(" (native)") and ssn["document_id"] == exhibit_id
    assert ssn["page"] == 2 and ssn["masked"] == "***-**-6789"  # the second sheet
    assert "/NATIVES/" in ssn["text_key"] and ssn["text_key"].endswith(".xlsx")
    assert store.get_bytes(ssn["text_key"]) == native.read_bytes()  # the very file that would leave
    # A cell has no place on a PDF page: counted, not placed, and nothing crashed.
    [materialized] = result.asset_materializations_for_node("export_pii_scan")
    suggested = materialized.metadata["suggested_redactions"].value
    assert suggested["not_placed"] >= 1 and suggested["written"] == 0
    # The unmasked report reads the value back from the native, as a table.
    report = d.resolve_job_def("pii_findings_report_job").execute_in_process(
        instance=instance,
        run_config={
            "ops": {"pii_findings_report": {"config": {"scan_id": scan["scan_id"], "masked": False}}}
        },
    )
    rows = list(
        csv.DictReader(
            io.StringIO(
                build_object_store(get_settings())
                .get_bytes(report.output_for_node("pii_findings_report"))
                .decode("utf-8-sig")
            )
        )
    )
    assert [r["value"] for r in rows if r["type"] == "US_SSN"] == ["123-45-6789"]
    assert "123-45-6789" not in json.dumps(lines)  # the findings file stays masked


def test_bare_ssns_under_an_ssn_column_of_a_produced_csv_hold_the_production(demo_home):
    """The header is the label of every cell under it, however far down; the 9-digit employee ids in
    the same rows are not SSNs."""
    exhibit_id, native = _native_of(demo_home, "csv")
    ssns = [f"53622{8400 + i}" for i in range(8)]
    table = [["Name", "Employee ID", "SSN", "Amount"]]
    table += [[f"Person {i}", f"10023{4500 + i}", ssn, f"1{i}.00"] for i, ssn in enumerate(ssns)]
    native.write_bytes(csv_bytes(table))
    _, _, result = produce()
    assert not result.success
    scan = latest_scan(platform(), EXPORT)
    store = CaseStore(build_object_store(get_settings()), 101)
    found = [f for f in read_findings(store, store.relative(scan["findings_key"])) if f["type"] == "US_SSN"]
    assert {(f["document_id"], f["page"], f["native"]) for f in found} == {(exhibit_id, 1, "csv")}
    assert sorted(f["masked"][-4:] for f in found) == sorted(s[-4:] for s in ssns)
    assert scan["status"] == "awaiting_approval"


# --- end to end: an exchange copies natives as they are -------------------------------------------


def test_an_ssn_in_a_workbook_native_an_exchange_copies_holds_the_exchange(demo_home):
    from domain.exchanges.request import exchange_run_config, parse_exchange_request
    from imaging.engine import LocalDocumentEngine
    from jobs.exchanges import exchange_job
    from nextpoint_assets.exchanges.assets import EXCHANGE_ASSETS
    from nextpoint_assets.exchanges.pii import exchange_pii_gate, exchange_pii_scan, exchange_texts
    from resources.dagster_resources import build_resources
    from tests.test_exchange_job import body

    exhibit_id, native = _native_of(demo_home, "xlsx")
    native.write_bytes(xlsx([["Name", "Note"], ["Ann Smith", "SSN 123-45-6789"]]))
    get_settings.cache_clear()
    instance = dg.DagsterInstance.ephemeral()
    request = body(exhibit_ids=[exhibit_id])
    key = "202-101-9001"
    instance.add_dynamic_partitions("exchanges", [key])
    d = dg.Definitions(
        assets=[*EXCHANGE_ASSETS, exchange_pii_scan],
        asset_checks=[exchange_pii_gate],
        jobs=[exchange_job],
        resources=dict(build_resources(get_settings())),
    )
    result = d.resolve_job_def("exchange_job").execute_in_process(
        instance=instance,
        partition_key=key,
        run_config=exchange_run_config(request),
        raise_on_error=False,
    )
    assert not result.success
    done = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert done == {"exchange_request", "exchange_pii_scan"}  # the copy never started
    scan = latest_scan(platform(), key)
    assert scan["status"] == "awaiting_approval" and scan["documents"] == 1
    store = CaseStore(build_object_store(get_settings()), 101)
    [ssn] = [f for f in read_findings(store, store.relative(scan["findings_key"])) if f["type"] == "US_SSN"]
    assert ssn["document"].endswith(" (native)") and (ssn["document_id"], ssn["page"]) == (exhibit_id, 1)

    # An exchange asked not to copy natives does not read them.
    without = parse_exchange_request(body(exhibit_ids=[exhibit_id], include_natives=False))
    texts = exchange_texts(build_databases(get_settings()), without, store, LocalDocumentEngine())
    assert [t.native for t in texts] == [None]
