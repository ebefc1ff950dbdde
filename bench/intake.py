"""Request intake benchmark: N requests published on SNS, drained from SQS by the real daemon.

`prepare` starts the moto server (in the runner's process, for every variant), makes one SNS
topic and three SQS queues subscribed to it (raw delivery off: SNS envelopes): `ours` (the
request queue the sensor reads), `peer` (the same messages for the bare boto3 loop) and
`backend` (filtered to EVENT_REJECTED: what the backend would see). A tiny demo (cases 101 and
202) gets a manifest.zip uploaded for every export requested; then `messages` requests are
published through SNS with the contract's message attributes:

- valid, each its own work: 45% REPORT_REQUESTED, 40% STAMP_REQUESTED, 10% EXCHANGE_REQUESTED
  (one in twenty a new event re-using an earlier idempotency key: the same work), 5% EXPORT_REQUESTED;
- 1% exact duplicate deliveries of valid requests (the same body published again);
- 1% malformed JSON, 0.5% an unknown event type, 0.5% an unknown case (999): each must be
  announced with EVENT_REJECTED.

The work keys the valid requests name (domain/requests.py, the export's with its manifest's
version) are the expectation, written to a file the variants read.

- `peer_boto3_receive_delete`: a bare loop receiving 10 per call and deleting them in one batch
  call from the `peer` queue: the queue's own limit on this machine.
- `ours`: a real `dagster-daemon` (its own SQLite DAGSTER_HOME, the queued run coordinator with
  `max_concurrent_runs: 0`, so runs are created and queued, never launched) running
  `request_sensor` on the `ours` queue. Seconds from the daemon's start until the request queue
  is empty, every piece of work has its run and every bad message its EVENT_REJECTED. Then it
  verifies: one run per expected work key (run key = work key, none missing, none extra, none
  twice), exactly the expected EVENT_REJECTED. Then, the queue idle, the latency of one request:
  published on SNS until its run exists (5 times; median and max).

Here: `prepare`, the peer and the daemon run. The requests and their mix:
bench/intake_messages.py; the daemon's instance: bench/intake_instance.py; what is read back
and verified: bench/intake_checks.py.
"""

from __future__ import annotations

import atexit
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.intake_checks import (
    Backend,
    evaluation_seconds,
    tick_figures,
    verify_runs,
    work_with_runs,
)
from bench.intake_instance import queued_instance_home
from bench.intake_messages import attributes_of, make_messages, publish, report_body

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("peer_boto3_receive_delete", "ours")
POSTGRES_VARIANTS = ("peer_boto3_receive_delete", "ours_postgres")
DRAIN_TIMEOUT = float(os.environ.get("NP_BENCH_INTAKE_TIMEOUT", 3600))
LATENCY_SAMPLES = 5
AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


# --- prepare: the server, the queues, the demo and the messages ----------------------------------


def _clients(endpoint: str):
    import boto3

    return (
        boto3.client("sns", endpoint_url=endpoint, region_name="us-east-1"),
        boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1"),
    )


def _demo_template() -> Path:
    from bench.cases import small_demo

    return small_demo("intake-demo")


def _linear_moto() -> None:
    """moto 5's SQS reads the clock through datetime arithmetic for every message on every call, and
    re-computes every queue attribute (three scans of the queue) to check one message's retention: a
    receive from a 10,000-message queue took ~1 s. Same semantics, cheap clock, direct attribute. The
    peer and ours share this server, so both see the same queue."""
    import moto.sqs.models as sqs_models
    from moto.core.utils import unix_time

    def fast_unix_time(dt=None) -> float:
        return time.time() if dt is None else unix_time(dt)

    def fast_unix_time_millis(dt=None) -> float:
        return fast_unix_time(dt) * 1000.0

    def retained(self, queue_name: str, message) -> bool:
        queue = self.get_queue(queue_name)
        return int(queue.message_retention_period) + message.sent_timestamp / 1000 > fast_unix_time()

    sqs_models.unix_time, sqs_models.unix_time_millis = fast_unix_time, fast_unix_time_millis
    sqs_models.SQSBackend.is_message_valid_based_on_retention_period = retained


def prepare_intake_postgres(size: dict) -> dict:
    return prepare_intake(size, postgres=True)


def prepare_intake(size: dict, postgres: bool = False) -> dict:
    from domain.requests import Accepted, export_work_key, read_message
    from resources.object_store import build_object_store
    from resources.settings import load_settings
    from scripts.services import start_moto

    for name, value in AWS.items():
        os.environ.setdefault(name, value)
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    _linear_moto()
    server, endpoint = start_moto()
    atexit.register(server.stop)
    sns, sqs = _clients(endpoint)
    topic = sns.create_topic(Name="np-events-bench")["TopicArn"]
    queues = {}
    daemon = "ours_postgres" if postgres else "ours"
    for role in (daemon, "peer", "backend"):
        url = sqs.create_queue(
            QueueName=f"np-bench-{role.replace('_', '-')}", Attributes={"VisibilityTimeout": "300"}
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        if role == "backend":
            attributes = {"FilterPolicy": json.dumps({"eventType": ["EVENT_REJECTED"]})}
        else:  # every request; of the latency probes only those for this queue's variant
            attributes = {"FilterPolicy": json.dumps({"benchTarget": [{"exists": False}, role]})}
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)
        queues[role] = url

    if postgres:  # for ours_postgres; the password reaches the variant through the environment
        from scripts.services import external_postgres, start_postgres

        postgres = external_postgres() or start_postgres()
        if postgres.process is not None:
            atexit.register(postgres.stop)
        os.environ["NP_BENCH_PG_PASSWORD"] = postgres.password

    scratch = Path(tempfile.mkdtemp(prefix="np-bench-intake-"))
    atexit.register(shutil.rmtree, scratch, True)
    home = scratch / "np_home"
    shutil.copytree(_demo_template(), home)
    settings = load_settings({"NP_HOME": str(home)})
    store = build_object_store(settings)
    total = int(size.get("messages") or 10_000)
    messages, made = make_messages(total)
    manifest = (settings.object_store_root / "case_101/exports/export_1/manifest.zip").read_bytes()
    long_ago = time.time() - 3600  # before the manifest sensor's first tick: uploads it does not start itself
    for case_id, export_id in made["exports"]:
        key = f"case_{case_id}/exports/export_{export_id}/manifest.zip"
        store.put_bytes(key, manifest)
        os.utime(store.local_path(key), (long_ago, long_ago))
    for path in settings.object_store_root.glob("case_*/exports/*/manifest.zip"):
        os.utime(path, (long_ago, long_ago))

    work_keys, by_event = set(), {}
    for body in made.pop("bodies"):
        accepted = read_message(json.dumps(body))
        assert isinstance(accepted, Accepted), accepted
        key = accepted.work_key
        if accepted.kind == "export":
            key = export_work_key(
                accepted.case_id, accepted.export_id, store.head(body["manifest_key"]).version
            )
        work_keys.add(key)
        by_event[accepted.event_id] = key
    made["by_event"] = by_event
    expectation = scratch / "expected.json"
    expectation.write_text(json.dumps({"work_keys": sorted(work_keys), **made}))

    started = time.perf_counter()
    publish(sns, topic, messages)
    publish_seconds = time.perf_counter() - started
    for role in (daemon, "peer"):
        deadline = time.monotonic() + 60
        while _depth(sqs, queues[role]) < total:  # SNS -> SQS fan-out is asynchronous in moto too
            assert time.monotonic() < deadline, (
                f"only {_depth(sqs, queues[role])} of {total} reached the {role} queue"
            )
            time.sleep(0.2)
    print(
        f"sqs_intake: {total:,} messages published through SNS in {publish_seconds:.1f}s "
        f"({made['valid']:,} valid, {len(work_keys):,} pieces of work, {made['duplicates']} duplicates, "
        f"{made['invalid']} invalid)",
        file=sys.stderr,
    )
    return {
        "endpoint": endpoint,
        "topic": topic,
        "queues": queues,
        "home": str(home),
        "scratch": str(scratch),
        "expected": str(expectation),
        "published": total,
        "postgres": {"host": postgres.host, "port": postgres.port, "user": postgres.user}
        if postgres
        else None,
    }


def _depth(sqs, url: str) -> int:
    values = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (
        int(values["ApproximateNumberOfMessages"])
        + int(values["ApproximateNumberOfMessagesNotVisible"])
        + int(values.get("ApproximateNumberOfMessagesDelayed", 0))
    )


# --- peer: the queue's own limit ---------------------------------------------------------------------


def peer_boto3_receive_delete(args: dict) -> dict:
    """Receive 10 per call, delete each batch with one call, until every published message is gone."""
    from bench.cases import _result

    _, sqs = _clients(args["endpoint"])
    url, total = args["queues"]["peer"], args["published"]
    received = empty = 0
    started = time.perf_counter()
    while received < total and empty < 3:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=300
        ).get("Messages", [])
        if not messages:
            empty += 1
            continue
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
        received += len(messages)
    seconds = time.perf_counter() - started
    if received < total:
        raise AssertionError(f"the peer queue gave {received} of {total} messages")
    return _result(received, "messages", seconds, peer=True)


# --- ours: the daemon ---------------------------------------------------------------------------------


def ours(args: dict) -> dict:
    """The laptop instance (deploy/dagster.local.yaml: SQLite, one event-log file per run)."""
    return _ours(args, "ours", postgres=None)


def ours_postgres(args: dict) -> dict:
    """Production's instance file (deploy/dagster.yaml) on PostgreSQL."""
    if not args.get("postgres"):
        raise RuntimeError("no PostgreSQL: run it as the sqs_intake_postgres benchmark")
    return _ours(args, "ours_postgres", postgres=args["postgres"])


def _ours(args: dict, role: str, postgres: dict | None) -> dict:
    import dagster as dg

    from bench.cases import _result
    from scripts.services import stop_process

    expected = json.loads(Path(args["expected"]).read_text())
    want_runs, want_rejected = len(expected["work_keys"]), expected["invalid"]
    sns, sqs = _clients(args["endpoint"])
    queue = args["queues"][role]
    backend = Backend(sqs, args["queues"]["backend"])
    dagster_home, instance_env = queued_instance_home(Path(args["scratch"]), postgres)
    os.environ.update(instance_env)
    os.environ["DAGSTER_HOME"] = str(dagster_home)  # the instance file's `env: DAGSTER_HOME`
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    instance.get_runs(limit=1)  # make the SQLite storages before the daemon and its code server race to
    instance.all_instigator_state()
    instance.get_dynamic_partitions("cases")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NP_")},
        **AWS,
        **instance_env,
        "DAGSTER_HOME": str(dagster_home),
        "NP_HOME": args["home"],
        "NP_REQUEST_QUEUE": "sqs",
        "NP_SQS_QUEUE_URL": queue,
        "NP_SQS_ENDPOINT_URL": args["endpoint"],
        "NP_EVENT_BUS": "sns",
        "NP_SNS_TOPIC_ARN": args["topic"],
        "NP_SNS_ENDPOINT_URL": args["endpoint"],
        # Experiments: NP_BENCH_INTAKE_ENV='{"NP_REQUEST_TICK_MESSAGES": "2000"}'
        **{k: v for k, v in os.environ.items() if k.startswith("NP_REQUEST_")},
        **json.loads(os.environ.get("NP_BENCH_INTAKE_ENV") or "{}"),
    }
    from bench.cases import DATA_DIR

    log_path = (
        DATA_DIR
        / "intake-logs"
        / f"daemon-{time.strftime('%Y%m%dT%H%M%S')}-{'pg' if postgres else 'sqlite'}.log"
    )
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")  # noqa: SIM115 - the daemon writes to it until it is stopped
    started_wall, started = time.time(), time.perf_counter()
    daemon = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", str(ROOT / "workspace.yaml")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        runs_filter = dg.RunsFilter(tags={"dagster/sensor_name": "request_sensor"})
        while True:
            if daemon.poll() is not None:
                raise RuntimeError(f"dagster-daemon exited: {log_path.read_text()[-1500:]}")
            depth, rejected = _depth(sqs, queue), backend.poll()
            if (
                depth == 0
                and rejected >= want_rejected
                and work_with_runs(instance, runs_filter) >= want_runs
            ):
                break
            if time.perf_counter() - started > DRAIN_TIMEOUT:
                raise AssertionError(
                    f"not drained after {DRAIN_TIMEOUT:.0f}s: queue {depth}, "
                    f"work with runs {work_with_runs(instance, runs_filter)}/{want_runs}, "
                    f"rejected {rejected}/{want_rejected}; daemon log {log_path}"
                )
            time.sleep(0.5)
        seconds = time.perf_counter() - started
        time.sleep(5)  # one more tick: nothing may arrive late
        verdict = verify_runs(instance, expected, backend)
        ticks = tick_figures(instance, started_wall)
        latencies = _latencies(instance, sns, args["topic"], role)
    finally:
        stop_process(daemon, group=True)
        log.close()
    evaluation = evaluation_seconds(log_path)
    split = {
        "first_tick": ticks["first_tick"],
        "ticks": ticks["count"],
        "max_tick": ticks["max_tick"],
        "eval": evaluation["total"],
        "max_eval": evaluation["max"],
    }
    return _result(
        args["published"],
        "messages",
        seconds,
        split=split,
        work=want_runs,
        rejected=want_rejected,
        latency_median=round(statistics.median(latencies), 2),
        latency_max=round(max(latencies), 2),
        latencies=[round(x, 2) for x in latencies],
        verified=verdict,
        ticks=ticks,
        evaluation=evaluation,
        target_met=seconds < 300,
        storage="postgres" if postgres else "sqlite",
        daemon_log=str(log_path),
        instance=json.loads(os.environ.get("NP_BENCH_INTAKE_INSTANCE") or "{}"),
        env=json.loads(os.environ.get("NP_BENCH_INTAKE_ENV") or "{}"),
    )


def _latencies(instance, sns, topic: str, role: str) -> list[float]:
    """The queue idle: one request published on SNS until its run exists, LATENCY_SAMPLES times."""
    import dagster as dg

    out = []
    for i in range(LATENCY_SAMPLES):
        event_id = f"latency-{os.getpid()}-{i}"
        body = report_body(event_id, 101)
        attributes = {**attributes_of(body), "benchTarget": {"DataType": "String", "StringValue": role}}
        began = time.perf_counter()
        sns.publish(TopicArn=topic, Message=json.dumps(body), MessageAttributes=attributes)
        while not instance.get_runs(dg.RunsFilter(tags={"np/event_id": event_id}), limit=1):
            if time.perf_counter() - began > 120:
                raise AssertionError(f"no run for {event_id} after 120 s")
            time.sleep(0.1)
        out.append(time.perf_counter() - began)
        time.sleep(random.Random(i).uniform(0, 3))  # publish at another point of the sensor's cycle
    return out
