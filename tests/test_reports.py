"""Reports end to end on the demo cases: every type, both formats, delivery, requests, fan-out, schedules."""

import email
import email.policy
import io
import json
import re
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, insert, select, update

from domain.errors import PermanentError
from domain.reports.request import parse_report_request
from domain.requests import read_message, run_of
from domain.schema import (
    confidentiality_logs,
    custom_field_values,
    custom_fields,
    exhibits,
    label_category_labels,
    npcases,
    privilege_logs,
    relevancy_logs,
)
from jobs.reports import REPORT_JOBS, account_user_activity_job
from nextpoint_assets.reports.account_activity import account_user_activity_report
from nextpoint_assets.reports.assets import REPORT_ASSETS
from resources.dagster_resources import DatabaseResource, build_resources
from resources.event_bus import LocalEventBus
from resources.object_store import build_object_store
from sensors.report_schedules import monthly_user_activity_schedule, weekly_review_log_schedule

NOTE = 'Reviewed, "looks fine"\nsecond line — ok'  # what the demo stores as Reviewer Notes


def _defs(settings):
    return dg.Definitions(
        assets=[*REPORT_ASSETS.values(), account_user_activity_report],
        jobs=[*REPORT_JOBS.values(), account_user_activity_job],
        resources=build_resources(settings),
    )


def _run(settings, report_type, case="101", instance=None, **config):
    instance = instance or dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("cases", [case])
    job = _defs(settings).resolve_job_def(f"{report_type}_report_job")
    result = job.execute_in_process(
        instance=instance,
        partition_key=case,
        raise_on_error=False,
        run_config={"ops": {f"{report_type}_report": {"config": config}}},
    )
    return result


def _metadata(result):
    found = [
        e.event_specific_data.materialization.metadata
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    ]
    assert len(found) == 1, [e.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return {k: v.value for k, v in found[0].items()}


def _bytes(settings, key):
    return build_object_store(settings).get_bytes(key)


def _csv(settings, key) -> pd.DataFrame:
    data = _bytes(settings, key)
    assert data.startswith(b"\xef\xbb\xbf")
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _db(settings):
    return DatabaseResource.from_settings(settings).databases()


def _count(conn, table, *where):
    return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


CASE_REPORTS = [
    "custom",
    "user_activity",
    "transcript_metadata",
    "deposition_summary",
    "page_count",
    "review_log",
    "privilege_log",
    "grid_data",
]


@pytest.mark.parametrize("report_type", CASE_REPORTS)
def test_every_report_in_csv_and_xlsx(demo_home, settings, report_type):
    csv_meta = _metadata(_run(settings, report_type))
    frame = _csv(settings, csv_meta["object_key"])
    assert re.fullmatch(
        rf"case_101/reports/{report_type}/runs/\d{{8}}T\d{{12}}Z-[0-9a-f-]+\.csv", csv_meta["object_key"]
    )
    assert csv_meta["row_count"] > 0
    data_rows = len(frame) - (1 if report_type == "page_count" else 0)  # page_count ends with its TOTAL line
    assert csv_meta["row_count"] == data_rows
    assert "|" in csv_meta["preview"] and Path(csv_meta["local_path"]).is_file()
    assert csv_meta["latest_pointer"] == f"case_101/reports/{report_type}/latest.json"

    xlsx_meta = _metadata(_run(settings, report_type, format="xlsx"))
    book = openpyxl.load_workbook(io.BytesIO(_bytes(settings, xlsx_meta["object_key"])))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.freeze_panes == "A2"
    assert list(rows[0]) == list(frame.columns)
    assert len(rows) - 1 == len(frame)
    assert all(sheet.column_dimensions[c].width >= 8 for c in "AB")
    for value in (v for row in rows[1:] for v in row):
        assert not (isinstance(value, str) and value[:1].isdigit() and value.isdigit()), (
            "numbers must be numbers"
        )

    with _db(settings).case_reader(101).connect() as conn:
        if report_type == "review_log":
            expected = sum(_count(conn, t) for t in (relevancy_logs, privilege_logs, confidentiality_logs))
            assert csv_meta["row_count"] == expected
            assert set(frame["log_type"]) == {"relevancy", "privilege", "confidentiality"}
            assert list(frame["logged_at"]) == sorted(frame["logged_at"])
            assert all(len(v) == 20 and v.endswith("Z") for v in frame["logged_at"])  # UTC ISO 8601
            assert isinstance(rows[1][0], datetime)
        if report_type == "grid_data":
            assert csv_meta["row_count"] == _count(conn, exhibits)
            assert NOTE in set(frame["Reviewer Notes"])  # quotes, comma, newline, unicode survive CSV
            notes = rows[0].index("Reviewer Notes")
            assert NOTE in {r[notes] for r in rows[1:]}  # ... and XLSX
            score, received = rows[0].index("Review Score"), rows[0].index("Received")
            typed = [r for r in rows[1:] if r[score] is not None]
            assert typed and all(
                isinstance(r[score], int) and isinstance(r[received], datetime) for r in typed
            )
            assert any(";" in v for v in frame["labels"]) or any(frame["labels"])
        if report_type == "privilege_log":
            assert csv_meta["row_count"] == _count(conn, privilege_logs)


def test_request_runs_with_its_window_and_delivers(demo_home, settings):
    body = {
        "event_type": "REPORT_REQUESTED",
        "event_id": "req-1",
        "case_id": 101,
        "occurred_at": "2026-11-22T10:00:00Z",
        "report_type": "review_log",
        "user_id": 55,
        "parameters": {"from": "2024-04-01", "to": "2024-06-30"},
        "delivery": {"email": "analyst@example.com", "format": "xlsx"},
    }
    request = read_message(json.dumps(body))
    run = run_of(request, request.work_key)
    job_name, partition, run_config = run.job_name, run.partition_key, run.run_config
    assert (job_name, partition, run.partitions) == ("review_log_report_job", "101", "cases")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("cases", ["101"])
    result = (
        _defs(settings)
        .resolve_job_def(job_name)
        .execute_in_process(instance=instance, partition_key=partition, run_config=run_config)
    )
    meta = _metadata(result)
    start, end = datetime(2024, 4, 1), datetime(2024, 7, 1)
    with _db(settings).case_reader(101).connect() as conn:
        expected = sum(
            _count(conn, t, t.c.created_at >= start, t.c.created_at < end)
            for t in (relevancy_logs, privilege_logs, confidentiality_logs)
        )
        everything = sum(_count(conn, t) for t in (relevancy_logs, privilege_logs, confidentiality_logs))
    assert 0 < meta["row_count"] == expected < everything
    assert meta["object_key"].startswith("case_101/reports/review_log/requests/") and meta[
        "object_key"
    ].endswith(".xlsx")

    events = [
        e for e in LocalEventBus(settings.events_file).read_all() if e["event_type"] == "REPORT_COMPLETED"
    ]
    assert len(events) == 1
    event = events[0]
    assert (event["case_id"], event["report_type"], event["object_key"], event["row_count"]) == (
        101,
        "review_log",
        meta["object_key"],
        expected,
    )
    assert event["request_event_id"] == "req-1"

    mails = list(settings.outbox_dir.glob("*.eml"))
    assert len(mails) == 1
    message = email.message_from_bytes(mails[0].read_bytes())
    assert message["To"] == "analyst@example.com" and "Review log" in message["Subject"]
    attachments = [p for p in message.walk() if p.get_filename()]
    assert [a.get_filename() for a in attachments] == ["review_log.xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(attachments[0].get_payload(decode=True)))
    assert book.worksheets[0].max_row == expected + 1

    # A second delivery of the same request writes the same file and announces with the same event id.
    again = (
        _defs(settings)
        .resolve_job_def(job_name)
        .execute_in_process(instance=instance, partition_key=partition, run_config=run_config)
    )
    assert _metadata(again)["object_key"] == meta["object_key"]
    ids = [
        e["event_id"]
        for e in LocalEventBus(settings.events_file).read_all()
        if e["event_type"] == "REPORT_COMPLETED"
    ]
    assert len(ids) == 2 and ids[0] == ids[1]


def test_a_large_report_is_linked_not_attached(demo_home, monkeypatch):
    from resources.settings import get_settings, load_settings

    monkeypatch.setenv("NP_REPORT_ATTACH_LIMIT_BYTES", "100")
    get_settings.cache_clear()
    settings = load_settings()
    meta = _metadata(_run(settings, "grid_data", email=["a@example.com"]))
    message = email.message_from_bytes(
        next(settings.outbox_dir.glob("*.eml")).read_bytes(), policy=email.policy.default
    )
    assert not [p for p in message.walk() if p.get_filename()]
    assert Path(meta["local_path"]).as_uri() in message.get_body().get_content()  # no file server set


@pytest.mark.parametrize(
    "body, problem",
    [
        ({"report_type": "sales"}, "report_type"),
        ({"report_type": "review_log", "parameters": {"from": "2026-13-01"}}, "not a date"),
        (
            {"report_type": "review_log", "parameters": {"from": "2026-05-01", "to": "2026-01-01"}},
            "'from' is after 'to'",
        ),
        ({"report_type": "review_log", "delivery": {"format": "pdf"}}, "delivery.format"),
        ({"report_type": "review_log", "delivery": {"email": "not-an-address"}}, "not an email address"),
        (
            {"report_type": "review_log", "parameters": {"from": "2026-01-01'; DROP TABLE exhibits; --"}},
            "not a date",
        ),
        ({"report_type": "coding_overlay"}, "overlay_key"),
        ({"report_type": "custom", "parameters": {"columns": ["occurred_at", "password"]}}, "unknown column"),
        ({"report_type": "review_log", "case_ids": [202]}, "case_ids belong to user_activity"),
        ({"report_type": "review_log", "parameters": {"surprise": 1}}, "parameters.surprise"),
        ({"report_type": "review_log", "case_id": 0}, "case_id"),
    ],
)
def test_bad_requests_are_rejected_with_the_reason(body, problem):
    full = {"event_type": "REPORT_REQUESTED", "event_id": "e1", "case_id": 101, **body}
    with pytest.raises(PermanentError) as info:
        parse_report_request(full)
    assert problem in str(info.value)


def test_unknown_case_is_refused(demo_home, settings):
    result = _run(settings, "review_log", case="404")
    assert not result.success
    failed = [e for e in LocalEventBus(settings.events_file).read_all() if e["event_type"] == "REPORT_FAILED"]
    assert failed and failed[0]["case_id"] == 404 and "not a known case" in failed[0]["error"]


def _same_account(settings):
    """Put case 202 in case 101's account and add an account case with no database (303)."""
    with _db(settings).core_writer().begin() as core:
        core.execute(update(npcases).where(npcases.c.id == 202).values(account_id=1))
        core.execute(
            insert(npcases).values(
                id=303,
                account_id=1,
                name="Lost case",
                status="active",
                region="c2",
                created_at=datetime(2024, 1, 1),
            )
        )


def test_user_activity_fans_out_and_keeps_going_past_a_broken_case(demo_home, settings):
    refused = _run(settings, "user_activity", case_ids=[101, 202])  # 202 belongs to another account
    assert not refused.success
    assert "another account" in LocalEventBus(settings.events_file).read_all()[-1]["error"]

    _same_account(settings)
    result = _run(settings, "user_activity", case_ids=[101, 202, 303])
    assert result.success
    meta = _metadata(result)
    frame = _csv(settings, meta["object_key"])
    assert set(frame["case_id"]) == {"101", "202"}
    assert meta["failed_cases"] == {"303": "The database np_case_303 does not exist."}
    assert "could not be read" in meta["notes"]
    event = LocalEventBus(settings.events_file).read_all()[-1]
    assert event["event_type"] == "REPORT_COMPLETED" and event["failed_case_ids"] == [303]
    with _db(settings).case_reader(101).connect() as conn:
        decisions = _count(conn, relevancy_logs)
    rows = frame[frame["case_id"] == "101"]
    assert rows["relevancy_decisions"].astype(int).sum() == decisions


def test_account_activity_for_a_month(demo_home, settings):
    _same_account(settings)
    instance = dg.DagsterInstance.ephemeral()
    result = (
        _defs(settings)
        .resolve_job_def("account_user_activity_report_job")
        .execute_in_process(
            instance=instance,
            partition_key="2024-04-01",
            raise_on_error=False,
            run_config={"ops": {"account_user_activity_report": {"config": {"format": "csv"}}}},
        )
    )
    assert result.success
    metas = [
        e.event_specific_data.materialization.metadata
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    ]
    by_account = {m["account_id"].value: m for m in metas}
    assert set(by_account) == {1}  # 202 moved into account 1, so account 2 has no case left
    meta = by_account[1]
    assert re.fullmatch(
        r"accounts/account_1/reports/user_activity/2024-04/runs/\d{8}T\d{12}Z-[0-9a-f-]+\.csv",
        meta["object_key"].value,
    )
    assert set(meta["failed_cases"].value) == {"303"}
    frame = _csv(settings, meta["object_key"].value)
    stamps = [v for v in frame["first_activity_at"]] + [v for v in frame["last_activity_at"]]
    assert stamps and all(v.startswith("2024-04-") for v in stamps)


def _overlay(settings, name: str, data: bytes) -> str:
    build_object_store(settings).put_bytes(f"case_101/uploads/{name}", data)
    return f"uploads/{name}"


def _control_numbers(settings, n):
    with _db(settings).case_reader(101).connect() as conn:
        return [
            r[0] for r in conn.execute(select(exhibits.c.control_number).order_by(exhibits.c.id).limit(n))
        ]


def _coded(settings):
    with _db(settings).case_reader(101).connect() as conn:
        fields = {r.name: r.id for r in conn.execute(select(custom_fields))}
        values = {
            (r.custom_field_id, r.exhibit_id): r.value for r in conn.execute(select(custom_field_values))
        }
        labels = {(r.label_category_id, r.exhibit_id) for r in conn.execute(select(label_category_labels))}
        ids = {r.control_number: r.id for r in conn.execute(select(exhibits.c.control_number, exhibits.c.id))}
        rows = _count(conn, custom_field_values), _count(conn, label_category_labels)
    return fields, values, labels, ids, rows


def test_coding_overlay_from_a_dat(demo_home, settings):
    c1, c2, c3, c4 = _control_numbers(settings, 4)
    q, s = "\u00fe", "\x14"

    def line(*values):
        return s.join(f"{q}{v}{q}" for v in values) + "\r\n"

    dat = (
        "\ufeff"
        + line("Control Number", "Issue", "Review Score", "Received", "Labels", "PGCOUNT")
        + line(c1, "Damages", "7", "03/15/2024", "Hot; Key Witness", "3")
        + line(c2, "Pricing\u00aeSecond line", "", "", "", "1")
        + line("NOPE-1", "Breach", "1", "", "", "1")
        + line(c3, "Breach", "seven", "", "", "1")
        + line(c4, "Breach", "", "", "Hot", "2")
        + line(c4, "Damages", "", "", "Hot", "2")
    )
    key = _overlay(settings, "overlay.dat", dat.encode("utf-8"))
    before = _coded(settings)
    meta = _metadata(_run(settings, "coding_overlay", overlay_key=key))
    summary = meta["summary"]
    assert (summary["matched"], summary["unmatched"], summary["conflicting"]) == (2, 1, 3)
    assert summary["ignored_columns"] == ["PGCOUNT"]
    fields, values, labels, ids, rows = _coded(settings)
    assert values[(fields["Issue"], ids[c1])] == "Damages"
    assert values[(fields["Review Score"], ids[c1])] == "7"
    assert values[(fields["Received"], ids[c1])] == "2024-03-15"
    assert values[(fields["Issue"], ids[c2])] == "Pricing\nSecond line"
    for control in (c3, c4):  # a value that does not fit its field; two lines that disagree
        assert values.get((fields["Issue"], ids[control])) == before[1].get((fields["Issue"], ids[control]))
    assert (1, ids[c1]) in labels and (5, ids[c1]) in labels
    report = _csv(settings, meta["object_key"])
    assert list(report["status"]) == [
        "matched",
        "matched",
        "unmatched",
        "conflicting",
        "conflicting",
        "conflicting",
    ]
    assert list(report["line"]) == ["2", "3", "4", "5", "6", "7"]
    assert "not a number" in report["detail"][3] and "lines 6, 7" in report["detail"][4]

    # The same overlay again changes nothing and adds no row.
    again = _metadata(_run(settings, "coding_overlay", overlay_key=key))
    assert again["summary"]["values_changed"] == 0 and again["summary"]["labels_added"] == 0
    assert _coded(settings)[4] == rows


def test_coding_overlay_from_a_csv_and_a_dry_run(demo_home, settings):
    c1, c2 = _control_numbers(settings, 2)
    text = (
        "Control Number,Reviewer Notes,Issue\r\n"
        f'{c1},"Line one, ""quoted""\r\nline two — ü",Breach\r\n'
        f"{c2},,Pricing\r\n"
    )
    key = _overlay(settings, "overlay.csv", text.encode("utf-8"))
    before = _coded(settings)
    dry = _metadata(_run(settings, "coding_overlay", overlay_key=key, dry_run=True))
    assert dry["summary"]["matched"] == 2 and dry["summary"]["applied"] is False
    assert _coded(settings)[1] == before[1]
    _metadata(_run(settings, "coding_overlay", overlay_key=key))
    fields, values, _, ids, _ = _coded(settings)
    assert values[(fields["Reviewer Notes"], ids[c1])] == 'Line one, "quoted"\nline two — ü'
    assert values[(fields["Issue"], ids[c2])] == "Pricing"


@pytest.mark.parametrize(
    "name, data, message",
    [
        (
            "bad.csv",
            b"Control Number,Issue\r\nA,B\r\nC\r\n",
            "Line 3 of the load file has 1 fields; the header has 2",
        ),
        (
            "bad.dat",
            "\u00feControl Number\u00fe\x14\u00feIssue\u00fe\r\n\u00feA\u00fe\x14\u00feB\r\n".encode(),
            "Line 2 of the DAT opens a þ qualifier that is never closed",
        ),
        (
            "bad2.csv",
            b"Control Number,Issue\r\nA,B\r\nC,\xff\xfe\r\n",
            "Line 3 of the load file is not valid UTF-8",
        ),
        ("bad3.csv", b"Control Number,Issue,Issue\r\n", "names the field 'Issue' twice"),
        ("bad4.csv", b"Title,Nothing\r\nA,B\r\n", "no BEGBATES or Control Number column"),
        ("bad5.csv", b'Control Number,Issue\r\nA,"B\r\n', "Line 2 of the CSV is malformed"),
    ],
)
def test_a_malformed_overlay_is_rejected_with_its_line_and_changes_nothing(
    demo_home, settings, name, data, message
):
    before = _coded(settings)
    key = _overlay(settings, name, data)
    result = _run(settings, "coding_overlay", overlay_key=key)
    assert not result.success
    failed = [e for e in LocalEventBus(settings.events_file).read_all() if e["event_type"] == "REPORT_FAILED"]
    assert message in failed[-1]["error"]
    assert _coded(settings) == before


def test_an_overlay_key_of_another_case_is_refused(demo_home, settings):
    build_object_store(settings).put_bytes("case_202/uploads/x.csv", b"Control Number,Issue\r\n")
    result = _run(settings, "coding_overlay", overlay_key="case_202/uploads/x.csv")
    assert not result.success
    assert "another case" in LocalEventBus(settings.events_file).read_all()[-1]["error"]


def test_custom_report_columns_and_filters(demo_home, settings):
    meta = _metadata(
        _run(settings, "custom", columns=["occurred_at", "user_email", "action"], actions=["login"])
    )
    frame = _csv(settings, meta["object_key"])
    assert list(frame.columns) == ["occurred_at", "user_email", "action"]
    assert set(frame["action"]) == {"login"} and len(frame) > 0


def test_schedules_are_off_and_make_one_run_for_every_case(demo_home, settings):
    assert weekly_review_log_schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert monthly_user_activity_schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    with dg.instance_for_test() as instance:
        _schedules_tick(settings, instance)


def _schedules_tick(settings, instance):
    instance.add_dynamic_partitions("cases", ["101", "202"])
    with dg.build_schedule_context(
        instance=instance,
        repository_def=_defs(settings).get_repository_def(),
        scheduled_execution_time=datetime(2026, 11, 23, 6),
    ) as ctx:
        request = weekly_review_log_schedule.evaluate_tick(ctx).run_requests[0]
    assert request.tags["dagster/asset_partition_range_start"] == "101"
    assert request.tags["dagster/asset_partition_range_end"] == "202"
    config = request.run_config["ops"]["review_log_report"]["config"]
    assert (config["date_from"], config["date_to"], config["active_only"]) == (
        "2026-11-16",
        "2026-11-22",
        True,
    )
    result = (
        _defs(settings)
        .resolve_job_def("review_log_report_job")
        .execute_in_process(instance=instance, run_config=request.run_config, tags=request.tags)
    )
    assert result.success
    assert instance.get_materialized_partitions(dg.AssetKey("review_log_report")) == {"101", "202"}
    with dg.build_schedule_context(
        instance=instance,
        repository_def=_defs(settings).get_repository_def(),
        scheduled_execution_time=datetime(2026, 12, 1, 7),
    ) as ctx:
        monthly = monthly_user_activity_schedule.evaluate_tick(ctx).run_requests[0]
    assert monthly.partition_key == "2026-11-01"


def test_reports_on_mariadb(mysql_env, np_home):
    """The same queries on MySQL/MariaDB: GROUP_CONCAT, DATE windows and streaming cursors."""
    from demo.generate import DEFAULT_CASES, CaseSpec, generate

    generate(mysql_env, [CaseSpec(101, DEFAULT_CASES[0].name, 1, 20, "ACME")], seed=3)
    for report_type in (
        "grid_data",
        "review_log",
        "deposition_summary",
        "transcript_metadata",
        "user_activity",
    ):
        meta = _metadata(_run(mysql_env, report_type, date_from="2024-01-01"))
        frame = _csv(mysql_env, meta["object_key"])
        assert len(frame) == meta["row_count"] > 0, report_type
        if report_type == "grid_data":
            assert NOTE in set(frame["Reviewer Notes"])
            labelled = [v for v in frame["labels"] if "; " in v]
            assert all(v.split("; ") == sorted(v.split("; ")) for v in labelled)


def test_request_parsing_accepts_the_contract_example():
    request = parse_report_request(
        {
            "event_type": "REPORT_REQUESTED",
            "event_id": "x",
            "case_id": 101,
            "occurred_at": "2026-11-22T10:00:00Z",
            "report_type": "user_activity",
            "user_id": 55,
            "case_ids": [202, 101],
            "parameters": {"from": "2026-01-01", "to": "2026-11-01"},
            "delivery": {"email": "analyst@example.com", "format": "csv"},
        }
    )
    assert request.parameters.case_ids == [101, 202]
    assert request.parameters.start == datetime(2026, 1, 1)
    assert request.parameters.end == datetime(2026, 11, 2)  # 'to' is a whole day
    assert date(2026, 1, 1) <= request.parameters.start.date()
    assert json.dumps(request.delivery.email) == '["analyst@example.com"]'


def test_grid_data_with_more_custom_fields_than_a_join_may_hold(demo_home, settings):
    with _db(settings).case_writer(101).begin() as conn:
        first = conn.execute(select(func.min(exhibits.c.id))).scalar_one()
        for n in range(70):
            field_id = conn.execute(
                insert(custom_fields).values(name=f"Extra {n:02d}", field_type="text")
            ).inserted_primary_key[0]
            conn.execute(
                insert(custom_field_values),
                [
                    {"custom_field_id": field_id, "exhibit_id": first, "value": f"v{n}"},
                    {"custom_field_id": field_id, "exhibit_id": first, "value": f"w{n}"},
                ],
            )
    frame = _csv(settings, _metadata(_run(settings, "grid_data"))["object_key"])
    row = frame[frame["exhibit_id"] == str(first)].iloc[0]
    assert [row[f"Extra {n:02d}"] for n in (0, 69)] == ["v0; w0", "v69; w69"]
    assert NOTE in set(frame["Reviewer Notes"])
