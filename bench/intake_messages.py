"""The requests of the intake benchmark: what the backend would publish, and the mix of good,
repeated and bad messages published through SNS with the contract's message attributes."""

from __future__ import annotations

import json
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

CASES = (101, 202)
UNKNOWN_CASE = 999
NOW = "2026-11-22T10:00:00Z"


def report_body(event_id: str, case_id: int) -> dict:
    return {
        "event_type": "REPORT_REQUESTED",
        "event_id": event_id,
        "case_id": case_id,
        "occurred_at": NOW,
        "report_type": "page_count",
        "user_id": 55,
        "delivery": {"format": "csv"},
    }


def stamp_body(event_id: str, case_id: int, rng: random.Random) -> dict:
    return {
        "event_type": "STAMP_REQUESTED",
        "event_id": event_id,
        "case_id": case_id,
        "occurred_at": NOW,
        "type": "exhibit_stamp",
        "action": "apply",
        "exhibit_ids": sorted(rng.sample(range(1, 40), 3)),
        "template": {
            "position": "bottom_left",
            "font_size": 10,
            "text": "PLAINTIFF EXHIBIT {exhibit_number}",
        },
        "requested_by": 55,
    }


def exchange_body(event_id: str, key: str, batch_id: int) -> dict:
    return {
        "event_type": "EXCHANGE_REQUESTED",
        "event_id": event_id,
        "case_id": 202,
        "occurred_at": NOW,
        "idempotency_key": key,
        "source_case_id": 101,
        "destination_case_id": 202,
        "batch_id": batch_id,
        "exhibit_ids": [1, 2, 3],
        "label_id": None,
        "include_natives": True,
        "requires_annotations": False,
    }


def export_body(event_id: str, case_id: int, export_id: int) -> dict:
    return {
        "event_type": "EXPORT_REQUESTED",
        "event_id": event_id,
        "case_id": case_id,
        "occurred_at": NOW,
        "export_id": export_id,
        "manifest_key": f"case_{case_id}/exports/export_{export_id}/manifest.zip",
        "requested_by": 55,
    }


def make_messages(total: int, seed: int = 11) -> tuple[list[tuple[str, dict]], dict]:
    """(body text, SNS message attributes) per message, shuffled; and what they are, by category."""
    rng = random.Random(seed)
    malformed, unknown_type, unknown_case = round(total * 0.01), round(total * 0.005), round(total * 0.005)
    duplicates = round(total * 0.01)
    valid = total - malformed - unknown_type - unknown_case - duplicates
    bodies: list[dict] = []
    exchange_keys: list[str] = []
    exports: list[tuple[int, int]] = []
    for i in range(valid):
        case_id = CASES[i % 2]
        pick = rng.random()
        if pick < 0.45:
            bodies.append(report_body(f"rep-{i:06d}", case_id))
        elif pick < 0.85:
            bodies.append(stamp_body(f"st-{i:06d}", case_id, rng))
        elif pick < 0.95:
            reuse = exchange_keys and rng.random() < 0.05  # a new event with an earlier idempotency key
            key = rng.choice(exchange_keys) if reuse else f"exch-101-202-{i:06d}"
            exchange_keys.append(key)
            bodies.append(exchange_body(f"ex-{i:06d}", key, 9000 + exchange_keys.index(key)))
        else:
            export_id = 100 + len(exports)
            exports.append((case_id, export_id))
            bodies.append(export_body(f"exp-{i:06d}", case_id, export_id))
    messages = [(json.dumps(b), attributes_of(b)) for b in bodies]
    messages += [
        messages[i] for i in rng.sample(range(len(messages)), duplicates)
    ]  # exact duplicate deliveries
    invalid: list[tuple[str, dict]] = []
    for i in range(malformed):
        text = json.dumps(report_body(f"bad-{i:05d}", 101))[: 20 + i % 40]  # cut short: not JSON
        invalid.append((text, {"eventType": {"DataType": "String", "StringValue": "REPORT_REQUESTED"}}))
    for i in range(unknown_type):
        body = {**report_body(f"unk-{i:05d}", 101), "event_type": "ARCHIVE_REQUESTED"}
        invalid.append((json.dumps(body), attributes_of(body)))
    for i in range(unknown_case):
        body = (
            report_body(f"nocase-{i:05d}", UNKNOWN_CASE)
            if i % 2
            else stamp_body(f"nocase-{i:05d}", UNKNOWN_CASE, rng)
        )
        invalid.append((json.dumps(body), attributes_of(body)))
    messages += invalid
    rng.shuffle(messages)
    kinds = Counter(b["event_type"] for b in bodies)
    return messages, {
        "valid": valid,
        "duplicates": duplicates,
        "malformed": malformed,
        "unknown_type": unknown_type,
        "unknown_case": unknown_case,
        "invalid": len(invalid),
        "kinds": dict(kinds),
        "exports": exports,
        "bodies": bodies,
    }


def attributes_of(body: dict) -> dict:
    attributes = {
        "eventType": {"DataType": "String", "StringValue": str(body["event_type"])},
        "caseId": {"DataType": "String", "StringValue": str(body["case_id"])},
    }
    if body.get("batch_id") is not None:
        attributes["batchId"] = {"DataType": "String", "StringValue": str(body["batch_id"])}
    return attributes


def publish(sns, topic: str, messages: list[tuple[str, dict]], threads: int = 8) -> None:
    """Through SNS, ten per PublishBatch call, a few calls at a time."""
    batches = [messages[i : i + 10] for i in range(0, len(messages), 10)]

    def one(batch):
        entries = [
            {"Id": str(k), "Message": text, "MessageAttributes": attrs}
            for k, (text, attrs) in enumerate(batch)
        ]
        response = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
        if response.get("Failed"):
            raise RuntimeError(f"SNS refused {len(response['Failed'])} messages: {response['Failed'][0]}")

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, batches))
