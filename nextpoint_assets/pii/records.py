"""PII scans and their decisions in the platform database (domain/schema.py: pii_scans).

A decision is one conditional UPDATE (`status = 'awaiting_approval'`): of two decisions racing
(the UI and an event, or a reviewer and the deadline), exactly one is recorded, whichever database
holds the table.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from domain.pii.review import AWAITING, REJECTED, Decision, refusal
from domain.schema import pii_scans


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record_scan(engine: Engine, row: dict[str, Any], approval_hours: float) -> dict[str, Any]:
    """The scan's row: made on first sight; a re-run of the same scan finds it (and its decision) as it is."""
    created = now()
    values = {
        **row,
        "counts": json.dumps(row["counts"], sort_keys=True),
        "created_at": created,
        "deadline": created + timedelta(hours=approval_hours) if row["status"] == AWAITING else None,
    }
    try:
        with engine.begin() as conn:
            conn.execute(insert(pii_scans).values(**values))
    except IntegrityError:
        pass
    found = get_scan(engine, row["scan_id"])
    assert found is not None
    return found


def get_scan(engine: Engine, scan: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(pii_scans).where(pii_scans.c.scan_id == scan)).mappings().first()
    return _decoded(row)


def latest_scan(engine: Engine, subject_key: str) -> dict[str, Any] | None:
    """The newest scan of an export or exchange: the one that decides whether its work may go on."""
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(pii_scans)
                .where(pii_scans.c.subject_key == subject_key)
                .order_by(pii_scans.c.created_at.desc(), pii_scans.c.scan_id)
                .limit(1)
            )
            .mappings()
            .first()
        )
    return _decoded(row)


def decide(engine: Engine, decision: Decision, source: str) -> dict[str, Any]:
    """Record the decision, or raise DecisionRefused saying why not (decided already, nothing to decide)."""
    with engine.begin() as conn:
        changed = conn.execute(
            update(pii_scans)
            .where(pii_scans.c.scan_id == decision.scan_id, pii_scans.c.status == AWAITING)
            .values(
                status=decision.status,
                decision=decision.status,
                decided_by=decision.decided_by,
                justification=decision.justification,
                decision_source=source,
                decided_at=now(),
            )
        ).rowcount
    row = get_scan(engine, decision.scan_id)
    if changed != 1:
        raise refusal(decision.scan_id, row)
    assert row is not None
    return row


def expire(engine: Engine, at: datetime | None = None) -> list[dict[str, Any]]:
    """Reject every scan still awaiting approval past its deadline; the rows this call rejected."""
    at = at or now()
    with engine.connect() as conn:
        due = [
            r["scan_id"]
            for r in conn.execute(
                select(pii_scans.c.scan_id).where(pii_scans.c.status == AWAITING, pii_scans.c.deadline <= at)
            ).mappings()
        ]
    rejected = []
    for scan in due:
        with engine.begin() as conn:
            changed = conn.execute(
                update(pii_scans)
                .where(pii_scans.c.scan_id == scan, pii_scans.c.status == AWAITING)
                .values(
                    status=REJECTED,
                    decision=REJECTED,
                    decided_by="platform",
                    decision_source="timeout",
                    justification="No decision before the review deadline.",
                    decided_at=now(),
                )
            ).rowcount
        if changed == 1:  # a reviewer may have decided in between
            rejected.append(get_scan(engine, scan))
    return rejected


def awaiting_subjects(engine: Engine) -> set[str]:
    """Exports and exchanges (partition keys) whose work waits for a PII decision: housekeeping keeps them."""
    with engine.connect() as conn:
        return set(
            conn.execute(select(pii_scans.c.subject_key).where(pii_scans.c.status == AWAITING)).scalars()
        )


def decided_not_resumed(engine: Engine, limit: int = 100) -> list[dict[str, Any]]:
    """Decided scans whose held work was neither started again nor cleaned up yet."""
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(pii_scans)
                .where(pii_scans.c.decision.is_not(None), pii_scans.c.resumed_at.is_(None))
                .order_by(pii_scans.c.decided_at)
                .limit(limit)
            )
            .mappings()
            .all()
        )
    return [_decoded(r) for r in rows]


def mark_resumed(engine: Engine, scan: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(pii_scans).where(pii_scans.c.scan_id == scan).values(resumed_at=now()))


def _decoded(row) -> dict[str, Any] | None:
    if row is None:
        return None
    out = dict(row)
    out["counts"] = json.loads(out["counts"]) if out.get("counts") else {}
    return out
