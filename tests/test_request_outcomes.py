"""Run failure sensors: a stamp or report run that fails as a whole is announced, naming the failing step
(and the document when the failure names one), never leaking an internal error's text."""

from __future__ import annotations

import json

import dagster as dg

from domain.reports.request import request_name
from domain.requests import batch_run, read_message, run_of
from domain.stamps.request import StampRequest, stamp_run_config
from nextpoint_assets.reports.assets import REPORT_ASSETS
from nextpoint_assets.stamps.assets import stamped_page_set
from resources.dagster_resources import build_resources
from resources.event_bus import LocalEventBus
from resources.settings import get_settings
from sensors.production_outcomes import step_failure_message
from sensors.request_outcomes import request_failure_sensor
from tests.test_request_sensor import report_body, stamp_body


def resources() -> dict:
    return {k: v for k, v in build_resources(get_settings()).items() if k != "pyspark"}


def announce_as(instance, result, job_name: str) -> None:
    """Evaluate the failure sensor on a failed run as if it were a run of `job_name` (materialize() names
    its own job; the sensor reads what was asked for from the job it monitors)."""
    from dagster._core.storage.dagster_run import DagsterRun

    run = instance.get_run_by_id(result.run_id)
    as_job = DagsterRun(job_name=job_name, run_id=run.run_id, run_config=run.run_config, tags=run.tags)
    failure = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0]
    with dg.build_run_status_sensor_context(
        sensor_name="request_failure_sensor",
        dagster_instance=instance,
        dagster_run=as_job,
        dagster_event=failure.dagster_event,
        resources=resources(),
    ) as context:
        request_failure_sensor(context.for_run_failure())


def events(kind: str) -> list[dict]:
    return [e for e in LocalEventBus(get_settings().events_file).read_all() if e["event_type"] == kind]


def run_once(asset, partition: str, run_config: dict, instance, monkeypatch) -> dg.ExecuteInProcessResult:
    """The asset, in process, without its retry policy (retrying this crash would wait a minute for
    nothing)."""
    monkeypatch.setattr(asset.op, "_retry_policy", None)
    return dg.materialize(
        [asset],
        partition_key=partition,
        run_config=run_config,
        instance=instance,
        resources=resources(),
        raise_on_error=False,
    )


def crash(*args, **kwargs):
    raise RuntimeError("connection refused for user admin password=hunter2")


def test_a_report_run_that_crashes_is_announced_without_internals(demo_home, monkeypatch):
    monkeypatch.setattr("nextpoint_assets.reports.assets.materialize_case_report", crash)
    request = read_message(json.dumps(report_body("rep-crash")))
    run = run_of(request, request.work_key)
    job_name, partition, config = run.job_name, run.partition_key, run.run_config
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("cases", ["101"])
        result = run_once(REPORT_ASSETS["page_count"], partition, config, instance, monkeypatch)
        assert not result.success
        announce_as(instance, result, job_name)
    [failed] = events("REPORT_FAILED")
    assert failed["event_id"] == f"report_failed-101-{request_name('rep-crash')}"
    assert (
        failed["case_id"] == 101
        and failed["report_type"] == "page_count"
        and failed["request_event_id"] == "rep-crash"
    )
    assert "The step page_count_report failed: an internal error" in failed["error"]
    assert "hunter2" not in str(failed) and "admin" not in str(failed)


def test_a_stamp_run_that_crashes_is_announced_under_the_steps_own_event_id(demo_home, monkeypatch):
    monkeypatch.setattr("nextpoint_assets.stamps.assets._materialize", crash)
    body = stamp_body("st-crash")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("cases", ["101"])
        result = run_once(stamped_page_set, "101", stamp_run_config(body), instance, monkeypatch)
        assert not result.success
        announce_as(instance, result, "stamp_job")
    [failed] = events("STAMP_FAILED")
    receipt = StampRequest.model_construct(event_id="st-crash").receipt_name
    assert failed["event_id"] == f"stamp_failed-101-{receipt}"
    assert failed["exhibit_ids"] == [1, 2] and failed["request_event_id"] == "st-crash"
    assert failed["error"].startswith("The step stamped_page_set failed") and "hunter2" not in str(failed)


def test_the_failure_message_names_the_document_when_the_failure_does():
    @dg.op
    def produce_volume():
        raise dg.Failure(
            description="The PDF is corrupt or not a PDF.", metadata={"document_id": 4711, "volume": "VOL001"}
        )

    @dg.job
    def volume_job():
        produce_volume()

    with dg.instance_for_test() as instance:
        result = volume_job.execute_in_process(instance=instance, raise_on_error=False)
        failure = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0]
        with dg.build_run_status_sensor_context(
            sensor_name="s",
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
            dagster_event=failure.dagster_event,
        ) as context:
            message = step_failure_message(context.for_run_failure())
    assert (
        message
        == "The step produce_volume failed: The PDF is corrupt or not a PDF. (document 4711, volume VOL001)"
    )


def test_a_report_batch_that_crashes_announces_only_the_requests_it_did_not(demo_home, monkeypatch):
    """A batch of three: the first is made and announced, the second breaks while the event bus is down
    (so the step itself cannot say so, and the run fails), the third is never reached. The failure
    sensor announces the second and third, not the first."""
    import nextpoint_assets.reports.assets as report_assets

    made = report_assets.materialize_case_report

    def second_breaks(context, spec, config, case_id, dbs, sinks):
        if config.event_id == "b-2":
            monkeypatch.setattr(report_assets, "report_failed", crash)  # the bus is down as well
            raise RuntimeError("disk full at /var/secret")
        return made(context, spec, config, case_id, dbs, sinks)

    monkeypatch.setattr(report_assets, "materialize_case_report", second_breaks)
    accepted = [read_message(json.dumps(report_body(f"b-{i}"))) for i in (1, 2, 3)]
    batch = batch_run([run_of(a, a.work_key) for a in accepted])
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("cases", ["101"])
        result = run_once(REPORT_ASSETS["page_count"], "101", batch.run_config, instance, monkeypatch)
        assert not result.success
        assert [e["request_event_id"] for e in events("REPORT_COMPLETED")] == ["b-1"]
        assert events("REPORT_FAILED") == []
        announce_as(instance, result, batch.job_name)
    failed = events("REPORT_FAILED")
    assert sorted(e["request_event_id"] for e in failed) == ["b-2", "b-3"]
    assert {e["event_id"] for e in failed} == {f"report_failed-101-{request_name(f'b-{i}')}" for i in (2, 3)}
    assert all("secret" not in e["error"] and "hunter2" not in e["error"] for e in failed)
