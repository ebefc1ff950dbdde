"""The review of a scan: its identity, whether it holds the work back, and the one decision on it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.errors import PermanentError

CLEAN, AWAITING, APPROVED, REJECTED = "clean", "awaiting_approval", "approved", "rejected"


def scan_id(subject_key: str, threshold: float, digests: Iterable[str]) -> str:
    """The same texts scanned for the same work at the same threshold are the same scan (and keep their
    decision); a changed text is a new scan that needs its own."""
    h = hashlib.sha256(f"{subject_key}\n{threshold:.3f}\n".encode())
    for digest in sorted(digests):
        h.update(digest.encode() + b"\n")
    return "pii-" + h.hexdigest()[:32]


def status_of(findings_above: int) -> str:
    return AWAITING if findings_above else CLEAN


def cleared(status: str) -> bool:
    """May the held work (archive, completion; an exchange's copy) go on?"""
    return status in (CLEAN, APPROVED)


def hold_message(status: str, findings: int, scan: str, deadline: datetime | None) -> str:
    if status == AWAITING:
        until = f" until {deadline:%Y-%m-%d %H:%M} UTC" if deadline else ""
        return (
            f"{findings} possible personal data finding(s) await review (scan {scan}): "
            "approve or reject it with "
            f"pii_decision_job or a PII_DECISION_SUBMITTED event{until}."
        )
    if status == REJECTED:
        return f"The PII review rejected this work (scan {scan}); it will not be delivered."
    return f"Scan {scan} is {status}."


class Decision(BaseModel):
    """One decision on one scan, from the UI (pii_decision_job) or an event (PII_DECISION_SUBMITTED)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    scan_id: str = Field(min_length=5, max_length=64, pattern=r"^pii-[0-9a-f]+$")
    decision: Literal["approve", "reject"]
    justification: str = Field(min_length=3, max_length=4000)
    decided_by: str = Field(min_length=1, max_length=255)

    @field_validator("decision", mode="before")
    @classmethod
    def _lower(cls, value):
        return value.lower() if isinstance(value, str) else value

    @property
    def status(self) -> str:
        return APPROVED if self.decision == "approve" else REJECTED


class DecisionRefused(PermanentError):
    default_message = "The decision was refused."


def refusal(scan: str, row: dict | None) -> DecisionRefused:
    """Why a decision cannot be recorded on `scan` (its row as it is now, or None)."""
    if row is None:
        return DecisionRefused(f"There is no PII scan {scan}.")
    if row["status"] == CLEAN:
        return DecisionRefused(f"Scan {scan} found nothing to review; there is nothing to decide.")
    when = f" at {row['decided_at']:%Y-%m-%d %H:%M} UTC" if row.get("decided_at") else ""
    who = row.get("decided_by") or "someone"
    source = " (the review deadline passed)" if row.get("decision_source") == "timeout" else ""
    return DecisionRefused(
        f"Scan {scan} was already {row['status']} by {who}{when}{source}; a second decision is refused."
    )
