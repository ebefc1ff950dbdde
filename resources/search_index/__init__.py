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

from resources.search_index.fts5 import Fts5SearchIndex, fts5_query
from resources.search_index.model import IndexedText, SearchHit, SearchIndex, query_terms
from resources.search_index.opensearch import OpenSearchIndex
from resources.secrets import secret_from_settings

__all__ = [
    "Fts5SearchIndex",
    "IndexedText",
    "OpenSearchIndex",
    "SearchHit",
    "SearchIndex",
    "build_search_index",
    "fts5_query",
    "query_terms",
]


def build_search_index(settings) -> SearchIndex:
    """The search index the settings choose: FTS5 files under `search_dir`, or OpenSearch."""
    if settings.search_backend == "opensearch":
        return OpenSearchIndex(
            settings.opensearch_url,
            prefix=settings.opensearch_index_prefix,
            user=settings.opensearch_user,
            password=secret_from_settings(settings, "NP_OPENSEARCH_PASSWORD"),
        )
    return Fts5SearchIndex(settings.search_dir)
