"""Per-case full-text search over document text: SQLite FTS5 by default, OpenSearch by configuration.

Every case has its own index (one SQLite file, or one OpenSearch index), so a
search in one case cannot reach another case's documents. A document's text is
keyed by its document id: indexing it again replaces it.

User query text is hostile: it is never passed to a query parser as syntax.
Each whitespace-separated word becomes a quoted FTS5 string (or the text of an
OpenSearch `match` query), and a document must hold every word.

Snippets are HTML-safe: the text around the hit is HTML-escaped and the hits
are wrapped in `<mark>` tags, because document text is as hostile as queries.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from domain.errors import PermanentError, RetryableError, SettingsError
from domain.keys import validate_case_id
from domain.log import get_logger
from resources.secrets import read_secret

log = get_logger("search")

MAX_LIMIT = 1000
MAX_QUERY_TERMS = 100
SNIPPET_TOKENS = 16
MARK_START, MARK_END = "<mark>", "</mark>"
# FTS5 marks hits with characters no document should hold, so escaping can run after snippet().
_RAW_START, _RAW_END = "\ue000", "\ue001"


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


# ---------------------------------------------------------------- shared helpers


def _valid_text(value: str) -> str:
    """Lone surrogates (from badly decoded sources) cannot be stored as UTF-8; replace them."""
    return value.encode("utf-8", "replace").decode("utf-8")


def _document_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PermanentError("A document id must be a positive whole number.", document_id=repr(value))
    return value


def _exhibit_id(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PermanentError("An exhibit id must be a positive whole number.", exhibit_id=repr(value))
    return value


def _checked(item: IndexedText) -> IndexedText:
    return IndexedText(
        document_id=_document_id(item.document_id),
        exhibit_id=_exhibit_id(item.exhibit_id),
        text=_valid_text(item.text or ""),
        source=_valid_text(item.source or ""),
    )


def _check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise PermanentError(
            f"A search limit must be a whole number from 1 to {MAX_LIMIT}.", limit=repr(limit)
        )
    return limit


def query_terms(query: str) -> list[str]:
    """The distinct words of a user query, in order; too many words is a user error, not a crash."""
    # FTS5 reads a query as a C string: a NUL would end it mid-quote, so it separates words instead.
    terms = list(dict.fromkeys(_valid_text(query or "").replace("\x00", " ").split()))
    if len(terms) > MAX_QUERY_TERMS:
        raise PermanentError(f"A search may hold at most {MAX_QUERY_TERMS} words.", words=len(terms))
    return terms


def fts5_query(terms: list[str]) -> str:
    """Each term as an FTS5 string ("" escapes a quote), joined by spaces: FTS5's implicit AND.

    Inside a string, FTS5 operators (*, :, NEAR, parentheses, -) are plain text
    for the tokenizer; a term of punctuation only is an empty phrase FTS5 ignores.
    """
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _marked_snippet(raw: str, start: str, end: str) -> str:
    """Escape the snippet text, then turn the raw hit markers into <mark> tags."""
    return html.escape(raw, quote=True).replace(start, MARK_START).replace(end, MARK_END)


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _last_per_document(batch: list[IndexedText]) -> list[IndexedText]:
    """The same document twice in one batch: the later text wins, as a second upsert would."""
    return list({item.document_id: item for item in batch}.values())


# ---------------------------------------------------------------- SQLite FTS5

_FTS5_SCHEMA = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS document_text USING fts5("
    "text, exhibit_id UNINDEXED, source UNINDEXED, "
    "tokenize = 'unicode61 remove_diacritics 2')"
)


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
            for batch in _batches((_checked(item) for item in texts), self.batch_size):
                rows = _last_per_document(batch)
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
        ids = sorted({_document_id(d) for d in document_ids})
        if not ids:
            return 0
        with self._connect(case_id, create=False) as conn:
            if conn is None:
                return 0
            deleted = 0
            with _transaction(conn):
                for batch in _batches(ids, self.batch_size):
                    # rowcount, not total_changes: the latter also counts FTS5's own shadow-table rows.
                    cursor = conn.executemany(
                        "DELETE FROM document_text WHERE rowid = ?", [(d,) for d in batch]
                    )
                    deleted += cursor.rowcount
            return deleted

    def search(self, case_id: int, query: str, limit: int = 20) -> list[SearchHit]:
        case_id = validate_case_id(case_id)  # a bad case id is refused even for an empty query
        limit = _check_limit(limit)
        terms = query_terms(query)
        if not terms:
            return []
        with self._connect(case_id, create=False) as conn:
            if conn is None:
                return []
            rows = _run(
                conn,
                "SELECT rowid, exhibit_id, bm25(document_text), snippet(document_text, 0, ?, ?, '…', ?) "
                "FROM document_text WHERE document_text MATCH ? ORDER BY rank LIMIT ?",
                (_RAW_START, _RAW_END, SNIPPET_TOKENS, fts5_query(terms), limit),
            )
        # bm25() is lower-is-better; hits report higher-is-better like OpenSearch's _score.
        return [
            SearchHit(doc, exhibit, -bm25, _marked_snippet(raw, _RAW_START, _RAW_END))
            for doc, exhibit, bm25, raw in rows
        ]

    def count(self, case_id: int) -> int:
        with self._connect(case_id, create=False) as conn:
            return 0 if conn is None else _run(conn, "SELECT count(*) FROM document_text", ())[0][0]

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


def _run(conn: sqlite3.Connection, sql: str, params: tuple) -> list[tuple]:
    return conn.execute(sql, params).fetchall()


def _classify(exc: sqlite3.Error, path: Path) -> Exception:
    message = str(exc).lower()
    if "locked" in message or "busy" in message:
        return RetryableError("The search index is busy; the work will be retried.", index=path.name)
    return PermanentError("The search index could not be used.", index=path.name, error=type(exc).__name__)


# ---------------------------------------------------------------- OpenSearch

# Fields as FTS5 sees them: words folded to lower case without diacritics.
_INDEX_BODY = {
    "settings": {
        "analysis": {
            "analyzer": {
                "np_text": {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": ["lowercase", "asciifolding"],
                }
            }
        }
    },
    "mappings": {
        "dynamic": "strict",
        "properties": {
            "document_id": {"type": "long"},
            "exhibit_id": {"type": "long"},
            "text": {"type": "text", "analyzer": "np_text"},
            "source": {"type": "keyword"},
        },
    },
}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the Authorization header to wherever it points; refuse it instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class OpenSearchIndex:
    """One OpenSearch index per case, `{prefix}-case-{id}`; the document id is the `_id`."""

    bulk_docs = 500
    bulk_bytes = 8 * 1024 * 1024

    def __init__(
        self,
        url: str,
        prefix: str = "nextpoint",
        user: str | None = None,
        password_env: str = "NP_OPENSEARCH_PASSWORD",
        timeout: float = 30.0,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError("NP_OPENSEARCH_URL must be an http(s) URL.")
        if parts.username or parts.password:
            raise SettingsError(
                "NP_OPENSEARCH_URL may not hold credentials; use NP_OPENSEARCH_USER and the password env."
            )
        self.url = url.rstrip("/")
        self.prefix = prefix
        self.user = user
        self.password_env = password_env
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects)
        self._created: set[str] = set()

    def index_name(self, case_id: object) -> str:
        return f"{self.prefix}-case-{validate_case_id(case_id)}"

    def upsert(self, case_id: int, texts: Iterable[IndexedText]) -> int:
        index = self.index_name(case_id)
        self._ensure_index(index)
        written = 0
        for lines in self._bulk_chunks(index, (_checked(item) for item in texts)):
            written += self._bulk(index, lines, action="index")
        return written

    def delete(self, case_id: int, document_ids: Iterable[int]) -> int:
        index = self.index_name(case_id)
        ids = sorted({_document_id(d) for d in document_ids})
        deleted = 0
        for batch in _batches(ids, self.bulk_docs):
            lines = [_ndjson({"delete": {"_index": index, "_id": str(d)}}) for d in batch]
            deleted += self._bulk(index, lines, action="delete")
        return deleted

    def search(self, case_id: int, query: str, limit: int = 20) -> list[SearchHit]:
        index = self.index_name(case_id)
        limit = _check_limit(limit)
        terms = query_terms(query)
        if not terms:
            return []
        body = {
            # A match query analyses its text as words: no query syntax reaches a parser.
            "query": {"match": {"text": {"query": " ".join(terms), "operator": "and"}}},
            "size": limit,
            "_source": ["document_id", "exhibit_id"],
            "highlight": {
                "encoder": "html",  # the document text around the hit is escaped, like FTS5 snippets
                "pre_tags": [MARK_START],
                "post_tags": [MARK_END],
                "fields": {"text": {"fragment_size": 150, "number_of_fragments": 1}},
            },
        }
        result = self._request("POST", f"/{index}/_search", _json_bytes(body), missing_ok=True)
        return [] if result is None else [_hit(h) for h in result.get("hits", {}).get("hits", [])]

    def count(self, case_id: int) -> int:
        index = self.index_name(case_id)
        result = self._request("GET", f"/{index}/_count", None, missing_ok=True)
        return 0 if result is None else int(result.get("count", 0))

    # -- internals

    def _ensure_index(self, index: str) -> None:
        """Create the case's index with its mapping once; another worker creating it first is fine."""
        if index in self._created:
            return
        try:
            self._request("PUT", f"/{index}", _json_bytes(_INDEX_BODY))
        except PermanentError as exc:
            if exc.context.get("error") != "resource_already_exists_exception":
                raise
        self._created.add(index)

    def _bulk_chunks(self, index: str, items: Iterable[IndexedText]) -> Iterator[list[bytes]]:
        """NDJSON action/document pairs, cut by count and by size so one huge text does not stall a request."""
        for batch in _batches(items, self.bulk_docs):
            lines: list[bytes] = []
            size = 0
            for item in _last_per_document(batch):
                pair = _index_pair(index, item)
                if lines and size + len(pair) > self.bulk_bytes:
                    yield lines
                    lines, size = [], 0
                lines.append(pair)
                size += len(pair)
            if lines:
                yield lines

    def _bulk(self, index: str, lines: list[bytes], *, action: str) -> int:
        # wait_for: the written text is searchable when the call returns, without forcing a refresh.
        result = self._request("POST", "/_bulk?refresh=wait_for", b"".join(lines), ndjson=True)
        done, failed = _bulk_outcome(result or {}, action)
        log.debug("search bulk %s: index=%s done=%d failed=%d", action, index, done, len(failed))
        if failed:
            status = max(failed)
            error = RetryableError if status >= 500 or status == 429 else PermanentError
            raise error(
                "The search index refused part of a bulk request.",
                index=index,
                status=status,
                failed=len(failed),
            )
        return done

    def _request(
        self, method: str, path: str, body: bytes | None, *, ndjson: bool = False, missing_ok: bool = False
    ) -> dict | None:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/x-ndjson" if ndjson else "application/json"
        if self.user:
            headers["Authorization"] = _basic_auth(self.user, read_secret(self.password_env))
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and missing_ok:
                return None  # the case was never indexed
            raise _http_error(exc, method, path) from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise RetryableError(
                "The search service could not be reached; the work will be retried."
            ) from exc


def _bulk_outcome(result: dict, action: str) -> tuple[int, list[int]]:
    """(items done, statuses of items failed); deleting a document that is not there is not a failure."""
    done, failed = 0, []
    for item in result.get("items", []):
        outcome = item.get(action, {})
        status = int(outcome.get("status", 500))
        if 200 <= status < 300:
            done += 1
        elif not (action == "delete" and status == 404):
            failed.append(status)
    return done, failed


def _http_error(exc: urllib.error.HTTPError, method: str, path: str) -> Exception:
    # Only OpenSearch's error type is kept: the body may echo document text.
    error_type = _error_type(exc)
    where = f"{method} {path.split('?')[0]}"
    if exc.code >= 500 or exc.code == 429:
        return RetryableError(
            "The search service is unavailable; the work will be retried.",
            status=exc.code,
            request=where,
            error=error_type,
        )
    return PermanentError(
        "The search service refused a request.", status=exc.code, request=where, error=error_type
    )


def _error_type(exc: urllib.error.HTTPError) -> str | None:
    try:
        error = json.loads(exc.read() or b"{}").get("error")
    except (ValueError, OSError, AttributeError):
        return None
    return error.get("type") if isinstance(error, dict) else None


def _hit(raw: dict) -> SearchHit:
    source = raw.get("_source", {})
    fragments = raw.get("highlight", {}).get("text", [])
    return SearchHit(
        document_id=int(source.get("document_id", raw.get("_id"))),
        exhibit_id=source.get("exhibit_id"),
        score=float(raw.get("_score") or 0.0),
        snippet=fragments[0] if fragments else "",
    )


def _index_pair(index: str, item: IndexedText) -> bytes:
    """An index action keyed by the document id (so indexing again replaces), then the document."""
    action = {"index": {"_index": index, "_id": str(item.document_id)}}
    document = {
        "document_id": item.document_id,
        "exhibit_id": item.exhibit_id,
        "text": item.text,
        "source": item.source,
    }
    return _ndjson(action) + _ndjson(document)


def _basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _json_bytes(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _ndjson(value: object) -> bytes:
    # json.dumps escapes newlines inside strings, so each value stays on its one line.
    return _json_bytes(value) + b"\n"


# ---------------------------------------------------------------- choice by settings


def build_search_index(settings) -> SearchIndex:
    """The search index the settings choose: FTS5 files under `search_dir`, or OpenSearch."""
    if settings.search_backend == "opensearch":
        return OpenSearchIndex(
            settings.opensearch_url,
            prefix=settings.opensearch_index_prefix,
            user=settings.opensearch_user,
            password_env=settings.opensearch_password_env,
        )
    return Fts5SearchIndex(settings.search_dir)
