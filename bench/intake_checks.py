"""What the intake benchmark reads back from the daemon: runs per piece of work, the
EVENT_REJECTED the backend's queue got, the sensor's ticks and its own evaluation times."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path


class Backend:
    """The EVENT_REJECTED the backend's queue received so far."""

    def __init__(self, sqs, url: str) -> None:
        self.sqs, self.url = sqs, url
        self.events: list[dict] = []

    def poll(self) -> int:
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return len(self.events)
            self.events += [json.loads(json.loads(m["Body"])["Message"]) for m in messages]
            self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )


def work_with_runs(instance, runs_filter) -> int:
    """Pieces of work the sensor's runs carry (a batch run carries `np/requests` of them)."""
    return sum(int(r.tags.get("np/requests", "1")) for r in instance.get_runs(runs_filter))


def _members(run, by_event: dict[str, str]) -> list[str]:
    """The work keys a run carries: its own, or a batch's requests (their event ids, from its config)."""
    if "np/requests" not in run.tags:
        return [run.tags.get("dagster/run_key")]
    (op,) = run.run_config["ops"].values()
    return [
        by_event.get(item["event_id"], f"unexpected event {item['event_id']}")
        for item in op["config"]["requests"]
    ]


def verify_runs(instance, expected: dict, backend: Backend) -> dict:
    """Every expected piece of work in exactly one run, nothing else; one EVENT_REJECTED per invalid
    message."""
    import dagster as dg

    runs = instance.get_runs()
    problems = []
    keys = Counter(k for r in runs for k in _members(r, expected["by_event"]))
    twice = [k for k, n in keys.items() if n > 1]
    missing = set(expected["work_keys"]) - set(keys)
    extra = set(keys) - set(expected["work_keys"])
    if twice:
        problems.append(f"{len(twice)} pieces of work in more than one run, e.g. {twice[:3]}")
    if missing:
        problems.append(f"{len(missing)} pieces of work without a run (lost), e.g. {sorted(missing)[:3]}")
    if extra:
        problems.append(f"{len(extra)} runs for work nobody asked for, e.g. {sorted(extra, key=str)[:3]}")
    if any(r.tags.get("np/work") != r.tags.get("dagster/run_key") for r in runs):
        problems.append("a run whose np/work tag is not its run key")
    if len({r.tags.get("dagster/run_key") for r in runs}) != len(runs):
        problems.append("two runs with one run key")
    if any(r.status != dg.DagsterRunStatus.QUEUED for r in runs):
        problems.append(f"runs not queued: {Counter(r.status.value for r in runs)}")
    backend.poll()
    rejected = backend.events
    if len(rejected) != expected["invalid"]:
        problems.append(f"{len(rejected)} EVENT_REJECTED for {expected['invalid']} invalid messages")
    if len({e["event_id"] for e in rejected}) != len(rejected):
        problems.append("an EVENT_REJECTED announced twice")
    reasons = Counter(_reason(e["reason"]) for e in rejected)
    want = {
        "not JSON": expected["malformed"],
        "unknown event type": expected["unknown_type"],
        "no such case": expected["unknown_case"],
    }
    if reasons != Counter({k: v for k, v in want.items() if v}):
        problems.append(f"rejection reasons {dict(reasons)}, expected {want}")
    if problems:
        raise AssertionError("; ".join(problems))
    return {
        "runs": len(runs),
        "batch_runs": sum("np/requests" in r.tags for r in runs),
        "work_keys": len(expected["work_keys"]),
        "rejected": len(rejected),
        "reasons": dict(reasons),
    }


def _reason(text: str) -> str:
    if "not JSON" in text:
        return "not JSON"
    if "Unknown event type" in text:
        return "unknown event type"
    if "does not exist" in text:
        return "no such case"
    return text[:60]


def _sensor_state(instance):
    return next(s for s in instance.all_instigator_state() if s.name == "request_sensor")


def tick_figures(instance, started_wall: float) -> dict:
    state = _sensor_state(instance)
    ticks = sorted(
        instance.get_ticks(state.instigator_origin_id, state.selector_id), key=lambda t: t.timestamp
    )
    durations = [t.end_timestamp - t.timestamp for t in ticks if t.end_timestamp]
    with_runs = [t for t in ticks if t.run_ids]
    return {
        "count": len(ticks),
        "with_runs": len(with_runs),
        "first_tick": round(ticks[0].timestamp - started_wall, 1) if ticks else None,
        "max_tick": round(max(durations), 1) if durations else None,
        "seconds": [round(d, 1) for d in durations[:40]],
        "runs_per_tick": [len(t.run_ids) for t in with_runs[:40]],
    }


_EVAL = re.compile(r"nextpoint\.sensors\.requests request intake: .*? in (\d+(?:\.\d+)?)s")


def evaluation_seconds(log_path: Path) -> dict:
    """The sensor's own evaluation time per tick, from its log lines (sensors/requests.py)."""
    seconds = [float(m[1]) for m in _EVAL.finditer(log_path.read_text(errors="replace"))]
    return {
        "ticks": len(seconds),
        "total": round(sum(seconds), 1),
        "max": round(max(seconds), 1) if seconds else None,
    }
