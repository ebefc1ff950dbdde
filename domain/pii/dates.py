"""Dates as documents write them: month-first and day-first, ISO, month names and two-digit years.

`03/04/1962` is read month-first (the US way) unless its first number is above 12 (`21/01/1980`);
with dots (`21.01.1980`, `04.05.1971`) it is read day-first, the European way, unless that is no date.
Month names go either side of the day (`16-Feb-1963`, `16 February 1963`, `Feb 16, 1963`). A
two-digit year is in the last hundred years. Whether a date is a date of birth is the context's
question (domain/pii/context.py), not this module's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?![A-Za-z])"
)
_NUMERIC = re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/-])(?!\.\d)")
_ISO = re.compile(r"(?<![\d/.-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d/-])(?!\.\d)")
_DAY_MONTH = re.compile(
    r"(?<![\w/.-])(\d{1,2})(?:st|nd|rd|th)?[\s/.-]*(?:of\s+)?"
    + _MONTH
    + r"[\s/.,-]*(\d{4}|'?\d{2})(?![\w/])",
    re.I,
)
_MONTH_DAY = re.compile(
    r"(?<![A-Za-z])" + _MONTH + r"[\s/.-]*(\d{1,2})(?:st|nd|rd|th)?,?[\s/.,-]+(\d{4}|'\d{2})(?![\w/])", re.I
)


def _year(text: str, today: date) -> int:
    year = int(text.lstrip("'"))
    if len(text.lstrip("'")) == 2:
        year += 1900 if year > today.year % 100 else 2000
    return year


def _day(year: int, month: int, day: int, today: date) -> date | None:
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    return found if year >= 1900 and found <= today else None


def dates(text: str, today: date | None = None) -> Iterator[tuple[int, int, date]]:
    """Every past date written in `text` (since 1900): its span and the day it names."""
    today = today or date.today()
    for m in _NUMERIC.finditer(text):
        a, b, year = int(m[1]), int(m[3]), _year(m[4], today)
        if m[2] == "." or a > 12:  # day-first: dotted (European), or a first number no month can be
            found = _day(year, b, a, today) or _day(year, a, b, today)
        else:
            found = _day(year, a, b, today) or _day(year, b, a, today)
        if found:
            yield m.start(), m.end(), found
    for m in _ISO.finditer(text):
        found = _day(int(m[1]), int(m[3]), int(m[4]), today)
        if found:
            yield m.start(), m.end(), found
    for m in _DAY_MONTH.finditer(text):
        found = _day(_year(m[3], today), _MONTHS.index(m[2][:3].lower()) + 1, int(m[1]), today)
        if found:
            yield m.start(), m.end(), found
    for m in _MONTH_DAY.finditer(text):
        found = _day(_year(m[3], today), _MONTHS.index(m[1][:3].lower()) + 1, int(m[2]), today)
        if found:
            yield m.start(), m.end(), found
