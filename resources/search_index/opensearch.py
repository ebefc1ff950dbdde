"""The OpenSearch search backend: one index per case, spoken to through `opensearch-py`.

The client does the HTTP, the NDJSON bulk bodies and their cutting by count and size;
this module keeps what is the platform's own: the per-case index and its mapping, the
refusal of credentials in the URL, the password read from a secret, and typed errors
(5xx, 429 and an unreachable service are retryable, any other refusal is permanent).
The client itself never retries (`max_retries=0`): a RetryableError goes back to the
run's retry policy, like every other service's.
"""

from __future__ import annotations

import contextlib
import logging
import urllib.parse
from collections.abc import Iterable, Iterator
from typing import Any

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import ConnectionError as ServiceUnreachable
from opensearchpy.exceptions import ImproperlyConfigured, NotFoundError, TransportError

from domain.batches import batched
from domain.errors import PermanentError, RetryableError, SettingsError
from domain.keys import validate_case_id
from domain.log import get_logger
from resources.search_index.model import (
    MARK_END,
    MARK_START,
    IndexedText,
    SearchHit,
    check_limit,
    checked,
    document_id,
    last_per_document,
    query_terms,
)
from resources.secrets import Secret

log = get_logger("search")

# The client logs request and response bodies at DEBUG; those bodies are document text.
logging.getLogger("opensearch").setLevel(logging.INFO)

# Fields as FTS5 sees them: words folded to lower case without diacritics.
INDEX_BODY = {
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
# The bulk API's documented body type (the client would send application/json).
_NDJSON = {"Content-Type": "application/x-ndjson"}


class OpenSearchIndex:
    """One OpenSearch index per case, `{prefix}-case-{id}`; the document id is the `_id`."""

    bulk_docs = 500
    bulk_bytes = 8 * 1024 * 1024

    def __init__(
        self,
        url: str,
        prefix: str = "nextpoint",
        user: str | None = None,
        password: Secret | None = None,
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
        self.password = password  # read when the client is made; its repr never shows the value
        self.timeout = timeout
        self._client: OpenSearch | None = None
        self._created: set[str] = set()

    def index_name(self, case_id: object) -> str:
        return f"{self.prefix}-case-{validate_case_id(case_id)}"

    def upsert(self, case_id: int, texts: Iterable[IndexedText]) -> int:
        index = self.index_name(case_id)
        self._ensure_index(index)
        written = 0
        for batch in batched((checked(item) for item in texts), self.bulk_docs):
            # An index action keyed by the document id, so indexing again replaces.
            actions = [
                {"_op_type": "index", "_index": index, "_id": str(item.document_id), "_source": _fields(item)}
                for item in last_per_document(batch)
            ]
            written += self._bulk(index, actions, "index")
        return written

    def delete(self, case_id: int, document_ids: Iterable[int]) -> int:
        index = self.index_name(case_id)
        ids = sorted({document_id(d) for d in document_ids})
        deleted = 0
        for batch in batched(ids, self.bulk_docs):
            actions = [{"_op_type": "delete", "_index": index, "_id": str(d)} for d in batch]
            deleted += self._bulk(index, actions, "delete")
        return deleted

    def search(self, case_id: int, query: str, limit: int = 20) -> list[SearchHit]:
        index = self.index_name(case_id)
        limit = check_limit(limit)
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
        with _translated(f"POST /{index}/_search"):
            try:
                result = self._connection().search(index=index, body=body)
            except NotFoundError:
                return []  # the case was never indexed
        return [_hit(h) for h in result.get("hits", {}).get("hits", [])]

    def count(self, case_id: int) -> int:
        index = self.index_name(case_id)
        with _translated(f"POST /{index}/_count"):
            try:
                return int(self._connection().count(index=index).get("count", 0))
            except NotFoundError:
                return 0

    # -- internals

    def _connection(self) -> OpenSearch:
        """The client, made on first use: the password is read from its secret then, never stored here."""
        if self._client is None:
            auth = (self.user, _password(self.password)) if self.user else None
            self._client = OpenSearch(
                hosts=[self.url],
                http_auth=auth,
                timeout=self.timeout,
                max_retries=0,
                retry_on_timeout=False,
            )
        return self._client

    def _ensure_index(self, index: str) -> None:
        """Create the case's index with its mapping once; another worker creating it first is fine."""
        if index in self._created:
            return
        try:
            with _translated(f"PUT /{index}"):
                self._connection().indices.create(index=index, body=INDEX_BODY)
        except PermanentError as exc:
            if exc.context.get("error") != "resource_already_exists_exception":
                raise
        self._created.add(index)

    def _bulk(self, index: str, actions: list[dict[str, Any]], action: str) -> int:
        """One batch through the client's bulk helper (cut by count and by size, so one huge text does
        not stall a request); a failed document fails the batch, the next batch is not sent."""
        done, failed = 0, []
        with _translated("POST /_bulk"):
            for _ok, outcome in helpers.streaming_bulk(
                self._connection(),
                actions,
                chunk_size=self.bulk_docs,
                max_chunk_bytes=self.bulk_bytes,
                raise_on_error=False,
                # wait_for: the written text is searchable when the call returns, without forcing a refresh.
                refresh="wait_for",
                headers=_NDJSON,
            ):
                status = int(outcome.get(action, {}).get("status", 500))
                if 200 <= status < 300:
                    done += 1
                elif not (action == "delete" and status == 404):  # deleting what is not there is fine
                    failed.append(status)
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


@contextlib.contextmanager
def _translated(request: str) -> Iterator[None]:
    """The client's exceptions as the platform's typed errors. Only OpenSearch's error type is kept
    (the body may echo document text), and never the URL."""
    try:
        yield
    except ServiceUnreachable as exc:  # refused, reset, timed out, TLS: a TransportError without a status
        raise RetryableError("The search service could not be reached; the work will be retried.") from exc
    except TransportError as exc:
        status = exc.status_code if isinstance(exc.status_code, int) else None
        error = exc.info.get("error") if isinstance(exc.info, dict) else None
        context = {"status": status, "request": request}
        context["error"] = error.get("type") if isinstance(error, dict) else None
        if status is None or status >= 500 or status == 429:
            raise RetryableError(
                "The search service is unavailable; the work will be retried.", **context
            ) from exc
        raise PermanentError("The search service refused a request.", **context) from exc
    except ImproperlyConfigured as exc:
        raise SettingsError("The OpenSearch client settings are invalid.", error=str(exc)) from exc


def _fields(item: IndexedText) -> dict[str, Any]:
    return {
        "document_id": item.document_id,
        "exhibit_id": item.exhibit_id,
        "text": item.text,
        "source": item.source,
    }


def _hit(raw: dict) -> SearchHit:
    source = raw.get("_source", {})
    fragments = raw.get("highlight", {}).get("text", [])
    return SearchHit(
        document_id=int(source.get("document_id", raw.get("_id"))),
        exhibit_id=source.get("exhibit_id"),
        score=float(raw.get("_score") or 0.0),
        snippet=fragments[0] if fragments else "",
    )


def _password(password: Secret | None) -> str:
    if password is None:
        raise SettingsError("NP_OPENSEARCH_USER is set without its password (NP_OPENSEARCH_PASSWORD).")
    return password.get()
