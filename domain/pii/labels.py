"""The words that say what a number is: for each kind, the labels that name it and those that name
something else that looks like it.

A nine-digit number is an SSN, a routing number, an employee id or an invoice number according to
its label, so every kind has positive labels (its own names) and negative ones (the names of the
identifiers it is confused with). Labels are matched with their abbreviations as people and forms
write them, dotted or spaced ("S.S.N.", "Soc. Sec. No.", "SS#", "D.O.B.", "ABA No.", "R/T") and with
the cheap OCR confusions (0 for O, 5 for S). Boundaries are letters only, so "SS#" and "P/N" keep
their punctuation and "ph" does not match inside "phone".
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _words(*alternatives: str) -> str:
    return r"(?<![A-Za-z])(?:" + "|".join(alternatives) + r")(?![A-Za-z])"


def _dotted(letters: str) -> str:
    """An abbreviation with optional dots or single spaces between its letters: ssn, S.S.N., S S N."""
    return r"\.?\s?".join(letters) + r"\.?"


_NO = r"(?:\s*(?:no\.?|nos?\.?|num\.?|nbr\.?|number|#|id))?"

# What OCR makes of a label's letters on a poor scan: "Soc. Scc.", "Securlty numbcr", "Socia1", "0ur".
_OCR = {"c": "[ce]", "e": "[ec]", "l": "[l1i]", "i": "[il1]", "o": "[o0]", "s": "[s5]", "m": "(?:m|rn)"}


def _ocr(word: str) -> str:
    """`word` (plain letters) as OCR may read it: each letter or its usual confusions."""
    return "".join(_OCR.get(ch, ch) for ch in word)


SSN_WORDS = _words(
    _ocr("social") + r"\s*" + _ocr("security"),
    _ocr("soc") + r"\.?\s*" + _ocr("sec") + r"\.?",
    _dotted("ssn"),
    r"[s5][s5]n",
    r"ss\s*#",
    r"ss\s*(?:no\.?|number)",
    _dotted("ss") + r"\s*(?:no\.?|number|#)",  # "S.S. No.", "S. S. #"
    r"ssa\s*(?:no\.?|number)",
    r"taxpayer\s*id(?:entification)?",
    r"tin",
)
PHONE_WORDS = _words(
    r"tel(?:ephone|efon|[ée]fono|[ée]phone)?\.?",
    r"phone",
    r"ph\.?",
    r"mob(?:ile)?\.?",
    r"cell(?:phone|ular)?",
    r"fax",
    r"call(?:s|ed|ing)?",
    r"dial",
    r"direct(?:\s*line)?",
    r"contact",
    r"reach(?:ed)?",
    r"text",
    r"whatsapp",
    r"landline",
    r"hotline",
    r"switchboard",
    r"(?:office|home|work|main)\s*(?=:)",
    r"(?:office|home|work|direct|phone)\s+line",  # "the office line is ..."
    # "612-555-0143 (office)", as OCR may read it ("(0ffice)"): the kind of line in brackets after it
    r"\(\s*(?:"
    + "|".join(_ocr(w) for w in ("office", "home", "work", "mobile", "cell", "direct"))
    + r")\s*\)",
    r"[TMFPOHWC]\s*(?=:)",  # "T: 212 ...", "M: ..." as letterheads write them
)
ROUTING_WORDS = _words(
    _ocr("routing"),
    r"a\.?\s?[b8]\.?\s?a\.?",  # ABA, A.B.A., OCR's "A8A"
    r"aba\s*#",
    r"rtn",
    r"r\s*/\s*t",
    r"rt\s*#",
    r"transit",
)
CARD_WORDS = _words(
    r"credit\s*card",
    r"debit\s*card",
    r"card",
    r"visa",
    r"master\s*card",
    r"amex",
    r"american\s*express",
    r"discover",
    r"cc\s*#",
    r"pan",
)
BIRTH_WORDS = _words(
    r"born",
    r"birth\s*(?:date|day)?",
    r"birthdate",
    r"birthday",
    r"date\s*of\s*birth",
    _ocr("date") + r"\s*" + _ocr("of") + r"\s*" + _ocr("birth"),  # "Datc 0f Blrth"
    _ocr("birth") + r"\s*" + _ocr("date"),
    r"d\.?\s?[o0]\.?\s?[b8]\.?",  # OCR reads B as 8: "DO8"
    r"8irth",
    # How forms in the languages of the set's locales name it.
    r"geburtsdatum",
    r"geb\.",
    r"date\s*de\s*naissance",
    r"fecha\s*de\s*nacimiento",
    r"data\s*di\s*nascita",
    r"geboortedatum",
    r"d\s*/\s*[o0]\s*/\s*b",
    r"n[ée]e?\s+(?:le|am)",
)

# Identifiers that are not personal data but look like it: every kind of number refuses these labels.
_ID_WORDS = [
    r"inv(?:oice)?\.?" + _NO,
    r"p\.?\s?o\.?(?!\s*box)" + _NO,
    r"purchase\s*order",
    r"[s5]ku",
    r"part" + _NO,
    r"p\s*/\s*n",
    r"item" + _NO,
    r"model" + _NO,
    r"order" + _NO,
    _ocr("ref") + "(?:" + _ocr("erence") + r")?\.?" + _NO,  # also OCR's "Rcf.", "Refcrencc"
    r"claim" + _NO,
    r"case" + _NO,
    r"docket",
    r"tracking",
    r"waybill",
    r"awb",
    r"shipment",
    r"consignment",
    r"customer",
    r"cust\.?" + _NO,
    r"member" + _NO,
    r"policy",
    r"loan",
    r"confirmation",
    r"ticket",
    r"transaction",
    r"txn",
    r"batch",
    r"bates",
    r"serial",
    r"s\s*/\s*n",
    r"imei",
    r"meid",
    r"esn",
    r"iccid",
    r"device",
    r"emp(?:loyee)?\.?\s*(?:id|no\.?|num|number|#)",
    r"staff\s*(?:id|no\.?|number)",
    r"personnel\s*(?:id|no\.?|number)",
    r"badge",
    _dotted("ein"),
    r"fein",
    r"employer\s*id(?:entification)?",
    r"federal\s*tax\s*id",
    r"license",
    r"licence",
    r"patient\s*id",
    r"mrn",
    r"npi",
    r"isbn",
    r"version",
]
_ACCOUNT = [r"acc(?:oun)?t\.?" + _NO, r"a/c"]
_SSN_OTHERS = [r"credit\s*card", r"card\s*(?:no|number|#)", r"visa", r"master\s*card"]

DATE_WORDS = _words(
    r"hire[ds]?",
    r"hiring",
    r"date\s*of\s*(?:service|hire|loss|injury|incident|death|admission|discharge)",
    r"dos",
    r"service",
    r"due",
    r"signed",
    r"dated",
    r"effective",
    r"issued?",
    r"exp(?:ires|iry|iration|\.)?",
    r"start(?:ed|ing)?",
    r"end(?:ed|ing)?",
    r"terminat(?:ed|ion)",
    r"meeting",
    r"shipped",
    r"delivered",
    r"delivery",
    r"filed",
    r"received",
    r"sent",
    r"paid",
    r"payment",
    r"posted",
    r"admitted",
    r"discharged",
    r"visit",
    r"died",
    r"death",
    r"deceased",
    r"closing",
    r"closed",
    r"executed",
    r"as\s*of",
    r"period",
    r"statement",
    r"updated",
    r"created",
    r"modified",
    r"joined",
    r"enrolled",
    r"enrollment",
    r"invoice",
    r"order(?:ed)?",
    r"purchase(?:d)?",
)


@dataclass(frozen=True)
class Labels:
    """What names a kind (`positive`), what names its look-alikes (`negative`), and how far from the value
    a negative label may stand and still suppress it (a phone in prose is not an account's just because
    "account" came up a sentence-part earlier)."""

    positive: re.Pattern[str]
    negative: re.Pattern[str]
    negative_reach: int = 60
    #: Words that label the kind in running text but name no column of a table ("Chase Bank, N.A.
    #: 021000021": a bank's name before its routing number; a roster's "Bank" column holds names).
    inline: re.Pattern[str] | None = None
    #: Whether the kind's values are dates (a table's row is then read for dates, not numbers).
    of_dates: bool = False


def _compile(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


SSN_LABELS = Labels(
    _compile(SSN_WORDS),
    _compile(_words(*_ID_WORDS, *_ACCOUNT, *_SSN_OTHERS), PHONE_WORDS, ROUTING_WORDS),
)
CARD_LABELS = Labels(_compile(CARD_WORDS), _compile(_words(*_ID_WORDS), SSN_WORDS, ROUTING_WORDS))
# "Customer service: 1-800 ..." and "device" say nothing against a phone number.
_PHONE_IDS = [w for w in _ID_WORDS if w not in ("customer", "device")]
PHONE_LABELS = Labels(
    _compile(PHONE_WORDS),
    _compile(_words(*_PHONE_IDS, *_ACCOUNT), SSN_WORDS, ROUTING_WORDS),
    negative_reach=25,
)
ROUTING_LABELS = Labels(
    _compile(ROUTING_WORDS),
    _compile(_words(*_ID_WORDS, *_ACCOUNT), SSN_WORDS, PHONE_WORDS),
    inline=_compile(_words(r"bank(?:,?\s*n\.\s?a\.)?", r"n\.\s?a\.", r"bancorp", r"credit\s*union")),
)
# A date is labelled by what happened on it; an id label ("license", "case") near a date says nothing.
BIRTH_LABELS = Labels(_compile(BIRTH_WORDS), _compile(DATE_WORDS), of_dates=True)

#: Any label of any kind: what makes a table row a header row.
ANY_LABEL = _compile(
    SSN_WORDS, PHONE_WORDS, ROUTING_WORDS, CARD_WORDS, BIRTH_WORDS, DATE_WORDS, _words(*_ID_WORDS, *_ACCOUNT)
)
