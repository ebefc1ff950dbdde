"""Where a report goes and what its email says (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def report_key(report_type: str, fmt: str, request_name: str | None = None) -> str:
    """Key relative to case_{id}/: the latest materialization, or one file per request."""
    if request_name:
        return f"reports/{report_type}/requests/{request_name}.{fmt}"
    return f"reports/{report_type}/{report_type}.{fmt}"


def account_report_key(account_id: int, report_type: str, month: str, fmt: str) -> str:
    """Cross-case reports of an account live outside every case prefix."""
    return f"accounts/account_{int(account_id)}/reports/{report_type}/{report_type}_{month}.{fmt}"


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
