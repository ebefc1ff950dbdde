"""PII screening end to end on a real Dagster instance (docs/pii.md): an export and an exchange held at
their gate, decisions from the UI job and from events, the deadline, clean-up, the findings report
and suggested redactions. The demo's email production has personal data once its allowlist is gone."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import timedelta
from pathlib import Path

import dagster as dg
import openpyxl
import pytest
from sqlalchemy import select, update

from domain.pii.review import Decision, DecisionRefused
from domain.schema import annotations, pii_scans
from imaging.engine import LocalDocumentEngine
from jobs.pii import pii_decision_job, pii_findings_report_job, pii_rejection_job
from nextpoint_assets.pii.records import decide, get_scan, latest_scan, now, record_scan
from resources.dagster_resources import DatabaseResource, build_resources
from resources.event_bus import LocalEventBus
from resources.object_store import CaseStore, build_object_store
from resources.settings import get_settings
from sensors.pii_review import evaluate as review_tick
from sensors.production_outcomes import export_failure_sensor

EXPORT = "101-1"


def defs():
    from jobs.productions import production_job
    from nextpoint_assets.productions.assets import PRODUCTION_ASSETS, PRODUCTION_CHECKS

    return dg.Definitions(
        assets=PRODUCTION_ASSETS,
        asset_checks=PRODUCTION_CHECKS,
        jobs=[production_job, pii_decision_job, pii_rejection_job, pii_findings_report_job],
        resources={k: v for k, v in build_resources(get_settings()).items() if k != "pyspark"},
    )


def events(kind: str) -> list[dict]:
    return [e for e in LocalEventBus(get_settings().events_file).read_all() if e["event_type"] == kind]


def build_databases(settings):
    return DatabaseResource.from_settings(settings).databases()


def platform():
    return build_databases(get_settings()).platform()


HOLD_EMAILS = "US_SSN,CREDIT_CARD,IBAN_CODE,US_BANK_ROUTING,DATE_OF_BIRTH,EMAIL_ADDRESS"


@pytest.fixture
def held_export(demo_home, monkeypatch):
    """The demo export with the case's allowlist removed, and email addresses made to hold (by default
    they are reported only): its emails hold it at the gate."""
    (demo_home / "objects/case_101/pii/allowlist.txt").unlink()
    monkeypatch.setenv("NP_PII_HOLD_TYPES", HOLD_EMAILS)
    d, instance, result = produce()
    return {"defs": d, "instance": instance, "result": result, "home": demo_home}


def produce() -> tuple[dg.Definitions, dg.DagsterInstance, dg.ExecuteInProcessResult]:
    """The demo export's production job, run on a fresh instance, suggesting redactions."""
    get_settings.cache_clear()
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("exports", [EXPORT])
    d = defs()
    result = d.resolve_job_def("production_job").execute_in_process(
        instance=instance,
        partition_key=EXPORT,
        raise_on_error=False,
        run_config={"ops": {"export_pii_scan": {"config": {"suggest_redactions": True}}}},
    )
    return d, instance, result


def decide_in_ui(
    env, scan_id: str, decision: str, who: str = "reviewer@firm.example"
) -> dg.ExecuteInProcessResult:
    config = {
        "scan_id": scan_id,
        "decision": decision,
        "justification": "Checked every finding.",
        "decided_by": who,
    }
    return (
        env["defs"]
        .resolve_job_def("pii_decision_job")
        .execute_in_process(
            instance=env["instance"],
            run_config={"ops": {"record_pii_decision": {"config": config}}},
            raise_on_error=False,
        )
    )


def failure_sensor(env, result) -> None:
    instance = env["instance"]
    failure = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0]
    resources = {
        k: v
        for k, v in build_resources(get_settings()).items()
        if k in ("object_store", "event_bus", "backend_api")
    }
    with dg.build_run_status_sensor_context(
        sensor_name="export_failure_sensor",
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        dagster_event=failure.dagster_event,
        resources=resources,
    ) as context:
        export_failure_sensor(context.for_run_failure())


def tick(env):
    with dg.build_sensor_context(instance=env["instance"]) as context:
        return review_tick(context, build_resources(get_settings())["databases"])


def test_an_export_with_personal_data_waits_for_approval_then_completes(held_export):
    env, result = held_export, held_export["result"]
    assert not result.success  # stopped at the gate, nothing delivered
    scan = latest_scan(platform(), EXPORT)
    assert (
        scan["status"] == "awaiting_approval"
        and scan["findings"] > 0
        and set(scan["counts"]) == {"EMAIL_ADDRESS"}
    )
    materialized = {
        m.asset_key.to_user_string() for m in result.asset_materializations_for_node("export_pii_scan")
    }
    assert materialized == {"export_pii_scan"}
    assert not result.asset_materializations_for_node("export_archive")
    [announced] = events("PII_SCAN_COMPLETED")
    assert announced["status"] == "awaiting_approval" and announced["scan_id"] == scan["scan_id"]
    assert announced["export_id"] == 1 and announced["findings"] == scan["findings"] and announced["deadline"]
    failure_sensor(env, result)
    assert events("EXPORT_FAILED") == []  # held, not failed

    # The masked findings: no address in the clear, each named by its Bates number and page.
    store = CaseStore(build_object_store(get_settings()), 101)
    rows = list(
        csv.DictReader(
            io.StringIO(store.get_bytes(store.relative(announced["report_key"])).decode("utf-8-sig"))
        )
    )
    assert len(rows) == scan["findings"] and all(
        r["document"].startswith("ACME") and int(r["page"]) >= 1 for r in rows
    )
    assert not any("alice.johnson@" in json.dumps(r) for r in rows) and rows[0]["masked"].startswith(
        ("a***@", "b***@")
    )

    # Suggested redactions: over each address on its PDF page, labelled for the next production.
    dbs = build_databases(get_settings())
    with dbs.case_reader(101).connect() as conn:
        suggested = (
            conn.execute(
                select(annotations).where(
                    annotations.c.content == "REDACTED - PII", annotations.c.user_id.is_(None)
                )
            )
            .mappings()
            .all()
        )
    assert suggested
    engine = LocalDocumentEngine()
    for first in suggested:
        key = _pdf_of(dbs, first["exhibit_id"])
        pdf = Path(store.store.local_path(key if key.startswith("case_") else store.key(key)))
        under = engine.text_in_rect(pdf, first["page_number"] - 1, tuple(json.loads(first["rect"])))
        assert "@" in under, under  # the box covers the address the scan found

    # A run that selects the archive without the gate is held all the same.
    sneaky = (
        env["defs"]
        .resolve_job_def("production_job")
        .execute_in_process(
            instance=env["instance"],
            partition_key=EXPORT,
            asset_selection=[dg.AssetKey("export_archive")],
            raise_on_error=False,
        )
    )
    assert not sneaky.success
    held = next(e for e in sneaky.all_events if e.event_type_value == "STEP_FAILURE")
    assert "await review" in held.step_failure_data.user_failure_data.description

    # The approval: once. A second decision is refused by name.
    assert decide_in_ui(env, scan["scan_id"], "approve").success
    again = decide_in_ui(env, scan["scan_id"], "reject", who="someone.else@firm.example")
    assert not again.success
    refused = next(e for e in again.all_events if e.event_type_value == "STEP_FAILURE")
    assert (
        "already approved by reviewer@firm.example" in refused.step_failure_data.user_failure_data.description
    )
    [decided] = events("PII_SCAN_DECIDED")
    assert decided["decision"] == "approved" and decided["source"] == "ui"

    # The review sensor starts what was held, once.
    first_tick = tick(env)
    [resume] = first_tick.run_requests
    assert resume.job_name == "production_job" and resume.partition_key == EXPORT
    assert resume.asset_selection == [dg.AssetKey("export_archive"), dg.AssetKey("export_completion")]
    finished = (
        env["defs"]
        .resolve_job_def("production_job")
        .execute_in_process(
            instance=env["instance"],
            partition_key=EXPORT,
            asset_selection=resume.asset_selection,
            tags={"dagster/run_key": resume.run_key},
            raise_on_error=False,
        )
    )
    assert finished.success
    assert events("EXPORT_COMPLETED")[-1]["export_id"] == 1
    assert isinstance(tick(env), dg.SkipReason)  # dealt with: nothing more to start
    assert get_scan(platform(), scan["scan_id"])["resumed_at"] is not None

    # The findings report on demand: XLSX masked, CSV with the clear values when asked.
    for fmt, masked in (("xlsx", True), ("csv", False)):
        config = {"scan_id": scan["scan_id"], "format": fmt, "masked": masked}
        report = (
            env["defs"]
            .resolve_job_def("pii_findings_report_job")
            .execute_in_process(
                instance=env["instance"], run_config={"ops": {"pii_findings_report": {"config": config}}}
            )
        )
        key = report.output_for_node("pii_findings_report")
        data = store.store.get_bytes(key)
        if fmt == "xlsx":
            sheet = openpyxl.load_workbook(io.BytesIO(data)).active
            cells = [str(c.value) for row in sheet.iter_rows() for c in row]
            assert "masked" in cells and not any("alice.johnson@acme" in c for c in cells)
        else:
            assert b"alice.johnson@acme.example" in data and key.endswith("findings_unmasked.csv")


def _pdf_of(dbs, exhibit_id: int) -> str:
    from domain.schema import document_variants, exhibits

    with dbs.case_reader(101).connect() as conn:
        return conn.execute(
            select(document_variants.c.object_key)
            .join(exhibits, exhibits.c.document_id == document_variants.c.document_id)
            .where(exhibits.c.id == exhibit_id, document_variants.c.kind == "pdf")
        ).scalar_one()


def test_a_review_that_runs_out_of_time_is_rejected_and_the_production_removed(held_export):
    env = held_export
    scan = latest_scan(platform(), EXPORT)
    store = CaseStore(build_object_store(get_settings()), 101)
    assert list(store.list("exports/export_1/production/"))
    with platform().begin() as conn:  # the deadline passes
        conn.execute(
            update(pii_scans)
            .where(pii_scans.c.scan_id == scan["scan_id"])
            .values(deadline=now() - timedelta(minutes=1))
        )
    [cleanup] = tick(env).run_requests
    assert cleanup.job_name == "pii_rejection_job"
    assert get_scan(platform(), scan["scan_id"])["decision_source"] == "timeout"
    run = (
        env["defs"]
        .resolve_job_def("pii_rejection_job")
        .execute_in_process(
            instance=env["instance"], run_config=cleanup.run_config, tags={"dagster/run_key": cleanup.run_key}
        )
    )
    assert run.success
    assert (
        list(store.list("exports/export_1/production/")) == []
        and list(store.list("exports/export_1/zips/")) == []
    )
    assert store.exists("exports/export_1/manifest.zip") and list(
        store.list(f"exports/export_1/pii/{scan['scan_id']}/")
    )
    [failed] = events("EXPORT_FAILED")
    assert "review deadline passed" in failed["error"] and failed["export_id"] == 1
    [decided] = events("PII_SCAN_DECIDED")
    assert decided["decision"] == "rejected" and decided["source"] == "timeout"
    late = decide_in_ui(env, scan["scan_id"], "approve")  # too late
    assert not late.success


@pytest.mark.parametrize("backend", ["sqlite", "mariadb"])
def test_of_two_decisions_racing_exactly_one_is_recorded(backend, np_home, request, monkeypatch):
    if backend == "mariadb":
        request.getfixturevalue("mysql_env")
        monkeypatch.setenv("NP_PLATFORM_DB_NAME", f"{get_settings().core_db_name}_platform")
        get_settings.cache_clear()
    engine = build_databases(get_settings()).platform()
    row = {
        "scan_id": "pii-" + "ab" * 16,
        "subject": "export",
        "subject_key": "7-1",
        "case_id": 7,
        "status": "awaiting_approval",
        "threshold": 0.5,
        "findings": 3,
        "counts": {"US_SSN": 3},
        "documents": 2,
        "pages": 4,
        "findings_key": "case_7/x",
    }
    record_scan(engine, row, 72)
    again = record_scan(engine, {**row, "findings": 99}, 72)  # the same scan re-run: the row stays as it was
    assert again["findings"] == 3
    outcomes: list[str] = []

    def one(who: str, what: str) -> None:
        try:
            decide(
                engine,
                Decision(scan_id=row["scan_id"], decision=what, justification="looked", decided_by=who),
                "ui",
            )
            outcomes.append(who)
        except DecisionRefused as exc:
            outcomes.append(exc.user_message)

    threads = [
        threading.Thread(target=one, args=(f"r{i}", "approve" if i % 2 else "reject")) for i in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if not o.startswith("Scan")]
    assert len(winners) == 1 and len(outcomes) == 6
    assert all("a second decision is refused" in o for o in outcomes if o not in winners)
    assert get_scan(engine, row["scan_id"])["decided_by"] == winners[0]


def test_an_exchange_is_held_before_its_copy_and_rejected_by_an_event(demo_home, monkeypatch):
    """The exchange reads the source documents; the SSNs under redactions it burns in do not count, the
    addresses do. The copy (Spark) never starts. A PII_DECISION_SUBMITTED event rejects it through the
    request queue; the rejection marks the exchange failed and announces it."""
    from domain.exchanges.request import exchange_run_config
    from jobs.exchanges import exchange_job
    from nextpoint_assets.exchanges.assets import EXCHANGE_ASSETS
    from nextpoint_assets.exchanges.pii import exchange_pii_gate, exchange_pii_scan
    from nextpoint_assets.exchanges.state import get_state
    from resources.request_queue import LocalRequestQueue
    from tests.test_exchange_job import body
    from tests.test_request_sensor import Harness

    (demo_home / "objects/case_101/pii/allowlist.txt").unlink()
    monkeypatch.setenv("NP_PII_HOLD_TYPES", HOLD_EMAILS)
    get_settings.cache_clear()
    settings = get_settings()
    instance = dg.DagsterInstance.ephemeral()
    key = "202-101-9001"
    instance.add_dynamic_partitions("exchanges", [key])
    resources = {k: v for k, v in build_resources(settings).items()}
    d = dg.Definitions(
        assets=[*EXCHANGE_ASSETS, exchange_pii_scan],
        asset_checks=[exchange_pii_gate],
        jobs=[exchange_job, pii_decision_job, pii_rejection_job],
        resources=resources,
    )
    request = body(exhibit_ids=list(range(1, 25)))
    result = d.resolve_job_def("exchange_job").execute_in_process(
        instance=instance, partition_key=key, run_config=exchange_run_config(request), raise_on_error=False
    )
    assert not result.success
    done = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert done == {"exchange_request", "exchange_pii_scan"}  # the copy never started
    scan = latest_scan(platform(), key)
    assert scan["status"] == "awaiting_approval" and scan["case_id"] == 101
    assert set(scan["counts"]) == {"EMAIL_ADDRESS"}  # the demo's SSNs are all under redactions burned in
    [announced] = events("PII_SCAN_COMPLETED")
    assert announced["exchange_id"] == key and announced["destination_case_id"] == 202
    d_report = dg.Definitions(jobs=[pii_findings_report_job], resources=resources)
    report = d_report.resolve_job_def("pii_findings_report_job").execute_in_process(
        instance=instance,
        run_config={
            "ops": {"pii_findings_report": {"config": {"scan_id": scan["scan_id"], "masked": False}}}
        },
    )
    unmasked = (
        build_object_store(settings).get_bytes(report.output_for_node("pii_findings_report")).decode("utf-8")
    )
    assert "alice.johnson@acme.example" in unmasked  # read back from the PDF's text layer
    assert report.output_for_node("pii_findings_report").startswith(f"case_101/exchanges/{key}/pii/")

    queue = LocalRequestQueue(settings.queue_dir)
    decision = {
        "event_type": "PII_DECISION_SUBMITTED",
        "event_id": "dec-1",
        "case_id": 101,
        "occurred_at": "2026-11-24T10:00:00Z",
        "scan_id": scan["scan_id"],
        "decision": "reject",
        "justification": "Client addresses must not go to the other side.",
        "decided_by": "partner@firm.example",
    }
    queue.send(json.dumps(decision))
    queue.send(json.dumps({**decision, "event_id": "dec-2", "decision": "perhaps"}))  # refused at the door
    harness = Harness(instance)
    _, runs = harness.tick()
    [run] = runs
    assert run.job_name == "pii_decision_job" and run.tags["np/request"] == "pii_decision"
    rejected = events("EVENT_REJECTED")
    assert len(rejected) == 1 and "decision" in rejected[0]["reason"]
    decided = d.resolve_job_def("pii_decision_job").execute_in_process(
        instance=instance, run_config=run.run_config
    )
    assert decided.success and get_scan(platform(), scan["scan_id"])["decision_source"] == "event"

    [cleanup] = tick({"instance": instance}).run_requests
    assert cleanup.job_name == "pii_rejection_job"
    assert (
        d.resolve_job_def("pii_rejection_job")
        .execute_in_process(instance=instance, run_config=cleanup.run_config)
        .success
    )
    assert get_state(platform(), key)["status"] == "failed"
    [failed] = events("EXCHANGER_FAILED")
    assert "rejected by partner@firm.example" in failed["error"] and failed["source_case_id"] == 101

    # The same event delivered again starts nothing; a new event deciding again is refused by name.
    queue.send(json.dumps(decision))
    queue.send(json.dumps({**decision, "event_id": "dec-3", "decision": "approve"}))
    _, runs = harness.tick()
    [second] = runs
    refused = d.resolve_job_def("pii_decision_job").execute_in_process(
        instance=instance, run_config=second.run_config, raise_on_error=False
    )
    assert not refused.success
    last = events("EVENT_REJECTED")[-1]
    assert (
        last["rejected_event_id"] == "dec-3" and "already rejected by partner@firm.example" in last["reason"]
    )


def test_by_default_contact_details_are_reported_and_identifiers_hold(np_home):
    """Email addresses and phone numbers fill business documents: reported, not held. An SSN holds."""
    from nextpoint_assets.pii.scanning import ScanText, read_findings, run_scan

    settings = get_settings()
    store = CaseStore(build_object_store(settings), 5)
    store.put_bytes("t/a.txt", b"Write to jane.roe@firm.example or call (212) 555-0143.")
    store.put_bytes("t/b.txt", b"Page one.\fEmployee SSN 123-45-6789 on file.")

    def scan(*keys):
        return run_scan(
            subject="export",
            subject_key=f"5-{len(keys)}",
            case_id=5,
            store=store,
            texts=[ScanText(i, f"DOC{i}", k) for i, k in enumerate(keys)],
            findings_prefix="pii/",
            threshold=0.5,
            settings=settings,
            platform=platform(),
            bus=LocalEventBus(settings.events_file),
            extra_event={},
        )

    contact = scan("t/a.txt")
    assert contact.row["status"] == "clean" and contact.findings == 0
    assert contact.row["counts"] == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}  # still in the report
    assert len(read_findings(store, store.relative(contact.row["findings_key"]))) == 2
    both = scan("t/a.txt", "t/b.txt")
    assert both.row["status"] == "awaiting_approval" and both.findings == 1
    assert both.event["holding_types"] == [
        "CREDIT_CARD",
        "DATE_OF_BIRTH",
        "IBAN_CODE",
        "UNSCANNED",
        "US_BANK_ROUTING",
        "US_SSN",
    ]
    ssn = next(
        f for f in read_findings(store, store.relative(both.row["findings_key"])) if f["type"] == "US_SSN"
    )
    assert (ssn["document"], ssn["page"]) == ("DOC1", 2)
