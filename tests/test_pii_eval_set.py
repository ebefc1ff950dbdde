"""Integrity of the independent PII evaluation set (bench/pii_eval/data): every annotation reads
back as its value, nothing overlaps, both splits hold every stratum, every form issue 18 names is
present, planted values pass their own checksums, and the generator reproduces the file."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from stdnum import iban, luhn
from stdnum.us import rtn

from bench.pii_eval import generate
from bench.pii_eval.score import DATA, TYPES, load, normalize, score, stats, write_xlsx

# The forms issue 18 names (missed or wrongly reported), by type, plus the look-alikes.
ISSUE_FORMS = {
    "US_SSN": {
        "nb_hyphen", "en_dash", "bare_after_dotted_label", "bare_after_ssn_dots", "table_column_bare",
        "label_far", "spaced", "dotted",
    },
    "PHONE_NUMBER": {
        "ext_x", "ext_word", "ext_dot", "intl_00", "intl_011", "intl_plus", "us_parens", "us_dotted",
        "local_foreign",
    },
    "US_BANK_ROUTING": {"routing_no_dotted", "aba_no", "aba_hash", "rtn", "table_after_na_bank"},
    "DATE_OF_BIRTH": {
        "table_column", "label_after", "dob_dotted_label", "dd_mon_yyyy", "day_first_dotted",
        "born_on_sentence", "iso", "short_year",
    },
    "CREDIT_CARD": {"spaced", "dashed", "compact", "amex_4_6_5", "payment_table"},
    "IBAN_CODE": {"grouped", "compact", "lowercase_grouped", "wire_table"},
    "EMAIL_ADDRESS": {"header_name_angle", "mailto", "table_cell"},
}  # fmt: skip
ISSUE_NEGATIVES = {
    "imei", "invoice_number", "po_number", "sku", "part_number", "account_10", "waybill",
    "tracking_ups_spaced", "tracking_fedex_12", "tracking_fedex_15", "tracking_usps_spaced",
    "employee_id_in_ssn_table", "ein", "service_date", "hire_date", "invoice_date", "meeting_date",
    "due_date", "order_number", "claim_number", "case_number", "isbn", "bank_account_next_to_routing",
    "aba_valid_other_label", "luhn_reference_16", "customer_number_10", "zip_plus4", "amount", "timestamp",
}  # fmt: skip


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return load(DATA)


def test_spans_read_back_and_do_not_overlap(records):
    for rec in records:
        items = rec["planted"] + rec["negatives"]
        if rec["format"] == "xlsx":
            assert "text" not in rec and rec["rows"], rec["id"]
            cells = [cell for sheet in rec["rows"] for row in sheet for cell in row]
            for item in items:
                assert item["start"] is None and item["end"] is None, rec["id"]
                assert any(item["value"] in cell for cell in cells), (rec["id"], item["value"])
            continue
        text = rec["text"]
        assert "\u25a0" not in text and "\ufffd" not in text, rec["id"]  # a glyph the PDF font lacked
        for item in items:
            assert text[item["start"] : item["end"]] == item["value"], (rec["id"], item)
        spans = sorted((i["start"], i["end"]) for i in items)
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert start >= end, (rec["id"], spans)


def test_types_splits_and_strata(records):
    assert {p["type"] for rec in records for p in rec["planted"]} == set(TYPES) | {"PERSON"}
    assert len({rec["id"] for rec in records}) == len(records) >= 1400
    strata = Counter((rec["genre"], rec["format"], rec["split"]) for rec in records)
    for genre, fmt in {(rec["genre"], rec["format"]) for rec in records}:
        dev, test = strata[(genre, fmt, "dev")], strata[(genre, fmt, "test")]
        assert dev and test and abs(dev - test) <= 1, (genre, fmt, dev, test)
    formats = {rec["format"] for rec in records}
    assert formats == {"text", "pdf_text", "csv", "xlsx"}
    assert any(rec.get("ocr_noise") for rec in records)


def test_every_issue_form_is_present(records):
    planted = {(p["type"], p["form"]) for rec in records for p in rec["planted"]}
    for type_, forms in ISSUE_FORMS.items():
        for form in forms:
            assert (type_, form) in planted, (type_, form)
    negatives = {n["form"] for rec in records for n in rec["negatives"]}
    assert negatives >= ISSUE_NEGATIVES, ISSUE_NEGATIVES - negatives


def _ssn_ok(value: str) -> bool:
    d = re.sub(r"\D", "", value)
    return len(d) == 9 and d[:3] not in ("000", "666") and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000"


def test_planted_values_are_what_they_claim(records):
    for rec in records:
        for p in rec["planted"]:
            compact = normalize(p["value"])
            if p["type"] == "CREDIT_CARD":
                assert len(compact) in (15, 16) and luhn.is_valid(compact), p
            elif p["type"] == "IBAN_CODE":
                assert iban.is_valid(compact.upper()), p
            elif p["type"] == "US_BANK_ROUTING":
                assert rtn.is_valid(compact), p
            elif p["type"] == "US_SSN":
                assert _ssn_ok(p["value"]), p
            elif p["type"] == "EMAIL_ADDRESS":
                assert re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}", p["value"]), p
            elif p["type"] == "DATE_OF_BIRTH":
                years = re.findall(r"(?<!\d)(19[3-9]\d|200[0-8])(?!\d)", p["value"])
                assert years or p["form"].endswith("short_year"), p
        for n in rec["negatives"]:
            if n["form"] in ("imei", "imei_dashed"):
                assert luhn.is_valid(re.sub(r"\D", "", n["value"])), n


def test_scorer_counts_hits_misses_and_false_alarms(records):
    sample = [rec for rec in records if rec["split"] == "dev"]

    def oracle(rec):
        found = [
            (p["type"], p["start"], p["end"], p["value"]) for p in rec["planted"] if p["form"] != "nb_hyphen"
        ]
        return found + [
            ("CREDIT_CARD", n["start"], n["end"], n["value"]) for n in rec["negatives"] if n["form"] == "imei"
        ]

    result = score(sample, oracle)
    total = sum(1 for rec in sample for p in rec["planted"] if p["type"] == "US_SSN")
    missed = sum(1 for rec in sample for p in rec["planted"] if p["form"] == "nb_hyphen")
    assert result["types"]["US_SSN"]["planted"] == total
    assert result["types"]["US_SSN"]["found"] == total - missed
    imeis = sum(1 for rec in sample for n in rec["negatives"] if n["form"] == "imei")
    assert imeis and missed
    assert result["types"]["CREDIT_CARD"]["false_positives"] == imeis
    assert result["negatives"]["imei"]["false_alarms"] == imeis
    assert "US_SSN" in stats(sample)


def test_xlsx_records_write_real_workbooks(records, tmp_path):
    from openpyxl import load_workbook

    rec = next(
        r for r in records if r["format"] == "xlsx" and any(p["type"] == "US_SSN" for p in r["planted"])
    )
    book = load_workbook(write_xlsx(rec, tmp_path / "doc.xlsx"))
    cells = [
        str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c
    ]
    for p in rec["planted"]:
        assert any(p["value"] in cell for cell in cells), p


def test_generator_reproduces_the_committed_file(tmp_path):
    out = tmp_path / "again.jsonl.gz"
    assert generate.main(["--out", str(out)]) == 0
    assert out.read_bytes() == DATA.read_bytes()
