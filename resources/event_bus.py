"""Event bus: SNS in production, a JSON-lines file as the embedded default.

Events follow ../shared/contracts/events.md; SNS message attributes eventType,
caseId and batchId let SQS subscriptions filter on them.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from domain.errors import PermanentError


class EventBus(Protocol):
    def publish(self, event: dict[str, Any]) -> str: ...


def make_event(event_type: str, case_id: int, **fields: Any) -> dict[str, Any]:
    """An outcome event with the fields every event carries."""
    return {
        "event_type": event_type,
        "event_id": fields.pop("event_id", None) or uuid.uuid4().hex,
        "case_id": int(case_id),
        "occurred_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **fields,
    }


def _check(event: dict[str, Any]) -> None:
    missing = [f for f in ("event_type", "event_id", "case_id", "occurred_at") if f not in event]
    if missing:
        raise PermanentError("An event lacks required fields.", missing=",".join(missing))


class LocalEventBus:
    """Appends one JSON object per line; a lock keeps concurrent writers' lines whole."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def publish(self, event: dict[str, Any]) -> str:
        _check(event)
        line = json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n"
        with open(self.path, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
            fcntl.flock(handle, fcntl.LOCK_UN)
        return event["event_id"]

    def read_all(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]


class SnsEventBus:
    def __init__(self, topic_arn: str, client) -> None:
        self.topic_arn = topic_arn
        self.client = client

    def publish(self, event: dict[str, Any]) -> str:
        _check(event)
        attributes = {
            "eventType": {"DataType": "String", "StringValue": str(event["event_type"])},
            "caseId": {"DataType": "String", "StringValue": str(event["case_id"])},
        }
        if event.get("batch_id") is not None:
            attributes["batchId"] = {"DataType": "String", "StringValue": str(event["batch_id"])}
        self.client.publish(
            TopicArn=self.topic_arn,
            Message=json.dumps(event, ensure_ascii=False, sort_keys=True),
            MessageAttributes=attributes,
        )
        return event["event_id"]


def build_event_bus(settings) -> EventBus:
    if settings.event_bus == "sns":
        import boto3

        endpoint = os.environ.get("NP_SNS_ENDPOINT_URL") or None
        return SnsEventBus(settings.sns_topic_arn, boto3.client("sns", region_name=settings.aws_region, endpoint_url=endpoint))
    return LocalEventBus(settings.events_file)
