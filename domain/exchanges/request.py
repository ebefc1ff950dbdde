"""An EXCHANGE_REQUESTED body (docs/events.md), validated, and what it asks of each part of the exchange.

The exchange's own record (`ExchangeRequest`, kept in its state row) is the body without the event
header (domain/event_header.py): the event's case is its destination case, and its id is optional,
so an exchange started by hand needs neither.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.errors import PermanentError
from domain.event_header import EventHeader, parse_body

Mode = Literal["brand_in", "layer"]
MAX_EXHIBITS = 1_000_000
_KEY = re.compile(r"^(\d{1,12})-(\d{1,12})-(\d{1,18})$")

#: annotations.annotation_type of each markup mode field of the contract.
MARKUP_FIELDS = {
    "redactionsAs": "redaction",
    "highlightsAs": "highlight",
    "notesAs": "note",
    "stickersAs": "sticker",
}
#: stamp_details.stamp_type of each stamp mode field.
STAMP_FIELDS = {"batesAs": "bates", "confidentialityCodesAs": "confidentiality"}


class AnnotationModes(BaseModel):
    """How each kind of markup travels. Redactions default to brand_in: a redaction that
    arrives as a mere layer would hand the destination the text it hides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    redactionsAs: Mode = "brand_in"  # noqa: N815 - the contract's names
    highlightsAs: Mode = "layer"  # noqa: N815
    notesAs: Mode = "layer"  # noqa: N815
    stickersAs: Mode = "layer"  # noqa: N815
    batesAs: Mode = "layer"  # noqa: N815
    confidentialityCodesAs: Mode = "layer"  # noqa: N815


class ExchangeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str | None = Field(default=None, max_length=200)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)
    source_case_id: int = Field(gt=0, lt=10**12)
    destination_case_id: int = Field(gt=0, lt=10**12)
    batch_id: int = Field(gt=0, lt=10**18)
    exhibit_ids: list[int] | None = Field(default=None, max_length=MAX_EXHIBITS)
    label_id: int | None = Field(default=None, gt=0, lt=10**18)
    include_natives: bool = True
    requires_annotations: bool = True
    annotations: AnnotationModes = AnnotationModes()
    requested_by: int | None = None

    @model_validator(mode="after")
    def _selection(self) -> ExchangeRequest:
        if self.source_case_id == self.destination_case_id:
            raise ValueError("the source and destination case are the same case")
        if bool(self.exhibit_ids) == (self.label_id is not None):
            raise ValueError("select the documents by exhibit_ids or by label_id (exactly one of the two)")
        if self.exhibit_ids and any(i <= 0 for i in self.exhibit_ids):
            raise ValueError("exhibit_ids must be positive integers")
        return self

    # What each part does -----------------------------------------------------
    @property
    def key(self) -> str:
        """The idempotency key: the request's own, or one derived from what it asks."""
        if self.idempotency_key:
            return self.idempotency_key
        what = {
            "source": self.source_case_id,
            "destination": self.destination_case_id,
            "batch": self.batch_id,
            "exhibit_ids": sorted(set(self.exhibit_ids or [])),
            "label_id": self.label_id,
            "natives": self.include_natives,
            "annotations": self.requires_annotations and self.annotations.model_dump(),
        }
        return "derived-" + hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:40]

    @property
    def exchange_id(self) -> str:
        return exchange_partition_key(self.destination_case_id, self.source_case_id, self.batch_id)

    def _modes(self) -> dict[str, str]:
        return self.annotations.model_dump() if self.requires_annotations else {}

    @property
    def brand_markups(self) -> list[str]:
        return [kind for name, kind in MARKUP_FIELDS.items() if self._modes().get(name) == "brand_in"]

    @property
    def brand_stamps(self) -> list[str]:
        return [kind for name, kind in STAMP_FIELDS.items() if self._modes().get(name) == "brand_in"]

    @property
    def layer_annotation_types(self) -> list[str]:
        """annotations rows copied as they are; comment threads always travel as a layer."""
        if not self.requires_annotations:
            return []
        return [kind for name, kind in MARKUP_FIELDS.items() if self._modes()[name] == "layer"] + ["comment"]

    @property
    def layer_stamp_types(self) -> list[str]:
        """stamp_details rows copied as they are; exhibit stamps have no mode of their own and travel as
        a layer."""
        if not self.requires_annotations:
            return []
        return [kind for name, kind in STAMP_FIELDS.items() if self._modes()[name] == "layer"] + ["exhibit"]


#: The header fields the exchange's record leaves out (the event's type, case and time).
_HEADER_ONLY = frozenset(EventHeader.model_fields) - frozenset(ExchangeRequest.model_fields)


def parse_exchange_request(body: dict) -> ExchangeRequest:
    """The request, or a PermanentError that names every problem (nothing has been written)."""
    fields = {k: v for k, v in (body or {}).items() if k not in _HEADER_ONLY}
    if "case_id" in (body or {}) and body.get("case_id") != body.get("destination_case_id"):
        raise PermanentError(
            "The request's case_id must be its destination case.", case_id=body.get("case_id")
        )
    return parse_body(ExchangeRequest, fields, "exchange request")


def exchange_run_config(body: dict) -> dict:
    """Run config for exchange_job: the EXCHANGE_REQUESTED body as it came (the run validates it)."""
    return {"ops": {"exchange_request": {"config": {"request": body}}}}


def exchange_partition_key(destination_case_id: int, source_case_id: int, batch_id: int) -> str:
    """Exchange partitions are keyed '{destination}-{source}-{batch}': the case the work belongs to first."""
    return f"{int(destination_case_id)}-{int(source_case_id)}-{int(batch_id)}"


def parse_exchange_key(key: str) -> tuple[int, int, int]:
    match = _KEY.match(key or "")
    if not match:
        raise PermanentError(
            "An exchange partition key must look like '{destination}-{source}-{batch}'.", key=key
        )
    return int(match[1]), int(match[2]), int(match[3])
