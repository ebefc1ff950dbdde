"""Structure of an untagged page from where its text is: spans in, `Document` blocks out.

Deterministic heuristics (no model, same input -> same blocks), in the order they run:

- Segments. Spans whose vertical bands overlap by half form a line; a line is cut into segments
  wherever a horizontal gap wider than 0.9 x the font size opens (a column gutter, a table's cell gap,
  the gap after a bullet). Segments are what the rest works on. A line's body is one font size tall
  around the middle of each span's box: a font's box can be far taller than its size (Latin
  Modern's, 1.4 em), so where lines are set closer than their boxes, bodies say what touches.
- Sizes. Sizes within 6 % (+0.25 pt) of each other are one size (OCR's estimated sizes wobble); the
  body size is the size with the most characters in the document. Each larger size (>= 12 % and 1 pt
  over the body, or any larger size set in bold only, 95 % of its characters: LaTeX's 12 pt
  \subsubsection over a 10.95 pt body) is a heading level, ranked largest first (1..5). A line that
  is all bold, at most 15 words, at body size or a larger size that is no heading size, and stands
  alone (the lines around it are not bold at its size) is a heading one level below the smallest
  heading size. Consecutive lines of one heading level are one heading when the gap between their
  boxes is at most 0.6 em or their pitch at most 1.7 em (a wrapped title; two headings in a row are
  farther apart by their margins). Heading text longer than 200 characters or 3 lines is a
  paragraph.
- Headers and footers. A segment in the top or bottom 12 % of the page whose text, digits replaced
  by '#', recurs there on at least half the pages (and on two or more) at its size (within 15 % of
  the size it recurs at most often: a title on the first page that the running head repeats small
  is kept) is dropped; so is a bare page number there ("7", "Page 7 of 9", "- 7 -", "vii").
- Columns. Lines narrower than 60 % of the text width vote for gutters: an x-range at least 8 pt
  wide that at most a tenth of them cross (a list bullet set apart from its text, a segment of its
  own, votes for none and counts for nothing below). Along a gutter, the page is cut into vertical
  stretches at every segment that crosses it (a title, a full-width paragraph; not a segment that is
  two columns' lines run together, with a gap of half an em (the smaller size's) or more reaching
  into the gutter: it is cut there); a stretch is set in columns when the text on each side is at
  least 15 % of the text width wide, three lines or more, and prose (its median segment fills at
  least 45 % of its column and holds three words or more: a table's short cells do not). Other text
  the gutter does not cross may start or end a stretch (a table in one column): the stretch is what
  is left when as few of its first, then last, lines are dropped as it takes, or of its last, then
  first; the longer, without the lines at its top and foot that hold two segments on one side of the
  gutter (a table's rows). A stretch in columns is read column by column, top to bottom; the rest of
  the page in between, top to bottom. A paragraph cut at the foot of a column (no closing
  punctuation) and continued at the top of the next without a capital is joined.
- Tables. Lines that overlap vertically and hold segments side by side are one row (cells set at
  different heights: centred, or wrapped), unless the line is the next row of a grid: each of its
  segments under one of the line before (two of them at least, or its only one) and their bodies
  apart. Two or more consecutive rows of two or more segments each (no list marker, no gap over
  2.5 em between them, nor one wider than twice the widest so far plus half an em) are a table; a
  row of one segment under a cell of the row before, its body within half an em, may go on one. A
  line with no more segments than the line before, each under one of its cells, whose gap to it
  is under 0.8 x the median gap above lines with as many segments as the line before or more (two
  such gaps known at least: rows add their padding) holds the next lines of cells wrapped at the
  top of their rows, and joins that row; a row of one segment left over ends the table. Its
  columns are the x-ranges the rows' segments cover together, cut where no segment crosses (a cell
  spanning two columns joins them); a row's segments fill the cells of the columns they start in,
  top to bottom. The first row is the header (scope col) when it is all bold, or bold/size/italics
  set it apart from the second row, or it holds no number and a third of the cells below it are
  numbers (labels over figures); the first column holds row headers (scope row) when each of its
  cells below is bold and nothing else in those rows is. Rows without such a header whose cells
  average over 30 characters are prose side by side (columns the page-wide search missed): each
  column is read in turn.
- Lists. A line starting with a bullet (• ◦ ▪ ‣ ● ○ ■ □ – - * ∗ ·; imaging/renditions/spans.py
  turns bullets drawn as small shapes into "•"/"◦"), an ordinal (1. 2) a. (i) (a)) or a number
  standing apart in a segment of its own is a list item; following lines indented at least as far
  as the item's text are its continuation. Consecutive items of the same kind (ordered or not) are
  one list (nested lists come out flat).
- Paragraphs. Lines join a paragraph until the pitch to the next line exceeds 1.35 x the flow's
  usual pitch (the lowest tenth of the pitches between one-segment body lines, at most 1.6 line
  heights), the next line is indented by 0.8 em or more from the column's left edge, or its size
  changes. A hyphen at the end of a line followed by a lowercase letter is removed and the word
  joined.
- Figures. An image at least 4 pt each way takes its place in reading order by its top edge; one
  covering 70 % of a page that has text is the page's background (a scan under its OCR layer) and is
  skipped. A figure has no alt text: the writer asks a person for one.
- Pages. A `PageStart` precedes each page's blocks; nothing is joined across pages.

Two passes: `observe` every page (sizes and repeated band texts, a few counters), then `blocks` page
by page (`analyse`); a long document goes through `iter_blocks`, which learns from its first 50
pages only, so memory does not grow with the page count.
This module is over 400 lines because the heuristics share one set of segment/line helpers.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from domain.renditions.model import (
    Block,
    Cell,
    Document,
    Figure,
    Heading,
    Inline,
    ListBlock,
    PageStart,
    Paragraph,
    Span,
    Table,
)

BAND = 0.12  # header / footer band: this share of the page height at the top and at the bottom
_PAGE_NUMBER = re.compile(
    r"^(page\s*)?[-–—]?\s*(\d{1,5}|[ivxlcdm]{1,7})\s*[-–—]?(\s*(of|/)\s*\d{1,5})?$", re.IGNORECASE
)
_BULLET = re.compile(r"^([•◦▪▫‣⁃●○■□–*∗·-])(\s+|$)")
_ORDINAL = re.compile(r"^(\d{1,3}[.)]|[a-z][.)]|\((\d{1,3}|[a-zA-Z]|[ivxlc]{1,6})\)|[ivxlc]{1,6}[.)])(\s+|$)")
_NUMBER = re.compile(r"^[-+−(]?[$€£¥]?\s?\d[\d.,\s]*%?\)?$")
_CLOSED = re.compile(r"[.!?:;\"”’)\]]$")


@dataclass
class PlacedImage:
    """An image on a page (points, origin top-left) and the asset it was saved as, if it was."""

    x0: float
    y0: float
    x1: float
    y1: float
    asset: str | None = None
    width: int = 0  # pixels
    height: int = 0


@dataclass
class LayoutPage:
    page: int  # 1-based
    width: float
    height: float
    spans: list[Span] = field(default_factory=list)
    images: list[PlacedImage] = field(default_factory=list)


def shown_as_figure(image, page_width: float, page_height: float, page_has_text: bool) -> bool:
    """Whether an image (x0, y0, x1, y1 in points) is a figure: not a rule or spacer under 4 pt, and
    not the background of a page with text (a scan under its OCR text, 70 % of the page or more)."""
    width, height = image.x1 - image.x0, image.y1 - image.y0
    if width < 4 or height < 4:
        return False
    return not (page_has_text and width * height >= 0.7 * page_width * page_height)


@dataclass
class _Segment:
    spans: list[Span]
    x0: float = 0.0
    y0: float = 0.0
    x1: float = 0.0
    y1: float = 0.0

    def __post_init__(self) -> None:
        self.x0 = min(s.x0 for s in self.spans)
        self.y0 = min(s.y0 for s in self.spans)
        self.x1 = max(s.x1 for s in self.spans)
        self.y1 = max(s.y1 for s in self.spans)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.spans)


@dataclass
class _Line:
    segments: list[_Segment]
    size: float  # the line's size as clustered (most characters)
    bold: bool

    @property
    def x0(self) -> float:
        return self.segments[0].x0

    @property
    def x1(self) -> float:
        return max(s.x1 for s in self.segments)

    @property
    def y0(self) -> float:
        return min(s.y0 for s in self.segments)

    @property
    def y1(self) -> float:
        return max(s.y1 for s in self.segments)

    @property
    def top(self) -> float:
        """The top of the line's body: a font size tall around each box's middle. A font's box
        (ascender to descender) can be far taller than its size (Latin Modern's: 1.4 em), so boxes
        of lines set closer than that overlap though the lines do not."""
        return min(_core(s)[0] for s in self.spans)

    @property
    def bottom(self) -> float:
        return max(_core(s)[1] for s in self.spans)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)

    @property
    def spans(self) -> list[Span]:
        return [span for segment in self.segments for span in segment.spans]


def _core(span: Span) -> tuple[float, float]:
    """A span's body: one font size tall around the middle of its box (never taller than the box)."""
    middle, half = (span.y0 + span.y1) / 2, min(span.size, span.y1 - span.y0) / 2
    return middle - half, middle + half


def _lines_of(items: Sequence) -> list[list]:
    """Items (spans or segments: x0, y0, x1, y1) grouped into lines by vertical overlap, top to
    bottom, each sorted left to right."""
    lines: list[list] = []
    band = (0.0, 0.0)
    for item in sorted(items, key=lambda s: (s.y0, s.x0)):
        height = max(item.y1 - item.y0, 0.01)
        overlap = min(band[1], item.y1) - max(band[0], item.y0)
        if lines and overlap >= 0.5 * min(height, max(band[1] - band[0], 0.01)):
            lines[-1].append(item)
        else:
            lines.append([item])
            band = (item.y0, item.y1)
    return [sorted(line, key=lambda s: s.x0) for line in lines]


def segments(spans: Iterable[Span]) -> list[_Segment]:
    """The page's spans as segments: runs on one line with no gap wider than 0.9 em."""
    out = []
    for line in _lines_of(list(spans)):
        run = [line[0]]
        for span in line[1:]:
            if span.x0 - run[-1].x1 > 0.9 * max(span.size, run[-1].size, 1.0):
                out.append(_Segment(run))
                run = []
            run.append(span)
        out.append(_Segment(run))
    return out


def _segment_size(segment: _Segment) -> float:
    return round(max(span.size for span in segment.spans) * 2) / 2


def _normalised(text: str) -> str:
    return " ".join(re.sub(r"\d+", "#", text.lower()).split())


def _in_band(segment: _Segment, page: LayoutPage) -> bool:
    return segment.y1 <= BAND * page.height or segment.y0 >= (1 - BAND) * page.height


class LayoutAnalysis:
    """Observe every page, then ask for each page's blocks (see the module docstring)."""

    def __init__(self) -> None:
        self._chars: Counter[float] = Counter()
        self._bold_chars: Counter[float] = Counter()
        self._band_texts: Counter[str] = Counter()
        self._band_sizes: dict[str, Counter[float]] = {}
        self._pages = 0
        self._ready = False

    def observe(self, page: LayoutPage) -> None:
        self._pages += 1
        self._ready = False
        for span in page.spans:
            self._chars[round(span.size * 2) / 2] += len(span.text)
            if span.bold:
                self._bold_chars[round(span.size * 2) / 2] += len(span.text)
        seen = {}
        for segment in segments(page.spans):
            if _in_band(segment, page):
                seen[_normalised(segment.text)] = _segment_size(segment)
        self._band_texts.update(seen.keys())
        for text, size in seen.items():
            self._band_sizes.setdefault(text, Counter())[size] += 1

    def _prepare(self) -> None:
        if self._ready:
            return
        self._size_of: dict[float, float] = {}
        clusters: list[list[float]] = []
        for size in sorted(self._chars):
            if clusters and size <= clusters[-1][0] * 1.06 + 0.25:
                clusters[-1].append(size)
            else:
                clusters.append([size])
        weight, bold = {}, {}
        for cluster in clusters:
            representative = max(cluster, key=lambda s: (self._chars[s], -s))
            weight[representative] = sum(self._chars[s] for s in cluster)
            bold[representative] = sum(self._bold_chars[s] for s in cluster)
            self._size_of.update(dict.fromkeys(cluster, representative))
        self.body = max(weight, key=lambda s: (weight[s], -s)) if weight else 10.0
        # A heading size: clearly larger than the body, or larger and set in bold only (LaTeX's
        # \subsubsection: 12 pt bold over a 10.95 pt body).
        clearly = {s for s in weight if s >= self.body * 1.12 and s >= self.body + 1}
        in_bold = {s for s in weight if s > self.body and bold[s] >= 0.95 * weight[s]}
        larger = sorted(clearly | in_bold, reverse=True)
        self._levels = {size: min(rank + 1, 5) for rank, size in enumerate(larger)}
        self.bold_level = min(len(larger) + 1, 6)
        least = max(2, -(-self._pages // 2))
        # a repeated text and the size it recurs at: the same words set larger (a title on the
        # first page that the running head repeats) are not the running head
        self._repeated = {
            text: self._band_sizes[text].most_common(1)[0][0]
            for text, pages in self._band_texts.items()
            if pages >= least
        }
        self._ready = True

    def size(self, value: float) -> float:
        rounded = round(value * 2) / 2
        if rounded not in self._size_of:  # a size seen only now (pages not all observed)
            return rounded
        return self._size_of[rounded]

    def blocks(self, page: LayoutPage) -> list[Block]:
        """The page's blocks in reading order, starting with its PageStart."""
        self._prepare()
        kept = [
            s
            for s in segments(page.spans)
            if not (_in_band(s, page) and (self._running(s) or _PAGE_NUMBER.match(s.text.strip())))
        ]
        images = [i for i in page.images if shown_as_figure(i, page.width, page.height, bool(page.spans))]
        out: list[Block] = [PageStart(page.page)]
        regions = _regions(kept)
        for flow in _flows(_split_at_gutters(kept, regions), images, regions):
            blocks = self._flow_blocks(flow)
            last = out[-1]
            first = blocks[0] if blocks else None
            if isinstance(last, Paragraph) and isinstance(first, Paragraph) and _continues(last, first):
                _append_inlines(last.inlines, blocks.pop(0).inlines)
            out.extend(blocks)
        return out

    def _running(self, segment: _Segment) -> bool:
        """Whether a segment in the band is a running head or foot: its text recurs there, at its
        size (within 15 %)."""
        size = self._repeated.get(_normalised(segment.text))
        return size is not None and abs(_segment_size(segment) - size) <= 0.15 * size

    # Lines of a flow -> blocks

    def _line(self, segs: list[_Segment]) -> _Line:
        spans = [s for seg in segs for s in seg.spans]
        by_size: Counter[float] = Counter()
        for span in spans:
            by_size[self.size(span.size)] += len(span.text)
        return _Line(segs, by_size.most_common(1)[0][0], all(s.bold for s in spans))

    def _rows(self, lines: list[_Line]) -> list[_Line]:
        """Lines that overlap vertically and sit side by side are one row: a table's cells set at
        different heights (vertically centred, or wrapped onto two lines) belong together; a line
        set right under the one before, cell under cell, is the next row (see `_stacked`)."""
        out: list[_Line] = []
        last: _Line | None = None  # the line added last, to the row out[-1]
        for line in lines:
            tall = max(out[-1].y1, line.y1) - out[-1].y0 > 4.5 * line.size if out else True
            # a row of up to four lines of text
            if out and last and line.y0 < out[-1].y1 - 1.0 and not tall and not _stacked(last, line):
                merged = sorted(out[-1].segments + line.segments, key=lambda s: (s.x0, s.y0))
                reach = merged[0].x1
                for seg in merged[1:]:
                    if seg.x0 >= reach:  # two segments apart: cells, not a line over a line
                        out[-1] = self._line(merged)
                        break
                    reach = max(reach, seg.x1)
                else:
                    out.append(line)
            else:
                out.append(line)
            last = line
        return out

    def _heading_level(self, lines: list[_Line], i: int) -> int | None:
        line = lines[i]
        if len(line.text) > 200 or _marker(line) is not None and line.size == self.body:
            return None
        if line.size in self._levels:
            return self._levels[line.size]
        if line.bold and line.size >= self.body and len(line.text.split()) <= 15 and len(line.segments) == 1:
            following = lines[i + 1] if i + 1 < len(lines) else None
            previous = lines[i - 1] if i > 0 else None
            if (following is None or not following.bold) and (
                previous is None or not (previous.bold and previous.size == line.size)
            ):
                return self.bold_level
        return None

    def _flow_blocks(self, flow: list) -> list[Block]:
        lines: list = []
        for item in flow:
            if isinstance(item, PlacedImage):
                lines.append(item)
            elif lines and isinstance(lines[-1], list):
                lines[-1].append(item)
            else:
                lines.append([item])
        items: list = []
        for group in lines:
            if isinstance(group, PlacedImage):
                items.append(group)
            else:
                items.extend(self._rows([self._line(line) for line in _lines_of(group)]))
        text_lines = [i for i in items if isinstance(i, _Line)]
        left = min((line.x0 for line in text_lines), default=0.0)
        pitches = [
            b.y0 - a.y0
            for a, b in zip(text_lines, text_lines[1:], strict=False)
            if a.size == b.size == self.body
            and len(a.segments) == len(b.segments) == 1
            and b.y0 - a.y0 >= 0.8 * (a.y1 - a.y0)
        ]
        # The leading inside a paragraph is the smallest usual pitch (a low percentile: paragraph
        # spacing, list items and table rows only add to it); with single-line paragraphs only it
        # is at most 1.6 line heights.
        heights = [line.y1 - line.y0 for line in text_lines if line.size == self.body]
        pitch = sorted(pitches)[len(pitches) // 10] if pitches else 1.2 * self.body
        if heights:
            pitch = min(pitch, 1.6 * statistics.median(heights))
        out: list[Block] = []
        i = 0
        while i < len(items):
            item = items[i]
            if isinstance(item, PlacedImage):
                out.append(Figure(item.asset, None, item.width, item.height))
                i += 1
                continue
            run = []  # the text lines from i up to the next image
            while i + len(run) < len(items) and isinstance(items[i + len(run)], _Line):
                run.append(items[i + len(run)])
            out.extend(self._text_blocks(run, left, pitch))
            i += len(run)
        return out

    def _text_blocks(self, lines: list[_Line], left: float, pitch: float) -> list[Block]:
        out: list[Block] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            level = self._heading_level(lines, i)
            if level is not None:
                group = [line]
                while (
                    i + len(group) < len(lines)
                    and lines[i + len(group)].size == line.size
                    and self._heading_level(lines, i + len(group)) == level
                    and _wraps(group[-1], lines[i + len(group)])
                ):
                    group.append(lines[i + len(group)])
                inlines = _inlines([ln.spans for ln in group])
                if len(group) <= 3 and len(_text(inlines)) <= 200:
                    for inline in inlines:
                        inline.bold = False
                    out.append(Heading(level, inlines))
                else:  # text set large, not a heading (a lead paragraph, a pull quote)
                    out.append(Paragraph(inlines))
                i += len(group)
                continue
            if _marker(line) is None and len(line.segments) >= 2:
                table, used = _table(lines, i)
                if isinstance(table, Table):
                    out.append(table)
                elif table is not None:  # columns: each read top to bottom in turn
                    for column in table:
                        inner = [self._line(line) for line in _lines_of(column)]
                        out.extend(self._text_blocks(inner, min(s.x0 for s in column), pitch))
                if table is not None:
                    i += used
                    continue
            marker = _marker(line)
            if marker is not None:
                ordered, rest = marker
                items = [[rest]]
                text_left = rest[0].x0 if rest else line.x0
                i += 1
                while i < len(lines) and self._heading_level(lines, i) is None:
                    nxt = lines[i]
                    again = _marker(nxt)
                    if again is not None and again[0] == ordered:
                        items.append([again[1]])
                        text_left = again[1][0].x0 if again[1] else nxt.x0
                    elif (
                        again is None
                        and nxt.x0 >= text_left - 0.5 * nxt.size
                        and _near(lines[i - 1], nxt, pitch)
                    ):
                        items[-1].append(nxt.spans)
                    else:
                        break
                    i += 1
                out.append(ListBlock(ordered, [_inlines(parts) for parts in items]))
                continue
            group = [line]
            i += 1
            while i < len(lines) and self._joins(group[-1], lines[i], lines, i, left, pitch):
                group.append(lines[i])
                i += 1
            out.append(Paragraph(_inlines([ln.spans for ln in group])))
        return out

    def _joins(
        self, previous: _Line, line: _Line, lines: list[_Line], i: int, left: float, pitch: float
    ) -> bool:
        if self._heading_level(lines, i) is not None or _marker(line) is not None:
            return False
        if len(line.segments) >= 2 and _table(lines, i)[0] is not None:
            return False
        indented = line.x0 - left >= 0.8 * line.size and previous.x0 - left < 0.8 * line.size
        return line.size == previous.size and not indented and _near(previous, line, pitch)


def _wraps(previous: _Line, line: _Line) -> bool:
    """Whether a heading's next line continues it: set close under it (a gap of 0.6 em at most
    between their boxes, or a pitch of 1.7 em at most: a loose heading leading, LibreOffice's 1.6
    em); two headings of one level in a row are farther apart (their margins)."""
    return line.y0 - previous.y1 <= 0.6 * line.size or 0 < line.y0 - previous.y0 <= 1.7 * line.size


def _stacked(previous: _Line, line: _Line) -> bool:
    """Whether `line` is the next row of a grid under `previous`: each of its segments is under one
    of the previous line's, and under two of those at least (or the only one) lies one of its;
    and their bodies do not overlap (only their boxes: a font's box can be far taller than its
    size, Latin Modern's is 1.4 em). A line of a column set beside another a little lower is not
    under the line of both columns before it."""
    top = line.top
    covered = set()
    for seg in line.segments:
        above = [n for n, other in enumerate(previous.segments) if seg.x0 < other.x1 and other.x0 < seg.x1]
        bodies = [_core(span)[1] for n in above for span in previous.segments[n].spans]
        if not above or max(bodies) > top + 1.0:
            return False
        covered.update(above)
    return len(covered) >= min(2, len(previous.segments))


def _near(previous: _Line, line: _Line, pitch: float) -> bool:
    return 0 < line.y0 - previous.y0 <= 1.35 * max(pitch, 1.0)


def _marker(line: _Line) -> tuple[bool, list[Span]] | None:
    """(ordered, the line's spans without the marker) when the line starts with a list marker."""
    spans = line.spans
    first = spans[0].text
    lead = line.segments[0]
    if (
        len(line.segments) > 1
        and re.fullmatch(r"\d{1,3}", lead.text)
        and lead.x1 - lead.x0 < 3 * spans[0].size
    ):
        return True, [s for seg in line.segments[1:] for s in seg.spans]  # a number set apart: "1   Step"
    for pattern, ordered in ((_BULLET, False), (_ORDINAL, True)):
        found = pattern.match(first)
        if found:
            rest = first[found.end() :].strip()
            if not rest and len(spans) == 1:
                return None  # a marker alone is no item ("-" as a line of its own)
            head = [replace(spans[0], text=rest)] if rest else []
            return ordered, head + spans[1:]
    return None


def _table(lines: list[_Line], start: int) -> tuple[Table | list[list[_Segment]] | None, int]:
    """A table of the lines from `start` (see the module docstring), and how many lines it used;
    or, for prose set side by side, the segments of each column."""
    run = [lines[start]]
    while start + len(run) < len(lines):
        line = lines[start + len(run)]
        gap = line.top - run[-1].bottom
        if _marker(line) is not None or line.y0 - run[-1].y1 > 2.5 * line.size:
            break
        widest = max((b.top - a.bottom for a, b in zip(run, run[1:], strict=False)), default=None)
        if widest is not None and gap > 2 * max(widest, 0.0) + 0.5 * line.size:
            break  # a gap far wider than the rows' so far: what follows is not this table
        if len(line.segments) < 2 and not (
            _under_cells(run[-1], line) and line.top - run[-1].bottom < 0.5 * line.size
        ):
            break
        run.append(line)
    if len(run) < 2 or _marker(run[0]) is not None:
        return None, 0
    run, used = _wrapped_cells(run)
    if len(run) < 2:
        return None, 0
    # Columns: the x-ranges that the rows' segments cover together, split where no segment of any
    # row crosses (a cell spanning two columns joins them).
    columns: list[list[float]] = []
    for x0, x1 in sorted((seg.x0, seg.x1) for line in run for seg in line.segments):
        if columns and x0 < columns[-1][1]:
            columns[-1][1] = max(columns[-1][1], x1)
        else:
            columns.append([x0, x1])
    if len(columns) < 2:
        return None, 0
    head, second = run[0].spans, run[1].spans
    distinct = (
        all(s.bold for s in head)
        or (head[0].size, head[0].italic, head[0].bold) != (second[0].size, second[0].italic, second[0].bold)
        or _labels_over_numbers(run)
    )
    placed = []
    for line in run:
        parts: list[list[_Segment]] = [[] for _ in columns]
        for seg in line.segments:
            column = next(
                (k for k, (x0, x1) in enumerate(columns) if x0 <= seg.x0 < x1 or seg.x0 == x0),
                len(columns) - 1,
            )
            parts[column].append(seg)
        placed.append(parts)
    texts = [len(seg.text) for line in run for seg in line.segments]
    if not distinct and sum(texts) / len(texts) > 30:
        # Long lines side by side with no header: prose in columns the page-wide search missed.
        return [[seg for parts in placed for seg in parts[k]] for k in range(len(columns))], used
    table_rows = []
    for parts in placed:
        cells = [[seg.spans for seg in sorted(part, key=lambda s: (s.y0, s.x0))] for part in parts]
        table_rows.append([Cell(_inlines(cell)) if cell else Cell([]) for cell in cells])
    headers = [(cell, "col") for cell in table_rows[0]] if distinct else []
    body = list(zip(run[1:] if distinct else run, table_rows[1:] if distinct else table_rows, strict=True))
    first_bold = [all(s.bold for s in line.segments[0].spans) and parts[0].inlines for line, parts in body]
    rest_bold = [all(s.bold for s in line.spans) for line, _ in body]
    if body and all(first_bold) and not any(rest_bold):
        headers += [(parts[0], "row") for _, parts in body]
    for cell, scope in headers:
        cell.header, cell.scope = True, scope
        for inline in cell.inlines:
            inline.bold = False
    return Table(table_rows), used


def _labels_over_numbers(run: list[_Line]) -> bool:
    """Whether the first row is words over rows that hold numbers: no cell of it is a number, and
    a third of the cells below are (a header set like the body, as Typst sets one)."""
    below = [seg.text for line in run[1:] for seg in line.segments]
    return not any(_NUMBER.match(seg.text) for seg in run[0].segments) and (
        sum(1 for text in below if _NUMBER.match(text)) >= len(below) / 3
    )


def _under_cells(previous: _Line, line: _Line) -> bool:
    """Whether each of the line's segments is under exactly one of the previous line's: the next
    line of cells wrapped there."""
    return all(
        sum(1 for other in previous.segments if seg.x0 < other.x1 and other.x0 < seg.x1) == 1
        for seg in line.segments
    )


def _wrapped_cells(run: list[_Line]) -> tuple[list[_Line], int]:
    """A table's lines as rows: a line with no more segments than the line before, each under one
    of its cells, and closer to it than rows are to each other (a gap between their bodies under
    0.8 x the median gap above lines with as many segments as the line before or more, two such
    gaps at least: rows add their padding) holds the next lines of cells wrapped there (cells set
    at the top of their rows; centred ones are joined by `_rows`). A row of one segment left over
    ends the table. Also how many of the lines the rows use."""
    gaps = [
        b.top - a.bottom for a, b in zip(run, run[1:], strict=False) if len(b.segments) >= len(a.segments)
    ]
    groups = [[run[0]]]
    for a, b in zip(run, run[1:], strict=False):
        if (
            len(gaps) >= 2
            and len(b.segments) <= len(a.segments)
            and b.top - a.bottom < 0.8 * statistics.median(gaps)
            and _under_cells(a, b)
        ):
            groups[-1].append(b)
        else:
            groups.append([b])
    end = next((n for n, group in enumerate(groups) if len(group[0].segments) < 2), len(groups))
    rows = [
        _Line([seg for line in group for seg in line.segments], group[0].size, all(ln.bold for ln in group))
        for group in groups[:end]
    ]
    return rows, sum(len(group) for group in groups[:end])


def _inlines(lines: list[list[Span]]) -> list[Inline]:
    """Runs of text with one style and link, lines joined by a space (a line-end hyphen before a
    lowercase letter is removed: a word broken across lines)."""
    out: list[Inline] = []
    for line in lines:
        pieces = []
        for n, span in enumerate(line):
            gap = n and span.x0 - line[n - 1].x1 > 0.1 * span.size
            pieces.append(((" " if gap else "") + span.text, span))
        for n, (text, span) in enumerate(pieces):
            _append_inlines(out, [Inline(text, span.link, span.bold, span.italic)], same_line=n > 0)
    return out


def _append_inlines(out: list[Inline], more: list[Inline], same_line: bool = False) -> None:
    for inline in more:
        text = inline.text
        if out and not same_line:
            previous = out[-1].text
            if re.search(r"[^\W\d_]-$", previous) and text[:1].islower():
                out[-1].text = previous[:-1]
            elif text and not previous.endswith(" "):
                text = " " + text
        last = out[-1] if out else None
        if last is not None and (last.href, last.bold, last.italic) == (
            inline.href,
            inline.bold,
            inline.italic,
        ):
            last.text += text
        elif text.strip() or last is None:
            if last is not None and text.startswith(" ") and not last.href:
                last.text += " "  # the space belongs outside a link or style change
                text = text[1:]
            out.append(Inline(text, inline.href, inline.bold, inline.italic))
        same_line = True


def _text(inlines: list[Inline]) -> str:
    return "".join(i.text for i in inlines).strip()


def _continues(previous: Paragraph, following: Paragraph) -> bool:
    return not _CLOSED.search(_text(previous.inlines)) and not _text(following.inlines)[:1].isupper()


@dataclass
class _Region:
    """A vertical stretch of the page set in columns, split at its gutters (x-ranges)."""

    top: float
    bottom: float
    gutters: list[tuple[float, float]]


def _regions(segs: list[_Segment]) -> list[_Region]:
    """Where the page is set in columns (see the module docstring)."""
    if len(segs) < 6:
        return []
    left, right = min(s.x0 for s in segs), max(s.x1 for s in segs)
    width = right - left
    # Full-width lines cannot be in a column: candidates come from the others (not from bullets
    # set apart either: the gap after one is no gutter).
    short = [s for s in segs if s.x1 - s.x0 < 0.6 * width and not _bare_bullet(s)]
    allow = len(short) // 10
    events = sorted([(s.x0, 1) for s in short] + [(s.x1, -1) for s in short])
    candidates, depth, start = [], 0, None
    for x, step in events:  # sweep: x-ranges crossed by at most `allow` of them
        if depth <= allow < depth + step and start is not None:
            if x - start >= 8 and left < start and x < right:
                candidates.append((start, x))
            start = None
        depth += step
        if depth <= allow and start is None:
            start = x
    # A page of many short cells offers many candidates; each pass below costs a sort of the page.
    candidates = sorted(sorted(candidates, key=lambda g: g[0] - g[1])[:12])
    runs: dict[int, list[tuple[float, float]]] = {}
    while True:
        runs = {}
        for n, gutter in enumerate(candidates):
            lo = candidates[n - 1][1] if n else left
            hi = candidates[n + 1][0] if n + 1 < len(candidates) else right
            runs[n] = _column_runs(segs, gutter, lo, hi, width)
        failed = [n for n, found in runs.items() if not found]
        if not failed:
            break
        del candidates[failed[0]]
    stretches = sorted((top, bottom, candidates[n]) for n, found in runs.items() for top, bottom in found)
    regions: list[_Region] = []
    for top, bottom, gutter in stretches:
        if regions and top <= regions[-1].bottom:
            regions[-1].bottom = max(regions[-1].bottom, bottom)
            regions[-1].gutters = sorted({*regions[-1].gutters, gutter})
        else:
            regions.append(_Region(top, bottom, [gutter]))
    return regions


def _column_runs(
    segs: list[_Segment], gutter, lo: float, hi: float, width: float
) -> list[tuple[float, float]]:
    """The vertical stretches (top, bottom) where `gutter` parts two columns of prose: runs of the
    segments between its neighbours not broken by one that crosses it."""
    g0, g1 = gutter
    mid = (g0 + g1) / 2
    runs: list[list[_Segment]] = [[]]
    for seg in sorted(segs, key=lambda s: (s.y0, s.x0)):
        if _crosses(seg, gutter):
            runs.append([])
        elif lo <= (seg.x0 + seg.x1) / 2 <= hi and not _bare_bullet(seg):  # a bullet counts for nothing
            runs[-1].append(seg)

    def columns(run: list[_Segment]) -> bool:
        sides = [[s for s in run if (s.x0 + s.x1) / 2 < mid], [s for s in run if (s.x0 + s.x1) / 2 >= mid]]
        return _column_like(sides[0], (lo, g1), width) and _column_like(sides[1], (g0, hi), width)

    found = []
    for run in runs:
        # Columns may start below, or end above, other text the gutter does not cross (a table's
        # cells): the stretch is the run without as few of its first, then last, lines as it takes,
        # or without as few of its last, then first (a table at the foot of one column); the
        # longer of the two.
        stretches = [_trimmed(run, columns, tops_first) for tops_first in (True, False)]
        kept = [stretch for stretch in stretches if stretch]
        if not kept:
            continue
        top, bottom = max(kept, key=lambda stretch: (stretch[1] - stretch[0], -stretch[0]))
        # A line with two segments on one side of the gutter is a table's row, not a column's
        # line: the stretch does not start or end with one.
        lines = _lines_of([s for s in run if top <= s.y0 and s.y1 <= bottom])
        rows = [
            sum(1 for s in line if (s.x0 + s.x1) / 2 < mid) > 1
            or sum(1 for s in line if (s.x0 + s.x1) / 2 >= mid) > 1
            for line in lines
        ]
        while lines and rows[0]:
            lines, rows = lines[1:], rows[1:]
        while lines and rows[-1]:
            lines, rows = lines[:-1], rows[:-1]
        kept_segments = [s for line in lines for s in line]
        if kept_segments and columns(kept_segments):
            found.append((min(s.y0 for s in kept_segments), max(s.y1 for s in kept_segments)))
    return found


def _trimmed(run: list[_Segment], columns, tops_first: bool) -> tuple[float, float] | None:
    """The stretch (top, bottom) of `run` left when as few of its first lines, then of its last,
    are dropped as make `columns` true (or its last, then its first); None if none does."""
    for step in ("top", "bottom") if tops_first else ("bottom", "top"):
        if step == "top":
            tops = sorted({s.y0 for s in run})
            start = next((t for t in tops if columns([s for s in run if s.y0 >= t])), None)
            if start is None:
                return None
            run = [s for s in run if s.y0 >= start]
        else:
            bottoms = sorted({s.y1 for s in run}, reverse=True)
            end = next((b for b in bottoms if columns([s for s in run if s.y1 <= b])), None)
            if end is None:
                return None
            run = [s for s in run if s.y1 <= end]
    return min(s.y0 for s in run), max(s.y1 for s in run)


def _gap_at(segment: _Segment, gutter: tuple[float, float]) -> int | None:
    """The index of the span after which `segment` has a gap of half an em (of the smaller of the
    two sizes: a heading beside body text) or more that reaches into `gutter`."""
    g0, g1 = gutter
    for n, (a, b) in enumerate(zip(segment.spans, segment.spans[1:], strict=False)):
        if a.x1 < g1 and b.x0 > g0 and b.x0 - a.x1 >= 0.5 * min(a.size, b.size):
            return n
    return None


def _crosses(segment: _Segment, gutter: tuple[float, float]) -> bool:
    """Whether a segment crosses a gutter: not when it is two columns' lines run together (a line
    of the left column that reaches into the gutter, a word space from the right column's line)."""
    g0, g1 = gutter
    return segment.x0 < g0 and segment.x1 > g1 and _gap_at(segment, gutter) is None


def _split_at_gutters(segs: list[_Segment], regions: list[_Region]) -> list[_Segment]:
    """Segments that run two columns' lines together, cut at the gutter between them."""
    out = []
    for seg in segs:
        centre_y = (seg.y0 + seg.y1) / 2
        cut = None
        for region in regions:
            if region.top <= centre_y <= region.bottom:
                for gutter in region.gutters:
                    if seg.x0 < gutter[0] and seg.x1 > gutter[1]:
                        cut = _gap_at(seg, gutter)
                        break
        if cut is None:
            out.append(seg)
        else:
            out += [_Segment(seg.spans[: cut + 1]), _Segment(seg.spans[cut + 1 :])]
    return out


def _bare_bullet(segment: _Segment) -> bool:
    """A list bullet set apart from its item's text, a segment of its own."""
    return _BULLET.fullmatch(segment.text.strip() + " ") is not None


def _column_like(side: list[_Segment], bounds: tuple[float, float], width: float) -> bool:
    extent = bounds[1] - bounds[0]
    if len(side) < 3 or extent < 0.15 * width:
        return False
    # prose: its lines fill the column and hold words (a table's short cells may fill a narrow
    # column between two gutters, but with a word or two)
    return (
        statistics.median(s.x1 - s.x0 for s in side) >= 0.45 * extent
        and statistics.median(len(s.text.split()) for s in side) >= 3
    )


def _flows(segs: list[_Segment], images: list[PlacedImage], regions: list[_Region]) -> list[list]:
    """Segments and images in reading order, as flows: one per column of each region set in
    columns, one per stretch of full-width text between them."""
    flows: list[list] = []
    band: dict[int, list] = {}
    band_region: int | None = None

    def place(item) -> tuple[int, int] | None:
        centre_y = (item.y0 + item.y1) / 2
        for n, region in enumerate(regions):
            if region.top <= centre_y <= region.bottom:
                if any(item.x0 < g0 and item.x1 > g1 for g0, g1 in region.gutters):
                    return None
                centre_x = (item.x0 + item.x1) / 2
                return n, sum(1 for g0, g1 in region.gutters if centre_x >= (g0 + g1) / 2)
        return None

    def close_band() -> None:
        flows.extend(band[k] for k in sorted(band))
        band.clear()

    spanning: list = []
    for item in sorted([*segs, *images], key=lambda s: (s.y0, s.x0)):
        where = place(item)
        if where is None:
            close_band()
            spanning.append(item)
            continue
        if spanning:
            flows.append(spanning)
            spanning = []
        if where[0] != band_region:
            close_band()
            band_region = where[0]
        band.setdefault(where[1], []).append(item)
    if spanning:
        flows.append(spanning)
    close_band()
    return [flow for flow in flows if flow]


def iter_blocks(pages: Iterable[LayoutPage], sample: int = 50) -> Iterator[Block]:
    """Blocks of a document of any length with memory bounded by `sample` pages: the sizes and the
    running headers are learnt from the first `sample` pages (held until then) and kept for the
    rest. A document of at most `sample` pages gives what `analyse` gives."""
    analysis = LayoutAnalysis()
    held: list[LayoutPage] = []
    learning = True
    for page in pages:
        if learning and len(held) < sample:
            held.append(page)
            analysis.observe(page)
            continue
        if learning:
            learning = False
            for early in held:
                yield from analysis.blocks(early)
            held.clear()
        yield from analysis.blocks(page)
    for early in held:
        yield from analysis.blocks(early)


def analyse(
    pages: Sequence[LayoutPage],
    title: str | None = None,
    source: str = "layout",
    labels: dict[int, str] | None = None,
) -> Document:
    """A document's blocks from all its pages at once (both passes over `pages`)."""
    analysis = LayoutAnalysis()
    for page in pages:
        analysis.observe(page)
    document = Document(title=title or "", source=source)
    for page in pages:
        blocks = analysis.blocks(page)
        if labels and page.page in labels:
            blocks[0] = PageStart(page.page, labels[page.page])
        document.blocks.extend(blocks)
    if not document.title:
        first = next((b for b in document.blocks if isinstance(b, Heading)), None)
        document.title = _text(first.inlines) if first else "Document"
    return document
