"""What a candidate number is labelled as: its column's header, the words before and after it on its line,
or a label on the line above.

Documents label values by lines and cells, not sentences: "S.S.N. 123456789", "Date of birth:" on one
line and the date on the next, a roster whose "SSN" header sits forty rows above the number. So a
candidate's context, in the order that decides:

1. **Its column's header**, when its line is a table row: cells split by tabs (how spreadsheet natives
   are converted: one row per line, the first row the header), pipes, runs of two or more spaces (how
   PDF text keeps columns), or commas (CSV). The header is the nearest row upward, past rows of the
   same shape, that has no number in it and names some kind of value. A header that names the kind (or
   a look-alike) decides for every cell under it; one that names neither leaves it to the line.
2. **The words before it** on its line (up to 60 characters), stopping at a previous value (any run of
   three or more digits) or a sentence end. Dots in "No.", "S.S.N.", "N.A." end no sentence.
3. **The words after it** (up to 30 characters), when nothing before it was a label: "(date of
   birth)". A label followed by its own value ("... Account No. 5501") labels that value, not this one.
4. **The line above**, when it is a bare label ("Social Security Number:") and the value starts its line.

Before the value, the nearest label decides: a look-alike's label nearer than the kind's own suppresses
it (within the kind's `negative_reach`: a phone is not an account's because "account" came up earlier).
Only candidates ask for context, and a page's lines, rows and headers are worked out once, lazily.
"""

from __future__ import annotations

import bisect
import re

from domain.pii.labels import ANY_LABEL, Labels
from domain.pii.text import fold

POSITIVE, NONE, NEGATIVE = 1, 0, -1

BEFORE, AFTER = 60, 30
_VALUE = re.compile(r"\d(?:[-/.,]?\d){2,}")  # a previous or next value: three digits or more
_END = re.compile(r"[.!?](?=\s+[\"'(]?[A-Z])|;|\n")
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
_NEXT_VALUE = re.compile(r"\s*(?:no\.?|num\.?|number|#|id)?\s*[:#=]?\s*[-(+$]?\d|\s*[:#]", re.I)
_BARE_LABEL_LINE = 60
_HEADER_CELL = 40
_WALK = 300  # rows a header may sit above its cell
_WALK_PLAIN = 20  # lines a header may sit above a row whose cells are not told apart


def _sentence_end(window: str, at: int) -> bool:
    """Whether the punctuation at `window[at]` ends a sentence (not an abbreviation's dot)."""
    if window[at] != ".":
        return True
    token = _TOKEN_BEFORE_DOT.search(window, 0, at)
    if token is None:
        return True
    word = token[1].lower()
    return not (len(word) == 1 or "." in word or word in _ABBREVIATIONS)


class Page:
    """One page's text, folded for matching (`text`, same length as `original`), with its lines, table rows
    and column headers worked out on demand."""

    def __init__(self, text: str) -> None:
        self.original = text
        self.text = fold(text)
        self._starts: list[int] | None = None
        self._rows: dict[int, tuple[str, list[tuple[int, int]]] | None] = {}
        self._headers: dict[int, int | None] = {}

    # -- lines and rows -------------------------------------------------------------------------------

    def _line_starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        return self._starts

    def line_of(self, position: int) -> int:
        return bisect.bisect_right(self._line_starts(), position) - 1

    def line_bounds(self, line: int) -> tuple[int, int]:
        starts = self._line_starts()
        start = starts[line]
        end = starts[line + 1] - 1 if line + 1 < len(starts) else len(self.text)
        return start, end

    def row(self, line: int) -> tuple[str, list[tuple[int, int]]] | None:
        """The line as a table row: its kind of separator and its cells' spans; None for a plain line."""
        if line not in self._rows:
            self._rows[line] = self._split(line)
        return self._rows[line]

    def _split(self, line: int) -> tuple[str, list[tuple[int, int]]] | None:
        start, end = self.line_bounds(line)
        text = self.text[start:end]
        if "\t" in text:
            kind, cells = "tab", _pieces(text, "\t")
        elif "|" in text:
            kind, cells = "pipe", _pieces(text, "|")
            if text.strip().startswith("|") and cells:
                cells = cells[1:]
            if text.strip().endswith("|") and cells:
                cells = cells[:-1]
        elif re.search(r"\S {2,}\S", text):
            kind, cells = "space", [m.span() for m in re.finditer(r"\S+(?: \S+)*", text)]
        elif "," in text:
            kind, cells = "comma", _csv_cells(text)
        else:
            return None
        if len(cells) < 2:
            return None
        return kind, [(start + s, start + e) for s, e in cells]

    def _header_line(self, line: int) -> int | None:
        """The nearest header row above `line` within its table, or None."""
        if line in self._headers:
            return self._headers[line]
        shape = self.row(line)
        passed, found, at = [line], None, line - 1
        # A spreadsheet's sheet has one header over any number of rows; text tables are shorter, and a
        # bound keeps a page of two-column prose from reaching a "header" far away.
        reach = len(self._line_starts()) if shape is not None and shape[0] == "tab" else _WALK
        while shape is not None and at >= 0 and line - at <= reach:
            start, end = self.line_bounds(at)
            if not self.text[start:end].strip():
                at -= 1
                continue
            other = self.row(at)
            if other is None or other[0] != shape[0]:
                break
            if shape[0] == "comma" and len(other[1]) != len(shape[1]):
                break
            if self._header_like(at):
                found = at
                break
            if at in self._headers:  # a data row of the same table, already walked
                found = self._headers[at]
                break
            passed.append(at)
            at -= 1
        for seen in passed:
            self._headers[seen] = found
        return found

    def _header_like(self, line: int) -> bool:
        start, end = self.line_bounds(line)
        text = self.text[start:end]
        cells = self.row(line)
        return (
            cells is not None
            and not re.search(r"\d{3}", text)
            and not any(self.text[s:e].rstrip().endswith(":") for s, e in cells[1])  # "Name:  Jane": a form
            and all(e - s <= _HEADER_CELL for s, e in cells[1])
            and ANY_LABEL.search(text) is not None
        )

    def column_header(self, start: int, end: int) -> str | None:
        """The header of the column the span [start, end) is in, when its line is a table row under one."""
        line = self.line_of(start)
        row = self.row(line)
        if row is None:
            return None
        header_line = self._header_line(line)
        if header_line is None:
            return None
        kind, cells = row
        column = next((i for i, (s, e) in enumerate(cells) if s <= start < e), None)
        header = self.row(header_line)
        if column is None or header is None:
            return None
        if column > 0 and self.text[cells[column - 1][0] : cells[column - 1][1]].rstrip().endswith(":"):
            return None  # "Date of birth:   04/05/1971": a form's field, labelled on its own line
        head_cells = header[1]
        if len(head_cells) == len(cells) or (kind != "space" and column < len(head_cells)):
            s, e = head_cells[column]
            return self.text[s:e]
        if kind == "space":  # columns with empty cells: the header cell above the value
            offset = self.line_bounds(line)[0]
            head_offset = self.line_bounds(header_line)[0]
            a, b = start - offset, end - offset
            best, overlap = None, 0
            for s, e in head_cells:
                o = min(b, e - head_offset) - max(a, s - head_offset)
                if o > overlap:
                    best, overlap = (s, e), o
            if best is not None:
                return self.text[best[0] : best[1]]
        return None

    def table_says(self, start: int, labels: Labels) -> bool:
        """Whether the position is in a table row whose header row names the kind in any column (a bank's
        row "Chase Bank, N.A. 021000021" whose cells did not line up with the header's)."""
        line = self.line_of(start)
        header_line = self._header_line(line) if self.row(line) is not None else None
        if header_line is None:  # a row written with single spaces: the rows above it down from a header
            for above in range(line - 1, max(-1, line - _WALK_PLAIN), -1):
                s, e = self.line_bounds(above)
                text = self.text[s:e].strip()
                if text and not _VALUE.search(text):
                    header_line = above if len(text) <= _BARE_LABEL_LINE * 2 else None
                    break
            if header_line is None:
                return False
        s, e = self.line_bounds(header_line)
        return _last(self.text[s:e], labels) == POSITIVE

    # -- the verdict ----------------------------------------------------------------------------------

    def label(self, start: int, end: int, labels: Labels) -> int:
        """POSITIVE when the span is labelled as the kind, NEGATIVE when as a look-alike, NONE otherwise."""
        header = self.column_header(start, end)
        if header is not None:
            verdict = _last(header, labels)
            if verdict != NONE:
                return verdict
        line_start, line_end = self.line_bounds(self.line_of(start))
        verdict = self._before(start, line_start, labels)
        if verdict is not None:
            return verdict
        verdict = self._after(end, line_end, labels)
        if verdict != NONE:
            return verdict
        return self._line_above(start, line_start, labels)

    def _before(self, start: int, line_start: int, labels: Labels) -> int | None:
        """The nearest label before the span on its line; None when there is none."""
        lo = max(line_start, start - BEFORE)
        window = self.text[lo:start]
        cut = 0
        for m in _VALUE.finditer(window):
            cut = m.end()
        for m in _END.finditer(window, cut):
            if _sentence_end(window, m.start()):
                cut = m.end()
        pos = _last_match(labels.positive, window, cut)
        neg = _last_match(labels.negative, window, cut)
        if pos is None and neg is None:
            return None
        pos_gap = len(window) - pos if pos is not None else None
        neg_gap = len(window) - neg if neg is not None else None
        if neg_gap is not None and (pos_gap is None or neg_gap < pos_gap):
            return NEGATIVE if neg_gap <= labels.negative_reach else NONE
        return POSITIVE

    def _after(self, end: int, line_end: int, labels: Labels) -> int:
        """The first label after the span on its line, unless it labels a value of its own that follows."""
        window = self.text[end : min(line_end, end + AFTER)]
        stop = len(window)
        value = _VALUE.search(window)
        if value:
            stop = value.start()
        for m in _END.finditer(window, 0, stop):
            if _sentence_end(window, m.start()):
                stop = m.start()
                break
        best = None
        for verdict, pattern in ((POSITIVE, labels.positive), (NEGATIVE, labels.negative)):
            m = pattern.search(window, 0, stop)
            if m and (best is None or m.start() < best[1].start()):
                best = (verdict, m)
        if best is None:
            return NONE
        verdict, m = best
        following = self.text[end + m.end() : min(line_end, end + m.end() + 20)]
        if _NEXT_VALUE.match(following):
            return NONE  # "... Account No. 5501": the label of the next value
        return verdict

    def _line_above(self, start: int, line_start: int, labels: Labels) -> int:
        """A bare label on the previous non-empty line ("Social Security Number:"), for a value that starts
        its own line."""
        if re.search(r"[A-Za-z0-9]", self.text[line_start:start]):
            return NONE
        line = self.line_of(start) - 1
        while line >= 0:
            s, e = self.line_bounds(line)
            above = self.text[s:e].strip()
            if above:
                break
            line -= 1
        else:
            return NONE
        if len(above) > _BARE_LABEL_LINE or _VALUE.search(above):
            return NONE
        return _last(above, labels)


def _last_match(pattern: re.Pattern[str], window: str, start: int) -> int | None:
    """The end of the last match of `pattern` in `window[start:]`."""
    last = None
    for m in pattern.finditer(window, start):
        last = m.end()
    return last


def _last(text: str, labels: Labels) -> int:
    """The verdict of a header or a label line: the last label in it wins ("Employee SSN", "SSN / Emp ID")."""
    pos = _last_match(labels.positive, text, 0)
    neg = _last_match(labels.negative, text, 0)
    if pos is None and neg is None:
        return NONE
    if neg is not None and (pos is None or neg > pos):
        return NEGATIVE
    return POSITIVE


def _pieces(text: str, separator: str) -> list[tuple[int, int]]:
    spans, at = [], 0
    for piece in text.split(separator):
        spans.append((at, at + len(piece)))
        at += len(piece) + 1
    return spans


def _csv_cells(text: str) -> list[tuple[int, int]]:
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
