"""Rows a PDF wrote with single spaces: a header's labels matched to a row's values by their order.

Text extracted from a PDF table (pdfium) often separates cells by one space, like the words inside a
cell: `Emp # Name SS# Hire Date` over `439456975 Rosario Bilbao 432054856 02/09/2017`. Cells cannot
be told apart, so columns cannot be counted; but the header's labels and the row's values come in the
same order. For one kind of value, the header's labels that matter to it (its own names and its
look-alikes', `Emp #` then `SS#`; `Birth Date` then `Start Date`) are paired in order with the row's
values of that sort (numbers for numbers, dates for dates), and the i-th value takes the i-th label, when
the counts agree. When they do not (an unlabelled column of numbers, a label without a value), nothing is
decided here and the line's own words decide.

A header is the nearest line above a block of value-bearing lines (no blank line between) that holds no
value, names at least two kinds of value, reads as a heading rather than a sentence, and is short.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from domain.pii.dates import dates
from domain.pii.labels import ANY_LABEL, Labels

if TYPE_CHECKING:
    from domain.pii.context import Page

POSITIVE, NONE, NEGATIVE = 1, 0, -1

VALUE = re.compile(r"\d(?:[-/.,]?\d){2,}")  # a value: three digits or more
_RULE = re.compile(r"[-=_ ]+")  # a dashed rule under or over a header
_HEADER_MAX = 160
_BLOCK = 20  # rows a header may sit above its row
# A number as a cell holds it: digit groups of at most four (phones, spaced SSNs and cards, extension
# included), or a token with five digits in a row (ids, compact numbers, "AT-63118", "E73757").
_NUMBER = re.compile(
    r"(?<!\S)[+(]?\d{1,4}\)?(?:[ .-]\(?\d{1,4}\)?){2,}(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?=[,;]?(?:\s|$))"
    r"|(?<!\S)[^\s\d]*\d{5,}\S*",
    re.I,
)
_EMAIL = re.compile(r"\S+@\S+")


def plain_header(page: Page, line: int) -> int | None:
    """The header line over the block of single-spaced rows `line` is in, or None."""
    cache = page.plain_headers
    if line in cache:
        return cache[line]
    found, at, passed = None, line - 1, [line]
    while at >= 0 and line - at <= _BLOCK:
        start, end = page.line_bounds(at)
        text = page.text[start:end].strip()
        if not text:
            break  # a blank line ends the table
        if _RULE.fullmatch(text):
            at -= 1
            continue
        if VALUE.search(text):
            if at in cache:  # a row of the same block, already walked
                found = cache[at]
                break
            passed.append(at)
            at -= 1
            continue
        found = at if is_header(text) else None
        break
    for seen in passed:
        cache[seen] = found
    return found


def is_header(text: str) -> bool:
    """Whether a value-free line reads as a table's header: short, two labels or more, no sentence."""
    if len(text) > _HEADER_MAX or VALUE.search(text) or re.search(r"[:;,!?]$|:\s", text):
        return False
    labels = sum(1 for _ in ANY_LABEL.finditer(text))
    # Headings are capitalised words ("Date Hired", "Mobile No."); a sentence has lower-case words
    # besides its labels. One label is not enough: a section's title ("Deposit account") or a letterhead
    # ("COHEN, BATES AND SCOTT") reads like a one-column header and heads nothing.
    lower = len(re.findall(r"(?<![A-Za-z])[a-z]{3,}", ANY_LABEL.sub(" ", text)))
    return labels >= 2 and lower < 2


def aligned(page: Page, start: int, labels: Labels) -> int:
    """The verdict of the header label paired with the value at `start`; NONE when nothing pairs."""
    line = page.line_of(start)
    header = plain_header(page, line)
    if header is None:
        return NONE
    hs, he = page.line_bounds(header)
    found = [(m.start(), m.end(), POSITIVE) for m in labels.positive.finditer(page.text, hs, he)]
    found += [(m.start(), m.end(), NEGATIVE) for m in labels.negative.finditer(page.text, hs, he)]
    found.sort(key=lambda f: (f[0], -f[1]))
    heads: list[int] = []
    reach = -1
    for s, e, verdict in found:
        if s >= reach:  # overlapping matches are one label
            heads.append(verdict)
            reach = e
    if not heads:
        return NONE
    ls, le = page.line_bounds(line)
    row = page.text[ls:le]
    if labels.of_dates:
        units = _disjoint((s, e) for s, e, _ in dates(row))
    else:
        blank = _blanked(row)
        units = [m.span() for m in _NUMBER.finditer(blank)]
    if len(units) != len(heads):
        return NONE
    at = start - ls
    for (s, e), verdict in zip(units, heads, strict=True):
        if s <= at < e:
            return verdict
    return NONE


def _blanked(row: str) -> str:
    """The row with its dates and addresses blanked out (same length): they are no numbers."""
    chars = list(row)
    spans = [(s, e) for s, e, _ in dates(row)] + [m.span() for m in _EMAIL.finditer(row)]
    for s, e in spans:
        chars[s:e] = " " * (e - s)
    return "".join(chars)


def _disjoint(spans) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if not out or s >= out[-1][1]:
            out.append((s, e))
    return out


def split_cells(text: str, separator: str) -> list[tuple[int, int]]:
    spans, at = [], 0
    for piece in text.split(separator):
        spans.append((at, at + len(piece)))
        at += len(piece) + 1
    return spans


def csv_cells(text: str) -> list[tuple[int, int]]:
    """Comma-separated cells, a quoted cell's commas kept inside it."""
    spans, at, quoted = [], 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            spans.append((at, i))
            at = i + 1
    spans.append((at, len(text)))
    return spans
