"""The state record of each exchange, in the platform database: status, counts, timings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from domain.errors import PermanentError
from domain.exchanges.request import ExchangeRequest
from domain.schema import exchanges

FINISHED = "finished"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record_request(engine: Engine, request: ExchangeRequest) -> dict[str, Any]:
    """The exchange's state row, created on first sight. A request whose idempotency key is
    already known returns that exchange's row; another request on the same batch is refused."""
    now = _now()
    row = {
        "exchange_id": request.exchange_id,
        "idempotency_key": request.key,
        "source_case_id": request.source_case_id,
        "destination_case_id": request.destination_case_id,
        "batch_id": request.batch_id,
        "status": "requested",
        "request": request.model_dump_json(),
        "created_at": now,
        "updated_at": now,
    }
    try:
        with engine.begin() as conn:
            conn.execute(insert(exchanges).values(**row))
    except IntegrityError:
        pass
    with engine.connect() as conn:
        by_key = (
            conn.execute(select(exchanges).where(exchanges.c.idempotency_key == request.key))
            .mappings()
            .first()
        )
        by_id = (
            conn.execute(select(exchanges).where(exchanges.c.exchange_id == request.exchange_id))
            .mappings()
            .first()
        )
    if by_key is None or (by_id is not None and by_id["idempotency_key"] != request.key):
        raise PermanentError(
            f"Batch {request.batch_id} from case {request.source_case_id} "
            f"to case {request.destination_case_id} "
            "already belongs to another exchange request (another idempotency key); use a new batch id.",
            exchange_id=request.exchange_id,
        )
    return dict(by_key)


def get_state(engine: Engine, exchange_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(exchanges).where(exchanges.c.exchange_id == exchange_id)).mappings().first()
    if row is None:
        raise PermanentError(
            f"No exchange request is recorded for {exchange_id}; run the exchange_request step first.",
            exchange_id=exchange_id,
        )
    return dict(row)


def request_of(state: dict[str, Any]) -> ExchangeRequest:
    return ExchangeRequest.model_validate_json(state["request"])


def counts_of(state: dict[str, Any]) -> dict[str, Any]:
    return json.loads(state["counts"]) if state.get("counts") else {}


def set_state(
    engine: Engine,
    exchange_id: str,
    status: str,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """Move the exchange on (counts merge into what earlier steps recorded); the state as it now is."""
    with engine.begin() as conn:
        current = conn.execute(
            select(exchanges.c.counts).where(exchanges.c.exchange_id == exchange_id)
        ).scalar()
        merged = {**(json.loads(current) if current else {}), **(counts or {})}
        values: dict[str, Any] = {
            "status": status,
            "counts": json.dumps(merged, sort_keys=True),
            "error": error,
            "updated_at": _now(),
        }
        if status == FINISHED:
            values["finished_at"] = _now()
        conn.execute(update(exchanges).where(exchanges.c.exchange_id == exchange_id).values(**values))
    return get_state(engine, exchange_id)
