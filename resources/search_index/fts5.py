"""The default search backend: one SQLite FTS5 file per case."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from domain.batches import batched
from domain.errors import PermanentError, RetryableError
from domain.keys import validate_case_id
from resources.search_index.model import (
    IndexedText,
    SearchHit,
    check_limit,
    checked,
    document_id,
    last_per_document,
    marked_snippet,
    query_terms,
)

SNIPPET_TOKENS = 16
# FTS5 marks hits with characters no document should hold, so escaping can run after snippet().
_RAW_START, _RAW_END = "\ue000", "\ue001"

_FTS5_SCHEMA = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS document_text USING fts5("
    "text, exhibit_id UNINDEXED, source UNINDEXED, "
    "tokenize = 'unicode61 remove_diacritics 2')"
)


def fts5_query(terms: list[str]) -> str:
    """Each term as an FTS5 string ("" escapes a quote), joined by spaces: FTS5's implicit AND.

    Inside a string, FTS5 operators (*, :, NEAR, parentheses, -) are plain text
    for the tokenizer; a term of punctuation only is an empty phrase FTS5 ignores.
    """
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


class Fts5SearchIndex:
    """One SQLite file per case, `{root}/case_{id}.sqlite`; the FTS5 rowid is the document id."""

    batch_size = 1000
    busy_timeout_ms = 30_000

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, case_id: object) -> Path:
        return self.root / f"case_{validate_case_id(case_id)}.sqlite"

    def upsert(self, case_id: int, texts: Iterable[IndexedText]) -> int:
        written = 0
        with self._connect(case_id, create=True) as conn, _transaction(conn):
            for batch in batched((checked(item) for item in texts), self.batch_size):
                rows = last_per_document(batch)
                # Delete then insert: FTS5 has no unique key, the rowid is the only way to replace.
                conn.executemany(
                    "DELETE FROM document_text WHERE rowid = ?", [(r.document_id,) for r in rows]
                )
                conn.executemany(
                    "INSERT INTO document_text (rowid, text, exhibit_id, source) VALUES (?, ?, ?, ?)",
                    [(r.document_id, r.text, r.exhibit_id, r.source) for r in rows],
                )
                written += len(rows)
        return written

    def delete(self, case_id: int, document_ids: Iterable[int]) -> int:
        case_id = validate_case_id(case_id)  # a bad case id is refused even with nothing to delete
        ids = sorted({document_id(d) for d in document_ids})
        if not ids:
            return 0
        with self._connect(case_id, create=False) as conn:
            if conn is None:
                return 0
            deleted = 0
            with _transaction(conn):
                for batch in batched(ids, self.batch_size):
                    # rowcount, not total_changes: the latter also counts FTS5's own shadow-table rows.
                    cursor = conn.executemany(
                        "DELETE FROM document_text WHERE rowid = ?", [(d,) for d in batch]
                    )
                    deleted += cursor.rowcount
            return deleted

    def search(self, case_id: int, query: str, limit: int = 20) -> list[SearchHit]:
        case_id = validate_case_id(case_id)  # a bad case id is refused even for an empty query
        limit = check_limit(limit)
        terms = query_terms(query)
        if not terms:
            return []
        with self._connect(case_id, create=False) as conn:
            if conn is None:
                return []
            rows = conn.execute(
                "SELECT rowid, exhibit_id, bm25(document_text), snippet(document_text, 0, ?, ?, '…', ?) "
                "FROM document_text WHERE document_text MATCH ? ORDER BY rank LIMIT ?",
                (_RAW_START, _RAW_END, SNIPPET_TOKENS, fts5_query(terms), limit),
            ).fetchall()
        # bm25() is lower-is-better; hits report higher-is-better like OpenSearch's _score.
        return [
            SearchHit(doc, exhibit, -bm25, marked_snippet(raw, _RAW_START, _RAW_END))
            for doc, exhibit, bm25, raw in rows
        ]

    def count(self, case_id: int) -> int:
        with self._connect(case_id, create=False) as conn:
            return 0 if conn is None else conn.execute("SELECT count(*) FROM document_text").fetchone()[0]

    @contextlib.contextmanager
    def _connect(self, case_id: object, *, create: bool) -> Iterator[sqlite3.Connection | None]:
        """A connection to the case's file; None when reading a case never indexed (no file is made)."""
        path = self.path(case_id)
        if not create and not path.exists():
            yield None
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE in _transaction).
            conn = sqlite3.connect(path, timeout=self.busy_timeout_ms / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise _classify(exc, path) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            if create:
                # WAL lets searches read while a run writes; the mode is kept in the file.
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute(_FTS5_SCHEMA)
            yield conn
        except sqlite3.Error as exc:
            raise _classify(exc, path) from exc
        finally:
            conn.close()


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    # IMMEDIATE takes the write lock up front, so two writers wait (busy_timeout) instead of deadlocking.
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def _classify(exc: sqlite3.Error, path: Path) -> Exception:
    message = str(exc).lower()
    if "locked" in message or "busy" in message:
        return RetryableError("The search index is busy; the work will be retried.", index=path.name)
    return PermanentError("The search index could not be used.", index=path.name, error=type(exc).__name__)
