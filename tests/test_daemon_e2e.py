"""End to end with a real `dagster-daemon`: SNS -> SQS -> request_sensor -> queued run -> REPORT_COMPLETED.

The backend publishes one REPORT_REQUESTED on the topic twice (at-least-once delivery),
sends a second one (another case) to the queue directly, and beside them a burst of
hostile messages (tests/test_request_sensor.py `hostile_bodies`: malformed, about 240 KB
and 300 KB for an unknown case, nested thousands deep, binary, NUL bytes, SNS envelopes
of garbage). The request queue has a redrive policy (two receives, then a dead-letter
queue), so a tick that failed and handed its messages back would show as messages there.
The daemon's sensor daemon evaluates `request_sensor` (ticking every 2 s), creates the
runs, the queued run coordinator dequeues them, the default run launcher executes them,
and each run publishes REPORT_COMPLETED on the same topic. The backend's own queue,
subscribed to the topic, sees REPORT_COMPLETED once per valid request and EVENT_REJECTED
once per bad message; the request queue ends empty (deleted on the tick after the run
was recorded), the dead-letter queue too; one run per valid request, no failed tick.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.scheduler.instigation import TickStatus

from domain.event_size import field_text
from domain.rejections import message_digest
from resources.event_bus import SnsEventBus
from scripts.services import stop_process
from tests.test_request_sensor import (
    depth,
    drain,
    hostile_bodies,
    queue_settings,
    report_body,
    topic_with_queues,
    with_dead_letter_queue,
)

ROOT = Path(__file__).resolve().parents[1]
DEADLINE_SECONDS = 180


@pytest.mark.timeout(400)
def test_the_daemon_turns_a_published_request_into_one_successful_run(
    moto_endpoint, demo_home, tmp_path, monkeypatch
):
    aws = topic_with_queues(moto_endpoint)
    sns, sqs, topic = aws["sns"], aws["sqs"], aws["topic"]
    queues = {role: aws[role] for role in ("requests", "backend")}
    dead = with_dead_letter_queue(sqs, queues["requests"], max_receives=2)

    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.local.yaml", dagster_home / "dagster.yaml")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NP_")},
        **{k: v for k, v in os.environ.items() if k.startswith("NP_")},  # NP_HOME: the demo data
        "DAGSTER_HOME": str(dagster_home),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        **queue_settings(aws, moto_endpoint),
        "NP_REQUEST_POLL_SECONDS": "2",
    }
    assert env["NP_HOME"] == str(demo_home)

    # The demo's own manifests, dated before the daemon: the manifest sensor leaves them (no export runs).
    long_ago = time.time() - 3600
    for manifest in (demo_home / "objects").glob("case_*/exports/*/manifest.zip"):
        os.utime(manifest, (long_ago, long_ago))

    backend = SnsEventBus(topic, sns)
    backend.publish(report_body("rep-e2e"))
    bad = hostile_bodies()
    # Published on the topic, each is found by what its refusal echoes; the others go to the queue as they
    # are (more than SNS carries, envelopes already, text SNS would not take) and are found by their digest.
    via_sns = {
        "malformed": lambda e: json.dumps(bad["malformed"][0]) in str(e["body"]),  # echoed in its envelope
        "unknown_case_240k": lambda e: e["rejected_event_id"] == "big-240",
        "nul_type": lambda e: e["rejected_event_id"] == "nul-1",
    }
    for name, (body, _) in bad.items():
        if name in via_sns:
            sns.publish(TopicArn=topic, Message=body)
        else:
            sqs.send_message(QueueUrl=queues["requests"], MessageBody=body)
    backend.publish(report_body("rep-e2e"))  # at-least-once: delivered twice
    sqs.send_message(QueueUrl=queues["requests"], MessageBody=json.dumps(report_body("rep-e2e-202", 202)))
    valid = {"rep-e2e", "rep-e2e-202"}

    # The instance's SQLite storages are made here, before the daemon and its code server race to make them.
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))  # the instance file's `env: DAGSTER_HOME`
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    instance.get_runs(limit=1)
    instance.all_instigator_state()
    instance.get_dynamic_partitions("cases")
    log_path = tmp_path / "daemon.log"
    with open(log_path, "wb") as log:
        daemon = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", str(ROOT / "workspace.yaml")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    events: list[dict] = []
    try:
        with instance:
            deadline = time.monotonic() + DEADLINE_SECONDS
            runs: list[dg.DagsterRun] = []
            while True:
                assert daemon.poll() is None, f"dagster-daemon exited:\n{log_path.read_text()[-3000:]}"
                runs = instance.get_runs(dg.RunsFilter(job_name="page_count_report_job"))
                events += drain(sqs, queues["backend"], wait_seconds=0)
                types = [e.get("event_type") for e in events]
                done = (
                    len(runs) == len(valid)
                    and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
                    and types.count("REPORT_COMPLETED") == len(valid)
                    and types.count("EVENT_REJECTED") >= len(bad)
                    and depth(sqs, queues["requests"]) == 0
                )
                if done:
                    break
                if time.monotonic() > deadline:
                    ticks = instance.get_ticks(
                        _sensor_origin_id(instance), _sensor_selector_id(instance), limit=5
                    )
                    pytest.fail(
                        f"not done after {DEADLINE_SECONDS}s: "
                        f"runs {[(r.run_id[:8], r.status) for r in runs]}, backend events {types}, "
                        f"request queue depth {depth(sqs, queues['requests'])}, last ticks "
                        f"{[(t.status, t.skip_reason, t.error and t.error.message[:200]) for t in ticks]}\n"
                        f"daemon log:\n{log_path.read_text()[-3000:]}"
                    )
                time.sleep(1)

            assert depth(sqs, dead) == 0  # nothing was handed back until the queue gave up on it
            assert sorted(r.tags["np/event_id"] for r in runs) == sorted(valid)  # one run each
            run = next(r for r in runs if r.tags["np/event_id"] == "rep-e2e")
            assert (
                run.tags["dagster/partition"] == "101" and run.tags["dagster/run_key"] == run.tags["np/work"]
            )
            # The run went through the queued run coordinator, then the run launcher.
            kinds = [
                r.event_log_entry.dagster_event.event_type
                for r in instance.get_records_for_run(run.run_id).records
                if r.event_log_entry.dagster_event
            ]
            assert (
                kinds.index(dg.DagsterEventType.RUN_ENQUEUED)
                < kinds.index(dg.DagsterEventType.RUN_STARTING)
                < kinds.index(dg.DagsterEventType.RUN_START)
                < kinds.index(dg.DagsterEventType.RUN_SUCCESS)
            )
            completed = [e for e in events if e.get("event_type") == "REPORT_COMPLETED"]
            assert sorted(e["request_event_id"] for e in completed) == sorted(valid)
            assert all(e["row_count"] > 0 for e in completed)
            # Each bad message: exactly one refusal, with its reason, its body cut at 64 KiB.
            rejected = {e["event_id"]: e for e in events if e.get("event_type") == "EVENT_REJECTED"}
            assert types.count("EVENT_REJECTED") == len(rejected) == len(bad)
            for name, (body, reason) in bad.items():
                if name in via_sns:
                    [event] = [e for e in rejected.values() if via_sns[name](e)]
                else:
                    event = rejected[f"event_rejected-{message_digest(body)[:40]}"]
                assert reason in event["reason"], name
                assert event["body_truncated"] == name.startswith("unknown_case"), name
                assert len(field_text(event["body"]).encode()) <= 64 * 1024, name

            # A few more ticks: the duplicate delivery and our own outcome events start nothing more.
            time.sleep(6)
            assert len(instance.get_runs(dg.RunsFilter(job_name="page_count_report_job"))) == len(valid)
            assert [e.get("event_type") for e in drain(sqs, queues["backend"], wait_seconds=0)] == []
            assert depth(sqs, queues["requests"]) == 0 and depth(sqs, dead) == 0
            assert len(instance.get_runs()) == len(valid)  # nothing else ran
            ticks = instance.get_ticks(_sensor_origin_id(instance), _sensor_selector_id(instance))
            failed = [
                t.error.message[:300] if t.error else t.status
                for t in ticks
                if t.status == TickStatus.FAILURE
            ]
            assert ticks and not failed, f"failed ticks: {failed}\n{log_path.read_text()[-3000:]}"
    finally:
        stop_process(daemon, group=True)


def _sensor_state(instance: dg.DagsterInstance):
    states = [s for s in instance.all_instigator_state() if s.name == "request_sensor"]
    assert states, "the daemon never evaluated request_sensor"
    return states[0]


def _sensor_origin_id(instance: dg.DagsterInstance) -> str:
    return _sensor_state(instance).instigator_origin_id


def _sensor_selector_id(instance: dg.DagsterInstance) -> str:
    return _sensor_state(instance).selector_id


def test_a_tick_takes_less_when_the_daemon_took_long_to_create_the_last_ticks_runs():
    """The daemon creates a tick's runs after it, one by one; messages must not come back (visibility
    timeout) while their runs are still being created."""
    from sensors.requests import tick_limit

    now = 10_000.0
    assert tick_limit(1000, 300, 0, 0, now) == 1000  # first tick
    assert tick_limit(1000, 300, now - 12, 1000, now) == 1000  # the daemon kept up
    assert tick_limit(1000, 300, now - 200, 0, now) == 1000  # nothing asked last time
    assert (
        tick_limit(1000, 300, now - 300, 1000, now) == 500
    )  # 0.3 s a message: half the visibility timeout's worth
    assert tick_limit(1000, 300, now - 600, 100, now) == 25
    assert tick_limit(1000, 300, now - 3000, 10, now) == 1000  # stopped for long: no measure
    assert tick_limit(1000, 300, now - 1000, 10, now) == 10  # never less than ten
