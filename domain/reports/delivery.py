"""Where a report goes and what its email says (no I/O here)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


#: The pointer beside a report's files: which materialization is the latest (the files are never overwritten).
LATEST = "latest.json"


def run_stamp(at: datetime) -> str:
    """A materialization's time as a key part that sorts in time order (UTC, to the microsecond)."""
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def report_folder(report_type: str) -> str:
    """A case report type's folder, relative to case_{id}/: its runs/, requests/ and latest.json."""
    return f"reports/{report_type}/"


def report_key(
    report_type: str,
    fmt: str,
    request_name: str | None = None,
    run_id: str | None = None,
    at: datetime | None = None,
) -> str:
    """Key relative to case_{id}/: one file per materialization (`runs/{time}-{run id}`), or one file per
    request (the same request delivered again writes the same file: no duplicate)."""
    if request_name:
        return f"{report_folder(report_type)}requests/{request_name}.{fmt}"
    if not run_id or at is None:
        raise ValueError("a report that answers no request is kept under its run id and time")
    return f"{report_folder(report_type)}runs/{run_stamp(at)}-{run_id}.{fmt}"


def account_report_folder(account_id: int, report_type: str, month: str) -> str:
    """Cross-case reports of an account live outside every case prefix, one folder per month."""
    return f"accounts/account_{int(account_id)}/reports/{report_type}/{month}/"


def account_report_key(
    account_id: int, report_type: str, month: str, fmt: str, run_id: str, at: datetime
) -> str:
    """One file per materialization of an account's month (re-running the month never overwrites)."""
    return f"{account_report_folder(account_id, report_type, month)}runs/{run_stamp(at)}-{run_id}.{fmt}"


def latest_pointer(key: str, run_id: str, fmt: str, rows: int, at: datetime, **extra: Any) -> bytes:
    """The bytes of `latest.json`: the latest materialization's key, run, format, rows and time."""
    body = {
        "key": key,
        "run_id": run_id,
        "format": fmt,
        "rows": rows,
        "written_at": at.astimezone(UTC).isoformat(),
        **extra,
    }
    return (json.dumps(body, indent=2, sort_keys=True) + "\n").encode("utf-8")


def newer_pointer(current: bytes | None, at: datetime) -> bool:
    """Is a pointer written at `at` newer than `current` (absent or unreadable: yes)? Two runs finishing
    out of order must not leave the older one as the latest."""
    if not current:
        return True
    try:
        return at.astimezone(UTC) >= datetime.fromisoformat(json.loads(current)["written_at"])
    except (ValueError, KeyError, TypeError):  # not a pointer this code wrote: replace it
        return True


@dataclass
class Outcome:
    title: str
    scope: str  # "case 101 (Acme v. Widget)" or "account 3, 2026-10"
    object_key: str
    link: str
    fmt: str
    rows: int
    size: int
    window: str
    notes: list[str] = field(default_factory=list)
    extra_body: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    #: The store's `link_details`: "url" (opens in a browser), "path" (local store), "expires_at" (presigned).
    link_details: dict[str, Any] = field(default_factory=dict)
    latest_key: str = ""  # the `latest.json` pointer now naming this file


def email(outcome: Outcome, attach: bool) -> tuple[str, str]:
    """(subject, body) of the delivery email."""
    subject = f"Report ready: {outcome.title} - {outcome.scope}"
    lines = [
        f"Your {outcome.title.lower()} report for {outcome.scope} is ready.",
        "",
        f"Rows: {outcome.rows}",
        f"Dates: {outcome.window}",
        f"Format: {outcome.fmt.upper()} ({_size(outcome.size)})",
    ]
    if outcome.extra_body:
        lines += ["", outcome.extra_body]
    if outcome.notes:
        lines += ["", "Please note:"] + [f"- {n}" for n in outcome.notes]
    lines += [
        "",
        "The report is attached." if attach else "Download it here (the link expires):",
        outcome.link,
    ]
    return subject, "\n".join(lines) + "\n"


def failure_email(title: str, scope: str, message: str) -> tuple[str, str]:
    return (
        f"Report failed: {title} - {scope}",
        f"Your {title.lower()} report for {scope} could not be made.\n\n{message}\n",
    )


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"
