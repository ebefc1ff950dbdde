"""Running one report: query -> file -> object store -> link -> email -> event.

The Dagster assets call `run_report`; tests call it too. Nothing here knows a
report's SQL: that is the ReportSpec's (domain/reports/).
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from domain.errors import InvalidKeyError, ObjectNotFound, PermanentError, PlatformError, RetryableError
from domain.keys import clean_relative_key, relative_to_case
from domain.log import get_logger
from domain.reports.delivery import (
    CONTENT_TYPES,
    LATEST,
    Outcome,
    account_report_folder,
    account_report_key,
    email,
    failure_email,
    latest_pointer,
    newer_pointer,
    report_folder,
    report_key,
)
from domain.reports.request import ReportParameters
from domain.reports.retention import pointed_key
from domain.reports.spec import ReportContext, ReportSpec
from domain.tabular import write_csv, write_xlsx
from resources.event_bus import make_event

log = get_logger("reports")


@dataclass
class Sinks:
    """Where a report goes: the object store, the mailer and the event bus, with their settings."""

    store: Any  # ObjectStore (raw: keys are full keys)
    mailer: Any
    bus: Any
    presign_seconds: int
    attach_limit_bytes: int


@dataclass(frozen=True)
class Target:
    """Where one materialization's file goes (a key of its own: never overwritten by another run) and the
    `latest.json` pointer beside it, which is."""

    key: str
    latest: str
    run_id: str
    at: datetime


def case_target(case_id: int, report_type: str, fmt: str, request_name: str | None, run_id: str) -> Target:
    """A case report's file: `runs/{time}-{run id}`, or `requests/{hash}` (same request, same file)."""
    at = datetime.now(UTC)
    prefix = f"case_{int(case_id)}/"
    return Target(
        prefix + report_key(report_type, fmt, request_name, run_id, at),
        prefix + report_folder(report_type) + LATEST,
        run_id,
        at,
    )


def account_target(account_id: int, report_type: str, month: str, fmt: str, run_id: str) -> Target:
    """An account's monthly report: one file per run in the month's folder (a re-run never overwrites)."""
    at = datetime.now(UTC)
    return Target(
        account_report_key(account_id, report_type, month, fmt, run_id, at),
        account_report_folder(account_id, report_type, month) + LATEST,
        run_id,
        at,
    )


def point_latest(store, target: Target, fmt: str, rows: int, **extra) -> None:
    """Point `latest.json` at this materialization's file (one put: atomic on both stores), unless a
    later materialization already did."""
    try:
        current = store.get_bytes(target.latest)
    except ObjectNotFound:
        current = None
    if newer_pointer(current, target.at):
        store.put_bytes(
            target.latest,
            latest_pointer(target.key, target.run_id, fmt, rows, target.at, **extra),
            "application/json",
        )


def read_latest(store, latest: str) -> str | None:
    """The key `latest.json` points at (None: no report made yet)."""
    try:
        return pointed_key(store.get_bytes(latest))
    except ObjectNotFound:
        return None


def link_metadata(outcome: Outcome) -> dict[str, Any]:
    """How the UI shows where a report is: a link that opens (the file server's or a presigned URL, with
    its expiry), the local path to copy, and the `latest.json` pointer."""
    details = outcome.link_details
    metadata: dict[str, Any] = {}
    if details.get("url"):
        metadata["link"] = dg.MetadataValue.url(details["url"])
    if details.get("path"):
        metadata["local_path"] = dg.MetadataValue.path(details["path"])
    if details.get("expires_at"):
        expires_at: datetime = details["expires_at"]
        hours = max(0, round((expires_at - datetime.now(UTC)).total_seconds() / 3600))
        metadata["link_expires_at"] = expires_at.astimezone(UTC).isoformat()
        metadata["link_expires"] = f"the link expires in {hours} hours ({expires_at:%Y-%m-%d %H:%M} UTC)"
    if outcome.latest_key:
        metadata["latest_pointer"] = outcome.latest_key
    return metadata


def sinks_from(object_store, mailer, event_bus, report_settings) -> Sinks:
    """Sinks from the Dagster resources (ObjectStoreResource, MailerResource, ...)."""
    return Sinks(
        object_store.store(),
        mailer.mailer(),
        event_bus.bus(),
        object_store.presign_seconds,
        report_settings.attach_limit_bytes,
    )


def overlay_relative(case_id: int, key: str) -> str:
    """An uploaded file's key, relative to the case: a full key of another case is refused."""
    if not isinstance(key, str) or not key.strip():
        raise InvalidKeyError("The overlay key is empty.")
    key = key.strip()
    return relative_to_case(case_id, key) if key.startswith("case_") else clean_relative_key(key)


def make_context(
    case_id: int | None, params: ReportParameters, databases, store, scratch: Path
) -> ReportContext:
    """A ReportContext over the platform's databases and object store."""

    @contextlib.contextmanager
    def case_connection(cid: int):
        engine = databases.case_reader(cid)
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            if cid != case_id:  # a fan-out over 1,000 cases must not keep 1,000 engines
                databases.forget(databases.case_db_name(cid))

    def core_connection():
        return databases.core_reader().connect()

    def fetch_object(key: str) -> Path:
        relative = overlay_relative(case_id, key)
        full = f"case_{case_id}/{relative}"
        readable = getattr(store, "readable_path", None)
        if readable is not None:
            return readable(full)
        return store.download(full, scratch / "overlay" / Path(relative).name)

    return ReportContext(
        case_id=case_id,
        params=params,
        case_connection=case_connection,
        core_connection=core_connection,
        case_writer=databases.case_writer,
        fetch_object=fetch_object,
    )


def write_file(spec: ReportSpec, ctx: ReportContext, fmt: str, path: Path, rows_per_sheet: int | None = None):
    """Stream the report's rows into a CSV or XLSX file; returns (rows, preview, header)."""
    columns = spec.columns(ctx)
    header = [c.name for c in columns]
    if fmt == "csv":
        summary = write_csv(path, header, spec.rows(ctx), kinds=[c.kind for c in columns])
    else:
        extra = {"rows_per_sheet": rows_per_sheet} if rows_per_sheet else {}
        summary = write_xlsx(
            path, header, spec.rows(ctx), [c.kind for c in columns], sheet_title=spec.title[:31], **extra
        )
        if summary.sheets > 1:
            ctx.notes.append(
                f"The report has more rows than one Excel sheet holds: it goes on over {summary.sheets} "
                "sheets, each with the header row."
            )
        if summary.truncated_cells:
            ctx.notes.append(
                f"{summary.truncated_cells} cell(s) were longer than Excel's 32,767 characters and are "
                "cut in the workbook; ask for CSV to get them whole."
            )
        if summary.escaped_cells:
            ctx.notes.append(
                f"{summary.escaped_cells} cell(s) hold control characters Excel cannot show; they are "
                "written as _xHHHH_ escapes. Ask for CSV to get them exactly."
            )
    rows = ctx.summary.get("data_rows", summary.rows)
    return rows, summary.preview, header


def run_report(
    spec: ReportSpec,
    ctx: ReportContext,
    fmt: str,
    target: Target,
    scope: str,
    sinks: Sinks,
    emails: list[str],
    event: dict[str, Any] | None,
) -> tuple[Outcome, list[list[Any]], list[str]]:
    """Make, store and deliver one report under its own key, then point `latest.json` at it. `event` names
    the outcome event (event_id, case_id ...)."""
    scratch_root = getattr(sinks.store, "scratch_dir", None)
    with tempfile.TemporaryDirectory(
        prefix="np-report-", dir=scratch_root() if scratch_root else None
    ) as tmp:
        path = Path(tmp) / f"report.{fmt}"
        rows, preview, header = write_file(spec, ctx, fmt, path)
        size = path.stat().st_size
        attach = bool(emails) and size <= sinks.attach_limit_bytes
        data = path.read_bytes() if attach else None
        full_key = target.key
        sinks.store.move_file(full_key, path, CONTENT_TYPES[fmt])
    point_latest(sinks.store, target, fmt, rows)
    link = sinks.store.link(full_key, sinks.presign_seconds)
    details = getattr(sinks.store, "link_details", None)
    outcome = Outcome(
        spec.title,
        scope,
        full_key,
        link,
        fmt,
        rows,
        size,
        ctx.params.window_text(),
        list(ctx.notes),
        ctx.summary.get("email_body", ""),
        dict(ctx.summary),
        details(full_key, sinks.presign_seconds) if details else {"url": link},
        target.latest,
    )
    if emails:
        subject, body = email(outcome, attach)
        name = f"{spec.report_type}.{fmt}"
        sinks.mailer.send(
            emails, subject, body, [(name, data, CONTENT_TYPES[fmt].split(";")[0])] if attach else None
        )
    if event is not None:
        extra = {"failed_case_ids": sorted(ctx.failed_cases)} if ctx.failed_cases else {}
        sinks.bus.publish(
            make_event(
                "REPORT_COMPLETED",
                event["case_id"],
                event_id=event["event_id"],
                report_type=spec.report_type,
                object_key=full_key,
                row_count=rows,
                format=fmt,
                request_event_id=event.get("request_event_id"),
                **extra,
            )
        )
    return outcome, preview, header


def report_failed(
    spec: ReportSpec, scope: str, message: str, sinks: Sinks, emails: list[str], event: dict | None
) -> None:
    """Tell the requester: a REPORT_FAILED event and, when asked for by email, a failure email."""
    if event is not None:
        sinks.bus.publish(
            make_event(
                "REPORT_FAILED",
                event["case_id"],
                event_id=event["event_id"],
                report_type=spec.report_type,
                object_key=None,
                row_count=0,
                error=message,
                request_event_id=event.get("request_event_id"),
            )
        )
    if emails:
        try:
            subject, body = failure_email(spec.title, scope, message)
            sinks.mailer.send(emails, subject, body)
        except PlatformError as exc:  # the failure is already recorded; a mail fault must not hide it
            log.error(f"the failure email could not be sent: {exc}")


def classify(exc: BaseException) -> PlatformError:
    """Database faults as typed errors: a lost connection is retried, anything else is reported."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if isinstance(exc, PlatformError):
        return exc
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return RetryableError("The database connection was lost; the report will be retried.")
    if isinstance(exc, SQLAlchemyError):
        first = str(getattr(exc, "orig", exc)).splitlines()[0][:300]
        return PermanentError(f"The case database could not be read for this report ({first}).")
    raise exc
