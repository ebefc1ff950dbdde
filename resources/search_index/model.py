"""What both search backends share: the records, the interface, and the checks on hostile input."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from domain.errors import PermanentError

MAX_LIMIT = 1000
MAX_QUERY_TERMS = 100
MARK_START, MARK_END = "<mark>", "</mark>"


@dataclass(frozen=True)
class IndexedText:
    document_id: int
    exhibit_id: int | None
    text: str
    source: str = ""  # where the text came from, e.g. 'exchange:101-202-9001'


@dataclass(frozen=True)
class SearchHit:
    document_id: int
    exhibit_id: int | None
    score: float  # higher is better; comparable within one search only
    snippet: str  # HTML-escaped text with hits in <mark>...</mark>


@runtime_checkable
class SearchIndex(Protocol):
    def upsert(self, case_id: int, texts: Iterable[IndexedText]) -> int:
        """Write the texts, replacing any earlier text of the same document; returns the count written."""
        ...

    def delete(self, case_id: int, document_ids: Iterable[int]) -> int:
        """Remove documents from the case's index; returns how many were there."""
        ...

    def search(self, case_id: int, query: str, limit: int = 20) -> list[SearchHit]:
        """Documents holding every word of `query`, best first."""
        ...

    def count(self, case_id: int) -> int: ...


def valid_text(value: str) -> str:
    """Lone surrogates (from badly decoded sources) cannot be stored as UTF-8; replace them."""
    return value.encode("utf-8", "replace").decode("utf-8")


def document_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PermanentError("A document id must be a positive whole number.", document_id=repr(value))
    return value


def exhibit_id(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PermanentError("An exhibit id must be a positive whole number.", exhibit_id=repr(value))
    return value


def checked(item: IndexedText) -> IndexedText:
    return IndexedText(
        document_id=document_id(item.document_id),
        exhibit_id=exhibit_id(item.exhibit_id),
        text=valid_text(item.text or ""),
        source=valid_text(item.source or ""),
    )


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise PermanentError(
            f"A search limit must be a whole number from 1 to {MAX_LIMIT}.", limit=repr(limit)
        )
    return limit


def query_terms(query: str) -> list[str]:
    """The distinct words of a user query, in order; too many words is a user error, not a crash."""
    # FTS5 reads a query as a C string: a NUL would end it mid-quote, so it separates words instead.
    terms = list(dict.fromkeys(valid_text(query or "").replace("\x00", " ").split()))
    if len(terms) > MAX_QUERY_TERMS:
        raise PermanentError(f"A search may hold at most {MAX_QUERY_TERMS} words.", words=len(terms))
    return terms


def marked_snippet(raw: str, start: str, end: str) -> str:
    """Escape the snippet text, then turn the raw hit markers into <mark> tags."""
    return html.escape(raw, quote=True).replace(start, MARK_START).replace(end, MARK_END)


def last_per_document(batch: Iterable[IndexedText]) -> list[IndexedText]:
    """The same document twice in one batch: the later text wins, as a second upsert would."""
    return list({item.document_id: item for item in batch}.values())
