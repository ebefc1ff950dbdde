"""A STAMP_REQUESTED event (docs/events.md), validated before anything happens, and the run config
of stamp_job that carries it."""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.errors import PermanentError
from domain.event_header import EventHeader, parse_body
from domain.stamp_layout import POSITIONS

#: Request type -> the stamp_type written in stamp_details.
STAMP_TYPES = {"bates_stamp": "bates", "confidentiality_stamp": "confidentiality", "exhibit_stamp": "exhibit"}
DEFAULT_POSITIONS = {"bates": "bottom_right", "confidentiality": "bottom_left", "exhibit": "top_right"}
MAX_TEXT = 255  # stamp_details.text
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
BRACES = re.compile(r"\{([^{}]*)\}")
PLACEHOLDERS = ("exhibit_number", "exhibit_id", "control_number")


def encodable(text: str) -> bool:
    """Stamps are set in Helvetica with WinAnsi encoding: a character outside it would print as '?'."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


class StampTemplate(BaseModel):
    """Where and how the stamp is set; empty fields take the stamp type's defaults."""

    model_config = ConfigDict(extra="ignore")

    position: Literal[POSITIONS] | None = None  # type: ignore[valid-type]
    font_size: float | None = Field(default=None, ge=4, le=72)
    text: str | None = Field(default=None, max_length=MAX_TEXT)
    #: exhibit stamps: number the request's exhibits from here in request order ({exhibit_number})
    start_number: int | None = Field(default=None, ge=0)
    #: exhibit stamps go on the first page unless "all" is asked
    pages: Literal["first", "all"] | None = None

    @field_validator("text")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not encodable(value) or any(ord(c) < 32 and c not in "\n" for c in value):
            raise ValueError("the stamp text holds characters a stamp cannot print")
        unknown = sorted(set(BRACES.findall(value)) - set(PLACEHOLDERS))
        if unknown:
            raise ValueError(f"unknown placeholder(s) {unknown}; allowed: {list(PLACEHOLDERS)}")
        return value


class StampRequest(EventHeader):
    """A STAMP_REQUESTED body."""

    model_config = ConfigDict(extra="ignore")

    event_type: Literal["STAMP_REQUESTED"] = "STAMP_REQUESTED"
    type: Literal["bates_stamp", "confidentiality_stamp", "exhibit_stamp"]
    action: Literal["apply", "remove", "update"]
    exhibit_ids: list[int] = Field(min_length=1, max_length=100_000)
    pattern_id: int | None = Field(default=None, gt=0)
    template: StampTemplate = Field(default_factory=StampTemplate)
    #: remove only: give the removed Bates numbers back to the pattern (only possible at its end)
    reuse_numbers: bool = False

    @field_validator("exhibit_ids")
    @classmethod
    def _ids(cls, value: list[int]) -> list[int]:
        if any(i <= 0 for i in value):
            raise ValueError("exhibit ids are positive whole numbers")
        return list(dict.fromkeys(value))  # a repeated id is one exhibit, numbered once

    @model_validator(mode="after")
    def _consistent(self) -> StampRequest:
        if self.type == "bates_stamp" and self.action == "apply" and self.pattern_id is None:
            raise ValueError("applying Bates numbers needs a pattern_id")
        if self.type == "exhibit_stamp" and self.action == "apply" and not (self.template.text or "").strip():
            raise ValueError("an exhibit stamp needs template.text")
        return self

    @property
    def stamp_type(self) -> str:
        return STAMP_TYPES[self.type]

    @property
    def position(self) -> str:
        return self.template.position or DEFAULT_POSITIONS[self.stamp_type]

    @property
    def receipt_name(self) -> str:
        # Event ids are untrusted: the receipt key is a hash, never the id itself.
        return hashlib.sha256(self.event_id.encode("utf-8")).hexdigest()[:32]


def parse_request(body: dict, case_id: int | None = None) -> StampRequest:
    """A validated request, or a PermanentError naming every problem."""
    return parse_body(StampRequest, body, "stamp request", case_id)


#: What a stamp_job run supplies itself: the job names the event type, the partition the case.
SUPPLIED_BY_RUN = ("event_type", "case_id")


def stamp_run_config(request: dict, **settings) -> dict:
    """Run config for stamp_job from a STAMP_REQUESTED body (case_id travels as the partition key).

    Only the fields the job reads are passed on: an event may carry more than the contract names,
    and run config refuses unknown fields. Nothing is checked here: the run checks it and announces
    a bad request as STAMP_FAILED."""
    body = {k: v for k, v in request.items() if k in StampRequest.model_fields and k not in SUPPLIED_BY_RUN}
    template = body.pop("template", None)
    if isinstance(template, dict):
        body["template"] = {k: v for k, v in template.items() if k in StampTemplate.model_fields}
    return {"ops": {"stamped_page_set": {"config": {"request": body, **settings}}}}


def bates_text(prefix: str, number: int, padding: int, suffix: str) -> str:
    return f"{prefix}{number:0{max(0, padding)}d}{suffix}"


def confidentiality_text(status: int, codes: dict[int, str]) -> str | None:
    """The designation an exhibit's bit mask stands for; None when it carries none."""
    if not status:
        return None
    names, unknown, bit = [], [], 1
    while bit <= status:
        if status & bit:
            (names.append(codes[bit]) if bit in codes else unknown.append(bit))
        bit <<= 1
    if unknown:
        raise PermanentError(
            f"The confidentiality status {status} uses bit(s) {unknown} that the case defines no code for."
        )
    return " / ".join(names)


def exhibit_text(template: str, exhibit_number: int, exhibit_id: int, control_number: str | None) -> str:
    values = {
        "exhibit_number": str(exhibit_number),
        "exhibit_id": str(exhibit_id),
        "control_number": control_number or "",
    }
    # Only the known placeholders are replaced: str.format on user text could reach attributes.
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
