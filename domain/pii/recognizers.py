"""Pattern recognizers for personal data, each confirmed by the check its kind of number carries.

Candidates are found with regular expressions, then kept only when they pass the number's own
check (python-stdnum: the Luhn digit of a card, the mod-97 of an IBAN, the ABA checksum of a
routing number, the SSA's rules for an SSN) or, for phone numbers, libphonenumber's validity
rules. A date is a date of birth only near a birth keyword. Scores follow Presidio's scale:
1.0 certain, 0.5 a plausible pattern without confirmation.

Presidio itself needs a spaCy language model that is not installed offline; person names are found
only when a named-entity function is given (`Scanner(ner=...)`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

import phonenumbers
from stdnum import iban, luhn
from stdnum.us import rtn, ssn

SSN, CARD, IBAN, ROUTING, EMAIL, PHONE, DOB, PERSON = (
    "US_SSN",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_BANK_ROUTING",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "DATE_OF_BIRTH",
    "PERSON",
)
TYPES = (SSN, CARD, IBAN, ROUTING, EMAIL, PHONE, DOB, PERSON)


@dataclass(frozen=True)
class Match:
    """One finding in a text: its kind, where it is (character offsets), what it is, how sure."""

    type: str
    start: int
    end: int
    value: str
    score: float


def _near(text: str, start: int, end: int, words: re.Pattern[str], before: int = 60, after: int = 20) -> bool:
    """A context word shortly before or after the match, in the same sentence."""
    ahead = list(words.finditer(text, max(0, start - before), start))
    if ahead and not _SENTENCE_END.search(text, ahead[-1].end(), start):
        return True
    behind = words.search(text, end, end + after)
    return bool(behind) and not _SENTENCE_END.search(text, end, behind.start())


_SENTENCE_END = re.compile(r"[.;!?](?:\s|$)|\n\s*\n")
_SSN_WORDS = re.compile(r"\b(ssn|ss#|soc(ial)?\.?\s*sec(urity)?|taxpayer|tin)\b", re.I)
_SSN = re.compile(r"(?<![\w-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w-])")


def find_ssns(text: str) -> Iterator[Match]:
    for m in _SSN.finditer(text):
        digits = m[1] + m[3] + m[4]
        if not ssn.is_valid(digits):
            continue
        context = _near(text, m.start(), m.end(), _SSN_WORDS)
        if m[2]:  # 123-45-6789: the SSN's own shape
            score = 0.95 if context else 0.85
        else:  # nine bare digits are as often an id of something else
            if not context:
                continue
            score = 0.7
        yield Match(SSN, m.start(), m.end(), m[0], score)


# 13-19 digits, optionally in groups split by one space or dash.
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
_CARD_PREFIX = re.compile(r"^(4|5[1-5]|2[2-7]|3[47]|3[068]|6011|65|64[4-9]|62|35)")


def find_cards(text: str) -> Iterator[Match]:
    for m in _CARD.finditer(text):
        separators = set(re.sub(r"\d", "", m[0]))
        if len(separators) > 1:
            continue
        digits = re.sub(r"\D", "", m[0])
        if len(digits) < 13 or not _CARD_PREFIX.match(digits) or not luhn.is_valid(digits):
            continue
        yield Match(CARD, m.start(), m.end(), m[0], 0.95 if len(digits) in (15, 16) else 0.85)


_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")


def find_ibans(text: str) -> Iterator[Match]:
    for m in _IBAN.finditer(text):
        value = m[0].rstrip()
        # The greedy pattern may run into the next word; shrink to the longest valid IBAN.
        compact = value.replace(" ", "")
        for size in range(len(compact), 14, -1):
            if iban.is_valid(compact[:size]):
                end = m.start() + _span_of(value, size)
                yield Match(IBAN, m.start(), end, text[m.start() : end], 1.0)
                break


def _span_of(value: str, characters: int) -> int:
    """How long a prefix of `value` (with spaces) holds `characters` non-space characters."""
    seen = 0
    for i, ch in enumerate(value):
        if ch != " ":
            seen += 1
        if seen == characters:
            return i + 1
    return len(value)


_ROUTING_WORDS = re.compile(r"\b(routing|aba|rtn|transit)\b", re.I)
_ROUTING = re.compile(r"(?<![\w-])\d{9}(?![\w-])")


def find_routing_numbers(text: str) -> Iterator[Match]:
    for m in _ROUTING.finditer(text):
        if rtn.is_valid(m[0]) and _near(text, m.start(), m.end(), _ROUTING_WORDS):
            yield Match(ROUTING, m.start(), m.end(), m[0], 0.85)


_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,24}(?![\w-])"
)


def find_emails(text: str) -> Iterator[Match]:
    for m in _EMAIL.finditer(text):
        if ".." not in m[0]:
            yield Match(EMAIL, m.start(), m.end(), m[0], 1.0)


def find_phones(text: str, region: str = "US") -> Iterator[Match]:
    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    for m in matcher:
        digits = sum(c.isdigit() for c in m.raw_string)
        if digits > 11 and not m.raw_string.startswith("+"):
            continue  # a long reference number that happens to hold a dialable one
        bare = m.raw_string.isdigit()  # ten digits in a row are as often an id
        yield Match(PHONE, m.start, m.end, m.raw_string, 0.5 if bare else 0.75)


_BIRTH_WORDS = re.compile(r"\b(born|birth|birthday|birthdate|dob|d\.o\.b\.?)\b", re.I)
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATES = [
    (re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?!\d)"), ("m", "d", "y")),
    (re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"), ("y", "m", "d")),
    (re.compile(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)", re.I), ("mon", "d", "y")),
    (
        re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r",?\s+(\d{4})(?!\d)", re.I),
        ("d", "mon", "y"),
    ),
]


def _as_date(parts: dict[str, str]) -> date | None:
    try:
        month = (
            int(parts["m"])
            if "m" in parts
            else _MONTHS.index(next(n for n in _MONTHS if n.startswith(parts["mon"].lower().rstrip(".")[:3])))
            + 1
        )
        year = int(parts["y"])
        if year < 100:
            year += 1900 if year > 30 else 2000
        return date(year, month, int(parts["d"]))
    except (ValueError, StopIteration):
        return None


def find_birth_dates(text: str) -> Iterator[Match]:
    for pattern, order in _DATES:
        for m in pattern.finditer(text):
            day = _as_date(dict(zip(order, m.groups(), strict=True)))
            if day is None or not 1900 <= day.year <= date.today().year:
                continue
            if _birth_keyword_before(text, m.start()):
                yield Match(DOB, m.start(), m.end(), m[0], 0.85)


def _birth_keyword_before(text: str, start: int, reach: int = 40) -> bool:
    """A birth keyword shortly before the date, in the same sentence ("Born on 03/14/1985", "DOB: ...")."""
    keywords = list(_BIRTH_WORDS.finditer(text, max(0, start - reach), start))
    if not keywords:
        return False
    gap = text[keywords[-1].end() : start]
    return not _SENTENCE_END.search(gap) and not any(p.search(gap) for p, _ in _DATES)


#: A named-entity function: text -> (start, end, label) spans; label "PERSON" is kept.
Ner = Callable[[str], Iterable[tuple[int, int, str]]]

RECOGNIZERS: dict[str, Callable[[str], Iterator[Match]]] = {
    SSN: find_ssns,
    CARD: find_cards,
    IBAN: find_ibans,
    ROUTING: find_routing_numbers,
    EMAIL: find_emails,
    PHONE: find_phones,
    DOB: find_birth_dates,
}


def load_ner() -> Ner | None:
    """spaCy's English model when it is installed (`en_core_web_sm` or larger); None otherwise."""
    try:
        import spacy  # noqa: PLC0415 - optional
    except ImportError:
        return None
    for name in ("en_core_web_lg", "en_core_web_md", "en_core_web_sm"):
        try:
            nlp = spacy.load(name, disable=["lemmatizer", "parser"])
        except OSError:
            continue
        return lambda text: ((e.start_char, e.end_char, e.label_) for e in nlp(text).ents)
    return None
