"""The header every event carries (docs/events.md): its type, id, case and time.

One model, shared: every request body model (export, stamp, report) inherits it and adds its own
fields, so the header's limits and checks are written once. A message read from the queue must also
say when it happened (`QueuedEvent`); a run started by hand or a test may carry a request without
`occurred_at`.
Pure: no Dagster, boto3 or SQL driver.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from domain.errors import PermanentError, validation_problems

#: Ids are positive and below this (a database BIGINT holds them all).
MAX_ID = 10**12
#: An ISO 8601 time with its offset fits in this.
MAX_TIME = 64


class EventHeader(BaseModel):
    """The fields every event carries."""

    model_config = ConfigDict(extra="allow")

    event_type: str = Field(min_length=1, max_length=100)
    event_id: str = Field(min_length=1, max_length=200)
    case_id: int = Field(gt=0, lt=MAX_ID)
    occurred_at: str | None = Field(default=None, min_length=1, max_length=MAX_TIME)

    @field_validator("case_id", mode="before")
    @classmethod
    def _strict_id(cls, value: Any) -> Any:
        # "101" or 101.0 are not the integer the contract promises; bool is an int in Python.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("case_id must be an integer")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _iso_time(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("occurred_at must be an ISO 8601 time") from None
        return value


class QueuedEvent(EventHeader):
    """An event as read from the queue: it says when it happened (the header's checks apply)."""

    occurred_at: str = Field(min_length=1, max_length=MAX_TIME)


Body = TypeVar("Body", bound=BaseModel)


def parse_body(model: type[Body], body: Any, what: str, case_id: int | None = None) -> Body:
    """`body` as `model`, or a PermanentError naming every problem ("The stamp request is invalid: ...");
    with `case_id`, a request for another case is refused too."""
    try:
        parsed = model.model_validate(body)
    except ValidationError as exc:
        raise PermanentError(f"The {what} is invalid: {validation_problems(exc)}") from None
    if case_id is not None and parsed.case_id != case_id:
        raise PermanentError(f"The {what} is for case {parsed.case_id}, not case {case_id}.")
    return parsed


def request_name(event_id: str) -> str:
    """A file-safe name for a request: event ids are untrusted, so names derived from them are hashes."""
    return hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:24]
