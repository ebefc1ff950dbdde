"""HTML_RENDITION_REQUESTED from the queue to the run to its outcome event: validated first (a bad
selection is rejected by name), one run per request (a redelivery starts nothing), the run renders
what its clean scan screened and announces HTML_RENDITION_COMPLETED, a crashed run is announced as
HTML_RENDITION_FAILED, and a run that only waits at its PII gate is not announced as failed."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from domain.event_header import request_name
from domain.rejections import Rejected
from domain.requests import Accepted, read_message, run_of
from resources.request_queue import LocalRequestQueue
from resources.settings import get_settings
from tests.test_renditions_pii import plain_exhibit, rendition_job
from tests.test_request_outcomes import announce_as, events
from tests.test_request_sensor import NOW, Harness

CASE = 101


def rendition_body(event_id: str = "ren-1", **extra) -> dict:
    return {
        "event_type": "HTML_RENDITION_REQUESTED",
        "event_id": event_id,
        "case_id": CASE,
        "occurred_at": NOW,
        **extra,
    }


def test_a_request_becomes_the_jobs_config_for_its_case():
    accepted = read_message(
        json.dumps(rendition_body(documents="label", label=" Privileged ", max_pages=300, user_id=5))
    )
    assert isinstance(accepted, Accepted)
    run = run_of(accepted, accepted.work_key)
    assert (run.job_name, run.partition_key, run.partitions) == ("html_renditions_job", "101", "cases")
    assert run.run_config == {
        "ops": {
            "html_rendition_pii_scan": {"config": {"documents": "label", "label": "Privileged"}},
            "html_renditions": {"config": {"max_pages": 300, "event_id": "ren-1"}},
        }
    }
    assert run.tags["np/serial"] == "renditions-101" and run.tags["np/request"] == "rendition"
    again = read_message(json.dumps(rendition_body()))
    assert again.work_key == read_message(json.dumps(rendition_body())).work_key  # a redelivery
    assert again.work_key != read_message(json.dumps(rendition_body("ren-2"))).work_key  # a new request


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"documents": "label"}, "needs the label's name"),
        ({"documents": "exhibit_ids"}, "needs at least one id"),
        ({"documents": "exhibit_ids", "exhibit_ids": [3, 0]}, "above 0"),
        ({"documents": "some"}, "documents"),
        ({"max_pages": 0}, "max_pages"),
        ({"output": "/etc/passwd"}, "output"),  # a field the contract does not have
    ],
)
def test_a_bad_request_is_rejected_by_name(extra, reason):
    rejected = read_message(json.dumps(rendition_body(**extra)))
    assert isinstance(rejected, Rejected), rejected
    assert reason in rejected.reason and "rendition request" in rejected.reason


def _execute(instance, run: dg.DagsterRun, asset_selection=None) -> dg.ExecuteInProcessResult:
    assert run.job_name == "html_renditions_job"
    return rendition_job().execute_in_process(
        instance=instance,
        run_config=run.run_config,
        partition_key=run.tags["dagster/partition"],
        tags={k: v for k, v in run.tags.items() if not k.startswith("dagster/")},
        asset_selection=asset_selection,
        raise_on_error=False,
    )


def test_from_the_queue_to_the_renditions_and_their_outcome_event(demo_home):
    exhibit, document = plain_exhibit()
    queue = LocalRequestQueue(get_settings().queue_dir)
    body = rendition_body("ren-queue", documents="exhibit_ids", exhibit_ids=[exhibit])
    queue.send(json.dumps(body))
    with dg.instance_for_test() as instance:
        harness = Harness(instance)
        _, runs = harness.tick()
        [run] = runs
        assert run.job_name == "html_renditions_job" and run.tags["dagster/partition"] == "101"
        queue.send(json.dumps(body))  # delivered again
        _, again = harness.tick()
        _, again2 = harness.tick()
        assert again == [] and again2 == []

        result = _execute(instance, run)
        assert result.success
    [done] = events("HTML_RENDITION_COMPLETED")
    assert done["case_id"] == CASE and done["request_event_id"] == "ren-queue"
    assert done["event_id"] == f"html_rendition_completed-{CASE}-{request_name('ren-queue')}"
    assert done["documents_made"] == 1 and done["documents_with_problems"] == 0
    assert events("HTML_RENDITION_FAILED") == []
    [scanned] = [e for e in events("PII_SCAN_COMPLETED") if e["subject"] == "rendition"]
    assert scanned["status"] == "clean" and scanned["selection"]["exhibit_ids"] == [exhibit]
    assert document


def test_a_crashed_run_is_announced_and_a_held_one_is_not(demo_home, monkeypatch):
    import nextpoint_assets.renditions.assets as assets

    exhibit, _ = plain_exhibit()
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("cases", [str(CASE)])
        held = read_message(json.dumps(rendition_body("ren-held")))  # every document: SSNs inside
        held_run = run_of(held, held.work_key)
        job = rendition_job()
        result = job.execute_in_process(
            instance=instance, run_config=held_run.run_config, partition_key="101", raise_on_error=False
        )
        assert not result.success  # it waits at its gate
        announce_as(instance, result, "html_renditions_job")
        assert events("HTML_RENDITION_FAILED") == []

        def crash(*args, **kwargs):
            raise RuntimeError("connection refused for user admin password=hunter2")

        monkeypatch.setattr(assets, "make_renditions", crash)
        monkeypatch.setattr(assets.html_renditions.op, "_retry_policy", None)
        request = read_message(
            json.dumps(rendition_body("ren-crash", documents="exhibit_ids", exhibit_ids=[exhibit]))
        )
        crash_run = run_of(request, request.work_key)
        crashed = job.execute_in_process(
            instance=instance, run_config=crash_run.run_config, partition_key="101", raise_on_error=False
        )
        assert not crashed.success and crashed.asset_materializations_for_node("html_rendition_pii_scan")
        announce_as(instance, crashed, "html_renditions_job")
    [failed] = events("HTML_RENDITION_FAILED")
    assert failed["event_id"] == f"html_rendition_failed-{CASE}-{request_name('ren-crash')}"
    assert failed["request_event_id"] == "ren-crash"
    assert "The step html_renditions failed: an internal error" in failed["error"]
    assert "hunter2" not in json.dumps(failed)
