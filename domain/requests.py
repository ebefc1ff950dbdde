"""Requests that arrive as events (docs/events.md): one table, from a queue message to the run.

`REQUEST_TYPES` has one row per request type: its body model (each capability's own, all sharing the
event header of domain/event_header.py), the cases it touches, its *work key*, and the run that does
it (`Target`: job name, partition, run config, in plain data; sensors/run_requests.py makes it a
Dagster run request). Each body is parsed once, by `read_message`, and the parsed request travels on.

A queue message is hostile until this module has read it: the body may be raw or
wrapped in an SNS envelope, may not be JSON, may name an event type nobody asked
for, or may fail its contract. `read_message` turns any body into either an
`Accepted` request, a `Rejected` one (with a reason a person can act on), or an
`Ignored` one (the platform's own outcome events, which come back when a queue is
subscribed to the whole topic: rejecting those would loop forever). A body that nests
deeper than `MAX_DEPTH` is refused before anything walks it (recursion limits); what a
refusal echoes of the body is cut in domain/rejections.py.

The work key is the identity of the work a request asks for. A request delivered twice, or a
second request with the same idempotency key, has the same work key, and the sensor starts no
second run for it. Stamp and report requests for one case may share a run (`batch_run`): its config
lists them (`requests`), its work key is the batch's, and `np/requests` says how many it carries.
Pure: no Dagster, boto3 or SQL driver.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from domain.errors import PermanentError, validation_problems
from domain.event_header import MAX_ID, EventHeader, QueuedEvent, parse_body
from domain.exchanges.request import ExchangeRequest, exchange_run_config, parse_exchange_request
from domain.pii.review import Decision
from domain.productions.request import ExportRequest, export_partition_key, parse_export_request
from domain.rejections import Rejected, message_digest, refused
from domain.renditions.request import parse_rendition_request, rendition_run_config
from domain.reports.request import parse_report_request, report_job_name, report_run_config
from domain.stamps.request import parse_request, stamp_run_config

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
        "HTML_RENDITION_COMPLETED",
        "HTML_RENDITION_FAILED",
    }
)

#: No request nests deeper than a few levels; a hostile body nested thousands deep would exhaust the
#: recursion limit of whatever walks it next (validation, the echo, Dagster's run config).
MAX_DEPTH = 32


# ---------------------------------------------------------------- the runs requests ask for

#: The tags every run started for a request carries (docs/events.md, "Run tags"): people find the run
#: in the UI by them, and the run coordinator limits runs by them (deploy/dagster.yaml).
WORK_TAG = "np/work"  # the work key, also the run key
REQUEST_TAG = "np/request"  # export, stamp, report, exchange, pii_decision, rendition
CASE_TAG = "np/case_id"
EVENT_TAG = "np/event_id"
SERIAL_TAG = "np/serial"  # serializes the runs that must not overlap (one export, one case's stamps)
COUNT_TAG = "np/requests"  # how many requests a batch run carries


@dataclass(frozen=True)
class Target:
    """What one request's run does: job, partition (and the dynamic partition set it belongs to),
    run config; `serial` names the runs it must not overlap (None: none but its own work)."""

    job_name: str
    partition_key: str | None
    partitions: str | None
    run_config: dict[str, Any]
    serial: str | None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    """A run to start, in plain data; sensors/run_requests.py makes it a Dagster run request."""

    kind: str
    work_key: str  # also the run key: a second request for the same work starts nothing
    job_name: str
    partition_key: str | None
    #: The dynamic partition set `partition_key` is registered in before the run is asked for.
    partitions: str | None
    run_config: dict[str, Any]
    tags: dict[str, str]


def _event_tag(event_id: str) -> str:
    # Event ids are untrusted and unbounded: tags carry them only when short and plain.
    if len(event_id) <= 63 and all(c.isalnum() or c in "-_." for c in event_id):
        return event_id
    return "sha-" + hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:40]


def request_tags(kind: str, case_id: int, work_key: str, serial: str, event_id: str | None) -> dict[str, str]:
    tags = {WORK_TAG: work_key, REQUEST_TAG: kind, CASE_TAG: str(case_id), SERIAL_TAG: serial}
    if event_id:
        tags[EVENT_TAG] = _event_tag(event_id)
    return tags


def _run(kind: str, work_key: str, case_id: int, event_id: str | None, target: Target) -> Run:
    serial = target.serial or work_key
    tags = {**target.tags, **request_tags(kind, case_id, work_key, serial, event_id)}
    return Run(
        kind, work_key, target.job_name, target.partition_key, target.partitions, target.run_config, tags
    )


# ---------------------------------------------------------------- one row per request type


def _export_target(case_id: int, export_id: int) -> Target:
    key = export_partition_key(case_id, export_id)
    return Target("production_job", key, "exports", {}, f"export-{key}")


def _parse_decision(body: dict[str, Any]) -> Decision:
    return parse_body(Decision, body, "PII decision")


def _decision_target(decision: Decision, event_id: str) -> Target:
    config = {**decision.model_dump(), "event_id": event_id}
    run_config = {"ops": {"record_pii_decision": {"config": config}}}
    return Target("pii_decision_job", None, None, run_config, f"pii-{decision.scan_id}")


def _exchange_target(exchange: ExchangeRequest, body: dict[str, Any]) -> Target:
    key = exchange.exchange_id
    tags = {"exchange/idempotency_key": exchange.key[:63]}
    return Target("exchange_job", key, "exchanges", exchange_run_config(body), f"exchange-{key}", tags)


@dataclass(frozen=True)
class RequestType:
    """How the platform takes one type of request: its body model, the cases it touches, the identity
    of its work, and the run that does it. Each body is parsed once, by `parse`."""

    kind: str
    #: The body as its model, or a PermanentError naming every problem.
    parse: Callable[[dict[str, Any]], BaseModel]
    #: Every case the work touches (an exchange: destination and source); each must exist.
    case_ids: Callable[[Any, EventHeader], tuple[int, ...]]
    #: The work's identity (a request delivered twice, or with the same idempotency key, has one).
    work_key: Callable[[Any, EventHeader], str]
    #: The run, from the parsed request, the body as it came and its event id.
    target: Callable[[Any, dict[str, Any], str], Target]
    #: Requests of this type for one case and job may share a run (light work that runs one after
    #: the other anyway): how a run's config becomes one item of the batch's `requests`.
    batch_item: Callable[[dict[str, Any]], dict[str, Any]] | None = None


#: Request event types the platform consumes, in the order a refusal lists them.
REQUEST_TYPES: dict[str, RequestType] = {
    "EXPORT_REQUESTED": RequestType(
        kind="export",
        parse=parse_export_request,
        case_ids=lambda r, _: (r.case_id,),
        work_key=lambda r, _: f"export:{r.case_id}-{r.export_id}",  # completed by the manifest's version
        target=lambda r, _, __: _export_target(r.case_id, r.export_id),
    ),
    "STAMP_REQUESTED": RequestType(
        kind="stamp",
        parse=parse_request,
        case_ids=lambda r, _: (r.case_id,),
        work_key=lambda r, _: f"stamp:{r.case_id}:{r.receipt_name}",
        target=lambda r, _, __: Target(
            "stamp_job",
            str(r.case_id),
            "cases",
            stamp_run_config(r.model_dump(mode="json")),
            f"stamp-{r.case_id}",
        ),
        batch_item=lambda config: config["request"],
    ),
    "REPORT_REQUESTED": RequestType(
        kind="report",
        parse=parse_report_request,
        # user_activity over many cases runs in its home case; every named case must exist too.
        case_ids=lambda r, _: tuple(dict.fromkeys([r.case_id, *r.parameters.case_ids])),
        work_key=lambda r, _: f"report:{r.case_id}:{r.request_name}",
        target=lambda r, _, __: Target(
            report_job_name(r.report_type), str(r.case_id), "cases", report_run_config(r), None
        ),
        batch_item=lambda config: config,
    ),
    "EXCHANGE_REQUESTED": RequestType(
        kind="exchange",
        parse=parse_exchange_request,
        case_ids=lambda r, _: (r.destination_case_id, r.source_case_id),
        work_key=lambda r, _: f"exchange:{_hash(r.key)}",
        target=lambda r, body, _: _exchange_target(r, body),
    ),
    "HTML_RENDITION_REQUESTED": RequestType(
        kind="rendition",
        parse=parse_rendition_request,
        case_ids=lambda r, _: (r.case_id,),
        # Each event is its own request (a later one re-renders what changed); a redelivery is not.
        work_key=lambda r, _: f"rendition:{r.case_id}:{_hash(r.event_id)}",
        target=lambda r, _, __: Target(
            "html_renditions_job", str(r.case_id), "cases", rendition_run_config(r), f"renditions-{r.case_id}"
        ),
    ),
    "PII_DECISION_SUBMITTED": RequestType(
        kind="pii_decision",
        parse=_parse_decision,
        case_ids=lambda _, header: (header.case_id,),
        # Each event is its own attempt: a second decision on a scan runs, and is refused by name.
        work_key=lambda _, header: f"pii-decision:{_hash(header.event_id)}",
        target=lambda r, _, event_id: _decision_target(r, event_id),
    ),
}
#: Kinds whose requests for one case may share a run; exports and exchanges each have their own.
BATCHED_KINDS = frozenset(row.kind for row in REQUEST_TYPES.values() if row.batch_item)
_BY_KIND = {row.kind: row for row in REQUEST_TYPES.values()}


@dataclass(frozen=True)
class Accepted:
    """A valid request: what kind of work, for which cases, under which work key; `request` is its
    body as its model (parsed once, here)."""

    kind: str
    event_type: str
    event_id: str
    case_id: int
    body: dict[str, Any]
    request: BaseModel
    #: Every case the work touches (an exchange: destination and source); each must exist.
    case_ids: tuple[int, ...]
    #: The work's identity; exports complete it with the manifest's version (`export_work_key`).
    work_key: str

    @property
    def export_id(self) -> int | None:
        return self.request.export_id if isinstance(self.request, ExportRequest) else None


@dataclass(frozen=True)
class Ignored:
    reason: str
    event_type: str = ""
    event_id: str = ""


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
        header = QueuedEvent.model_validate(body)
    except ValidationError as exc:
        return refused(f"The event is invalid: {validation_problems(exc)}", body, digest)
    row = REQUEST_TYPES.get(header.event_type)
    if row is None:
        known = ", ".join(REQUEST_TYPES)
        return refused(f"Unknown event type {header.event_type!r}; this queue takes {known}.", body, digest)
    try:
        request = row.parse(body)
    except PermanentError as exc:
        return refused(exc.user_message, body, digest)
    accepted = Accepted(
        kind=row.kind,
        event_type=header.event_type,
        event_id=header.event_id,
        case_id=header.case_id,
        body=body,
        request=request,
        case_ids=row.case_ids(request, header),
        work_key=row.work_key(request, header),
    )
    # Every case named is looked up in the core database: an id beyond any database integer (10**30)
    # would fail the lookup of the whole tick, not just this request.
    if any(isinstance(c, bool) or not 0 < c < MAX_ID for c in accepted.case_ids):
        return refused(f"A case id must be a whole number from 1 to {MAX_ID - 1}.", body, digest)
    return accepted


def run_of(accepted: Accepted, work_key: str) -> Run:
    """The run of one accepted request (its work key completed, for an export, by the manifest's)."""
    target = REQUEST_TYPES[accepted.event_type].target(accepted.request, accepted.body, accepted.event_id)
    return _run(accepted.kind, work_key, accepted.case_id, accepted.event_id, target)


def export_run(case_id: int, export_id: int, work_key: str, event_id: str | None = None) -> Run:
    """The production run of one export: an EXPORT_REQUESTED event's, or its manifest upload's."""
    return _run("export", work_key, case_id, event_id, _export_target(case_id, export_id))


def batch_run(runs: list[Run]) -> Run:
    """One run for several requests of one batched kind, job and case: the asset gets them in order as
    `requests` (each request's item of its own run config)."""
    first = runs[0]
    row = _BY_KIND.get(first.kind)
    if (
        row is None
        or row.batch_item is None
        or any(
            (r.kind, r.job_name, r.partition_key) != (first.kind, first.job_name, first.partition_key)
            for r in runs
        )
    ):
        raise ValueError("a batch holds requests of one batched kind, one job and one case")
    (op_name,) = first.run_config["ops"]
    items = [row.batch_item(r.run_config["ops"][op_name]["config"]) for r in runs]
    work_key = batch_work_key(first.job_name, first.partition_key, [r.work_key for r in runs])
    # A request serialized by its own work (a report) is serialized by the batch's.
    serial = first.tags[SERIAL_TAG] if first.tags[SERIAL_TAG] != first.work_key else work_key
    tags = {
        **request_tags(first.kind, int(first.tags[CASE_TAG]), work_key, serial, None),
        COUNT_TAG: str(len(runs)),
    }
    config = {"ops": {op_name: {"config": {"requests": items}}}}
    return Run(first.kind, work_key, first.job_name, first.partition_key, first.partitions, config, tags)


def batch_work_key(job_name: str, partition_key: str, work_keys: list[str]) -> str:
    """The work key of a run that carries several requests: the same members give the same key."""
    return f"batch:{job_name}:{partition_key}:{_hash(chr(10).join(sorted(work_keys)), 24)}"


def export_work_key(case_id: int, export_id: int, manifest_version: str) -> str:
    """One export run per manifest version: the event and the upload of the same manifest are one request,
    and a new manifest uploaded for the export is a new one."""
    return f"export:{case_id}-{export_id}:{_hash(manifest_version, 16)}"
