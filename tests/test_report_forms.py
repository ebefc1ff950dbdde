"""The report forms (nextpoint_assets/reports/forms.py): one typed config per report type, checked by
Dagster before launch where it can be, and in the first step of the run, as one line, where it cannot."""

import email
import json

import dagster as dg
import pytest
from dagster._config.config_type import ConfigTypeKind
from dagster._core.errors import DagsterInvalidConfigError

from domain.reports.request import (
    CUSTOM_COLUMNS,
    FORMATS,
    OWN_PARAMETERS,
    RELEVANCY,
    REPORT_TYPES,
    ReportParameters,
    check_parameters,
    parse_parameters,
    parse_report_request,
    report_run_config,
)
from domain.requests import batch_run, read_message, run_of
from jobs.reports import REPORT_JOBS
from nextpoint_assets.reports.assets import REPORT_ASSETS
from nextpoint_assets.reports.forms import form_values, request_config
from resources.dagster_resources import DatabaseResource, build_resources
from resources.event_bus import LocalEventBus
from sensors import report_schedules

COMMON = {"format", "email", "date_from", "date_to", "event_id", "user_id"}
#: A value for every parameter only some types take, unlike its default.
SAMPLES = {
    "columns": ["action", "occurred_at"],
    "actions": ["login"],
    "user_ids": [7],
    "case_ids": [102],
    "relevancy": ["hot", "needs_review"],
    "overlay_key": "uploads/overlay.dat",
    "match_by": "control_number",
    "dry_run": True,
}


def _fields(config_type) -> dict:
    return config_type.fields


def _inner(config_type, *kinds):
    """Unwrap Noneable / Array wrappers down to the type under them."""
    while config_type.kind in (ConfigTypeKind.NONEABLE, ConfigTypeKind.ARRAY):
        config_type = config_type.inner_type
    return config_type


def _choices(field) -> tuple:
    inner = _inner(field.config_type)
    assert inner.kind == ConfigTypeKind.ENUM, f"{field} is not a closed choice"
    return tuple(v.config_value for v in inner.enum_values)


def _defs(settings):
    return dg.Definitions(
        assets=list(REPORT_ASSETS.values()),
        jobs=list(REPORT_JOBS.values()),
        resources=build_resources(settings),
    )


def _job(settings, report_type: str):
    return _defs(settings).resolve_job_def(f"{report_type}_report_job")


@pytest.mark.parametrize("report_type", REPORT_TYPES)
def test_each_report_form_holds_only_its_fields_described(report_type):
    fields = _fields(REPORT_ASSETS[report_type].op.config_schema.config_type)
    own = set(OWN_PARAMETERS.get(report_type, ()))
    assert set(fields) == COMMON | own | {"active_only", "requests"}
    for name, field in fields.items():
        assert field.description and len(field.description) > 20, name
    assert "YYYY-MM-DD" in fields["date_from"].description and "inclusive" in fields["date_to"].description
    assert _choices(fields["format"]) == FORMATS and fields["format"].default_value == "csv"
    # A request of a batch has the same fields as the form, less the run's own.
    item = _inner(fields["requests"].config_type)
    assert item.kind == ConfigTypeKind.STRICT_SHAPE
    assert set(item.fields) == COMMON | own
    # Nothing is required at the top: the defaults launch as they are (a batch carries only `requests`).
    assert not [name for name, field in fields.items() if field.is_required]


def test_closed_choices_are_the_domains():
    custom = _fields(REPORT_ASSETS["custom"].op.config_schema.config_type)
    assert _choices(custom["columns"]) == CUSTOM_COLUMNS
    page_count = _fields(REPORT_ASSETS["page_count"].op.config_schema.config_type)
    assert _choices(page_count["relevancy"]) == RELEVANCY
    overlay = _fields(REPORT_ASSETS["coding_overlay"].op.config_schema.config_type)
    assert _choices(overlay["match_by"]) == ("auto", "bates", "control_number")
    assert overlay["match_by"].default_value == "auto"
    # A request of a coding overlay batch must name its load file.
    assert _inner(overlay["requests"].config_type).fields["overlay_key"].is_required


@pytest.mark.parametrize(
    "report_type, config, wrong",
    [
        ("page_count", {"format": "pdf"}, "format"),
        ("page_count", {"relevancy": ["maybe"]}, "relevancy"),
        ("custom", {"columns": ["password"]}, "columns"),
        ("coding_overlay", {"overlay_key": "a.dat", "match_by": "title"}, "match_by"),
        ("page_count", {"columns": ["action"]}, "columns"),  # another type's field
        ("review_log", {"requests": [{"format": "pdf"}]}, "format"),
    ],
)
def test_dagster_refuses_a_wrong_choice_before_launch(settings, report_type, config, wrong):
    run_config = {"ops": {f"{report_type}_report": {"config": config}}}
    with pytest.raises(DagsterInvalidConfigError, match=wrong):
        dg.validate_run_config(_job(settings, report_type), run_config)
    # The asset page launches the implicit asset job: the same form, the same refusal.
    asset_job = _defs(settings).resolve_implicit_global_asset_job_def()
    with pytest.raises(DagsterInvalidConfigError, match=wrong):
        dg.validate_run_config(
            asset_job.get_subset(asset_selection={REPORT_ASSETS[report_type].key}), run_config
        )


def _request(report_type: str, event_id: str) -> dict:
    own = OWN_PARAMETERS.get(report_type, ())
    return {
        "event_type": "REPORT_REQUESTED",
        "event_id": event_id,
        "case_id": 101,
        "occurred_at": "2026-11-22T10:00:00Z",
        "report_type": report_type,
        "user_id": 55,
        "parameters": {"from": "2024-04-01", "to": "2024-06-30T12:00:00Z", **{k: SAMPLES[k] for k in own}},
        "delivery": {"email": ["analyst@example.com"], "format": "xlsx"},
    }


@pytest.mark.parametrize("report_type", REPORT_TYPES)
def test_a_request_round_trips_through_its_form(settings, report_type):
    """report_run_config -> Dagster's validation -> the form's values -> the same parameters."""
    request = parse_report_request(_request(report_type, "req-1"))
    run_config = report_run_config(request)
    job = _job(settings, report_type)
    processed = dg.validate_run_config(job, run_config)["ops"][f"{report_type}_report"]["config"]
    values = form_values(
        request_config(report_type)(
            **{k: v for k, v in processed.items() if k != "requests" and k != "active_only"}
        )
    )
    assert (values["format"], values["email"], values["event_id"], values["user_id"]) == (
        "xlsx",
        ["analyst@example.com"],
        "req-1",
        55,
    )
    params = parse_parameters(
        report_type, {k: v for k, v in values.items() if k in ReportParameters.model_fields}
    )
    assert params == request.parameters

    # Several requests for the case share a run (the request sensor's batch): its config validates too.
    runs = [run_of(read_message(json.dumps(_request(report_type, f"req-{i}"))), f"w{i}") for i in (1, 2)]
    batch = batch_run(runs)
    items = dg.validate_run_config(job, batch.run_config)["ops"][f"{report_type}_report"]["config"][
        "requests"
    ]
    assert [i["event_id"] for i in items] == ["req-1", "req-2"]


def test_each_type_owns_the_parameters_the_domain_gives_it():
    """OWN_PARAMETERS (the forms' fields) and check_parameters (the rule) say the same."""
    for report_type in REPORT_TYPES:
        for owner, names in OWN_PARAMETERS.items():
            for name in names:
                if name == "match_by":  # defaulted, never refused: only coding_overlay's form shows it
                    continue
                base = {"overlay_key": "a.dat"} if report_type == "coding_overlay" else {}
                params = ReportParameters.model_validate({**base, name: SAMPLES[name]})
                if owner == report_type:
                    check_parameters(report_type, params)
                else:
                    with pytest.raises(ValueError):
                        check_parameters(report_type, params)


def _failure(result):
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert len(failures) == 1
    data = failures[0].step_failure_data
    assert data.error.cls_name == "Failure"
    return data.user_failure_data


def _launch(settings, report_type, config, case="101"):
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("cases", [case])
    return (
        _defs(settings)
        .resolve_job_def(f"{report_type}_report_job")
        .execute_in_process(
            instance=instance,
            partition_key=case,
            raise_on_error=False,
            run_config={"ops": {f"{report_type}_report": {"config": config}}},
        )
    )


def _no_database(monkeypatch):
    def refused(self):
        raise AssertionError("the form must be checked before any database work")

    monkeypatch.setattr(DatabaseResource, "databases", refused)


@pytest.mark.parametrize(
    "config, named, said",
    [
        ({"date_from": "2024-13-01"}, "date_from", "is not a date (YYYY-MM-DD)"),
        (
            {"date_from": "2024-03-01", "date_to": "2024-01-31"},
            "date_from",
            "date_from (2024-03-01) is after date_to",
        ),
        ({"email": ["not-an-address"]}, "email", "is not an email address"),
        ({"user_id": 0}, "user_id", "above 0"),
    ],
)
def test_a_wrong_value_fails_at_once_naming_the_forms_field(settings, monkeypatch, config, named, said):
    _no_database(monkeypatch)
    result = _launch(settings, "page_count", config)
    assert not result.success
    failure = _failure(result)
    assert said in failure.description and named in failure.description
    assert "\n" not in failure.description and "'from'" not in failure.description
    assert failure.metadata["fields"].value == named
    # A user's mistake is not retried: the step ran once.
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    # Nobody asked through an event: nothing is announced.
    assert not [
        e for e in LocalEventBus(settings.events_file).read_all() if e["event_type"] == "REPORT_FAILED"
    ]


def test_a_coding_overlay_without_its_load_file_fails_at_once(settings, monkeypatch):
    _no_database(monkeypatch)
    failure = _failure(_launch(settings, "coding_overlay", {}))
    assert failure.description.startswith("The coding overlay report was not started: ")
    assert "overlay_key" in failure.description and "parameters." not in failure.description


def test_a_requested_report_with_a_wrong_value_is_still_announced(settings, monkeypatch):
    _no_database(monkeypatch)
    config = {"event_id": "req-bad", "email": ["analyst@example.com"], "date_to": "last tuesday"}
    failure = _failure(_launch(settings, "review_log", config))
    assert "date_to" in failure.description
    events = [e for e in LocalEventBus(settings.events_file).read_all() if e["event_type"] == "REPORT_FAILED"]
    assert [(e["request_event_id"], e["case_id"], e["report_type"]) for e in events] == [
        ("req-bad", 101, "review_log")
    ]
    assert "date_to" in events[0]["error"]
    mails = list(settings.outbox_dir.glob("*.eml"))
    assert len(mails) == 1
    assert email.message_from_bytes(mails[0].read_bytes())["To"] == "analyst@example.com"


def test_a_wrong_request_in_a_batch_is_announced_and_the_others_are_made(demo_home, settings):
    good = {"event_id": "req-good", "date_from": "2024-04-01"}
    bad = {"event_id": "req-bad", "date_from": "2024-04-31"}
    result = _launch(settings, "review_log", {"requests": [good, bad]})
    made = [e for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"]
    assert len(made) == 1
    assert made[0].event_specific_data.materialization.metadata["request_event_id"].value == "req-good"
    failure = _failure(result)
    assert "failed for 1 of 2 request(s)" in failure.description
    assert "req-bad" in failure.description and "date_from" in failure.description
    failed = [e for e in LocalEventBus(settings.events_file).read_all() if e["event_type"] == "REPORT_FAILED"]
    assert [e["request_event_id"] for e in failed] == ["req-bad"]


@pytest.mark.parametrize("config", [{}, {"format": None, "email": None, "relevancy": None}])
def test_the_defaults_make_a_report(demo_home, settings, config):
    """A form left as scaffolded (every default), or with fields left blank (YAML null), makes a report."""
    result = _launch(settings, "page_count", config)
    assert result.success
    made = [e for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"]
    assert made[0].event_specific_data.materialization.metadata["format"].value == "csv"


def test_stopped_schedules_say_why(monkeypatch):
    for schedule in report_schedules.REPORT_SCHEDULES:
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
        assert "NP_REPORT_SCHEDULE_RECIPIENTS" in schedule.description
    current = report_schedules.settings
    monkeypatch.setattr(
        report_schedules, "settings", current.model_copy(update={"report_schedule_recipients": ""})
    )
    assert "none set" in report_schedules.why_stopped()
    some = current.model_copy(update={"report_schedule_recipients": "a@example.com, b@example.com"})
    monkeypatch.setattr(report_schedules, "settings", some)
    said = report_schedules.why_stopped()
    assert "2 set" in said and "a@example.com" not in said
