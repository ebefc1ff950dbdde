"""Every outgoing event fits the bus: SNS refuses a message over 256 KiB (UTF-8 bytes of the body plus
the message attributes' names, types and values), and a refused publish must never stop the work
that announces it.

`fit_event` is the one place that guarantees it (both event buses call it before they publish):
an event that fits goes out as it is; otherwise its largest fields are cut, each to at most 64 KiB
(then less, until the event fits), on a UTF-8 character boundary, and each cut field `x` is
flagged with `x_truncated: true` and `x_bytes` (its size before the cut); an event that still
cannot fit (or cannot be serialized at all) is replaced by a minimal one: the fields every event
carries, its small fields, and `event_truncated` / `event_bytes`.
Pure: no Dagster, boto3 or SQL driver.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: SNS's limit on one message: body and message attributes, in bytes.
MAX_EVENT_BYTES = 256 * 1024
#: The most any one field of an event keeps when the event must be cut (and what a refusal echoes).
MAX_FIELD_BYTES = 64 * 1024
#: The fields every event carries: never cut, and all that a minimal event is sure to keep.
HEADER_FIELDS = ("event_type", "event_id", "case_id", "occurred_at")
#: A field this small is kept in a minimal event (while room is left).
_SMALL_FIELD_BYTES = 1024
_MAX_HEADER_TEXT_BYTES = 512

# json.dumps(ensure_ascii=False) writes these characters as they are: lone surrogates (from a "\ud800"
# escape in a hostile body) cannot be encoded as UTF-8 at all, and SQS refuses U+FFFE / U+FFFF. They only
# ever occur inside JSON strings, where the \uXXXX escape is valid JSON that reads back the same.
_UNSAFE = re.compile("[\ud800-\udfff\ufffe\uffff]")


def serialize_event(event: dict[str, Any]) -> str:
    """The event as the bus carries it: compact where it can be, always encodable as UTF-8."""
    text = json.dumps(event, ensure_ascii=False, sort_keys=True, default=str)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def cut_utf8(text: str, max_bytes: int) -> tuple[str, bool]:
    """`text` cut to at most `max_bytes` UTF-8 bytes, never inside a character; (text, whether it was cut)."""
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= max_bytes:
        return text, False
    end = max(0, max_bytes)
    while (
        end > 0 and (encoded[end] & 0xC0) == 0x80
    ):  # a continuation byte: step back to the character's start
        end -= 1
    return encoded[:end].decode("utf-8", "surrogatepass"), True


def field_text(value: Any) -> str:
    """A field's value as text: a string as it is, anything else as its compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _field_size(value: Any) -> int:
    return utf8_size(serialize_event({"v": value})) - 6  # less the '{"v":}' around it


def fit_event(event: dict[str, Any], limit: int = MAX_EVENT_BYTES) -> dict[str, Any]:
    """The event, cut when needed so that its serialized form takes at most `limit` UTF-8 bytes."""
    try:
        size = utf8_size(serialize_event(event))
    except (TypeError, ValueError, RecursionError):  # unserializable (a cycle, a key type json refuses)
        return minimal_event(event, 0, limit)
    if size <= limit:
        return event
    fitted = dict(event)
    cap = MAX_FIELD_BYTES
    while cap >= _SMALL_FIELD_BYTES:
        for name in [k for k in fitted if k not in HEADER_FIELDS and not _is_flag(k, fitted)]:
            if _field_size(fitted[name]) > cap:
                _cut_field(fitted, name, event.get(name), cap)
        if utf8_size(serialize_event(fitted)) <= limit:
            return fitted
        cap //= 2  # JSON escapes can make a field's text up to six times its bytes: cut further
    return minimal_event(event, size, limit)


def _is_flag(name: str, event: dict[str, Any]) -> bool:
    return any(name.endswith(suffix) and name[: -len(suffix)] in event for suffix in ("_truncated", "_bytes"))


def _cut_field(event: dict[str, Any], name: str, original: Any, cap: int) -> None:
    text, _ = cut_utf8(field_text(event[name]), cap)
    event[name] = text
    event[f"{name}_truncated"] = True
    if not isinstance(event.get(f"{name}_bytes"), int):  # the size before the first cut
        event[f"{name}_bytes"] = utf8_size(field_text(original))


def minimal_event(event: dict[str, Any], size: int, limit: int = MAX_EVENT_BYTES) -> dict[str, Any]:
    """What is left of an event that cannot fit: its header, its small fields (while they fit), and a flag."""
    out: dict[str, Any] = {}
    for name in HEADER_FIELDS:
        value = event.get(name)
        out[name] = cut_utf8(value, _MAX_HEADER_TEXT_BYTES)[0] if isinstance(value, str) else value
    out["event_truncated"] = True
    out["event_bytes"] = size
    used = utf8_size(serialize_event(out))
    for name, value in event.items():
        if name in out or not isinstance(name, str):
            continue
        try:
            extra = _field_size(value) + utf8_size(name) + 4
        except (TypeError, ValueError, RecursionError):
            continue
        if extra <= _SMALL_FIELD_BYTES and used + extra <= limit:
            out[name] = value
            used += extra
    return out
