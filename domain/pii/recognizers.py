"""Pattern recognizers for personal data: a pattern, then the number's own check, then its label.

Each kind is found the same way, on the page as documents write it:

1. **Folded text.** Unicode dashes and spaces and fullwidth characters are read as ASCII through a
   one-to-one table (domain/pii/text.py), so an SSN with a non-breaking hyphen matches, and every span
   is the original's: the value reported is the document's own characters.
2. **Pattern.** A regular expression per kind, refusing pieces of longer digit groups; libphonenumber's
   matcher for phone numbers ('00'/'011' international prefixes rewritten in place as '+').
3. **Check.** What the kind carries: the SSA's rules for an SSN, Luhn and the issuer's prefix and
   length for a card, mod-97 for an IBAN, the ABA checksum for a routing number, libphonenumber's
   validity for a phone, a real past date for a date of birth (python-stdnum, phonenumbers).
4. **Label.** The column header (or, in a row a PDF wrote with single spaces, the header's label at the
   value's place in order), the field a colon introduces, the words before or after it (across a line
   wrap), or a bare label on the line above (domain/pii/context.py, vocabulary in domain/pii/labels.py).
   A look-alike's label nearer than the kind's own (IMEI, invoice, SKU, P/N, account, waybill, employee
   id, hire date...) suppresses a finding. Nine bare digits are an SSN or a routing number, ten bare
   digits a phone, a date a date of birth, only when labelled so; `123-45-6789`, a Luhn-valid card and
   a formatted phone stand on their own unless labelled as something else.

Scores follow Presidio's scale: 1.0 certain, 0.5 a plausible pattern without confirmation. Person
names are found only when a named-entity function is given (`Scanner(ner=...)`; domain/pii/ner.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import phonenumbers
from stdnum import iban, luhn
from stdnum.us import rtn, ssn

from domain.pii.context import NEGATIVE, NONE, POSITIVE, Page
from domain.pii.labels import BIRTH_LABELS, CARD_LABELS, PHONE_LABELS, ROUTING_LABELS, SSN_LABELS
from domain.pii.text import plus_prefixes

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


def _page(text: str | Page) -> Page:
    return text if isinstance(text, Page) else Page(text)


def _found(kind: str, page: Page, start: int, end: int, score: float) -> Match:
    """A finding reported with the document's own characters (the folded text only served matching)."""
    return Match(kind, start, end, page.original[start:end], score)


# Digits with '-', ' ' or '.' between the groups, or none; a piece of a longer digit group is refused.
_SSN = re.compile(r"(?<![\w-])(\d{3})([- .]?)(\d{2})\2(\d{4})(?![\w-])")


def find_ssns(text: str | Page) -> Iterator[Match]:
    page = _page(text)
    for m in _SSN.finditer(page.text):
        if not ssn.is_valid(m[1] + m[3] + m[4]) or _piece_of_group(page.text, m.start(), m.end()):
            continue
        verdict = page.label(m.start(), m.end(), SSN_LABELS)
        if verdict == NEGATIVE:
            continue
        if m[2] == "-":  # 123-45-6789: the SSN's own shape
            score = 0.95 if verdict == POSITIVE else 0.85
        elif m[2]:  # 123 45 6789, 123.45.6789: the shape, written less often
            score = 0.9 if verdict == POSITIVE else 0.6
        elif verdict == POSITIVE:  # nine bare digits are as often an id of something else
            score = 0.7
        else:
            continue
        yield _found(SSN, page, m.start(), m.end(), score)


# 12-19 digits, optionally in groups split by one space or dash; the whole digit group, not a piece.
# A group of at most four digits after it continues the number (a tracking number's next group); a
# cell that follows in a row ("... 1080 02/25 $2,046.86") does not.
# Compact, or groups split by one kind of separator (4-4-4-4, 4-6-5, 4-4-4-4-3).
_CARD = re.compile(
    r"(?<![\w-])(?<!\d[ -])(?:\d{12,19}|\d{4}([ -])\d{2,6}(?:\1\d{1,6}){1,3})"
    r"(?![\w/-])(?![ -]\d{1,4}(?:[ -]|$))",
    re.M,
)
# Issuer prefixes and the lengths each issues (ISO/IEC 7812 as the networks publish them), and whether
# the number needs a card label to count (prefixes so broad that a reference number often has them).
# A 15-digit number is a card only for American Express and JCB's 2131/1800: an IMEI (15 digits, Luhn,
# TAC 35/86/01...) is not one.
_ISSUERS = [
    (re.compile(r"3[47]"), (15,), False),  # American Express
    (re.compile(r"4"), (13, 16, 19), False),  # Visa
    (re.compile(r"5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)"), (16,), False),  # Mastercard
    (re.compile(r"6011|65|64[4-9]|622"), (16, 17, 18, 19), False),  # Discover
    (re.compile(r"3(?:0[0-5]|[689])"), (14, 16), False),  # Diners Club
    (re.compile(r"35"), (16, 17, 18, 19), False),  # JCB
    (re.compile(r"2131|1800"), (15,), False),  # JCB, the older 15-digit numbers
    (re.compile(r"62"), (16, 17, 18, 19), False),  # UnionPay
    (re.compile(r"5018|5020|5038|5893|6304|6759|676[1-3]|0604|6390"), tuple(range(12, 20)), False),  # Maestro
    (re.compile(r"5[06-8]|6"), tuple(range(12, 20)), True),  # Maestro's wider ranges
]


def _issued(digits: str, labelled: bool) -> bool:
    return any(
        prefix.match(digits) and len(digits) in lengths and (labelled or not needs_label)
        for prefix, lengths, needs_label in _ISSUERS
    )


def find_cards(text: str | Page) -> Iterator[Match]:
    page = _page(text)
    for m in _CARD.finditer(page.text):
        if len(set(re.sub(r"\d", "", m[0]))) > 1:
            continue  # mixed separators: several numbers side by side
        digits = re.sub(r"\D", "", m[0])
        if not _issued(digits, labelled=True) or not luhn.is_valid(digits):
            continue
        verdict = page.label(m.start(), m.end(), CARD_LABELS)
        if verdict == NEGATIVE or not _issued(digits, labelled=verdict == POSITIVE):
            continue  # an IMEI, a serial or a reference number that passes Luhn
        yield _found(CARD, page, m.start(), m.end(), 0.95 if len(digits) in (15, 16) else 0.85)


_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])")


def find_ibans(text: str | Page) -> Iterator[Match]:
    page = _page(text)
    for m in _IBAN.finditer(page.text):
        value = m[0].rstrip()
        # The greedy pattern may run into the next word; shrink to the longest valid IBAN. A lowercase
        # one counts when it validates upper-cased (the check digits still have to agree).
        compact = value.replace(" ", "").upper()
        for size in range(len(compact), 14, -1):
            if iban.is_valid(compact[:size]):
                yield _found(IBAN, page, m.start(), m.start() + _span_of(value, size), 1.0)
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


_ROUTING = re.compile(r"(?<![\w-])\d{9}(?![\w-])")


def find_routing_numbers(text: str | Page) -> Iterator[Match]:
    page = _page(text)
    for m in _ROUTING.finditer(page.text):
        if not rtn.is_valid(m[0]) or _piece_of_group(page.text, m.start(), m.end()):
            continue
        verdict = page.label(m.start(), m.end(), ROUTING_LABELS)
        if verdict == NONE and page.table_says(m.start(), ROUTING_LABELS):
            verdict = POSITIVE  # a bank's row in a table whose header names routing numbers
        if verdict == POSITIVE:
            yield _found(ROUTING, page, m.start(), m.end(), 0.85)


_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,24}(?![\w-])"
)


def find_emails(text: str | Page) -> Iterator[Match]:
    page = _page(text)
    for m in _EMAIL.finditer(page.text):
        if ".." not in m[0]:
            yield _found(EMAIL, page, m.start(), m.end(), 1.0)


# How North American numbers are written (digit groups): 212-555-0143, 1 (212) 555-0143, 212 5550143.
_NANP_GROUPS = frozenset({(10,), (11,), (3, 3, 4), (1, 3, 3, 4), (3, 7), (1, 3, 7), (1, 10), (3, 3, 2, 2)})


# "+34 (0)91 229 97 14": the national trunk prefix written in brackets inside an international number is
# not dialled from abroad; libphonenumber refuses it, so it is read as spaces (same length).
_TRUNK = re.compile(r"(\+\d{1,3}[ .-]?)\(0\)")


def _without_dates(text: str, page: Page) -> str:
    """`text` with the page's dates written as spaces (same length). libphonenumber drops a whole candidate
    that holds a slash date, so a phone followed by a date one space away ("612-259-4480 10/31/2020", a
    row of a PDF table) would be lost; no date is part of a phone number."""
    spans = page.dates()
    if not spans:
        return text
    chars = list(text)
    for start, end, _ in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def find_phones(text: str | Page, region: str = "US") -> Iterator[Match]:
    page = _page(text)
    dialled, prefixes = plus_prefixes(page.text)
    dialled = _without_dates(_TRUNK.sub(lambda m: m[1] + "   ", dialled), page)
    # POSSIBLE, then validity checked here: a number labelled as a phone counts even when its area code
    # is not (yet) assigned; an unlabelled one must be valid.
    matcher = phonenumbers.PhoneNumberMatcher(dialled, region, leniency=phonenumbers.Leniency.POSSIBLE)
    found: list[tuple[int, int]] = []
    for m in matcher:
        start, end = m.start, m.end
        # '00 44 ...' was read as '  +44 ...': the number starts where its prefix does.
        start = next((s for s, e in prefixes if s <= start < e), start)
        extension = m.number.extension or ""
        number = m.raw_string[: len(m.raw_string) - len(extension)]  # the extension aside
        digits = sum(c.isdigit() for c in m.raw_string) - len(extension)
        if digits > 11 and not m.raw_string.startswith("+"):
            continue  # a long reference number that happens to hold a dialable one
        if _attached(page.text, start, end):
            continue  # INV-2019-035702, a piece of a spaced tracking number
        verdict = page.label(start, end, PHONE_LABELS)
        if verdict == NEGATIVE:
            continue  # SKU 619-790-8432, P/N 80-4547-0542, an account or waybill number
        if m.number.country_code == 1 and not m.raw_string.startswith("+") and verdict != POSITIVE:
            groups = tuple(len(g) for g in re.findall(r"\d+", number))
            if groups not in _NANP_GROUPS:
                continue  # "12 3456 7890": a waybill's grouping, not a North American number's
        bare = number.strip().isdigit()
        if bare and verdict != POSITIVE:
            continue  # ten digits in a row are an id more often than a phone, unless labelled one
        if not phonenumbers.is_valid_number(m.number) and (verdict != POSITIVE or digits < 10):
            continue  # an unassigned area code counts in a labelled, full-length number only
        found.append((start, end))
        yield _found(PHONE, page, start, end, 0.75)
    yield from _labelled_national_phones(page, found)


# Where a phone label introduces a number that region US cannot read ("Tel. 0161 496 0905", "Telefon:
# (030) 123456"), the regions whose national formats documents most often carry are tried in turn. Only
# digit runs that nothing else claimed are looked at, and only when a phone label ends right before them.
_OTHER_REGIONS = ("GB", "DE", "FR", "IT", "ES", "NL", "IE", "AU", "IN")
_DIGIT_RUN = re.compile(r"[(+]?\d[\d ()./-]{5,18}\d")
# On the label's line: a header's last word ("... Hire Date Mobile") labels no number on the row below.
# "reach her on", "call me at": a pronoun and a preposition may stand between the verb and the number.
_LABEL_GAP = re.compile(
    r"[ \t:.#-]*(?:(?:no|nr|number)\.?[ \t:.#-]*)?(?:(?:me|us|him|her|them) +)?(?:(?:on|at) +)?", re.I
)


def _labelled_national_phones(page: Page, found: list[tuple[int, int]]) -> Iterator[Match]:
    for run in _DIGIT_RUN.finditer(page.text):
        if any(run.start() < e and s < run.end() for s, e in found):
            continue
        before = page.text[max(0, run.start() - 24) : run.start()]
        label = next(reversed(list(PHONE_LABELS.positive.finditer(before))), None)
        if label is None or _LABEL_GAP.fullmatch(before, label.end()) is None:
            # or the kind of line in brackets right after it: "0115 496 0022 (mobile)"
            after = page.text[run.end() : run.end() + 16]
            if not (after.startswith(" (") and PHONE_LABELS.positive.match(after, 1)):
                continue
        window = page.text[run.start() : run.start() + 40].split("\n", 1)[0]
        for region in _OTHER_REGIONS:
            matcher = phonenumbers.PhoneNumberMatcher(window, region, leniency=phonenumbers.Leniency.POSSIBLE)
            m = next(iter(matcher), None)
            if m is None or m.start > 1:
                continue
            start, end = run.start() + m.start, run.start() + m.end
            # Valid, or long enough to be a subscriber's whole number (an unassigned range still counts).
            whole = len(phonenumbers.national_significant_number(m.number)) >= 8
            if (whole or phonenumbers.is_valid_number(m.number)) and not _attached(page.text, start, end):
                found.append((start, end))
                yield _found(PHONE, page, start, end, 0.75)
            break


def _attached(text: str, start: int, end: int) -> bool:
    """Whether the number continues a word on either side ("INV-2019-035702") or is a piece of a longer
    digit group ("1Z 999 AA1 01 2345 6784")."""
    before = text[max(0, start - 2) : start].rjust(2)
    after = text[end : end + 2].ljust(2)
    return (
        before[1].isalnum()
        or (before[1] in "-/#" and before[0].isalnum())
        or after[0].isalnum()
        or (after[0] in "-/" and after[1].isalnum())
        or _piece_of_group(text, start, end)
    )


# A group is a bare run of digits: "14" of "14-Jul-1962" or "28" of "28.10.1956" is part of a date, the
# next or previous cell of a row a PDF wrote with single spaces, not a piece of the same number.
_GROUP_BEFORE = re.compile(r"(?<![\w/-])(?<!\d\.)\d{1,5}[ .]$")
_GROUP_AFTER = re.compile(r"[ .]\d{1,5}(?![\w/-]|\.\d)")


def _piece_of_group(text: str, start: int, end: int) -> bool:
    """Whether a short digit group sits one space or dot away on either side: spaced tracking and
    reference numbers ("9400 1000 0000 ...") hold valid-looking pieces. A long number beside it is a
    neighbouring cell ("Jane Roe 482913311 123456789" in a row a PDF wrote with single spaces)."""
    return bool(_GROUP_BEFORE.search(text, max(0, start - 7), start) or _GROUP_AFTER.match(text, end))


def find_birth_dates(text: str | Page) -> Iterator[Match]:
    """A past date labelled as a birth date: "DOB", "D.O.B.", "born", "(date of birth)", a "Date of Birth"
    column. Another date's label nearer (hire date, date of service, invoice, due, signed) suppresses it."""
    page = _page(text)
    for start, end, _ in page.dates():
        if page.label(start, end, BIRTH_LABELS) == POSITIVE:
            yield _found(DOB, page, start, end, 0.85)


#: A named-entity function: text -> (start, end, label) spans; label "PERSON" is kept.
Ner = Callable[[str], Iterable[tuple[int, int, str]]]

RECOGNIZERS: dict[str, Callable[..., Iterator[Match]]] = {
    SSN: find_ssns,
    CARD: find_cards,
    IBAN: find_ibans,
    ROUTING: find_routing_numbers,
    EMAIL: find_emails,
    PHONE: find_phones,
    DOB: find_birth_dates,
}


def load_ner() -> Ner | None:
    """spaCy's English NER when a pipeline is installed (the optional `ner` group); None otherwise."""
    from domain.pii.ner import load_ner as load  # noqa: PLC0415 - spaCy is optional and slow to import

    return load()
