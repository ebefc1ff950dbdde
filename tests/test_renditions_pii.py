"""The PII gate in front of html_renditions, on the demo cases with a real Dagster instance: a held
scan renders nothing, a rejection says so, an approval starts the renditions of exactly what was
screened, a PDF changed after its scan is not rendered, a clean scan renders at once, and a backfill
over many cases renders the cleared ones while the held ones wait."""

from __future__ import annotations

import re

import dagster as dg
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from sqlalchemy import select

from domain import schema
from domain.pii.review import Decision
from domain.renditions.scope import CURRENT_KEY, RenditionScope, scope_key
from nextpoint_assets.pii.records import decide, get_scan
from resources.dagster_resources import DatabaseResource, build_resources
from resources.event_bus import LocalEventBus
from resources.object_store import CaseStore, build_object_store
from resources.settings import get_settings
from sensors.pii_review import evaluate as review_tick

CASE, OTHER = 101, 202


def _defs():
    from jobs.pii import pii_rejection_job
    from jobs.renditions import html_renditions_job
    from nextpoint_assets.renditions.assets import html_renditions
    from nextpoint_assets.renditions.pii import html_rendition_pii_gate, html_rendition_pii_scan

    resources = {k: v for k, v in build_resources(get_settings()).items() if k != "pyspark"}
    return dg.Definitions(
        assets=[html_rendition_pii_scan, html_renditions],
        asset_checks=[html_rendition_pii_gate],
        jobs=[html_renditions_job, pii_rejection_job],
        resources=resources,
    )


def rendition_job():
    """html_renditions_job bound to this test's settings (definitions.defs keeps the resources of
    whichever test imported it first)."""
    return _defs().resolve_job_def("html_renditions_job")


def _run(instance, case_id=CASE, scan=None, render=None, **kwargs) -> dg.ExecuteInProcessResult:
    instance.add_dynamic_partitions("cases", [str(CASE), str(OTHER)])
    ops = {"html_rendition_pii_scan": {"config": scan or {}}, "html_renditions": {"config": render or {}}}
    if "tags" not in kwargs:
        kwargs["partition_key"] = str(case_id)
    return rendition_job().execute_in_process(
        instance=instance, run_config={"ops": ops}, raise_on_error=False, **kwargs
    )


def _platform():
    return DatabaseResource.from_settings(get_settings()).databases().platform()


def _events(kind: str) -> list[dict]:
    return [e for e in LocalEventBus(get_settings().events_file).read_all() if e["event_type"] == kind]


def _decide(scan_id: str, what: str) -> None:
    decide(
        _platform(), Decision(scan_id=scan_id, decision=what, justification="read it", decided_by="qa"), "ui"
    )


def _store(case_id=CASE) -> CaseStore:
    return CaseStore(build_object_store(get_settings()), case_id)


def _rendered(store) -> list[str]:
    return [k for k in store.list("renditions/html/") if k.endswith("/index.html")]


def _scan_of(result) -> dict:
    [scan] = result.asset_materializations_for_node("html_rendition_pii_scan")
    return {k: v.value for k, v in scan.metadata.items()}


def _pdfs(case_id=CASE) -> dict[int, str]:
    with DatabaseResource.from_settings(get_settings()).databases().case_reader(case_id).connect() as conn:
        v = schema.document_variants.c
        return dict(conn.execute(select(v.document_id, v.object_key).where(v.kind == "pdf")).all())


def plain_exhibit(case_id=CASE) -> tuple[int, int]:
    """(exhibit, document) of a born-digital chart: a text layer and no planted personal data."""
    with DatabaseResource.from_settings(get_settings()).databases().case_reader(case_id).connect() as conn:
        e = schema.exhibits.c
        return tuple(
            conn.execute(
                select(e.id, e.document_id).where(e.title.like("Quarterly chart%")).order_by(e.id)
            ).first()
        )


def test_a_held_scan_renders_nothing_and_a_rejection_says_so(demo_home):
    instance = dg.DagsterInstance.ephemeral()
    held = _run(instance)
    assert not held.success and not held.asset_materializations_for_node("html_renditions")
    scan = _scan_of(held)
    assert scan["status"] == "awaiting_approval" and scan["findings"] >= 2
    counts = scan["counts"]
    assert counts.get("US_SSN") and counts.get("UNSCANNED")  # planted SSNs; the scanned letter without text
    assert "no text layer to screen" in scan["unscanned"]
    [check] = [e for e in held.get_asset_check_evaluations() if e.check_name == "html_rendition_pii_gate"]
    assert not check.passed and "await review" in check.description
    store = _store()
    assert _rendered(store) == []
    # The findings are kept masked beside the scope of what was screened.
    findings = store.get_bytes(f"renditions/html/pii/{scan['scan_id']}/findings.csv").decode()
    assert "US_SSN" in findings and re.search(r"\*\*\*-\*\*-\d{4}", findings)
    assert not re.search(r"\d{3}-\d{2}-\d{4}", findings)  # no SSN in the clear
    scope = RenditionScope.from_json(store.get_bytes(scope_key(scan["scan_id"])).decode())
    assert set(scope.screened) == set(_pdfs()) and scope.selection["documents"] == "all"
    [announced] = [e for e in _events("PII_SCAN_COMPLETED") if e["subject"] == "rendition"]
    assert announced["scan_id"] == scan["scan_id"] and announced["status"] == "awaiting_approval"

    # Materializing html_renditions on its own is held all the same.
    alone = rendition_job().execute_in_process(
        instance=instance,
        partition_key=str(CASE),
        asset_selection=[dg.AssetKey("html_renditions")],
        raise_on_error=False,
    )
    assert not alone.success and _rendered(store) == []
    [failure] = [e for e in alone.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "await review" in failure.event_specific_data.error.message

    _decide(scan["scan_id"], "reject")
    result = review_tick(
        dg.build_sensor_context(instance=instance), DatabaseResource.from_settings(get_settings())
    )
    [cleanup] = result.run_requests
    assert cleanup.job_name == "pii_rejection_job"
    run = (
        _defs()
        .resolve_job_def("pii_rejection_job")
        .execute_in_process(instance=instance, run_config=cleanup.run_config)
    )
    assert run.success
    [failed] = _events("HTML_RENDITION_FAILED")
    assert failed["case_id"] == CASE and "rejected by qa" in failed["error"]
    assert _rendered(store) == []
    # A rejected scan cannot be rendered by naming it either.
    named = rendition_job().execute_in_process(
        instance=instance,
        partition_key=str(CASE),
        asset_selection=[dg.AssetKey("html_renditions")],
        run_config={"ops": {"html_renditions": {"config": {"pii_scan_id": scan["scan_id"]}}}},
        raise_on_error=False,
    )
    assert not named.success and _rendered(store) == []


def test_an_approval_renders_what_was_screened_and_a_pdf_changed_since_is_not(demo_home, tmp_path):
    import pikepdf

    instance = dg.DagsterInstance.ephemeral()
    scan = _scan_of(_run(instance))
    _decide(scan["scan_id"], "approve")
    result = review_tick(
        dg.build_sensor_context(instance=instance), DatabaseResource.from_settings(get_settings())
    )
    [follow_up] = result.run_requests
    assert follow_up.job_name == "html_renditions_job" and follow_up.partition_key == str(CASE)
    assert follow_up.asset_selection == [dg.AssetKey("html_renditions")]

    store, pdfs = _store(), _pdfs()
    # Before the follow-up runs, one PDF changes: its new bytes were never screened.
    changed = sorted(pdfs)[2]
    path = store.download(pdfs[changed], tmp_path / "changed.pdf")
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.docinfo["/Title"] = "changed after the scan"
        pdf.save(path)
    store.put_file(pdfs[changed], path, "application/pdf")

    run = rendition_job().execute_in_process(
        instance=instance,
        partition_key=follow_up.partition_key,
        asset_selection=follow_up.asset_selection,
        run_config=follow_up.run_config,
        tags=follow_up.tags,
    )
    assert run.success
    [made] = run.asset_materializations_for_node("html_renditions")
    meta = {k: v.value for k, v in made.metadata.items()}
    assert meta["pii_scan_id"] == scan["scan_id"]
    assert meta["documents_made"] == len(pdfs) - 1 and meta["documents_with_problems"] == 1
    assert f"document {changed} " in meta["problems"] and "not_screened" in meta["problems"]
    rendered = {int(k.split("/")[-2]) for k in _rendered(store)}
    assert rendered == set(pdfs) - {changed}
    [done] = _events("HTML_RENDITION_COMPLETED")
    assert done["documents_made"] == len(pdfs) - 1 and done["manifest_key"].endswith(
        "renditions/html/manifest.json"
    )


def test_a_clean_scan_renders_at_once(demo_home):
    exhibit, document = plain_exhibit()
    instance = dg.DagsterInstance.ephemeral()
    result = _run(instance, scan={"documents": "exhibit_ids", "exhibit_ids": [exhibit]})
    assert result.success, _scan_of(result)
    assert _scan_of(result)["status"] == "clean"
    store = _store()
    assert _rendered(store) == [f"renditions/html/{document}/index.html"]
    current = store.get_bytes(CURRENT_KEY)
    assert _scan_of(result)["scan_id"].encode() in current
    assert get_scan(_platform(), _scan_of(result)["scan_id"])["subject"] == "rendition"


@pytest.mark.parametrize("threshold", [1.5])
def test_a_form_with_a_wrong_threshold_is_refused_by_name(demo_home, threshold):
    result = _run(dg.DagsterInstance.ephemeral(), scan={"threshold": threshold})
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "threshold: a score from 0 to 1" in failure.event_specific_data.error.message


def test_a_backfill_renders_the_cleared_cases_and_the_held_ones_wait(demo_home):
    instance = dg.DagsterInstance.ephemeral()
    other = _run(instance, case_id=OTHER)  # case 202 scanned alone first, and approved
    assert not other.success
    _decide(_scan_of(other)["scan_id"], "approve")

    ranged = _run(
        instance, tags={ASSET_PARTITION_RANGE_START_TAG: str(CASE), ASSET_PARTITION_RANGE_END_TAG: str(OTHER)}
    )
    [check] = [e for e in ranged.get_asset_check_evaluations() if e.check_name == "html_rendition_pii_gate"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "1 of 2 cases are held" in check.description
    made = ranged.asset_materializations_for_node("html_renditions")
    assert [m.partition for m in made] == [str(OTHER)]
    assert _rendered(_store(CASE)) == []
    assert {int(k.split("/")[-2]) for k in _rendered(_store(OTHER))} == set(_pdfs(OTHER))
