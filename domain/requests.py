"""Requests that arrive as events (docs/events.md): unwrap, validate, name the work.

A queue message is hostile until this module has read it: the body may be raw or
wrapped in an SNS envelope, may not be JSON, may name an event type nobody asked
for, or may fail its contract. `read_message` turns any body into either an
`Accepted` request, a `Rejected` one (with a reason a person can act on), or an
`Ignored` one (the platform's own outcome events, which come back when a queue is
subscribed to the whole topic: rejecting those would loop forever). A body that nests
deeper than `MAX_DEPTH` is refused before anything walks it (recursion limits), and
what a refusal echoes of the body is cut at `MAX_ECHOED_BODY` (`rejection_event_fields`).

Every accepted request names its *work key*: the identity of the work it asks
for. A request delivered twice, or a second request with the same idempotency
key, has the same work key, and the sensor starts no second run for it.
Pure: no Dagster, boto3 or SQL driver.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domain.errors import PermanentError, validation_problems
from domain.event_size import MAX_FIELD_BYTES, cut_utf8, field_text, utf8_size

#: Request types the platform consumes, and the kind of work each starts.
REQUEST_KINDS = {
    "EXPORT_REQUESTED": "export",
    "STAMP_REQUESTED": "stamp",
    "REPORT_REQUESTED": "report",
    "EXCHANGE_REQUESTED": "exchange",
    "PII_DECISION_SUBMITTED": "pii_decision",
}

#: Events the platform itself publishes (events.md, "Outcomes"): never work, never rejected.
OUTCOME_TYPES = frozenset(
    {
        "EXPORT_STARTED",
        "EXPORT_COMPLETED",
        "EXPORT_FAILED",
        "STAMP_COMPLETED",
        "STAMP_FAILED",
        "REPORT_COMPLETED",
        "REPORT_FAILED",
        "EXCHANGER_INITIATED",
        "EXCHANGER_FINISHED",
        "EXCHANGER_FAILED",
        "DOCUMENT_COPIED",
        "NATIVE_DOCUMENT_COPIED",
        "DOCUMENT_NOT_FOUND",
        "DOCUMENT_PRE_PROCESSED",
        "EVENT_REJECTED",
        "PII_SCAN_COMPLETED",
        "PII_SCAN_DECIDED",
    }
)

#: A rejected body is echoed in EVENT_REJECTED; beyond this it is cut (SNS messages stop at 256 KiB).
MAX_ECHOED_BODY = MAX_FIELD_BYTES
#: A refusal's reason, and the rejected event's type and id it names, are cut beyond these (UTF-8 bytes):
#: a list of 50,000 invalid ids gives 50,000 validation messages.
MAX_REASON_BYTES = 4096
MAX_ECHOED_ID_BYTES = 1024
#: No request nests deeper than a few levels; a hostile body nested thousands deep would exhaust the
#: recursion limit of whatever walks it next (validation, the echo, Dagster's run config).
MAX_DEPTH = 32


#: Ids are positive and below this (a database BIGINT holds them all).
MAX_ID = 10**12


class EventHeader(BaseModel):
    """The fields every event carries."""

    model_config = ConfigDict(extra="allow")

    event_type: str = Field(min_length=1, max_length=100)
    event_id: str = Field(min_length=1, max_length=200)
    case_id: int = Field(gt=0, lt=MAX_ID)
    occurred_at: str = Field(min_length=1, max_length=64)

    @field_validator("case_id", mode="before")
    @classmethod
    def _strict_id(cls, value: Any) -> Any:
        # "101" or 101.0 are not the integer the contract promises; bool is an int in Python.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("case_id must be an integer")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _iso_time(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("occurred_at must be an ISO 8601 time") from None
        return value


class ExportRequest(EventHeader):
    """An EXPORT_REQUESTED body: the manifest must be the export's own, under its case."""

    model_config = ConfigDict(extra="ignore")

    event_type: Literal["EXPORT_REQUESTED"] = "EXPORT_REQUESTED"
    export_id: int = Field(gt=0, lt=10**12)
    manifest_key: str = Field(min_length=1, max_length=1024)
    requested_by: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _own_manifest(self) -> ExportRequest:
        expected = manifest_key(self.case_id, self.export_id)
        if self.manifest_key != expected:
            raise ValueError(f"manifest_key must be {expected!r}, the export's own manifest under its case")
        return self


def manifest_key(case_id: int, export_id: int) -> str:
    return f"case_{case_id}/exports/export_{export_id}/manifest.zip"


@dataclass(frozen=True)
class Accepted:
    """A valid request: what kind of work, for which cases, under which work key."""

    kind: str
    event_type: str
    event_id: str
    case_id: int
    body: dict[str, Any]
    #: Every case the work touches (an exchange: destination and source); each must exist.
    case_ids: tuple[int, ...]
    #: The work's identity; exports complete it with the manifest's version (`export_work_key`).
    work_key: str
    export_id: int | None = None


@dataclass(frozen=True)
class Rejected:
    reason: str
    body: Any
    event_type: str | None = None
    event_id: str | None = None
    case_id: int | None = None
    digest: str = ""


@dataclass(frozen=True)
class Ignored:
    reason: str
    event_type: str = ""
    event_id: str = ""


def message_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _hash(text: str, size: int = 32) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:size]


def unwrap(raw: str) -> Any:
    """The event inside a message: the bare body, or the `Message` of an SNS envelope."""
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, TypeError, RecursionError) as exc:
        raise PermanentError(f"The message is not JSON ({str(exc)[:120]}).") from None
    _check_depth(body)
    if isinstance(body, dict) and body.get("Type") == "Notification" and "Message" in body:
        inner = body["Message"]
        if not isinstance(inner, str):
            raise PermanentError("The SNS envelope's Message is not a string.")
        try:
            body = json.loads(inner)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise PermanentError(f"The SNS envelope's Message is not JSON ({str(exc)[:120]}).") from None
        _check_depth(body)
    return body


def _check_depth(body: Any) -> None:
    """Refuse a body nested deeper than MAX_DEPTH; walks it without recursion."""
    stack = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > MAX_DEPTH:
            raise PermanentError(f"The message nests deeper than {MAX_DEPTH} levels.")
        stack.extend((child, depth + 1) for child in children)


def read_message(raw: str) -> Accepted | Rejected | Ignored:
    """Classify one queue message body. Never raises for bad input: that is a Rejected."""
    digest = message_digest(raw if isinstance(raw, str) else repr(raw))
    try:
        body = unwrap(raw)
    except PermanentError as exc:
        return Rejected(exc.user_message, raw, digest=digest)
    if not isinstance(body, dict):
        return Rejected("The event is not a JSON object.", body, digest=digest)
    if "Records" in body and "event_type" not in body:
        return Rejected(
            "S3 event notifications are not read from this queue; the manifest sensor sees uploads.",
            body,
            digest=digest,
        )
    event_type = body.get("event_type")
    if isinstance(event_type, str) and event_type in OUTCOME_TYPES:
        return Ignored("an outcome event of the platform's own", event_type, str(body.get("event_id", "")))
    try:
        header = EventHeader.model_validate(body)
    except ValidationError as exc:
        return _rejected(f"The event is invalid: {validation_problems(exc)}", body, digest)
    kind = REQUEST_KINDS.get(header.event_type)
    if kind is None:
        known = ", ".join(REQUEST_KINDS)
        return _rejected(f"Unknown event type {header.event_type!r}; this queue takes {known}.", body, digest)
    try:
        accepted = _accept(kind, header, body)
    except PermanentError as exc:
        return _rejected(exc.user_message, body, digest)
    # Every case named is looked up in the core database: an id beyond any database integer (10**30)
    # would fail the lookup of the whole tick, not just this request.
    if any(isinstance(c, bool) or not 0 < c < MAX_ID for c in accepted.case_ids):
        return _rejected(f"A case id must be a whole number from 1 to {MAX_ID - 1}.", body, digest)
    return accepted


def _accept(kind: str, header: EventHeader, body: dict[str, Any]) -> Accepted:
    # Each capability's own model validates its body: one contract reading, shared with the jobs.
    common = {
        "kind": kind,
        "event_type": header.event_type,
        "event_id": header.event_id,
        "case_id": header.case_id,
        "body": body,
    }
    if kind == "export":
        try:
            request = ExportRequest.model_validate(body)
        except ValidationError as exc:
            raise PermanentError(f"The export request is invalid: {validation_problems(exc)}") from None
        return Accepted(
            **common,
            case_ids=(request.case_id,),
            export_id=request.export_id,
            work_key=f"export:{request.case_id}-{request.export_id}",
        )
    if kind == "stamp":
        from domain.stamping.request import parse_request

        stamp = parse_request(body)
        return Accepted(
            **common, case_ids=(stamp.case_id,), work_key=f"stamp:{stamp.case_id}:{stamp.receipt_name}"
        )
    if kind == "report":
        from domain.reports.request import parse_report_request

        report = parse_report_request(body)
        # user_activity over many cases runs in its home case; every named case must exist too.
        cases = tuple(dict.fromkeys([report.case_id, *report.parameters.case_ids]))
        return Accepted(**common, case_ids=cases, work_key=f"report:{report.case_id}:{report.request_name}")
    if kind == "pii_decision":
        from domain.pii.review import Decision

        try:
            Decision.model_validate(body)
        except ValidationError as exc:
            raise PermanentError(f"The PII decision is invalid: {validation_problems(exc)}") from None
        # Each event is its own attempt: a second decision on a scan runs, and is refused by name.
        return Accepted(
            **common, case_ids=(header.case_id,), work_key=f"pii-decision:{_hash(header.event_id)}"
        )
    from domain.exchange.request import parse_exchange_request

    exchange = parse_exchange_request(body)
    return Accepted(
        **common,
        case_ids=(exchange.destination_case_id, exchange.source_case_id),
        work_key=f"exchange:{_hash(exchange.key)}",
    )


#: Request kinds whose requests for one case may share a run (a batch): light, case-scoped work that
#: runs one after the other anyway. Exports and exchanges each have their own partition and run.
BATCHED_KINDS = frozenset({"stamp", "report"})


def batch_work_key(job_name: str, partition_key: str, work_keys: list[str]) -> str:
    """The work key of a run that carries several requests: the same members give the same key."""
    return f"batch:{job_name}:{partition_key}:{_hash(chr(10).join(sorted(work_keys)), 24)}"


def export_work_key(case_id: int, export_id: int, manifest_version: str) -> str:
    """One export run per manifest version: the event and the upload of the same manifest are one request,
    and a new manifest uploaded for the export is a new one."""
    return f"export:{case_id}-{export_id}:{_hash(manifest_version, 16)}"


def _rejected(reason: str, body: dict[str, Any], digest: str) -> Rejected:
    case_id = body.get("case_id")
    return Rejected(
        reason,
        body,
        event_type=body.get("event_type") if isinstance(body.get("event_type"), str) else None,
        event_id=body.get("event_id") if isinstance(body.get("event_id"), str) else None,
        case_id=case_id
        if isinstance(case_id, int) and not isinstance(case_id, bool) and 0 < case_id < 10**12
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


def encode_ids(ids: set[int]) -> str:
    """A set of ids as compact ranges, '1-5,7,9-12': a cursor that stays small over years of exports."""
    out: list[str] = []
    ordered = sorted(ids)
    start = prev = None
    for value in ordered + [None]:
        if start is not None and (value is None or value != prev + 1):
            out.append(str(start) if start == prev else f"{start}-{prev}")
            start = None
        if value is not None and start is None:
            start = value
        prev = value
    return ",".join(out)


def decode_ids(text: str) -> set[int]:
    ids: set[int] = set()
    for part in filter(None, (text or "").split(",")):
        low, _, high = part.partition("-")
        ids.update(range(int(low), int(high or low) + 1))
    return ids
