"""A STAMP_REQUESTED event (../shared/contracts/events.md), validated before anything happens."""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domain.errors import PermanentError, validation_problems
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


class Template(BaseModel):
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


class StampRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event_type: Literal["STAMP_REQUESTED"] = "STAMP_REQUESTED"
    event_id: str = Field(min_length=1, max_length=200)
    case_id: int = Field(gt=0)
    occurred_at: str | None = None
    type: Literal["bates_stamp", "confidentiality_stamp", "exhibit_stamp"]
    action: Literal["apply", "remove", "update"]
    exhibit_ids: list[int] = Field(min_length=1, max_length=100_000)
    pattern_id: int | None = Field(default=None, gt=0)
    template: Template = Field(default_factory=Template)
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
    try:
        request = StampRequest.model_validate(body)
    except ValidationError as exc:
        raise PermanentError(f"The stamp request is invalid: {validation_problems(exc)}") from None
    if case_id is not None and request.case_id != case_id:
        raise PermanentError(f"The stamp request is for case {request.case_id}, not case {case_id}.")
    return request


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
