"""Leak detection for redacted documents, counted in occurrences and phrases.

A word under a redaction that also appears, unredacted, elsewhere in the document
is not a leak; a redacted word or phrase that survives in what was produced is.
So the volume step reads each redacted document's SOURCE pages word by word, with
each word's box, and counts per normalised token how often it is hidden (its box
lies under a redaction) and how often it is visible, per page; the same for
bigrams (two consecutive tokens) that are hidden. Text the platform burns onto the
produced pages (endorsements, redaction labels) counts as visible.

QC then counts the same tokens and bigrams in each piece of produced content (the
text file, each page of the PDF text layer, the OCR of each page image, the load
file row) and finds a leak where the produced count exceeds the visible count.

Only tokens and bigrams that occur under a redaction are kept, and only as keyed
hashes (HMAC-SHA256 under a random key per volume run, kept apart from the counts):
the hand-over never holds a word in clear. Pure: no Dagster, no driver, no engine.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in one coordinate system per page

# What counts as one token: letters, digits and the joiners of e-mail addresses, numbers
# and ids (an SSN 123-45-6789 or jane.doe@example.com is one token). Tokens shorter than
# MIN_TOKEN are left out: alone they reveal nothing, and OCR makes them up from noise.
TOKEN = re.compile(r"[\w@.\-]+", re.UNICODE)
MIN_TOKEN = 3
# A word counts as hidden when at least this share of its box lies under redactions.
HIDDEN_SHARE = 0.5


def normalise(raw: str) -> str | None:
    """One token as compared: NFKC (ligatures, full-width forms), case-folded, without
    leading or trailing dots and dashes; None when too short to count."""
    token = unicodedata.normalize("NFKC", raw).casefold().strip(".-")
    return token if len(token) >= MIN_TOKEN else None


def tokens(text: str) -> list[str]:
    """The normalised tokens of a text, in reading order."""
    return [
        t
        for t in (normalise(m.group()) for m in TOKEN.finditer(unicodedata.normalize("NFKC", text or "")))
        if t
    ]


def bigrams(sequence: list[str]) -> list[str]:
    return [f"{a} {b}" for a, b in zip(sequence, sequence[1:], strict=False)]


def _area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _normal(box: Box) -> Box:
    return (min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3]))


def is_hidden(box: Box | None, rects: list[Box]) -> bool:
    """Whether a word's box lies under the redactions: at least HIDDEN_SHARE of its area
    (a neighbour the box only grazes stays visible, as it does on the page); a word
    without area is hidden when its centre is."""
    if box is None or not rects:
        return False
    box = _normal(box)
    rects = [_normal(r) for r in rects]
    area = _area(box)
    if area <= 0:
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        return any(r[0] <= cx <= r[2] and r[1] <= cy <= r[3] for r in rects)
    covered = sum(
        _area((max(box[0], r[0]), max(box[1], r[1]), min(box[2], r[2]), min(box[3], r[3])))
        for r in rects
        if r[0] < box[2] and box[0] < r[2] and r[1] < box[3] and box[1] < r[3]
    )
    return covered >= HIDDEN_SHARE * area


@dataclass
class PageCounts:
    """One page: hidden and visible counts of tokens and bigrams."""

    hidden_tokens: Counter = field(default_factory=Counter)
    visible_tokens: Counter = field(default_factory=Counter)
    hidden_bigrams: Counter = field(default_factory=Counter)
    visible_bigrams: Counter = field(default_factory=Counter)

    @classmethod
    def of_words(cls, words: Iterable[tuple[str, Box | None]], rects: list[Box]) -> PageCounts:
        """Counts of one reading of a page: words (raw text, box) in reading order.

        Hidden bigrams are two consecutive hidden tokens; visible bigrams are counted in
        the page as produced, the hidden tokens taken out (their neighbours meet)."""
        stream: list[tuple[str, bool]] = []
        for raw, box in words:
            hidden = is_hidden(box, rects)
            stream.extend((token, hidden) for token in tokens(raw))
        counts = cls()
        visible = [t for t, hidden in stream if not hidden]
        counts.hidden_tokens.update(t for t, hidden in stream if hidden)
        counts.visible_tokens.update(visible)
        counts.hidden_bigrams.update(
            f"{a} {b}" for (a, ha), (b, hb) in zip(stream, stream[1:], strict=False) if ha and hb
        )
        counts.visible_bigrams.update(bigrams(visible))
        return counts

    @classmethod
    def of_visible_text(cls, text: str) -> PageCounts:
        return cls.of_words([(text, None)], [])

    def merged(self, other: PageCounts) -> PageCounts:
        """Two readings of the same page (text layer and OCR): per key the larger count, so
        what either reading sees is counted once."""
        return PageCounts(
            self.hidden_tokens | other.hidden_tokens,
            self.visible_tokens | other.visible_tokens,
            self.hidden_bigrams | other.hidden_bigrams,
            self.visible_bigrams | other.visible_bigrams,
        )


@lru_cache(maxsize=65536)  # QC hashes the same produced words page after page
def keyed_hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """A name for a key that does not reveal it (where the key file is kept)."""
    return hashlib.sha256(b"leak-key-id:" + key).hexdigest()[:32]


class ProfileBuilder:
    """Collects a redacted document's pages (1-based numbers) into its occurrence profile."""

    def __init__(self) -> None:
        self._readings: dict[int, PageCounts] = {}
        self._burned: dict[int, Counter] = {}
        self._burned_bigrams: dict[int, Counter] = {}

    def add_reading(self, page: int, counts: PageCounts) -> None:
        """One reading of a page; a second reading of the same page is merged (max per key)."""
        self._readings[page] = self._readings[page].merged(counts) if page in self._readings else counts

    def add_burned(self, page: int, texts: Iterable[str]) -> None:
        """Text the platform puts onto the produced page (endorsements, redaction labels):
        visible on top of whatever the page itself shows."""
        for text in texts:
            sequence = tokens(text)
            self._burned.setdefault(page, Counter()).update(sequence)
            self._burned_bigrams.setdefault(page, Counter()).update(bigrams(sequence))

    def profile(self, key: bytes) -> dict:
        """The hand-over to QC: per keyed hash of a hidden token or bigram, how often it is
        hidden and how often it is visible on each page. Nothing else leaves."""
        pages = sorted(set(self._readings) | set(self._burned))
        empty = PageCounts()
        result: dict[str, dict] = {}
        for kind in ("tokens", "bigrams"):
            hidden: Counter = Counter()
            for page in pages:
                hidden.update(getattr(self._readings.get(page, empty), f"hidden_{kind}"))
            entries = {}
            for value, count in sorted(hidden.items()):
                visible = {}
                for page in pages:
                    extra = (self._burned if kind == "tokens" else self._burned_bigrams).get(page, Counter())
                    seen = getattr(self._readings.get(page, empty), f"visible_{kind}")[value] + extra[value]
                    if seen:
                        visible[str(page)] = seen
                entries[keyed_hash(key, value)] = {"hidden": count, "visible": visible}
            result[kind] = dict(sorted(entries.items()))
        return result


@dataclass(frozen=True)
class Leaks:
    tokens: int = 0
    bigrams: int = 0

    def __bool__(self) -> bool:
        return bool(self.tokens or self.bigrams)

    def describe(self) -> str:
        parts = []
        if self.tokens:
            parts.append(f"{self.tokens} redacted word(s)")
        if self.bigrams:
            parts.append(f"{self.bigrams} redacted phrase(s)")
        return " and ".join(parts)


def reading(profile: dict, key: bytes, texts: list[str]) -> dict:
    """One piece of produced content as counted for `find_leaks`: per keyed hash of a token or
    bigram the profile knows (hidden somewhere in the source), how often it occurs. The volume
    step hands QC this for the OCR of each redacted page image it made, so QC need not OCR it again;
    like the profile it holds no word in clear, and nothing the profile does not ask about."""
    found: dict[str, Counter] = {"tokens": Counter(), "bigrams": Counter()}
    for text in texts:
        sequence = tokens(text)
        found["tokens"].update(sequence)
        found["bigrams"].update(bigrams(sequence))
    result: dict[str, dict[str, int]] = {}
    for kind, counts in found.items():
        entries = profile.get(kind, {})
        hashed = {keyed_hash(key, value): count for value, count in counts.items()} if entries else {}
        result[kind] = dict(sorted((h, n) for h, n in hashed.items() if h in entries))
    return result


def find_leaks(profile: dict, key: bytes, texts: list[str], page: int | None = None) -> Leaks:
    """Leaks in one piece of produced content: `texts` are its pages (bigrams never cross
    them); `page` (1-based) when the content is one produced page, compared with what
    that page shows, else with the whole document. A hidden token or bigram leaks when
    it occurs more often than it is visible in the source."""
    return leaks_in_reading(profile, reading(profile, key, texts), page)


def leaks_in_reading(profile: dict, counted: dict, page: int | None = None) -> Leaks:
    """`find_leaks` on content already counted by `reading`."""
    leaked = {}
    for kind in ("tokens", "bigrams"):
        entries = profile.get(kind, {})
        leaked[kind] = 0
        for hashed, count in counted.get(kind, {}).items():
            entry = entries.get(hashed)
            if entry is None:
                continue
            visible = (
                entry["visible"].get(str(page), 0) if page is not None else sum(entry["visible"].values())
            )
            if count > visible:
                leaked[kind] += 1
    return Leaks(leaked["tokens"], leaked["bigrams"])
