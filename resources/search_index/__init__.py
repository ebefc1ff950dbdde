"""Per-case full-text search over document text: SQLite FTS5 by default, OpenSearch by configuration.

Every case has its own index (one SQLite file, or one OpenSearch index), so a
search in one case cannot reach another case's documents. A document's text is
keyed by its document id: indexing it again replaces it.

User query text is hostile: it is never passed to a query parser as syntax.
Each whitespace-separated word becomes a quoted FTS5 string (or the text of an
OpenSearch `match` query), and a document must hold every word.

Snippets are HTML-safe: the text around the hit is HTML-escaped and the hits
are wrapped in `<mark>` tags, because document text is as hostile as queries.

Modules: `model` (records, the `SearchIndex` protocol, input checks), `fts5`
(SQLite), `opensearch` (the `opensearch-py` client); `build_search_index` picks one.
"""

from __future__ import annotations

from pathlib import Path

from resources.search_index.fts5 import Fts5SearchIndex, fts5_query
from resources.search_index.model import IndexedText, SearchHit, SearchIndex, query_terms
from resources.secrets import Secret, secret_from_settings

__all__ = [
    "Fts5SearchIndex",
    "IndexedText",
    "OpenSearchIndex",
    "SearchHit",
    "SearchIndex",
    "build_search_index",
    "open_search_index",
    "fts5_query",
    "query_terms",
]


def open_search_index(
    backend: str,
    root: Path,
    url: str | None,
    prefix: str,
    user: str | None,
    password: Secret | None,
    timeout: float = 30.0,
) -> SearchIndex:
    """The search index `backend` names (FTS5 files under `root`, or OpenSearch): the one switch,
    for the resource and for plain code."""
    if backend == "opensearch":
        from resources.search_index.opensearch import OpenSearchIndex  # see __getattr__ below

        return OpenSearchIndex(url or "", prefix, user, password, timeout)
    return Fts5SearchIndex(Path(root))


def build_search_index(settings) -> SearchIndex:
    """The search index the settings choose."""
    return open_search_index(
        settings.search_backend,
        settings.search_dir,
        settings.opensearch_url,
        settings.opensearch_index_prefix,
        settings.opensearch_user,
        secret_from_settings(settings, "NP_OPENSEARCH_PASSWORD"),
    )


def __getattr__(name: str):
    """`OpenSearchIndex` on first use: opensearch-py (with requests) costs every process that loads the
    definitions ~0.1 s, and the laptop's index is FTS5 (bench/README.md "ui_turnaround")."""
    if name == "OpenSearchIndex":
        from resources.search_index.opensearch import OpenSearchIndex

        return OpenSearchIndex
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
