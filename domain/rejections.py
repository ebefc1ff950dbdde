"""What EVENT_REJECTED says of a refused message (docs/events.md, "Sizes").

A refusal echoes the body it refuses, its reason and the ids it named, each cut to a size
(`MAX_ECHOED_BODY`, `MAX_REASON_BYTES`, `MAX_ECHOED_ID_BYTES`) so the event always fits the bus;
its event id derives from the message's bytes, so the same bad message is announced once.
Pure: no Dagster, boto3 or SQL driver.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from domain.event_header import MAX_ID
from domain.event_size import MAX_FIELD_BYTES, cut_utf8, field_text, utf8_size

#: A rejected body is echoed in EVENT_REJECTED; beyond this it is cut (SNS messages stop at 256 KiB).
MAX_ECHOED_BODY = MAX_FIELD_BYTES
#: A refusal's reason, and the rejected event's type and id it names, are cut beyond these (UTF-8 bytes):
#: a list of 50,000 invalid ids gives 50,000 validation messages.
MAX_REASON_BYTES = 4096
MAX_ECHOED_ID_BYTES = 1024


@dataclass(frozen=True)
class Rejected:
    reason: str
    body: Any
    event_type: str | None = None
    event_id: str | None = None
    case_id: int | None = None
    digest: str = ""


def message_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def refused(reason: str, body: dict[str, Any], digest: str) -> Rejected:
    """A refusal of `body`, naming its event type, id and case where they are well formed."""
    case_id = body.get("case_id")
    return Rejected(
        reason,
        body,
        event_type=body.get("event_type") if isinstance(body.get("event_type"), str) else None,
        event_id=body.get("event_id") if isinstance(body.get("event_id"), str) else None,
        case_id=case_id
        if isinstance(case_id, int) and not isinstance(case_id, bool) and 0 < case_id < MAX_ID
        else None,
        digest=digest,
    )


def echo_body(body: Any) -> tuple[Any, bool, int]:
    """What EVENT_REJECTED echoes of a body: (the body as it came when small, else its text cut at
    MAX_ECHOED_BODY bytes on a character boundary; whether it was cut; its size in UTF-8 bytes)."""
    text = field_text(body)
    size = utf8_size(text)
    if size <= MAX_ECHOED_BODY:
        return body, False, size
    return cut_utf8(text, MAX_ECHOED_BODY)[0], True, size


def rejection_event_fields(rejected: Rejected) -> dict[str, Any]:
    """The fields of EVENT_REJECTED, on every refusal path: the body, reason and ids are cut here
    (`body_truncated`, `body_bytes` tell it; the event bus then guarantees the whole event fits). Its
    event id is derived from the message's bytes, so the same bad message delivered twice is announced
    under one id (consumers drop the second)."""
    body, truncated, size = echo_body(rejected.body)
    fields: dict[str, Any] = {
        "event_id": f"event_rejected-{rejected.digest[:40]}",
        "body": body,
        "body_truncated": truncated,
        "body_bytes": size,
    }
    for name, value, limit in (
        ("reason", rejected.reason, MAX_REASON_BYTES),
        ("rejected_event_type", rejected.event_type, MAX_ECHOED_ID_BYTES),
        ("rejected_event_id", rejected.event_id, MAX_ECHOED_ID_BYTES),
    ):
        text, cut = cut_utf8(value, limit) if isinstance(value, str) else (value, False)
        fields[name] = text
        if cut:
            fields[f"{name}_truncated"], fields[f"{name}_bytes"] = True, utf8_size(value)
    return fields
