"""html_renditions on the demo case with a real Dagster instance: every document with a PDF made,
unchanged PDFs skipped on a re-run, a changed PDF redone alone, a broken PDF and an unexpected error
reported per document while the rest are made."""

from __future__ import annotations

import io
import json

import dagster as dg
import pikepdf
import pytest
from sqlalchemy import select

from domain import schema
from resources.dagster_resources import DatabaseResource, build_resources
from resources.object_store import CaseStore, build_object_store

CASE = 101


def _defs(settings):
    from jobs.renditions import html_renditions_job
    from nextpoint_assets.renditions.assets import html_renditions
    from nextpoint_assets.renditions.pii import html_rendition_pii_gate, html_rendition_pii_scan

    return dg.Definitions(
        assets=[html_rendition_pii_scan, html_renditions],
        asset_checks=[html_rendition_pii_gate],
        jobs=[html_renditions_job],
        resources=build_resources(settings),
    )


SELECTION = ("documents", "label", "exhibit_ids", "threshold")


def _execute(settings, instance, **config):
    instance.add_dynamic_partitions("cases", [str(CASE)])
    scan = {k: v for k, v in config.items() if k in SELECTION}
    render = {k: v for k, v in config.items() if k not in SELECTION}
    return (
        _defs(settings)
        .resolve_job_def("html_renditions_job")
        .execute_in_process(
            instance=instance,
            partition_key=str(CASE),
            run_config={
                "ops": {
                    "html_rendition_pii_scan": {"config": scan},
                    "html_renditions": {"config": render},
                }
            },
            raise_on_error=False,
        )
    )


def _scan_id(result) -> str:
    [scan] = result.asset_materializations_for_node("html_rendition_pii_scan")
    return scan.metadata["scan_id"].value


def _approve(settings, scan_id: str) -> None:
    from domain.pii.review import Decision
    from nextpoint_assets.pii.records import decide

    platform = DatabaseResource.from_settings(settings).databases().platform()
    decide(
        platform,
        Decision(scan_id=scan_id, decision="approve", justification="read it", decided_by="qa"),
        "ui",
    )


def _run(settings, instance, **config):
    """One run of the job; when its PII scan holds the renditions (the demo case has planted SSNs and
    a scanned letter nobody read), a reviewer approves and the job runs again, as after a review."""
    result = _execute(settings, instance, **config)
    if not result.success and not result.asset_materializations_for_node("html_renditions"):
        _approve(settings, _scan_id(result))
        result = _execute(settings, instance, **config)
    assert result.success
    [event] = result.asset_materializations_for_node("html_renditions")
    return {k: v.value for k, v in event.metadata.items()}


def _pdfs(settings) -> dict[int, str]:
    """Document id -> its PDF's key, straight from the case database."""
    engine = DatabaseResource.from_settings(settings).databases().case_reader(CASE)
    with engine.connect() as conn:
        v = schema.document_variants.c
        return dict(conn.execute(select(v.document_id, v.object_key).where(v.kind == "pdf")).all())


def _manifest(store) -> dict:
    return json.loads(store.get_bytes("renditions/html/manifest.json"))


@pytest.fixture
def case(demo_home, settings):
    return CaseStore(build_object_store(settings), CASE), _pdfs(settings)


def _rewrite(store, key, tmp_path):
    """The same document with other bytes (a new Info title): its SHA-256 changes."""
    path = store.download(key, tmp_path / "changed.pdf")
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.docinfo["/Title"] = "changed"
        pdf.save(path)
    store.put_file(key, path, "application/pdf")


def test_made_then_skipped_then_only_the_changed_one_redone(case, settings, tmp_path):
    store, pdfs = case
    assert len(pdfs) >= 3
    instance = dg.DagsterInstance.ephemeral()

    first = _run(settings, instance)
    assert first["documents_made"] == len(pdfs) and first["documents_skipped"] == 0
    assert first["documents_with_problems"] == 0
    assert first["manifest_key"] == f"case_{CASE}/renditions/html/manifest.json"
    manifest = _manifest(store)
    assert [e["document_id"] for e in manifest["made"]] == sorted(pdfs)
    for entry in manifest["made"]:
        document_id = entry["document_id"]
        assert entry["html_key"] == f"case_{CASE}/renditions/html/{document_id}/index.html"
        assert entry["source_sha256"] == store.sha256(pdfs[document_id])
        html = store.get_bytes(f"renditions/html/{document_id}/index.html").decode("utf-8")
        assert html.count("<h1") == 1 and 'id="page-1"' in html
        for asset in entry["assets"]:
            assert store.exists(store.relative(asset))
    before = store.get_bytes("renditions/html/manifest.json")

    again = _run(settings, instance)
    assert again["documents_made"] == 0 and again["documents_skipped"] == len(pdfs)
    assert store.get_bytes("renditions/html/manifest.json") == before  # same bytes, no duplicates

    changed = sorted(pdfs)[1]
    _rewrite(store, pdfs[changed], tmp_path)
    third = _run(settings, instance)
    assert third["documents_made"] == 1 and third["documents_skipped"] == len(pdfs) - 1
    entries = {e["document_id"]: e for e in _manifest(store)["made"]}
    assert len(entries) == len(pdfs)
    assert entries[changed]["source_sha256"] == store.sha256(pdfs[changed])


def test_a_broken_pdf_is_a_problem_and_the_others_are_made(case, settings):
    store, pdfs = case
    broken = sorted(pdfs)[0]
    store.put_bytes(pdfs[broken], b"%PDF-1.7\nthis is no PDF at all\n", "application/pdf")

    result = _run(settings, dg.DagsterInstance.ephemeral())
    assert result["documents_made"] == len(pdfs) - 1 and result["documents_with_problems"] == 1
    assert f"document {broken} " in result["problems"]
    manifest = _manifest(store)
    [problem] = manifest["problems"]
    assert problem["document_id"] == broken and problem["problem"] in ("damaged", "zero_pages")
    assert [e["document_id"] for e in manifest["made"]] == sorted(set(pdfs) - {broken})
    assert list(store.list(f"renditions/html/{broken}/")) == []


def test_an_unexpected_error_is_a_failed_line_without_paths(case, settings, monkeypatch):
    from nextpoint_assets.renditions import assets

    store, pdfs = case
    unlucky = sorted(pdfs)[-1]
    real = assets.render_document

    def render(engine, pdf_path, **kwargs):
        if kwargs["document_id"] == unlucky:
            raise OSError(f"disk trouble at {pdf_path}")
        return real(engine, pdf_path, **kwargs)

    monkeypatch.setattr(assets, "render_document", render)
    result = _run(settings, dg.DagsterInstance.ephemeral())
    assert result["documents_made"] == len(pdfs) - 1
    [problem] = _manifest(store)["problems"]
    assert problem["document_id"] == unlucky and problem["problem"] == "failed"
    assert "/" not in problem["detail"] and "OSError" in problem["detail"]


def test_a_label_selects_only_its_exhibits_documents(case, settings):
    store, pdfs = case
    engine = DatabaseResource.from_settings(settings).databases().case_reader(CASE)
    with engine.connect() as conn:
        e, lcl, lc = schema.exhibits.c, schema.label_category_labels.c, schema.label_categories.c
        wanted = set(
            conn.execute(
                select(e.document_id)
                .join(schema.label_category_labels, lcl.exhibit_id == e.id)
                .join(schema.label_categories, lc.id == lcl.label_category_id)
                .where(lc.name == "Privileged")
            ).scalars()
        ) & set(pdfs)
    assert 0 < len(wanted) < len(pdfs)

    result = _run(settings, dg.DagsterInstance.ephemeral(), documents="label", label="Privileged")
    assert result["documents_made"] == len(wanted)
    assert {e["document_id"] for e in _manifest(store)["made"]} == wanted


def test_exhibit_ids_select_their_documents_and_a_form_without_a_label_fails(case, settings):
    store, pdfs = case
    engine = DatabaseResource.from_settings(settings).databases().case_reader(CASE)
    with engine.connect() as conn:
        e = schema.exhibits.c
        exhibit_id, document_id = conn.execute(
            select(e.id, e.document_id).where(e.document_id.in_(sorted(pdfs))).order_by(e.id)
        ).first()
    instance = dg.DagsterInstance.ephemeral()
    result = _run(settings, instance, documents="exhibit_ids", exhibit_ids=[exhibit_id])
    assert result["documents_made"] == 1 and result["documents_selected"] == 1
    [entry] = _manifest(store)["made"]
    assert entry["document_id"] == document_id and exhibit_id in entry["exhibit_ids"]

    failed = _execute(settings, instance, documents="label")
    assert not failed.success
    [failure] = [ev for ev in failed.all_events if ev.event_type_value == "STEP_FAILURE"]
    assert "label: name the label" in failure.event_specific_data.error.message


# The axe check's browser (system Chromium) and axe-core script, shared with its own tests.
from tests import test_renditions_axe as axe_checks  # noqa: E402

browser = axe_checks.browser
axe_script = axe_checks.axe_script


@pytest.mark.timeout(900)
def test_every_rendition_of_the_demo_cases_passes_axe(demo_home, settings, browser, axe_script, tmp_path):
    """Both demo cases, every document with a PDF (text, scanned, colour, odd sizes, rotated, hostile
    names), through the job after their review: each index.html, opened from its folder with its
    images, has no WCAG 2.1 A/AA violation at desktop width or at 320 px."""
    instance = dg.DagsterInstance.ephemeral()
    store = build_object_store(settings)
    checked = 0
    for case_id in (CASE, 202):
        instance.add_dynamic_partitions("cases", [str(case_id)])
        result = (
            _defs(settings)
            .resolve_job_def("html_renditions_job")
            .execute_in_process(instance=instance, partition_key=str(case_id), raise_on_error=False)
        )
        if not result.success:  # planted SSNs and scanned letters: a person approves
            _approve(settings, _scan_id(result))
            result = (
                _defs(settings)
                .resolve_job_def("html_renditions_job")
                .execute_in_process(instance=instance, partition_key=str(case_id), raise_on_error=False)
            )
        assert result.success
        case = CaseStore(store, case_id)
        manifest = _manifest(case)
        assert manifest["made"] and not manifest["problems"]
        for entry in manifest["made"]:
            folder = tmp_path / str(case_id) / str(entry["document_id"])
            folder.mkdir(parents=True)
            for key in (entry["html_key"], *entry["assets"]):
                case.download(case.relative(key), folder / key.rsplit("/", 1)[-1])
            axe_checks.assert_accessible(
                browser, axe_script, folder / "index.html", f"case {case_id}: {entry['html_key']}"
            )
            checked += 1
    assert checked >= 20


def test_a_new_title_or_bates_range_redoes_only_that_document(case, settings):
    """The page anchors carry Bates numbers and the page its title: when stamping gives an exhibit a
    Bates range, or its title changes, its rendition is made again although its PDF did not change."""
    from sqlalchemy import update

    store, pdfs = case
    instance = dg.DagsterInstance.ephemeral()
    _run(settings, instance)
    writer = DatabaseResource.from_settings(settings).databases().case_writer(CASE)
    first, second = sorted(pdfs)[:2]
    e = schema.exhibits.c
    with writer.begin() as conn:
        conn.execute(
            update(schema.exhibits)
            .where(e.document_id == first)
            .values(bates_begin="ACME0000100", bates_end="ACME0000199")
        )
        conn.execute(update(schema.exhibits).where(e.document_id == second).values(title="Renamed exhibit"))
    again = _run(settings, instance)
    assert again["documents_made"] == 2 and again["documents_skipped"] == len(pdfs) - 2
    html = store.get_bytes(f"renditions/html/{first}/index.html").decode("utf-8")
    assert "ACME0000100" in html
    assert "Renamed exhibit" in store.get_bytes(f"renditions/html/{second}/index.html").decode("utf-8")
    assert _run(settings, instance)["documents_made"] == 0


def test_bad_pdfs_each_get_a_line_and_the_rest_are_made(case, settings):
    """An encrypted PDF, one over max_pages and one with no pages, in the same run as good ones: one
    manifest line and one metadata line each, naming the document; everything else is made."""
    from pathlib import Path

    store, pdfs = case
    corpus = Path(__file__).parent / "corpus"
    encrypted, too_long, empty = sorted(pdfs)[:3]
    store.put_file(pdfs[encrypted], corpus / "libreoffice-user-password.pdf", "application/pdf")
    store.put_file(pdfs[too_long], corpus / "pdflatex-4-pages.pdf", "application/pdf")
    blank = pikepdf.new()
    data = io.BytesIO()
    blank.save(data)
    store.put_bytes(pdfs[empty], data.getvalue(), "application/pdf")

    result = _run(settings, dg.DagsterInstance.ephemeral(), max_pages=3)
    problems = {p["document_id"]: p["problem"] for p in _manifest(store)["problems"]}
    assert (problems[encrypted], problems[too_long], problems[empty]) == (
        "encrypted",
        "too_many_pages",
        "zero_pages",
    )
    for document_id in problems:
        assert f"document {document_id} " in result["problems"]
    made = {e["document_id"] for e in _manifest(store)["made"]}
    assert len(made) >= 5 and made | set(problems) == set(pdfs) and not made & set(problems)
    # The others in the manifest's problems are documents longer than 3 pages, and only those.
    assert set(problems.values()) == {"encrypted", "too_many_pages", "zero_pages"}
    assert all(e["pages"] <= 3 for e in _manifest(store)["made"])
