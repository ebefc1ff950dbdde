"""Scanning a document's text, page by page: findings with their place, a masked snippet and a score.

A document's text is its pages joined by form feeds (what a production writes to TEXT/); a
finding's `page` is 1-based and its `start`/`end` are offsets in that page's text. Nothing here
keeps a finding's clear value beyond the scan: reports and events carry `masked` and `snippet`
(no hash of the value either: an SSN's hash is found again by trying the billion SSNs).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

from domain.pii.context import Page
from domain.pii.recognizers import (
    CARD,
    DOB,
    EMAIL,
    IBAN,
    PERSON,
    PHONE,
    RECOGNIZERS,
    ROUTING,
    SSN,
    TYPES,
    Match,
    Ner,
)

SNIPPET_CONTEXT = 30  # characters either side of a finding in its snippet
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Finding:
    type: str
    document_id: int
    page: int
    start: int
    end: int
    masked: str
    snippet: str
    score: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Scanner:
    """The recognizers of `types`, an allowlist of values that are not personal data (the case's own
    switchboard number, a published test card; `@domain` allows every address at a domain and its
    subdomains, e.g. the client's own), and a named-entity function for person names."""

    types: tuple[str, ...] = tuple(t for t in TYPES if t != PERSON)
    allowlist: Iterable[str] = ()
    ner: Ner | None = None
    region: str = "US"
    _allowed: set[str] = field(init=False, default_factory=set)
    _domains: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        unknown = set(self.types) - set(TYPES)
        if unknown:
            raise ValueError(f"unknown personal data types {sorted(unknown)}; known: {list(TYPES)}")
        self._allowed = {normalize(v) for v in self.allowlist if normalize(v)}
        self._domains = tuple(sorted(v[1:] for v in self._allowed if v.startswith("@") and len(v) > 2))

    @property
    def allowed(self) -> frozenset[str]:
        """The allowlist as compared (normalized)."""
        return frozenset(self._allowed)

    def matches(self, text: str) -> list[Match]:
        """Every finding in `text`, overlaps resolved (the surer one wins; a card is not also a phone)."""
        found: list[Match] = []
        page = Page(text)  # folded once; its lines, rows and headers shared by every recognizer
        for kind in self.types:
            if kind == PERSON:
                if self.ner is not None:
                    found += [
                        Match(PERSON, s, e, text[s:e], 0.6)
                        for s, e, label in self.ner(text)
                        if label == "PERSON"
                    ]
                continue
            recognizer = RECOGNIZERS[kind]
            found += recognizer(page, self.region) if kind == PHONE else recognizer(page)
        kept: list[Match] = []
        for m in sorted(found, key=lambda m: (-m.score, -(m.end - m.start), m.start)):
            if self._is_allowed(m):
                continue
            if any(m.start < k.end and k.start < m.end for k in kept):
                continue
            kept.append(m)
        return sorted(kept, key=lambda m: m.start)

    def _is_allowed(self, m: Match) -> bool:
        value = normalize(m.value)
        if value in self._allowed:
            return True
        if m.type == EMAIL and self._domains:
            domain = value.rpartition("@")[2]
            return any(domain == d or domain.endswith("." + d) for d in self._domains)
        return False

    def scan_document(self, document_id: int, text: str) -> Iterator[Finding]:
        for number, page in enumerate(text.split("\f"), start=1):
            matches = self.matches(page)
            for m in matches:
                yield Finding(
                    m.type,
                    document_id,
                    number,
                    m.start,
                    m.end,
                    mask(m.type, m.value),
                    snippet(page, m, matches),
                    round(m.score, 2),
                )


def normalize(value: str) -> str:
    """What makes two writings of one value equal: case, spaces and separators do not count."""
    text = unicodedata.normalize("NFKC", value).casefold()
    if "@" in text:  # an address (or an allowed @domain): its dots matter
        return re.sub(r"\s", "", text)
    return re.sub(r"[\s\-().]", "", text)


def mask(kind: str, value: str) -> str:
    """The value with all but what identifies it to its owner hidden (last four digits, an email's domain)."""
    if kind == EMAIL:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind in (SSN, CARD, IBAN, ROUTING, PHONE):
        digits_seen = sum(c.isalnum() for c in value)
        keep = 4 if digits_seen > 6 else 0
        out, shown = [], 0
        for ch in reversed(value):
            if ch.isalnum() and shown < keep:
                out.append(ch)
                shown += 1
            elif ch.isalnum():
                out.append("*")
            else:
                out.append(ch)
        masked = "".join(reversed(out))
        return value[:2] + masked[2:] if kind == IBAN else masked  # an IBAN's country is not personal
    if kind == DOB:
        return re.sub(r"[A-Za-z0-9]", "*", value)
    return value[:1] + "*" * max(0, len(value) - 1)


def snippet(page: str, match: Match, matches: list[Match]) -> str:
    """The finding with some text either side, every finding inside it masked, on one line."""
    start, end = max(0, match.start - SNIPPET_CONTEXT), min(len(page), match.end + SNIPPET_CONTEXT)
    pieces, at = [], start
    for m in matches:
        if m.end <= start or m.start >= end:
            continue
        pieces.append(page[at : max(at, m.start)])
        inside = page[max(m.start, start) : min(m.end, end)]
        whole = m.start >= start and m.end <= end
        # A finding cut by the window edge is hidden entirely: its visible end is not its last digits.
        pieces.append(mask(m.type, inside) if whole else re.sub(r"\w", "*", inside))
        at = min(m.end, end)
    pieces.append(page[at:end])
    text = re.sub(r"\s+", " ", "".join(pieces)).strip()
    return ("…" if start > 0 else "") + text + ("…" if end < len(page) else "")


def above(findings: Iterable[Finding], threshold: float = DEFAULT_THRESHOLD) -> list[Finding]:
    return [f for f in findings if f.score >= threshold]


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in findings:
        out[f.type] = out.get(f.type, 0) + 1
    return dict(sorted(out.items()))
