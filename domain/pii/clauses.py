"""Where running text's sentences and clauses end, and what a colon introduces.

Labels are read within a value's sentence, but documents break sentences in odd places: abbreviations
whose dot ends nothing ("Soc. Sec. No.", "Chase Bank, N.A."), lines wrapped in the middle of a label
("Social⏎Security number", "(Soc.⏎Sec. No.)"), and fields whose name is followed by an explanation
before the colon ("SSN (per the signed authorization on file with Human Resources): 123456789"). This
module says which dot ends a sentence, which line was wrapped (running text going on, so a label at its
end still labels what starts the next line), and which label names a field a colon introduces.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from domain.pii.labels import Labels
from domain.pii.rows import NEGATIVE, NONE, POSITIVE, VALUE, is_header

if TYPE_CHECKING:
    from domain.pii.context import Page

_TOKEN_BEFORE_DOT = re.compile(r"([A-Za-z][A-Za-z.]*)$")
# Abbreviations whose dot is no sentence end ("Soc. Sec. No. 123...", "Chase Bank, N.A. 021...").
_ABBREVIATIONS = frozenset(
    [
        "no",
        "nos",
        "nr",
        "num",
        "nbr",
        "soc",
        "sec",
        "ss",
        "ssn",
        "dob",
        "acct",
        "tel",
        "ph",
        "ext",
        "mob",
        "dr",
        "mr",
        "mrs",
        "ms",
        "st",
        "ave",
        "inc",
        "co",
        "corp",
        "ltd",
        "llc",
        "jr",
        "sr",
        "dept",
        "vs",
        "etc",
        "approx",
        "est",
        "ref",
        "inv",
        "aba",
        "rtn",
        "rt",
        "univ",
        "assn",
        "bros",
        "intl",
        "natl",
    ]
)
_WRAPPED = 50  # a line at least this long that ends mid-sentence was wrapped
_CLAUSE = 160  # how far back a colon's field name may start
# What ends the clause before a colon: a sentence end, another field's colon, a semicolon, or an aside
# closed and followed by a comma or a capital ("(start date 3 May 2019), Birth Date:", "(DOB)  Today's").
_CLAUSE_END = re.compile(r"[.!?](?=\s+[\"'(]?[A-Z])|[;:]|\)(?=\s*,|\s+[A-Z])")


def sentence_end(window: str, at: int) -> bool:
    """Whether the punctuation at `window[at]` ends a sentence (not an abbreviation's dot)."""
    if window[at] != ".":
        return True
    token = _TOKEN_BEFORE_DOT.search(window, 0, at)
    if token is None:
        return True
    word = token[1].lower()
    return not (len(word) == 1 or "." in word or word in _ABBREVIATIONS)


def wraps(page: Page, line: int) -> bool:
    """Whether `line` is running text wrapped onto the next line: not ended by a sentence end, no table
    header (a label at its end then labels what starts the next line), and long, or followed by a line
    that starts in lower case (a sentence going on, however short the piece OCR or reflow left)."""
    if line < 0:
        return False
    s, e = page.line_bounds(line)
    text = page.text[s:e].rstrip()
    if not text or is_header(text.strip()):
        return False
    if text[-1] in "!?;" or (text[-1] == "." and sentence_end(text, len(text) - 1)):
        return False
    if len(text) >= _WRAPPED:
        return True
    following = page.text[e + 1 : e + 40].lstrip(" \t")
    return e < len(page.text) and following[:1].islower()


def introduced(page: Page, start: int, labels: Labels) -> int | None:
    """A value a colon introduces: the clause before the colon is its field's name, however long the
    explanation that follows the name ("ABA for the account that receives the deposit, as printed on
    the check: 021000021"), so the clause's FIRST label decides. None when no colon or no label."""
    at = start
    while at > 0 and page.text[at - 1] in " \t":
        at -= 1
    if at > 0 and page.text[at - 1] == "\n":
        at -= 1
        while at > 0 and page.text[at - 1] in " \t":
            at -= 1
    if at == 0 or page.text[at - 1] != ":":
        return None
    colon = at - 1
    line = page.line_of(colon)
    lo = page.line_bounds(line)[0]
    while colon - lo < _CLAUSE and wraps(page, line - 1):
        line -= 1
        lo = page.line_bounds(line)[0]
    lo = max(lo, colon - _CLAUSE)
    window = page.text[lo:colon].replace("\n", " ")
    cut = 0
    for m in VALUE.finditer(window):
        cut = m.end()
    for m in _CLAUSE_END.finditer(window, cut):
        if m[0] != "." or sentence_end(window, m.start()):
            cut = m.end()
    first = None
    for verdict, pattern in (
        (POSITIVE, labels.positive),
        (NEGATIVE, labels.negative),
        (POSITIVE, labels.inline),
    ):
        m = pattern.search(window, cut) if pattern is not None else None
        if m and (first is None or m.start() < first[1]):
            first = (verdict, m.start())
    if first is None:
        # A field named by other words ("Today's Date:"): labels further back name other fields.
        return NONE if re.search(r"[A-Za-z]{3}", window[cut:]) else None
    return first[0]
