"""Event bus: SNS in production, a JSON-lines file as the embedded default.

Events follow docs/events.md; SNS message attributes eventType, caseId and batchId
let SQS subscriptions filter on them. Both buses publish every event through
`domain.event_size.fit_event`, so no event is ever too long for SNS (256 KiB, body
and attributes): oversized fields are cut and flagged, and an event that cannot fit
becomes a minimal one (docs/events.md, "Sizes").
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from domain.errors import PermanentError, RetryableError
from domain.event_size import MAX_EVENT_BYTES, fit_event, serialize_event


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
        line = serialize_event(fit_event(event)) + "\n"
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
        # split("\n"), not splitlines(): an event's text may hold U+2028 or U+0085, which JSON leaves
        # as they are.
        return [
            json.loads(line) for line in self.path.read_text(encoding="utf-8").split("\n") if line.strip()
        ]


#: SNS errors no retry can fix (the others, and every transport fault, are passing: retried).
_REFUSALS = frozenset(
    {
        "InvalidParameter",
        "InvalidParameterValue",
        "NotFound",
        "AuthorizationError",
        "ValidationError",
        "KMSDisabled",
        "KMSNotFound",
        "InvalidSecurity",
    }
)
#: A batch id is an attribute for filtering, never large; one that is (a bug) is cut, not refused.
_MAX_ATTRIBUTE_TEXT = 256


def message_attributes(event: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The SNS message attributes subscriptions filter on: eventType, caseId and, when set, batchId."""
    attributes = {
        "eventType": {"DataType": "String", "StringValue": str(event["event_type"])[:_MAX_ATTRIBUTE_TEXT]},
        "caseId": {"DataType": "String", "StringValue": str(event["case_id"])[:_MAX_ATTRIBUTE_TEXT]},
    }
    if event.get("batch_id") is not None:
        attributes["batchId"] = {
            "DataType": "String",
            "StringValue": str(event["batch_id"])[:_MAX_ATTRIBUTE_TEXT],
        }
    return attributes


def attributes_size(attributes: dict[str, dict[str, str]]) -> int:
    """What the attributes count towards SNS's limit: each name, data type and value, in UTF-8 bytes."""
    return sum(
        len(name.encode()) + len(value["DataType"].encode()) + len(value["StringValue"].encode())
        for name, value in attributes.items()
    )


class SnsEventBus:
    def __init__(self, topic_arn: str, client) -> None:
        self.topic_arn = topic_arn
        self.client = client

    def publish(self, event: dict[str, Any]) -> str:
        """Publish one event, cut to fit SNS (body and attributes within 256 KiB). A fault of the service
        is a typed error: RetryableError when it may pass, PermanentError when SNS refused the event."""
        from botocore.exceptions import BotoCoreError, ClientError

        _check(event)
        attributes = message_attributes(event)
        fitted = fit_event(event, MAX_EVENT_BYTES - attributes_size(attributes))
        try:
            self.client.publish(
                TopicArn=self.topic_arn,
                Message=serialize_event(fitted),
                MessageAttributes=message_attributes(fitted),
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _REFUSALS:
                raise PermanentError(
                    f"The event bus refused the event ({code}).",
                    event_type=event["event_type"],
                    event_id=event["event_id"],
                ) from exc
            raise RetryableError(
                f"The event bus could not be reached ({code or type(exc).__name__})."
            ) from exc
        except BotoCoreError as exc:
            raise RetryableError(f"The event bus could not be reached ({type(exc).__name__}).") from exc
        return event["event_id"]


def open_event_bus(
    backend: str, events_file: Path, topic_arn: str | None, region: str, endpoint_url: str | None = None
) -> EventBus:
    """The event bus `backend` names: the one switch, for the resource and for plain code."""
    if backend == "sns":
        import boto3

        return SnsEventBus(topic_arn, boto3.client("sns", region_name=region, endpoint_url=endpoint_url))
    return LocalEventBus(Path(events_file))


def build_event_bus(settings) -> EventBus:
    return open_event_bus(
        settings.event_bus,
        settings.events_file,
        settings.sns_topic_arn,
        settings.aws_region,
        settings.sns_endpoint_url,  # declared by EventBusResource.endpoint_url
    )
