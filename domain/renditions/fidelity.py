"""How faithfully a rendition `Document` keeps a document's structure, against an answer key.

Issue 21's structure-fidelity measurement: a Chromium-printed tagged PDF's source HTML is the truth;
the rendition made from the untagged copy is compared with it. Blocks are matched by their text,
normalised hard (case, white space and punctuation dropped) so that text extraction's spacing and
ligatures do not count as structure errors:

- headings: text and relative level (the level's rank among the levels each document uses, so a
  reader that numbers from h2 or skips a level still matches); `heading_text` ignores the level;
- list items and table cells (any cell; `header_cells` only the header cells): recall, precision;
- reading order: Kendall's tau over the paragraphs found once in each document, in the order the
  rendition gives them (1.0 the same order, -1.0 reversed); `paragraphs` says how many matched.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass

from domain.renditions.model import Document, Heading, Inline, ListBlock, Paragraph, Table


@dataclass(frozen=True)
class Score:
    expected: int  # in the truth
    found: int  # in the document measured
    matched: int

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0

    def __add__(self, other: Score) -> Score:
        return Score(self.expected + other.expected, self.found + other.found, self.matched + other.matched)


@dataclass(frozen=True)
class Fidelity:
    headings: Score
    heading_text: Score
    list_items: Score
    table_cells: Score
    header_cells: Score
    paragraphs: Score
    reading_order: float  # Kendall's tau over `order_pairs` matched paragraphs
    order_pairs: int = 0

    def figures(self) -> dict[str, float]:
        """The figures the issue asks for, by name, for printing."""
        out: dict[str, float] = {}
        for name in ("headings", "list_items", "table_cells", "header_cells", "paragraphs"):
            score: Score = getattr(self, name)
            out[f"{name}_recall"] = score.recall
            out[f"{name}_precision"] = score.precision
        out["reading_order_tau"] = self.reading_order
        return out


def normalise(text: str) -> str:
    """Text as compared: compatibility forms folded (ligatures), case folded, only letters and digits."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in folded if char.isalnum())


def _text(inlines: list[Inline]) -> str:
    return normalise("".join(inline.text for inline in inlines))


def _levels(document: Document) -> list[tuple[str, int]]:
    """Each heading's text and the rank of its level among the levels the document uses."""
    headings = [block for block in document.blocks if isinstance(block, Heading)]
    ranks = {level: rank for rank, level in enumerate(sorted({h.level for h in headings}), start=1)}
    return [(_text(h.inlines), ranks[h.level]) for h in headings if _text(h.inlines)]


def _items(document: Document) -> list[str]:
    return [_text(item) for block in document.blocks if isinstance(block, ListBlock) for item in block.items]


def _cells(document: Document, headers_only: bool = False) -> list[str]:
    return [
        _text(cell.inlines)
        for block in document.blocks
        if isinstance(block, Table)
        for row in block.rows
        for cell in row
        if cell.header or not headers_only
    ]


def _paragraphs(document: Document) -> list[str]:
    return [_text(block.inlines) for block in document.blocks if isinstance(block, Paragraph)]


def score(expected: list, found: list) -> Score:
    """Multiset match of keys (empty ones ignored)."""
    truth = Counter(key for key in expected if key and key != ("", 0))
    seen = Counter(key for key in found if key and key != ("", 0))
    return Score(sum(truth.values()), sum(seen.values()), sum((truth & seen).values()))


def kendall_tau(sequence: list[int]) -> float:
    """Kendall's tau between a sequence of distinct ranks and its sorted order: 1 - 2 * inversions /
    pairs, with the inversions counted by merge sort (O(n log n)). Fewer than two items: 1.0."""
    n = len(sequence)
    if n < 2:
        return 1.0
    pairs = n * (n - 1) // 2
    return 1.0 - 2.0 * _inversions(list(sequence)) / pairs


def _inversions(values: list[int]) -> int:
    if len(values) < 2:
        return 0
    middle = len(values) // 2
    left, right = values[:middle], values[middle:]
    count = _inversions(left) + _inversions(right)
    i = j = k = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            values[k] = left[i]
            i += 1
        else:
            values[k] = right[j]
            count += len(left) - i  # every remaining left value is greater
            j += 1
        k += 1
    values[k:] = left[i:] + right[j:]
    return count


def reading_order(truth: list[str], found: list[str]) -> tuple[float, int]:
    """Tau over the paragraphs whose text occurs exactly once in each list, and how many there were."""
    once_truth = {key for key, n in Counter(truth).items() if n == 1 and key}
    once_found = {key for key, n in Counter(found).items() if n == 1 and key}
    position = {key: index for index, key in enumerate(truth) if key in once_found}
    sequence = [position[key] for key in found if key in once_truth and key in position]
    return kendall_tau(sequence), len(sequence)


def compare(found: Document, truth: Document) -> Fidelity:
    """The rendition `found` measured against the answer key `truth`."""
    levels_truth, levels_found = _levels(truth), _levels(found)
    tau, pairs = reading_order(_paragraphs(truth), _paragraphs(found))
    return Fidelity(
        headings=score(levels_truth, levels_found),
        heading_text=score([t for t, _ in levels_truth], [t for t, _ in levels_found]),
        list_items=score(_items(truth), _items(found)),
        table_cells=score(_cells(truth), _cells(found)),
        header_cells=score(_cells(truth, True), _cells(found, True)),
        paragraphs=score(_paragraphs(truth), _paragraphs(found)),
        reading_order=tau,
        order_pairs=pairs,
    )


def combine(results: list[Fidelity]) -> Fidelity:
    """Many documents' figures as one: scores summed (micro-averaged), tau weighted by its pairs."""
    if not results:
        raise ValueError("nothing to combine")
    total = {
        name: sum((getattr(r, name) for r in results), Score(0, 0, 0))
        for name in ("headings", "heading_text", "list_items", "table_cells", "header_cells", "paragraphs")
    }
    pairs = sum(r.order_pairs for r in results)
    tau = sum(r.reading_order * r.order_pairs for r in results) / pairs if pairs else 1.0
    return Fidelity(**total, reading_order=tau, order_pairs=pairs)
