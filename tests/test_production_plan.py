"""Manifest validation and the numbering plan (pure domain, no I/O)."""

import pytest

from domain.productions.manifest import ManifestRejected, validate_manifest
from domain.productions.naming import safe_extension, safe_name
from domain.productions.plan import PdfInfo, build_plan
from tests.production_fixtures import exhibit, export_row, order, rect, tables


def plan_of(data, pages=None, case_id=101, export_id=1):
    manifest = validate_manifest(data, case_id, export_id)
    pages = pages or {}
    infos = {e.id: pages.get(e.id, PdfInfo(pages=e.page_count or 1)) for e in manifest.exhibits.values()}
    return manifest, build_plan(manifest, infos)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ACME PROD 001", "ACME_PROD_001"),
        ("../../etc/passwd", "etc_passwd"),
        ("Résumé “final”", "Resume_final"),
        ("CON", "PRODUCTION_CON"),
        ("...", "PRODUCTION"),
        ("日本語", "PRODUCTION"),
        ("x" * 300, "x" * 80),
    ],
)
def test_safe_names(name, expected):
    assert safe_name(name) == expected


def test_safe_extension():
    assert safe_extension("XLSX", "a.xlsx") == "xlsx"
    assert safe_extension("../exe", "report.csv") == "csv"
    assert safe_extension(None, "no extension") == "bin"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"case_id": 202}, "case_id"),
        ({"export_id": 9}, "export_id"),
        ({"image_format": "bmp"}, "image_format"),
        ({"loadfiles": "dat,xml"}, "loadfiles"),
        ({"dat_fields": '["BEGBATES", "SECRET"]'}, "dat_fields"),
        ({"dat_fields": "not json"}, "dat_fields"),
        ({"name": " "}, "name"),
        ({"images_per_folder": 0}, "images_per_folder"),
        ({"bates_prefix": "AC/ME"}, "bates_prefix"),
        ({"volume_prefix": "../V"}, "volume_prefix"),
        ({"split_bytes": 10}, "split_bytes"),
        ({"endorse_bates": "middle"}, "endorse_bates"),
    ],
)
def test_bad_export_rows_reject_the_manifest_naming_the_field(override, field):
    with pytest.raises(ManifestRejected) as err:
        validate_manifest(tables(export_row(**override)), 101, 1)
    assert field in str(err.value)


def test_missing_table_rejects():
    data = tables()
    del data["redactions"]
    with pytest.raises(ManifestRejected, match="redactions"):
        validate_manifest(data, 101, 1)


def test_numbering_runs_across_volumes_without_gaps():
    exhibits = [exhibit(1, page_count=3), exhibit(2, page_count=2), exhibit(3, page_count=4)]
    rows = [order(1, 1, 1), order(2, 2, 1), order(3, 3, 2)]
    _, plan = plan_of(tables(exhibits=exhibits, rows=rows))
    keys = [k for d in plan.documents for k in d.page_keys]
    assert keys == [f"ACME{n:07d}" for n in range(1, 10)]
    assert [d.volume_label for d in plan.documents] == ["VOL001", "VOL001", "VOL002"]
    assert (plan.documents[2].begin, plan.documents[2].end) == ("ACME0000006", "ACME0000009")


def test_pdf_page_count_wins_when_lower_and_is_reported():
    manifest, plan = plan_of(
        tables(exhibits=[exhibit(1, page_count=5), exhibit(2, page_count=1)]),
        {1: PdfInfo(pages=3), 2: PdfInfo(pages=2)},
    )
    assert [d.pages for d in plan.documents] == [3, 1]
    mismatches = [p for p in plan.problems if p.code == "page_count_mismatch"]
    assert {p.exhibit_id for p in mismatches} == {1, 2} and all(p.severity == "warning" for p in mismatches)


def test_unreadable_pdfs_are_left_out_of_the_numbering_by_name():
    exhibits = [exhibit(1), exhibit(2), exhibit(3)]
    _, plan = plan_of(
        tables(exhibits=exhibits), {2: PdfInfo(problem="the PDF is password-protected", code="encrypted_pdf")}
    )
    assert [d.exhibit_id for d in plan.documents] == [1, 3]
    assert [k for d in plan.documents for k in d.page_keys] == [f"ACME{n:07d}" for n in range(1, 5)]
    assert any(p.exhibit_id == 2 and p.code == "encrypted_pdf" for p in plan.problems)


def test_pre_assigned_bates_must_continue_the_sequence():
    exhibits = [exhibit(1, page_count=2), exhibit(2, page_count=2), exhibit(3, page_count=1)]
    rows = [
        order(1, 1, bates_begin="ACME0000001"),
        order(2, 2, bates_begin="ACME0000003"),
        order(3, 3, bates_begin="ACME0000009"),
    ]
    _, plan = plan_of(tables(exhibits=exhibits, rows=rows))
    assert [d.exhibit_id for d in plan.documents] == [1, 2]
    assert any(p.exhibit_id == 3 and "contradicts" in p.message for p in plan.problems)


def test_pre_assigned_bates_set_the_prefix_when_the_export_has_none():
    rows = [order(1, 1, bates_begin="XYZ000100"), order(2, 2)]
    _, plan = plan_of(tables(export=export_row(bates_prefix=None), rows=rows))
    assert [d.begin for d in plan.documents] == ["XYZ000100", "XYZ000102"]


def test_control_number_keys_and_clashes():
    exhibits = [
        exhibit(1, control_number="ABC-1", page_count=2),
        exhibit(2, control_number="ABC-1", page_count=1),
        exhibit(3, control_number=None),
    ]
    _, plan = plan_of(tables(export=export_row(numbering="control_number"), exhibits=exhibits))
    assert plan.documents[0].page_keys == ["ABC-1_0001", "ABC-1_0002"]
    assert plan.documents[1].page_keys == ["ABC-1_0001_1"]
    assert any(p.exhibit_id == 3 and p.code == "numbering" for p in plan.problems)


def test_folders_hold_at_most_n_files_and_keep_documents_together():
    exhibits = [exhibit(i, page_count=p) for i, p in ((1, 3), (2, 3), (3, 7))]
    _, plan = plan_of(tables(export=export_row(images_per_folder=5), exhibits=exhibits))
    folders = [d.page_folders for d in plan.documents]
    assert folders[0] == ["0001"] * 3
    assert folders[1] == ["0002"] * 3  # would not fit beside the first
    assert folders[2] == ["0003"] * 5 + ["0004"] * 2  # larger than a folder: split
    assert all(folders.count(f) <= 5 for f in {x for f in folders for x in f})


def test_families_withheld_and_natives():
    exhibits = [
        exhibit(1, filename="mail.eml", file_extension="eml", native_key="documents/1/native.eml"),
        exhibit(
            2,
            parent_exhibit_id=1,
            filename="book.xlsx",
            file_extension="xlsx",
            native_key="documents/2/native.xlsx",
        ),
        exhibit(3, parent_exhibit_id=1, page_count=3),
        exhibit(4, page_count=4),
        exhibit(
            5, page_count=2, filename="sheet.csv", file_extension="csv", native_key="documents/5/native.csv"
        ),
    ]
    rows = [order(1, 1), order(2, 2), order(3, 3), order(4, 4, withheld=1), order(5, 5)]
    redactions = [{"exhibit_id": 5, "page_number": 1, "rect": rect(1, 1, 50, 20), "label": "PII"}]
    _, plan = plan_of(
        tables(
            export=export_row(native_inclusion="spreadsheets"),
            exhibits=exhibits,
            rows=rows,
            redactions=redactions,
        )
    )
    kinds = {d.exhibit_id: (d.kind, d.pages) for d in plan.documents}
    assert kinds == {1: ("image", 2), 2: ("native", 1), 3: ("image", 3), 4: ("withheld", 1), 5: ("image", 2)}
    family = [(d.beg_attach, d.end_attach, d.family_child) for d in plan.documents[:3]]
    assert family == [
        ("ACME0000001", "ACME0000006", False),
        ("ACME0000001", "ACME0000006", True),
        ("ACME0000001", "ACME0000006", True),
    ]
    assert plan.documents[3].beg_attach == plan.documents[3].begin == "ACME0000007"
    assert plan.documents[4].redacted and any(p.code == "native_not_produced" for p in plan.problems)


def test_contradicting_rows_are_left_out_by_name():
    exhibits = [
        exhibit(1),
        exhibit(2, parent_exhibit_id=1),
        exhibit(3),
        exhibit(4, parent_exhibit_id=1),
        exhibit(5),
        exhibit(6),
    ]
    rows = [
        order(1, 1, 1),
        order(2, 2, 1),
        order(3, 3, 1),
        order(4, 4, 1),  # separated from its family by exhibit 3
        order(5, 5, 2),
        order(6, 5, 2),  # listed twice
        order(7, 6, 1),  # back to volume 1 after volume 2
        order(8, 99, 2),  # not described
    ]
    manifest, plan = plan_of(tables(exhibits=exhibits, rows=rows))
    codes = {(p.exhibit_id, p.code) for p in manifest.problems}
    assert {
        (4, "family_not_contiguous"),
        (5, "duplicate_exhibit"),
        (6, "volume_order"),
        (99, "unknown_exhibit"),
    } <= codes
    assert [d.exhibit_id for d in plan.documents] == [1, 2, 3, 5]


def test_hostile_rows_never_escape():
    exhibits = [
        exhibit(1, pdf_key="../case_202/documents/1/rendition.pdf"),
        exhibit(2, filename="../../" + "é" * 300 + ".pdf"),
        exhibit(3, page_count=-4),
    ]
    redactions = [{"exhibit_id": 2, "page_number": 1, "rect": "[1, 2, 3]", "label": None}]
    manifest, plan = plan_of(tables(exhibits=exhibits, redactions=redactions))
    codes = {(p.exhibit_id, p.code) for p in manifest.problems}
    assert (1, "bad_exhibit_row") in codes and (3, "bad_exhibit_row") in codes
    # A document whose redaction cannot be read is never produced unredacted.
    assert (2, "bad_redaction") in codes
    assert plan.documents == []


def test_plan_round_trips_through_json():
    from domain.productions.manifest import ValidatedManifest
    from domain.productions.plan import Plan

    manifest, plan = plan_of(
        tables(redactions=[{"exhibit_id": 1, "page_number": 1, "rect": rect(1, 2, 3, 4), "label": "X"}])
    )
    again = ValidatedManifest.from_json(manifest.to_json())
    assert again == manifest
    assert Plan.from_json(again.export, plan.to_json()) == plan


def test_ocr_heavy_volumes_are_told_apart_from_the_manifest():
    from domain.productions import volume_sizing

    text = {"text_key": "documents/1/text.txt"}
    exhibits = [
        exhibit(1, page_count=100, **text),
        exhibit(2, page_count=100, text_key=None),
        exhibit(3, page_count=100, **text),
    ]
    rows = [order(1, 1, 1), order(2, 2, 2), order(3, 3, 3)]
    redactions = [
        {"exhibit_id": 3, "page_number": p, "rect": rect(1, 2, 3, 4), "label": "X"} for p in (1, 1, 2)
    ]
    manifest, plan = plan_of(tables(exhibits=exhibits, rows=rows, redactions=redactions))

    def expected(volume: int, text_mode: str) -> int:
        return volume_sizing.expected_ocr_pages(
            plan.volume_documents(volume),
            text_mode,
            lambda e: manifest.exhibits[e].text_key is not None,
            lambda e: len({r.page_number for r in manifest.redactions.get(e, [])}),
        )

    # Volume 1: text file, nothing redacted; volume 2: no text file; volume 3: two redacted pages.
    assert [expected(v, "extracted_then_ocr") for v in (1, 2, 3)] == [0, 100, 4]
    assert [expected(v, "ocr") for v in (1, 2, 3)] == [100, 100, 104]
    assert [expected(v, "none") for v in (1, 2, 3)] == [0, 0, 4]
    assert not volume_sizing.is_ocr_heavy(100, 0)
    assert volume_sizing.is_ocr_heavy(100, 100)
    # Two OCRed pages (5.4 core-s) outweigh 100 page images (5 core-s); one does not.
    assert volume_sizing.is_ocr_heavy(100, 2) and not volume_sizing.is_ocr_heavy(100, 1)
    assert not volume_sizing.is_ocr_heavy(0, 0)
