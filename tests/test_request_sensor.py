"""The request sensor against real queues: the local folder, and SNS -> SQS on the moto server over HTTP.

Each tick's run requests are recorded the way the daemon records them
(`record`, which also validates the run config against the job), so the next
tick sees them and deletes their messages.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid

import boto3
import dagster as dg
import pytest

from domain.event_size import field_text, utf8_size
from domain.rejections import Rejected, message_digest
from domain.requests import Accepted, Ignored, export_work_key, read_message
from resources.dagster_resources import EventBusResource, build_resources
from resources.event_bus import LocalEventBus, SnsEventBus
from resources.request_queue import LocalRequestQueue
from resources.settings import get_settings, load_settings
from sensors.requests import request_sensor

NOW = "2026-11-22T10:00:00Z"


def report_body(event_id: str = "rep-1", case_id: int = 101, **extra) -> dict:
    return {
        "event_type": "REPORT_REQUESTED",
        "event_id": event_id,
        "case_id": case_id,
        "occurred_at": NOW,
        "report_type": "page_count",
        "user_id": 55,
        "delivery": {"format": "csv"},
        **extra,
    }


def stamp_body(event_id: str = "st-1") -> dict:
    return {
        "event_type": "STAMP_REQUESTED",
        "event_id": event_id,
        "case_id": 101,
        "occurred_at": NOW,
        "type": "exhibit_stamp",
        "action": "apply",
        "exhibit_ids": [1, 2],
        "template": {
            "position": "bottom_left",
            "font_size": 10,
            "text": "PLAINTIFF EXHIBIT {exhibit_number}",
            "colour": "red",
        },
        "requested_by": 55,
    }


def exchange_body(event_id: str = "ex-1", key: str = "exch-101-202-1") -> dict:
    return {
        "event_type": "EXCHANGE_REQUESTED",
        "event_id": event_id,
        "case_id": 202,
        "occurred_at": NOW,
        "idempotency_key": key,
        "source_case_id": 101,
        "destination_case_id": 202,
        "batch_id": 9001,
        "exhibit_ids": [1, 2, 3],
        "label_id": None,
        "include_natives": True,
        "requires_annotations": False,
    }


def export_body(event_id: str = "exp-1", export_id: int = 7) -> dict:
    return {
        "event_type": "EXPORT_REQUESTED",
        "event_id": event_id,
        "case_id": 101,
        "occurred_at": NOW,
        "export_id": export_id,
        "manifest_key": f"case_101/exports/export_{export_id}/manifest.zip",
        "requested_by": 55,
    }


def envelope(body: dict | str) -> str:
    message = body if isinstance(body, str) else json.dumps(body)
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": "arn:aws:sns:x:1:t",
            "Message": message,
        }
    )


def nested(depth: int) -> str:
    """JSON arrays nested `depth` deep."""
    return "[" * depth + "]" * depth


# ---------------------------------------------------------------- reading one message


def test_raw_and_enveloped_bodies_read_the_same():
    raw = read_message(json.dumps(report_body()))
    wrapped = read_message(envelope(report_body()))
    assert isinstance(raw, Accepted) and isinstance(wrapped, Accepted)
    assert raw.work_key == wrapped.work_key and raw.kind == "report" and raw.case_ids == (101,)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("{not json", "not JSON"),
        (envelope("{not json"), "Message is not JSON"),
        ("[1, 2]", "not a JSON object"),
        (
            json.dumps({**report_body(), "event_type": "COFFEE_REQUESTED"}),
            "Unknown event type 'COFFEE_REQUESTED'",
        ),
        (json.dumps({k: v for k, v in report_body().items() if k != "event_id"}), "event_id"),
        (json.dumps({**report_body(), "case_id": "101"}), "case_id must be an integer"),
        (json.dumps({**report_body(), "occurred_at": "yesterday"}), "ISO 8601"),
        # A run started by hand may carry a request without its time; a message on the queue may not.
        (
            json.dumps({k: v for k, v in stamp_body().items() if k != "occurred_at"}),
            "The event is invalid: occurred_at: Field required",
        ),
        (json.dumps({**report_body(), "report_type": "horoscope"}), "report_type"),
        (
            json.dumps({**export_body(), "manifest_key": "case_202/exports/export_7/manifest.zip"}),
            "the export's own manifest",
        ),
        (json.dumps({**exchange_body(), "case_id": 101}), "destination"),
        (json.dumps({**stamp_body(), "exhibit_ids": []}), "exhibit_ids"),
        # Beyond any database integer: the tick's case lookup would fail for every message.
        (json.dumps(report_body(report_type="user_activity", case_ids=[101, 10**30])), "A case id must be"),
        (json.dumps({**report_body(), "parameters": {"x": json.loads(nested(40))}}), "nests deeper than 32"),
    ],
)
def test_bad_messages_are_rejected_with_a_reason(raw, reason):
    result = read_message(raw)
    assert isinstance(result, Rejected)
    assert reason in result.reason
    assert result.digest == read_message(raw).digest  # the same bad message: the same EVENT_REJECTED id


def test_the_platforms_own_outcome_events_are_ignored_not_rejected():
    # A queue subscribed to the whole topic gets them back; rejecting them would loop forever.
    for event_type in ("REPORT_COMPLETED", "EVENT_REJECTED", "EXPORT_FAILED"):
        body = {"event_type": event_type, "event_id": "o1", "case_id": 101, "occurred_at": NOW}
        assert isinstance(read_message(envelope(body)), Ignored)


def test_work_keys_name_the_work_not_the_delivery():
    first = read_message(json.dumps(exchange_body("ex-1", "same-key")))
    second = read_message(
        json.dumps(exchange_body("ex-2", "same-key"))
    )  # a new event, the same idempotency key
    other = read_message(json.dumps(exchange_body("ex-3", "other-key")))
    assert first.work_key == second.work_key != other.work_key
    assert (
        read_message(json.dumps(report_body("a"))).work_key
        != read_message(json.dumps(report_body("b"))).work_key
    )
    assert export_work_key(101, 7, "etag-1") != export_work_key(101, 7, "etag-2")
    assert all(len(r.work_key) <= 63 for r in (first, other))


def test_every_row_of_the_request_table_runs_a_job_the_sensor_starts_on_a_partition_set_it_knows():
    """The table names jobs and partition sets as strings: a rename on one side only fails here."""
    from definitions import defs
    from domain.reports.request import REPORT_TYPES
    from domain.requests import REQUEST_TYPES, run_of
    from sensors.requests import request_sensor
    from sensors.run_requests import REQUEST_PARTITIONS, run_request

    decision = {
        "event_type": "PII_DECISION_SUBMITTED",
        "event_id": "dec-1",
        "case_id": 101,
        "occurred_at": NOW,
        "scan_id": "pii-0a1b",
        "decision": "approve",
        "justification": "Public addresses.",
        "decided_by": "partner@firm.example",
    }
    reports = [report_body(f"r-{t}", report_type=t, parameters={}) for t in REPORT_TYPES]
    for body in reports:  # the report types that need a parameter get theirs
        if body["report_type"] == "coding_overlay":
            body["parameters"] = {"overlay_key": "overlays/coding.dat"}
    rendition = {
        "event_type": "HTML_RENDITION_REQUESTED",
        "event_id": "ren-1",
        "case_id": 101,
        "occurred_at": NOW,
    }
    bodies = [export_body(), stamp_body(), exchange_body(), decision, rendition, *reports]
    accepted = [read_message(json.dumps(b)) for b in bodies]
    assert all(isinstance(a, Accepted) for a in accepted), accepted
    assert {a.event_type for a in accepted} == set(REQUEST_TYPES)
    started = {job.name for job in request_sensor.jobs}
    for a in accepted:
        run = run_of(a, a.work_key)
        assert run_request(run).job_name in started and defs.resolve_job_def(run.job_name)
        assert run.partitions is None or REQUEST_PARTITIONS[run.partitions].name == run.partitions


# ---------------------------------------------------------------- the sensor, local queue


def record(instance, defs, result) -> list[dg.DagsterRun]:
    """What the daemon does with a tick's result: add partitions, create one run per request (run keys
    already used by this sensor are skipped, as the daemon skips them)."""
    runs = []
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    for request in result.run_requests or []:
        used = instance.get_runs(dg.RunsFilter(tags={"dagster/run_key": request.run_key}))
        if used:
            continue
        job = defs.resolve_job_def(request.job_name)
        runs.append(
            instance.create_run_for_job(
                job_def=job,
                run_config=request.run_config,
                tags={
                    **request.tags,
                    "dagster/run_key": request.run_key,
                    **({"dagster/partition": request.partition_key} if request.partition_key else {}),
                },
            )
        )
    return runs


SENSOR_RESOURCES = ("request_queue", "databases", "object_store", "event_bus")


def sensor_resources() -> dict:
    return {k: v for k, v in build_resources(load_settings()).items() if k in SENSOR_RESOURCES}


class Harness:
    def __init__(self, instance, resources=None):
        from definitions import defs

        self.instance = instance
        self.defs = defs
        self.resources = resources or sensor_resources()
        self.cursor = None

    def tick(self):
        with dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources=self.resources
        ) as context:
            result = request_sensor(context)
        if isinstance(result, dg.SensorResult):
            self.cursor = result.cursor
            return result, record(self.instance, self.defs, result)
        return result, []


def local_events(settings) -> list[dict]:
    return LocalEventBus(settings.events_file).read_all()


def test_every_request_type_becomes_one_run_and_duplicates_start_nothing(demo_home):
    settings = get_settings()
    queue = LocalRequestQueue(settings.queue_dir)
    store = build_resources(settings)["object_store"].store()
    store.put_bytes("case_101/exports/export_7/manifest.zip", b"PK-not-really")
    for body in (report_body(), stamp_body(), exchange_body(), export_body()):
        queue.send(json.dumps(body))
    queue.send(envelope(report_body()))  # the same report request, delivered again through SNS
    queue.send(json.dumps(exchange_body("ex-2")))  # a second event with the exchange's idempotency key
    with dg.instance_for_test() as instance:
        harness = Harness(instance)
        result, runs = harness.tick()
        assert sorted(r.job_name for r in runs) == [
            "exchange_job",
            "page_count_report_job",
            "production_job",
            "stamp_job",
        ]
        by_kind = {r.tags["np/request"]: r for r in runs}
        assert by_kind["export"].tags["dagster/partition"] == "101-7"
        assert by_kind["exchange"].tags["dagster/partition"] == "202-101-9001"
        assert by_kind["stamp"].run_config["ops"]["stamped_page_set"]["config"]["request"]["template"] == {
            "position": "bottom_left",
            "font_size": 10.0,
            "text": "PLAINTIFF EXHIBIT {exhibit_number}",
            "start_number": None,
            "pages": None,
        }  # fields the job does not know (colour) are not passed on
        assert instance.has_dynamic_partition("exports", "101-7")
        assert instance.has_dynamic_partition("exchanges", "202-101-9001")
        assert instance.has_dynamic_partition("cases", "101")
        # Nothing is deleted until the runs are recorded; the next tick confirms and deletes.
        assert queue.depth() == 6
        result, runs = harness.tick()
        assert runs == [] and queue.depth() == 0
        # The same request arriving again later starts nothing.
        queue.send(json.dumps(stamp_body()))
        result, runs = harness.tick()
        assert runs == [] and queue.depth() == 0
        assert len(instance.get_runs()) == 4
    assert [e for e in local_events(settings) if e["event_type"] == "EVENT_REJECTED"] == []


def test_bad_messages_are_set_aside_and_the_rest_keeps_flowing(demo_home):
    settings = get_settings()
    queue = LocalRequestQueue(settings.queue_dir)
    queue.send("{malformed")
    queue.send(json.dumps({**report_body("u1"), "event_type": "UNKNOWN_REQUESTED"}))
    queue.send(json.dumps(report_body("c1", case_id=999)))
    queue.send(json.dumps(export_body("e9", export_id=9)))  # no manifest uploaded
    queue.send(json.dumps(report_body("ok")))
    queue.send(
        json.dumps({"event_type": "REPORT_COMPLETED", "event_id": "x", "case_id": 101, "occurred_at": NOW})
    )
    with dg.instance_for_test() as instance:
        harness = Harness(instance)
        _, runs = harness.tick()
        assert [r.tags["np/event_id"] for r in runs] == ["ok"]
        assert queue.depth() == 1  # only the accepted request waits for its run to be recorded
        harness.tick()
        assert queue.depth() == 0
    rejected = [e for e in local_events(settings) if e["event_type"] == "EVENT_REJECTED"]
    reasons = sorted(e["reason"] for e in rejected)
    assert len(rejected) == 4
    assert any("not JSON" in r for r in reasons)
    assert any("Unknown event type 'UNKNOWN_REQUESTED'" in r for r in reasons)
    assert any("Case 999 does not exist" in r for r in reasons)
    assert any(
        "manifest case_101/exports/export_9/manifest.zip is not in the object store" in r for r in reasons
    )
    unknown_case = next(e for e in rejected if "999" in e["reason"])
    assert unknown_case["case_id"] == 999 and unknown_case["body"]["event_id"] == "c1"
    assert unknown_case["rejected_event_id"] == "c1"
    malformed = next(e for e in rejected if "not JSON" in e["reason"])
    assert malformed["case_id"] == 0 and malformed["body"] == "{malformed"


def test_a_new_manifest_for_the_same_export_is_new_work(demo_home):
    settings = get_settings()
    queue = LocalRequestQueue(settings.queue_dir)
    store = build_resources(settings)["object_store"].store()
    store.put_bytes("case_101/exports/export_7/manifest.zip", b"version one")
    queue.send(json.dumps(export_body("exp-a")))
    with dg.instance_for_test() as instance:
        harness = Harness(instance)
        assert len(harness.tick()[1]) == 1
        queue.send(json.dumps(export_body("exp-b")))  # a second event, same manifest bytes: already done
        assert harness.tick()[1] == []
        import os
        import time

        time.sleep(0.01)
        store.put_bytes("case_101/exports/export_7/manifest.zip", b"version two, replaced")
        os.utime(store.local_path("case_101/exports/export_7/manifest.zip"))
        queue.send(json.dumps(export_body("exp-c")))
        assert len(harness.tick()[1]) == 1
        assert len(instance.get_runs()) == 2


def test_a_message_whose_run_never_gets_recorded_comes_back_and_is_rejected_in_the_end(
    demo_home, monkeypatch
):
    """If the daemon never records the run (it keeps failing), the message is redelivered, retried, and
    after max_receives deliveries set aside with EVENT_REJECTED rather than retried forever."""
    from resources import request_queue as rq
    from resources.dagster_resources import RequestQueueResource

    settings = get_settings()
    queue = LocalRequestQueue(settings.queue_dir)
    queue.send(json.dumps(report_body("poison")))
    resources = sensor_resources()
    resources["request_queue"] = RequestQueueResource(
        backend="local", folder=str(settings.queue_dir), max_receives=2
    )
    with (
        dg.instance_for_test() as instance,
        dg.build_sensor_context(instance=instance, resources=resources) as context,
    ):
        result = request_sensor(context)
    assert len(result.run_requests) == 1  # requested, but never recorded

    # The local queue reports one delivery; an SQS redelivery counts up. Simulate the third delivery.
    original = rq.LocalRequestQueue.receive

    def third_delivery(self, max_messages=10, wait_seconds=0):
        return [
            rq.QueueMessage(m.handle, m.body, m.message_id, 3)
            for m in original(self, max_messages, wait_seconds)
        ]

    monkeypatch.setattr(rq.LocalRequestQueue, "receive", third_delivery)
    with (
        dg.instance_for_test() as instance,
        dg.build_sensor_context(instance=instance, resources=resources) as context,
    ):
        result = request_sensor(context)
    assert not result.run_requests and queue.depth() == 0
    rejected = [e for e in local_events(settings) if e["event_type"] == "EVENT_REJECTED"]
    assert len(rejected) == 1 and "could not be started after 2 deliveries" in rejected[0]["reason"]


# ---------------------------------------------------------------- SNS -> SQS on the moto server


def topic_with_queues(endpoint: str) -> dict:
    """An SNS topic with two SQS queues subscribed (SNS envelopes): `requests`, which the sensor reads,
    and `backend`, where the backend would see the platform's events. Names are unique per call."""
    sns = boto3.client("sns", endpoint_url=endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
    name = uuid.uuid4().hex[:12]
    topic = sns.create_topic(Name=f"np-events-{name}")["TopicArn"]
    queues = {}
    for role in ("requests", "backend"):
        url = sqs.create_queue(QueueName=f"np-{role}-{name}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        queues[role] = url
    return {"sns": sns, "sqs": sqs, "topic": topic, **queues}


def queue_settings(aws: dict, endpoint: str) -> dict[str, str]:
    """The settings that point the platform at `topic_with_queues`'s topic and request queue."""
    return {
        "NP_REQUEST_QUEUE": "sqs",
        "NP_SQS_QUEUE_URL": aws["requests"],
        "NP_SQS_ENDPOINT_URL": endpoint,
        "NP_EVENT_BUS": "sns",
        "NP_SNS_TOPIC_ARN": aws["topic"],
        "NP_SNS_ENDPOINT_URL": endpoint,
    }


@pytest.fixture
def aws_queue(moto_endpoint, demo_home, monkeypatch):
    aws = topic_with_queues(moto_endpoint)
    for name, value in queue_settings(aws, moto_endpoint).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return aws


def drain(sqs, url, wait_seconds: int = 1) -> list[dict]:
    """Every event on a queue (read and deleted); the malformed request the backend itself published is
    skipped."""
    events = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        if not messages:
            return events
        for m in messages:
            with contextlib.suppress(json.JSONDecodeError):
                events.append(json.loads(json.loads(m["Body"])["Message"]))
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )


def depth(sqs, url) -> int:
    values = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(values["ApproximateNumberOfMessages"]) + int(values["ApproximateNumberOfMessagesNotVisible"])


def test_sns_to_sqs_to_sensor_to_run_to_outcome_event(aws_queue):
    """The backend publishes on the topic; the request queue (SNS envelope) feeds the sensor; the run
    publishes REPORT_COMPLETED on the same topic, which the backend's queue receives."""
    sns, sqs = aws_queue["sns"], aws_queue["sqs"]
    backend = SnsEventBus(aws_queue["topic"], sns)
    backend.publish(report_body("rep-sns"))
    backend.publish(report_body("rep-sns"))  # at-least-once: delivered twice
    sns.publish(TopicArn=aws_queue["topic"], Message="{not json at all")
    with dg.instance_for_test() as instance:
        harness = Harness(instance)
        _, runs = harness.tick()
        assert len(runs) == 1 and runs[0].job_name == "page_count_report_job"
        run = runs[0]
        # The run as the run launcher would execute it, with this test's resources (SNS on moto).
        from nextpoint_assets.reports.assets import REPORT_ASSETS

        resources = {k: v for k, v in build_resources(load_settings()).items() if k != "pyspark"}
        outcome = dg.materialize(
            [REPORT_ASSETS["page_count"]],
            partition_key=run.tags["dagster/partition"],
            run_config=run.run_config,
            instance=instance,
            resources=resources,
            tags={k: v for k, v in run.tags.items() if k.startswith("np/")},
        )
        assert outcome.success
        _, again = harness.tick()  # confirms and deletes; our own outcome events on the queue are ignored
        assert again == []
        harness.tick()
        assert depth(sqs, aws_queue["requests"]) == 0
    events = drain(sqs, aws_queue["backend"])
    types = [e["event_type"] for e in events]
    assert types.count("REPORT_COMPLETED") == 1
    completed = next(e for e in events if e["event_type"] == "REPORT_COMPLETED")
    assert (
        completed["case_id"] == 101
        and completed["row_count"] > 0
        and completed["request_event_id"] == "rep-sns"
    )
    assert types.count("EVENT_REJECTED") == 1
    assert "not JSON" in next(e for e in events if e["event_type"] == "EVENT_REJECTED")["reason"]


def test_raw_delivery_queue_and_an_unreachable_queue(aws_queue, monkeypatch):
    """Raw message delivery on: bare bodies. A queue that cannot be reached skips the tick, keeps the
    cursor, and the next tick goes on where it stopped."""
    sqs = aws_queue["sqs"]
    sqs.send_message(QueueUrl=aws_queue["requests"], MessageBody=json.dumps(report_body("raw-1")))
    with dg.instance_for_test() as instance:
        harness = Harness(instance)
        _, runs = harness.tick()
        assert len(runs) == 1
        cursor = harness.cursor

        from scripts.services import free_port

        monkeypatch.setenv("NP_SQS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
        get_settings.cache_clear()
        down = Harness(instance)
        down.cursor = cursor
        result, runs = down.tick()
        assert isinstance(result, dg.SkipReason) and "could not be reached" in result.skip_message
        # A skipped tick leaves the cursor as it was (Dagster keeps it); the next tick resumes from it.

        monkeypatch.setenv("NP_SQS_ENDPOINT_URL", aws_queue["sqs"].meta.endpoint_url)
        get_settings.cache_clear()
        up = Harness(instance)
        up.cursor = cursor
        sqs.send_message(QueueUrl=aws_queue["requests"], MessageBody=json.dumps(report_body("raw-2")))
        _, runs = up.tick()
        assert [r.tags["np/event_id"] for r in runs] == ["raw-2"]
        up.tick()
        assert depth(sqs, aws_queue["requests"]) == 0
        assert len(instance.get_runs()) == 2


# ---------------------------------------------------------------- batches: a case's requests share a run


def test_a_cases_stamp_and_report_requests_share_a_run_and_each_is_done_once(demo_home):
    """Five report requests and three stamp requests over two cases, one tick: one report run per case and
    one stamp run, each carrying its requests; every request is done, announced and deleted exactly once."""
    settings = get_settings()
    queue = LocalRequestQueue(settings.queue_dir)
    for i in range(3):
        queue.send(json.dumps(report_body(f"rep-a{i}", 101)))
    for i in range(2):
        queue.send(json.dumps(report_body(f"rep-b{i}", 202)))
    for i in range(3):
        queue.send(json.dumps({**stamp_body(f"st-{i}"), "exhibit_ids": [i + 1]}))
    queue.send(json.dumps(exchange_body()))
    with dg.instance_for_test() as instance:
        harness = Harness(instance)
        result, runs = harness.tick()
        assert sorted((r.job_name, r.tags["dagster/partition"], r.tags.get("np/requests")) for r in runs) == [
            ("exchange_job", "202-101-9001", None),
            ("page_count_report_job", "101", "3"),
            ("page_count_report_job", "202", "2"),
            ("stamp_job", "101", "3"),
        ]
        reports = {r.tags["dagster/partition"]: r for r in runs if r.job_name == "page_count_report_job"}
        stamps = next(r for r in runs if r.job_name == "stamp_job")
        items = reports["101"].run_config["ops"]["page_count_report"]["config"]["requests"]
        assert [i["event_id"] for i in items] == ["rep-a0", "rep-a1", "rep-a2"]
        assert [
            i["event_id"] for i in stamps.run_config["ops"]["stamped_page_set"]["config"]["requests"]
        ] == ["st-0", "st-1", "st-2"]  # in the order they came: stamps apply in order
        assert stamps.tags["np/serial"] == "stamp-101" and stamps.tags["np/work"].startswith(
            "batch:stamp_job:101:"
        )
        harness.tick()
        assert queue.depth() == 0
        # Any of them delivered again later is done already, in its batch.
        queue.send(json.dumps(report_body("rep-a1", 101)))
        queue.send(envelope({**stamp_body("st-2"), "exhibit_ids": [3]}))
        _, again = harness.tick()
        assert again == [] and queue.depth() == 0

        resources = {k: v for k, v in build_resources(load_settings()).items() if k != "pyspark"}
        from nextpoint_assets.reports.assets import REPORT_ASSETS
        from nextpoint_assets.stamps.assets import stamped_page_set

        for run, asset in ((reports["101"], REPORT_ASSETS["page_count"]), (stamps, stamped_page_set)):
            outcome = dg.materialize(
                [asset],
                partition_key="101",
                run_config=run.run_config,
                instance=instance,
                resources=resources,
                tags={k: v for k, v in run.tags.items() if k.startswith("np/")},
            )
            assert outcome.success
        materializations = outcome.asset_materializations_for_node("stamped_page_set")
        assert len(materializations) == 1  # three requests, one re-stamp of the case
        assert materializations[0].metadata["request_event_ids"].value == ["st-0", "st-1", "st-2"]
    events = local_events(settings)
    completed = [e for e in events if e["event_type"] == "REPORT_COMPLETED"]
    assert sorted(e["request_event_id"] for e in completed) == ["rep-a0", "rep-a1", "rep-a2"]
    assert len({e["object_key"] for e in completed}) == 3  # each request its own file
    stamped = [e for e in events if e["event_type"] == "STAMP_COMPLETED"]
    assert sorted((e["request_event_id"], tuple(e["exhibit_ids"])) for e in stamped) == [
        ("st-0", (1,)),
        ("st-1", (2,)),
        ("st-2", (3,)),
    ]
    assert not [e for e in events if e["event_type"] in ("REPORT_FAILED", "STAMP_FAILED", "EVENT_REJECTED")]


def test_batches_are_capped_and_a_batch_that_never_became_a_run_frees_its_requests(demo_home):
    from resources.dagster_resources import RequestQueueResource
    from sensors.work import record_batches, work_with_runs

    settings = get_settings()
    queue = LocalRequestQueue(settings.queue_dir)
    for i in range(5):
        queue.send(json.dumps(report_body(f"rep-{i}", 101)))
    resources = sensor_resources()
    resources["request_queue"] = RequestQueueResource(
        backend="local", folder=str(settings.queue_dir), batch_max=2
    )
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            lost = request_sensor(context)  # asked for, never recorded (the daemon died)
        assert sorted(r.tags.get("np/requests", "1") for r in lost.run_requests) == ["1", "2", "2"]
        assert (
            next(r for r in lost.run_requests if "np/requests" not in r.tags).tags["np/event_id"] == "rep-4"
        )
        keys = [read_message(json.dumps(report_body(f"rep-{i}", 101))).work_key for i in range(5)]
        assert work_with_runs(instance, keys) == set()  # their batches have no run: nothing is done

        harness = Harness(instance, resources)  # the local queue hands untaken messages out again at once
        _, runs = harness.tick()
        assert sum(int(r.tags.get("np/requests", "1")) for r in runs) == 5
        assert work_with_runs(instance, keys) == set(keys)
        harness.tick()
        assert queue.depth() == 0

        # The store's own upsert writes only the known keys of a mixed batch; every key must land.
        record_batches(instance, {keys[0]: "batch:x", "report:101:new": "batch:x"})
        instance.add_run(dg.DagsterRun(job_name="j", run_id="r-x", tags={"np/work": "batch:x"}))
        assert work_with_runs(instance, [keys[0], "report:101:new"]) == {keys[0], "report:101:new"}


def test_one_bad_request_in_a_stamp_batch_is_announced_and_the_others_are_stamped(demo_home):
    from domain.requests import batch_run, run_of
    from nextpoint_assets.stamps.assets import stamped_page_set

    bodies = [
        {**stamp_body("st-ok1"), "exhibit_ids": [1]},
        {**stamp_body("st-bad"), "exhibit_ids": [2]},
        {**stamp_body("st-ok2"), "exhibit_ids": [3]},
    ]
    accepted = [read_message(json.dumps(b)) for b in bodies]
    batch = batch_run([run_of(a, a.work_key) for a in accepted])
    batch.run_config["ops"]["stamped_page_set"]["config"]["requests"][1]["template"]["position"] = "nowhere"
    resources = {k: v for k, v in build_resources(load_settings()).items() if k != "pyspark"}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("cases", ["101"])
        outcome = dg.materialize(
            [stamped_page_set],
            partition_key="101",
            run_config=batch.run_config,
            instance=instance,
            resources=resources,
            raise_on_error=False,
        )
        assert not outcome.success  # the run says one request failed ...
        [materialization] = outcome.asset_materializations_for_node(
            "stamped_page_set"
        )  # ... after the others
        assert list(materialization.metadata["refused"].value) == ["st-bad"]
        failure = instance.all_logs(outcome.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)[0]
        assert "request st-bad" in failure.dagster_event.step_failure_data.user_failure_data.description
    events = local_events(get_settings())
    assert sorted((e["event_type"], e["request_event_id"]) for e in events) == [
        ("STAMP_COMPLETED", "st-ok1"),
        ("STAMP_COMPLETED", "st-ok2"),
        ("STAMP_FAILED", "st-bad"),
    ]
    assert "position" in next(e for e in events if e["event_type"] == "STAMP_FAILED")["error"]


# ------------------------------------------------------------ hostile bodies: one message never stops intake


def hostile_bodies() -> dict[str, str]:
    """Bad bodies as they arrive, each with a word its refusal's reason holds. Every one is text SQS
    accepts (SQS refuses NUL and most control characters raw: they arrive JSON-escaped)."""
    garbage = bytes(range(256)).decode("latin-1")
    garbage = (
        "".join(c for c in garbage if c in "\t\n\r" or c >= " ") * 40
    )  # SQS-legal, not UTF-8 text of anything
    return {
        "malformed": ("{not json at all", "not JSON"),
        "nested_raw": (nested(5000), "not JSON"),  # past the parser's recursion limit
        "nested_envelope": (
            envelope(json.dumps({"event_type": "REPORT_REQUESTED", "x": json.loads(nested(100))})),
            "nests deeper than",
        ),  # parses, but nothing may walk it
        "binary": (garbage, "not JSON"),
        "binary_envelope": (envelope(garbage), "Message is not JSON"),
        "nul_type": (
            json.dumps({**report_body("nul-1"), "event_type": "REPORT\u0000REQUESTED"}),
            "Unknown event type",
        ),
        # The message: about 240 KB for an unknown case (accepted, then refused by the case check).
        "unknown_case_240k": (
            json.dumps(report_body("big-240", case_id=999, note="x" * 240_000)),
            "Case 999",
        ),
        # 300 KB of two-byte characters: more than SNS carries, sent to the queue directly.
        "unknown_case_300k": (
            json.dumps(report_body("big-300", case_id=999, note="é" * 150_000), ensure_ascii=False),
            "Case 999",
        ),
    }


def _rejections(events: list[dict]) -> list[dict]:
    return [e for e in events if e.get("event_type") == "EVENT_REJECTED"]


def test_hostile_bodies_each_get_one_refusal_and_valid_requests_one_run(demo_home):
    settings = get_settings()
    queue = LocalRequestQueue(settings.queue_dir)
    bad = hostile_bodies()
    for body, _ in bad.values():
        queue.send(body)
    queue.send(bad["malformed"][0])  # the same bad bytes twice in one tick: announced once
    (settings.queue_dir / "00000000000000000001-invalid-utf8.json").write_bytes(b"\xff\xfe{\x00\x80 not text")
    valid = [
        report_body("ok-1"),
        report_body("ok-2", 202),
        report_body("ok-nul\u0000id"),
        stamp_body("st-ok"),
    ]
    for body in valid:
        queue.send(json.dumps(body))
    queue.send(envelope(valid[0]))  # a valid request delivered twice
    with dg.instance_for_test() as instance:
        harness = Harness(instance)
        _, runs = harness.tick()
        carried = sorted(e for r in runs for e in _event_ids(r))
        assert carried == sorted(b["event_id"] for b in valid)
        harness.tick()
        assert queue.depth() == 0
    rejected = _rejections(local_events(settings))
    assert len(rejected) == len(bad) + 1  # each bad body once, and the file that is not UTF-8
    for name, (body, reason) in bad.items():
        [event] = [e for e in rejected if e["event_id"] == f"event_rejected-{message_digest(body)[:40]}"]
        assert reason in event["reason"], name
        assert event["body_truncated"] == (len(body.encode()) > 64 * 1024), name
        assert utf8_size(field_text(event["body"])) <= 64 * 1024, name
    big = next(e for e in rejected if e["rejected_event_id"] == "big-300")
    assert big["case_id"] == 999 and big["body_bytes"] > 300_000 and big["body"].endswith("é")


def _event_ids(run: dg.DagsterRun) -> list[str]:
    """The request event ids a run carries: its own, or its batch's."""
    (op,) = run.run_config["ops"].values()
    config = op["config"]
    items = config.get("requests", [config])
    return [i["request"]["event_id"] if "request" in i else i["event_id"] for i in items]


def test_a_message_whose_handling_raises_is_left_alone_then_rejected_and_the_others_run(
    demo_home, monkeypatch
):
    """An unexpected exception handling one message is that message's alone: it is left to its own
    redelivery, the others go on, and on its max_receives-th delivery it is rejected."""
    from resources.dagster_resources import RequestQueueResource
    from sensors import requests as sensor_module

    settings = get_settings()
    queue = LocalRequestQueue(settings.queue_dir)
    queue.send(json.dumps(report_body("cursed")))
    queue.send(json.dumps(report_body("fine")))
    real = sensor_module.read_message

    def flaky(raw):
        if "cursed" in raw:
            raise RuntimeError("a bug that only this body finds")
        return real(raw)

    monkeypatch.setattr(sensor_module, "read_message", flaky)
    resources = sensor_resources()
    resources["request_queue"] = RequestQueueResource(
        backend="local", folder=str(settings.queue_dir), max_receives=2
    )
    with dg.instance_for_test() as instance:
        harness = Harness(instance, resources)
        _, runs = harness.tick()
        assert [r.tags["np/event_id"] for r in runs] == ["fine"]
        assert _rejections(local_events(settings)) == []  # left for its second delivery
        _, runs = harness.tick()  # its second delivery: max_receives reached
        assert runs == [] and queue.depth() == 0
    [rejected] = _rejections(local_events(settings))
    assert rejected["rejected_event_id"] is None and "after 2 deliveries" in rejected["reason"]
    assert json.loads(rejected["body"])["event_id"] == "cursed"


class FlakyEventBus(EventBusResource):
    """The real bus, except that publishing the refusal of a body holding `fail_for` fails the first time
    (a bus that drops one connection): raised as a plain exception, not a typed one."""

    fail_for: str = ""

    def bus(self):
        inner, marker = super().bus(), self.fail_for

        class Flaky:
            def publish(self, event):
                if marker and marker not in FAILED and marker in json.dumps(event.get("body")):
                    FAILED.add(marker)
                    raise ConnectionResetError("the event bus dropped the connection")
                return inner.publish(event)

        return Flaky()


FAILED: set[str] = set()


def test_over_sqs_a_failed_refusal_leaves_only_its_own_message_and_nothing_valid_is_dead_lettered(aws_queue):
    """SNS -> SQS on moto over HTTP, the request queue with a redrive policy (two receives, then the
    dead-letter queue). Hostile bodies beside valid requests; one refusal's publish fails: that message
    alone comes back (after its visibility timeout) and is refused then; the others are done in the
    first tick; nothing reaches the dead-letter queue."""
    from resources.dagster_resources import RequestQueueResource

    sns, sqs, topic, url = aws_queue["sns"], aws_queue["sqs"], aws_queue["topic"], aws_queue["requests"]
    dead = with_dead_letter_queue(sqs, url, max_receives=2)
    bad = hostile_bodies()
    for name, (body, _) in bad.items():
        if name.startswith(("nested_raw", "binary", "unknown_case_300k")) or name.endswith("envelope"):
            sqs.send_message(QueueUrl=url, MessageBody=body)  # raw: SNS would not carry some of these
        else:
            sns.publish(TopicArn=topic, Message=body)
    backend = SnsEventBus(topic, sns)
    backend.publish(report_body("sqs-ok-1"))
    backend.publish(report_body("sqs-ok-1"))  # delivered twice
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(report_body("sqs-ok-2", 202)))

    resources = sensor_resources()
    resources["event_bus"] = FlakyEventBus(**resources["event_bus"].model_dump(), fail_for="big-300")

    class QuickRedelivery(RequestQueueResource):  # under the variable's 30 s floor: tests only
        visibility_seconds: int = 2

    queue_config = resources["request_queue"].model_dump()
    queue_config.pop("visibility_seconds")
    resources["request_queue"] = QuickRedelivery(**queue_config)
    with dg.instance_for_test() as instance:
        harness = Harness(instance, resources)
        result, runs = harness.tick()
        assert isinstance(result, dg.SensorResult)
        assert sorted(e for r in runs for e in _event_ids(r)) == ["sqs-ok-1", "sqs-ok-2"]
        for _ in range(20):  # the failed one comes back after its visibility timeout
            result, more = harness.tick()
            assert more == [] and isinstance(result, dg.SensorResult)
            if depth(sqs, url) == 0:
                break
            time.sleep(1)
        assert depth(sqs, url) == 0 and depth(sqs, dead) == 0
    assert {"big-300"} == FAILED  # the failure did happen
    rejected = _rejections(drain(sqs, aws_queue["backend"]))
    assert len(rejected) == len(bad) == len({e["event_id"] for e in rejected})
    big = [e for e in rejected if e["rejected_event_id"] in ("big-240", "big-300")]
    assert len(big) == 2 and all(e["body_truncated"] and len(e["body"].encode()) <= 64 * 1024 for e in big)


def with_dead_letter_queue(sqs, url: str, max_receives: int) -> str:
    """Give a queue a dead-letter queue after `max_receives` receives, and room for 1 MiB messages;
    returns the dead-letter queue's URL."""
    name = url.rsplit("/", 1)[1]
    dead = sqs.create_queue(QueueName=f"{name}-dead")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": str(max_receives)}),
            "MaximumMessageSize": str(1024 * 1024),
        },
    )
    return dead
