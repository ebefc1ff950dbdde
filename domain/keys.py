"""Object keys and case prefixes: every key a case's work touches lives under case_{id}/."""

from __future__ import annotations

import re

from domain.errors import InvalidCaseId, InvalidKeyError

_SEGMENT_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\]")


def validate_case_id(case_id: object) -> int:
    """Return the case id as an int, refusing anything but a positive whole number."""
    if isinstance(case_id, bool):
        raise InvalidCaseId(case_id=case_id)
    if isinstance(case_id, int):
        value = case_id
    elif isinstance(case_id, str) and case_id.isascii() and case_id.isdigit():
        value = int(case_id)
    else:
        raise InvalidCaseId(case_id=repr(case_id))
    if value <= 0:
        raise InvalidCaseId(case_id=value)
    return value


def case_prefix(case_id: object) -> str:
    return f"case_{validate_case_id(case_id)}/"


def clean_relative_key(relative: str) -> str:
    """Validate a key relative to a case prefix; refuse anything that could escape it.

    Refused: empty keys, absolute keys, '.' or '..' segments, empty segments,
    backslashes and control characters. Keys are never 'repaired' silently: a
    hostile key is an error that names the key.
    """
    if not isinstance(relative, str) or not relative:
        raise InvalidKeyError("An object key is empty.", key=repr(relative))
    if relative.startswith("/"):
        raise InvalidKeyError("An object key may not be absolute.", key=relative)
    segments = relative.split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise InvalidKeyError("An object key may not hold empty, '.' or '..' parts.", key=relative)
        if _SEGMENT_FORBIDDEN.search(segment):
            raise InvalidKeyError("An object key holds a backslash or control character.", key=relative)
    if len(relative.encode("utf-8")) > 900:
        raise InvalidKeyError("An object key is longer than 900 bytes.", key=relative[:80] + "...")
    return relative


def case_key(case_id: object, relative: str) -> str:
    """The full key of `relative` inside the case's prefix."""
    return case_prefix(case_id) + clean_relative_key(relative)


def relative_to_case(case_id: object, full_key: str) -> str:
    """Strip the case prefix from a full key, refusing keys of another case."""
    prefix = case_prefix(case_id)
    if not isinstance(full_key, str) or not full_key.startswith(prefix):
        raise InvalidKeyError("An object key belongs to another case.", key=full_key, case_id=case_id)
    return clean_relative_key(full_key[len(prefix) :])
