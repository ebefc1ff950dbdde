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
2. **Its header's label, by order**, when its line is a row a PDF wrote with single spaces under a
   header line: the i-th value of its sort takes the i-th label that matters to the kind, when the
   counts agree (domain/pii/rows.py).
3. **The field a colon introduces**: the first label of the clause before the colon, however long the
   explanation after the name ("ABA for the account ..., as printed on the check: 021000021"); a clause
   naming no label of the kind ("Today's Date:") means the labels further back are other fields'.
4. **The words before it** (up to 60 characters), stopping at a previous value (any run of three or
   more digits) or a sentence end. Dots in "No.", "S.S.N.", "N.A." end no sentence. A wrapped line
   (running text broken mid-sentence) goes on into the next, so "S.S. No.⏎123456789" is labelled
   (domain/pii/clauses.py).
5. **The words after it** (up to 30 characters, across a wrap), when nothing before it was a label:
   "(date of birth)". A label followed by its own value ("... Account No. 5501") labels that value.
6. **The line above**, when it is a bare label ("Social Security Number:") and the value starts its line.

Before the value, the nearest label decides: a look-alike's label nearer than the kind's own suppresses
it (within the kind's `negative_reach`: a phone is not an account's because "account" came up earlier).
Only candidates ask for context, and a page's lines, rows and headers are worked out once, lazily.
"""

from __future__ import annotations

import bisect
import re
from datetime import date

from domain.pii.clauses import introduced, sentence_end, wraps
from domain.pii.dates import dates
from domain.pii.labels import ANY_LABEL, Labels
from domain.pii.rows import NEGATIVE, NONE, POSITIVE, aligned, csv_cells, split_cells
from domain.pii.rows import VALUE as _VALUE
from domain.pii.text import fold

__all__ = ["NEGATIVE", "NONE", "POSITIVE", "Page"]

BEFORE, AFTER = 60, 30
# How far back a label of the value's own sentence may stand when no other label comes between: "The
# employee's Social Security number, which appears on the enclosed W-2, is 795144469".
FAR = 100
# A tax or immigration form's name holds digits but is no value ("W-2", "I-9", "1099-MISC", "Form 8821").
_FORM_NAME = re.compile(
    r"(?<![\w-])(?:[A-Z]{1,2}-\d{1,4}[A-Z]?|(?:form|schedule)\s+\d{1,5}(?:-[A-Z]+)?|1099(?:-[A-Z]+)?|1040\b)",
    re.I,
)
_END = re.compile(r"[.!?](?=\s+[\"'(]?[A-Z])|;|\n")
_NEXT_VALUE = re.compile(r"\s*(?:no\.?|num\.?|number|#|id)?\s*[:#=]?\s*[-(+$]?\d|\s*[:#]", re.I)
_BARE_LABEL_LINE = 60
_HEADER_CELL = 40
_WALK = 300  # rows a header may sit above its cell
_WALK_PLAIN = 20  # lines a header may sit above a row whose cells are not told apart
_ADJACENT = re.compile(r"[\s,:;-]{0,4}")
_RULE_LINE = re.compile(r" *-{3,}(?: +-{3,})+ *")  # the dashed rule under a fixed-width table's header
# Running text with commas is no CSV row: a run of five words, or a line ending a sentence ("As⏎discussed
# on the call, we will proceed ..." would otherwise head a "column" of the letter's next lines).
_PROSE = re.compile(r"(?:[A-Za-z'’]+ +){4}[A-Za-z'’]+|[a-z]\.\s*$")


class Page:
    """One page's text, folded for matching (`text`, same length as `original`), with its lines, table rows
    and column headers worked out on demand."""

    def __init__(self, text: str) -> None:
        self.original = text
        self.text = fold(text)
        self._starts: list[int] | None = None
        self._rows: dict[int, tuple[str, list[tuple[int, int]]] | None] = {}
        self._headers: dict[int, int | None] = {}
        self.plain_headers: dict[int, int | None] = {}  # domain/pii/rows.py's, per line
        self._dates: list[tuple[int, int, date]] | None = None

    def dates(self) -> list[tuple[int, int, date]]:
        """The page's dates (domain/pii/dates.py), found once: birth dates are among them, phones not."""
        if self._dates is None:
            self._dates = list(dates(self.text))
        return self._dates

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
            kind, cells = "tab", split_cells(text, "\t")
        elif "|" in text:
            kind, cells = "pipe", split_cells(text, "|")
            if text.strip().startswith("|") and cells:
                cells = cells[1:]
            if text.strip().endswith("|") and cells:
                cells = cells[:-1]
        elif re.search(r"\S {2,}\S", text):
            kind, cells = "space", [m.span() for m in re.finditer(r"\S+(?: \S+)*", text)]
        elif "," in text and not _PROSE.search(text):
            kind, cells = "comma", csv_cells(text)
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
            and not re.search(r"\d{3}|@", text)  # numbers and addresses are data, not headings
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
        if row[0] == "space":
            ruled = self._ruled_header(line, start)
            if ruled is not None:
                return ruled
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
        above = self.row(line - 1) if kind != "space" and line > 0 else None
        if above is not None and above[0] == kind and len(above[1]) + len(cells) - 1 == len(head_cells):
            column += len(above[1]) - 1  # a cell with a line break ("Ally⏎Bank"): the row goes on here
            cells = above[1][:-1] + cells
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

    def _ruled_header(self, line: int, start: int) -> str | None:
        """A fixed-width table's header, when a dashed rule sits under it ("-----  ---------"): the rule's
        dashes give each column's exact span, and the header is the text above the rule within that span,
        on up to three lines (a header cell wrapped onto a second line reads whole)."""
        at = line - 1
        while at >= 0 and line - at <= _WALK:
            s, e = self.line_bounds(at)
            text = self.text[s:e]
            if not text.strip():
                return None  # a blank line ends the table
            if _RULE_LINE.fullmatch(text):
                break
            if self.row(at) is None:
                return None
            at -= 1
        else:
            return None
        rule_start = self.line_bounds(at)[0]
        offset = start - self.line_bounds(line)[0]
        span = next(
            (
                m.span()
                for m in re.finditer(r"-+", self.text[rule_start : rule_start + 400])
                if m.start() <= offset < m.end() + 2
            ),
            None,
        )
        if span is None:
            return None
        pieces = []
        for above in range(at - 1, max(-1, at - 4), -1):
            s, e = self.line_bounds(above)
            text = self.text[s:e]
            if not text.strip() or _VALUE.search(text):
                break
            pieces.append(text[span[0] : span[1]].strip())
        header = " ".join(reversed([p for p in pieces if p]))
        return header or None

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
        line = self.line_of(start)
        # A row written with single spaces, under its header; a row whose cells were told apart has its
        # column's header already ("Line" over a phone, beside an "IMEI" column), and no order to guess.
        told_apart = header is not None and (self.row(line) or ("",))[0] in ("tab", "pipe")
        verdict = aligned(self, start, labels) if not told_apart else NONE
        if verdict != NONE:
            return verdict
        line_start, line_end = self.line_bounds(line)
        verdict = introduced(self, start, labels)
        if verdict is not None and verdict != NONE:
            return verdict
        if verdict is None:  # NONE: a colon named another field, so labels before it are not this one's
            verdict = self._before(start, line_start, labels)
            if verdict is not None:
                return verdict
        verdict = self._after(end, line_end, labels)
        if verdict != NONE:
            return verdict
        return self._line_above(start, line_start, labels)

    def _before(self, start: int, line_start: int, labels: Labels) -> int | None:
        """The nearest label before the span on its line; None when there is none."""
        lo, line = max(line_start, start - FAR), self.line_of(start)
        while lo == self.line_bounds(line)[0] and line > 0 and wraps(self, line - 1):
            line -= 1  # a wrapped line goes on, over as many pieces as OCR or reflow left
            lo = max(self.line_bounds(line)[0], start - FAR)
        window = self.text[lo:start].replace("\n", " ")
        cut = 0
        for m in _VALUE.finditer(_FORM_NAME.sub(lambda f: "x" * len(f[0]), window)):
            cut = m.end()  # a previous value; a form's name ("the enclosed 1099", "Form 8821") is none
        for m in _END.finditer(window, cut):
            if sentence_end(window, m.start()):
                cut = m.end()
        pos = _last_match(labels.positive, window, cut)
        if labels.inline is not None:  # only right before the value: "Chase Bank, N.A. - 021000021"
            inline = _last_match(labels.inline, window, cut)
            if inline is not None and _ADJACENT.fullmatch(window, inline):
                pos = max(pos or -1, inline)
        neg = _last_match(labels.negative, window, cut)
        if pos is None and neg is None:
            return None
        pos_gap = len(window) - pos if pos is not None else None
        neg_gap = len(window) - neg if neg is not None else None
        if pos_gap is not None and pos_gap > BEFORE and neg is not None:
            return NONE  # a far label counts only with no other label between it and the value
        if neg_gap is not None and (pos_gap is None or neg_gap < pos_gap):
            return NEGATIVE if neg_gap <= labels.negative_reach else NONE
        return POSITIVE

    def _after(self, end: int, line_end: int, labels: Labels) -> int:
        """The first label after the span on its line, unless it labels a value of its own that follows."""
        line = self.line_of(end)
        if end + AFTER > line_end and wraps(self, line) and line + 1 < len(self._line_starts()):
            line_end = self.line_bounds(line + 1)[1]  # "123456789 (Soc.⏎Sec. No.)": the label wrapped
        window = self.text[end : min(line_end, end + AFTER)].replace("\n", " ")
        stop = len(window)
        value = _VALUE.search(window)
        if value:
            stop = value.start()
        for m in _END.finditer(window, 0, stop):
            if sentence_end(window, m.start()):
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
        following = self.text[end + m.end() : min(line_end, end + m.end() + 20)].replace("\n", " ")
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
        if line > 0 and wraps(self, line - 1):  # "... our client, Soc.⏎Sec. #⏎239986236": a wrapped label
            s, e = self.line_bounds(line - 1)
            tail = self.text[max(s, e - 30) : e]
            if not _VALUE.search(tail):
                above = tail + " " + above
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
