"""Per-case full-text search: the FTS5 files, and the OpenSearch adapter (opensearch-py) over real HTTP
against a stub server that records every request."""

from __future__ import annotations

import base64
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from domain.errors import InvalidCaseId, PermanentError, RetryableError, SettingsError
from resources.search_index import (
    Fts5SearchIndex,
    IndexedText,
    OpenSearchIndex,
    SearchIndex,
    build_search_index,
    fts5_query,
)
from resources.secrets import Secret
from resources.settings import load_settings

CASE_A, CASE_B = 101, 202


def text(document_id: int, words: str, exhibit_id: int | None = None, source: str = "") -> IndexedText:
    return IndexedText(document_id=document_id, exhibit_id=exhibit_id, text=words, source=source)


@pytest.fixture
def fts(tmp_path) -> Fts5SearchIndex:
    return Fts5SearchIndex(tmp_path / "search")


# ---------------------------------------------------------------- FTS5


def test_fts5_finds_documents_by_word_and_without_diacritics(fts, tmp_path):
    written = fts.upsert(
        CASE_A,
        [
            text(
                1, "The merger agreement was signed in Zürich.", exhibit_id=7, source="exchange:101-202-9001"
            ),
            text(2, "Café invoices for the résumé review.", exhibit_id=None),
            text(3, "Nothing relevant here."),
        ],
    )
    assert written == 3
    assert (tmp_path / "search" / "case_101.sqlite").is_file()

    hits = fts.search(CASE_A, "merger")
    assert [(h.document_id, h.exhibit_id) for h in hits] == [(1, 7)]
    assert "<mark>merger</mark>" in hits[0].snippet
    assert hits[0].score > 0

    assert [h.document_id for h in fts.search(CASE_A, "zurich")] == [1]  # ü folds to u
    assert [h.document_id for h in fts.search(CASE_A, "CAFE resume")] == [2]  # every word, any case
    assert "<mark>Café</mark>" in fts.search(CASE_A, "cafe")[0].snippet
    assert fts.search(CASE_A, "merger café") == []  # all terms must be present


def test_fts5_snippets_escape_document_markup(fts):
    fts.upsert(CASE_A, [text(1, "<script>alert(1)</script> privileged memo")])
    snippet = fts.search(CASE_A, "privileged")[0].snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert "<mark>privileged</mark>" in snippet


def test_fts5_upsert_replaces_a_documents_text(fts):
    fts.upsert(CASE_A, [text(1, "original deposition transcript"), text(2, "other document")])
    assert fts.upsert(CASE_A, [text(1, "corrected transcript", exhibit_id=9)]) == 1
    assert fts.count(CASE_A) == 2
    assert fts.search(CASE_A, "original") == []
    assert [(h.document_id, h.exhibit_id) for h in fts.search(CASE_A, "corrected")] == [(1, 9)]


def test_fts5_the_same_document_twice_in_one_call_keeps_the_last(fts):
    assert fts.upsert(CASE_A, [text(1, "first words"), text(1, "second words")]) == 1
    assert fts.count(CASE_A) == 1
    assert fts.search(CASE_A, "first") == [] and len(fts.search(CASE_A, "second")) == 1


def test_fts5_delete(fts):
    fts.upsert(CASE_A, [text(1, "alpha"), text(2, "alpha beta"), text(3, "gamma")])
    assert fts.delete(CASE_A, [1, 3, 99]) == 2
    assert fts.count(CASE_A) == 1
    assert [h.document_id for h in fts.search(CASE_A, "alpha")] == [2]
    assert fts.delete(CASE_A, []) == 0
    assert fts.delete(CASE_B, [2]) == 0  # never indexed: nothing there, no file made


def test_fts5_cases_are_isolated(fts, tmp_path):
    fts.upsert(CASE_A, [text(1, "shared privileged words from case A")])
    fts.upsert(CASE_B, [text(1, "shared words from case B"), text(2, "only in B")])
    (hit_a,) = fts.search(CASE_A, "shared")
    (hit_b,) = fts.search(CASE_B, "shared")  # same document id, each case sees only its own text
    assert "case A" in hit_a.snippet and "case B" in hit_b.snippet
    assert fts.search(CASE_A, "only") == [] and fts.search(CASE_B, "privileged") == []
    assert (fts.count(CASE_A), fts.count(CASE_B)) == (1, 2)
    fts.delete(CASE_B, [1])
    assert fts.count(CASE_A) == 1
    assert sorted(p.name for p in (tmp_path / "search").glob("*.sqlite")) == [
        "case_101.sqlite",
        "case_202.sqlite",
    ]


def test_fts5_unknown_case_is_empty_and_creates_nothing(fts, tmp_path):
    assert fts.search(303, "anything") == [] and fts.count(303) == 0
    assert not (tmp_path / "search" / "case_303.sqlite").exists()


@pytest.mark.parametrize("case_id", [0, -1, "1/../2", "abc", True, None, 1.5])
def test_fts5_refuses_bad_case_ids(fts, case_id):
    with pytest.raises(InvalidCaseId):
        fts.upsert(case_id, [text(1, "x")])
    with pytest.raises(InvalidCaseId):
        fts.search(case_id, "")


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "a*",
        "NEAR(",
        "x:y",
        "-",
        ")",
        "(",
        "AND",
        "OR NOT",
        "text:merger",
        "^merger",
        "NEAR(merger agreement, 2)",
        '"unbalanced',
        "merger*",
        "{text}: merger",
        "\x00",
        "\ud800",
        "-merger",
        "+",
        "'; DROP TABLE document_text; --",
    ],
)
def test_fts5_hostile_queries_do_not_raise(fts, query):
    fts.upsert(CASE_A, [text(1, "merger agreement x y text")])
    hits = fts.search(CASE_A, query)
    assert isinstance(hits, list)
    assert fts.count(CASE_A) == 1


def test_fts5_query_operators_are_plain_words(fts):
    fts.upsert(CASE_A, [text(1, "near and or not"), text(2, "merger")])
    assert [h.document_id for h in fts.search(CASE_A, "NEAR AND")] == [1]
    assert [h.document_id for h in fts.search(CASE_A, "x:merger")] == []  # the phrase "x merger"
    assert [h.document_id for h in fts.search(CASE_A, "(merger)")] == [2]


def test_fts5_query_quotes_each_term():
    assert fts5_query(['say"hi', "NEAR(", "a*"]) == '"say""hi" "NEAR(" "a*"'


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_returns_nothing(fts, query):
    fts.upsert(CASE_A, [text(1, "anything")])
    assert fts.search(CASE_A, query) == []


def test_fts5_refuses_bad_limits_and_document_ids(fts):
    with pytest.raises(PermanentError):
        fts.search(CASE_A, "x", limit=0)
    with pytest.raises(PermanentError):
        fts.upsert(CASE_A, [text(0, "x")])
    with pytest.raises(PermanentError):
        fts.search(CASE_A, " ".join(f"w{i}" for i in range(500)))


def test_fts5_indexes_two_thousand_documents_in_one_call(fts):
    docs = (
        text(i, f"document number{i} about {'contract' if i % 2 else 'email'} matters", exhibit_id=i)
        for i in range(1, 2001)
    )
    assert fts.upsert(CASE_A, docs) == 2000
    assert fts.count(CASE_A) == 2000
    assert [h.document_id for h in fts.search(CASE_A, "number1999")] == [1999]
    assert len(fts.search(CASE_A, "contract", limit=1000)) == 1000
    assert len(fts.search(CASE_A, "email matters", limit=5)) == 5
    # re-indexing every document replaces, never duplicates
    assert fts.upsert(CASE_A, (text(i, "replaced") for i in range(1, 2001))) == 2000
    assert fts.count(CASE_A) == 2000 and fts.search(CASE_A, "contract") == []


def test_fts5_a_failed_upsert_writes_nothing(fts):
    fts.upsert(CASE_A, [text(1, "kept")])
    with pytest.raises(PermanentError):
        fts.upsert(CASE_A, [text(1, "lost"), text(-5, "bad id")])
    assert [h.document_id for h in fts.search(CASE_A, "kept")] == [1] and fts.search(CASE_A, "lost") == []


def test_fts5_file_uses_wal(fts, tmp_path):
    import sqlite3

    fts.upsert(CASE_A, [text(1, "x")])
    with sqlite3.connect(tmp_path / "search" / "case_101.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_fts5_satisfies_the_protocol(fts):
    assert isinstance(fts, SearchIndex)


# ---------------------------------------------------------------- OpenSearch stub


class StubOpenSearch:
    """A tiny OpenSearch: records every request, keeps documents per index, matches all words."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.indexes: dict[str, dict[str, dict]] = {}
        self.force_status: int | None = None
        self.redirect_to: str | None = None  # with force_status 30x: where the answer points
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stub.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        # HTTP header names are case-insensitive: kept lower-cased
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                status, answer = stub.answer(self.command, self.path, body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                if stub.redirect_to:
                    self.send_header("Location", stub.redirect_to + self.path)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict]:
        if self.force_status is not None:
            return self.force_status, {
                "error": {"type": "stub_error", "reason": "forced"},
                "status": self.force_status,
            }
        route = path.split("?")[0].strip("/").split("/")
        if method == "PUT" and len(route) == 1:
            if route[0] in self.indexes:
                return 400, {"error": {"type": "resource_already_exists_exception"}, "status": 400}
            self.indexes[route[0]] = {}
            return 200, {"acknowledged": True, "index": route[0]}
        if route == ["_bulk"]:
            return 200, self._bulk(body)
        if route[0] not in self.indexes:
            return 404, {"error": {"type": "index_not_found_exception"}, "status": 404}
        if route[1:] == ["_count"]:
            return 200, {"count": len(self.indexes[route[0]])}
        if route[1:] == ["_search"]:
            return 200, self._search(route[0], json.loads(body))
        return 400, {"error": {"type": "unknown_route"}}

    def _bulk(self, body: bytes) -> dict:
        lines = [json.loads(line) for line in body.decode().splitlines()]
        items, at = [], 0
        while at < len(lines):
            ((action, meta),) = lines[at].items()
            docs = self.indexes.setdefault(meta["_index"], {})
            if action == "index":
                docs[meta["_id"]] = lines[at + 1]
                items.append({"index": {"_index": meta["_index"], "_id": meta["_id"], "status": 201}})
                at += 2
            else:
                status = 200 if docs.pop(meta["_id"], None) else 404
                items.append({"delete": {"_index": meta["_index"], "_id": meta["_id"], "status": status}})
                at += 1
        return {"errors": False, "items": items}

    def _search(self, index: str, body: dict) -> dict:
        words = body["query"]["match"]["text"]["query"].lower().split()
        hits = []
        for doc_id, doc in self.indexes[index].items():
            if all(w in doc["text"].lower().split() for w in words):
                marked = " ".join(
                    f"<mark>{w}</mark>" if w.lower() in words else w for w in doc["text"].split()
                )
                hits.append(
                    {
                        "_index": index,
                        "_id": doc_id,
                        "_score": 1.5,
                        "_source": {k: doc[k] for k in body["_source"]},
                        "highlight": {"text": [marked]},
                    }
                )
        return {"hits": {"total": {"value": len(hits)}, "hits": hits[: body["size"]]}}

    def of(self, method: str, path_start: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == method and r["path"].startswith(path_start)]


@pytest.fixture
def stub():
    server = StubOpenSearch()
    yield server
    server.stop()


def test_opensearch_bulk_indexes_by_document_id(stub):
    index = OpenSearchIndex(stub.url, prefix="np")
    written = index.upsert(
        CASE_A,
        [
            text(11, "merger agreement", exhibit_id=5, source="exchange:101-202-9001"),
            text(12, "line one\nline two"),
        ],
    )
    assert written == 2
    (create,) = stub.of("PUT", "/np-case-101")
    assert json.loads(create["body"])["mappings"]["properties"]["text"]["type"] == "text"

    (bulk,) = stub.of("POST", "/_bulk")
    assert "refresh=" in bulk["path"]
    assert bulk["headers"]["content-type"] == "application/x-ndjson"
    assert bulk["body"].endswith(b"\n")
    lines = [json.loads(line) for line in bulk["body"].decode().splitlines()]
    assert lines == [
        {"index": {"_index": "np-case-101", "_id": "11"}},
        {"document_id": 11, "exhibit_id": 5, "text": "merger agreement", "source": "exchange:101-202-9001"},
        {"index": {"_index": "np-case-101", "_id": "12"}},
        {"document_id": 12, "exhibit_id": None, "text": "line one\nline two", "source": ""},
    ]
    assert "authorization" not in bulk["headers"]


def test_opensearch_bulk_requests_are_cut_by_count_and_size(stub):
    index = OpenSearchIndex(stub.url)
    index.bulk_docs = 2
    assert index.upsert(CASE_A, (text(i, f"doc {i}") for i in range(1, 6))) == 5
    assert len(stub.of("POST", "/_bulk")) == 3
    stub.requests.clear()
    index.bulk_docs, index.bulk_bytes = 500, 1  # one document per request, however many fit by count
    assert index.upsert(CASE_A, [text(1, "a"), text(2, "b")]) == 2
    assert len(stub.of("POST", "/_bulk")) == 2 and index.count(CASE_A) == 5


def test_opensearch_reindexing_replaces_and_cases_are_isolated(stub):
    index = OpenSearchIndex(stub.url)
    index.upsert(CASE_A, [text(1, "original words")])
    index.upsert(CASE_A, [text(1, "corrected words")])
    index.upsert(CASE_B, [text(1, "original words"), text(2, "more")])
    assert len(stub.of("PUT", "/")) == 2  # each case's index is created once per adapter
    assert (index.count(CASE_A), index.count(CASE_B)) == (1, 2)
    assert index.search(CASE_A, "original") == []
    assert [h.document_id for h in index.search(CASE_B, "original")] == [1]
    assert {r["path"].split("/")[1] for r in stub.of("POST", "/nextpoint-case-")} == {
        "nextpoint-case-101",
        "nextpoint-case-202",
    }


def test_opensearch_search_request_and_hits(stub):
    index = OpenSearchIndex(stub.url)
    index.upsert(CASE_A, [text(7, "Privileged merger memo", exhibit_id=3)])
    hits = index.search(CASE_A, '  merger  "memo" NEAR( ', limit=5)

    (request,) = stub.of("POST", "/nextpoint-case-101/_search")
    body = json.loads(request["body"])
    assert body["query"] == {"match": {"text": {"query": 'merger "memo" NEAR(', "operator": "and"}}}
    assert body["size"] == 5
    assert body["highlight"]["encoder"] == "html" and body["highlight"]["pre_tags"] == ["<mark>"]
    assert "text" in body["highlight"]["fields"]
    assert request["headers"]["content-type"] == "application/json"

    stub.requests.clear()
    assert index.search(CASE_A, "") == [] and stub.requests == []  # empty query: no request at all
    hits = index.search(CASE_A, "merger memo")
    assert [(h.document_id, h.exhibit_id, h.score) for h in hits] == [(7, 3, 1.5)]
    assert "<mark>merger</mark>" in hits[0].snippet


def test_opensearch_delete_uses_bulk_deletes(stub):
    index = OpenSearchIndex(stub.url)
    index.upsert(CASE_A, [text(1, "a"), text(2, "b")])
    stub.requests.clear()
    assert index.delete(CASE_A, [2, 3]) == 1
    (bulk,) = stub.of("POST", "/_bulk")
    assert [json.loads(line) for line in bulk["body"].decode().splitlines()] == [
        {"delete": {"_index": "nextpoint-case-101", "_id": "2"}},
        {"delete": {"_index": "nextpoint-case-101", "_id": "3"}},
    ]
    assert index.count(CASE_A) == 1


def test_opensearch_unknown_case_is_empty(stub):
    index = OpenSearchIndex(stub.url)
    assert index.search(CASE_B, "anything") == [] and index.count(CASE_B) == 0


def test_opensearch_basic_auth_password_comes_from_the_environment(stub, monkeypatch, caplog):
    index = OpenSearchIndex(stub.url, user="indexer", password=Secret("NP_TEST_OS_PASSWORD", "s3cret-pw"))
    caplog.set_level(logging.DEBUG)
    index.upsert(CASE_A, [text(1, "words")])
    index.search(CASE_A, "words")
    expected = "Basic " + base64.b64encode(b"indexer:s3cret-pw").decode()
    assert stub.requests and all(r["headers"]["authorization"] == expected for r in stub.requests)
    assert all("s3cret" not in r["path"] and "indexer" not in r["path"] for r in stub.requests)
    assert "s3cret" not in caplog.text and "s3cret" not in repr(vars(index))


def test_opensearch_missing_password_is_a_settings_error(stub):
    index = OpenSearchIndex(stub.url, user="indexer", password=Secret("NP_TEST_OS_PASSWORD_UNSET"))
    with pytest.raises(SettingsError, match="NP_TEST_OS_PASSWORD_UNSET"):
        index.count(CASE_A)


def test_opensearch_url_may_not_hold_credentials():
    with pytest.raises(SettingsError):
        OpenSearchIndex("https://user:pw@search.example.com")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (503, RetryableError),
        (500, RetryableError),
        (429, RetryableError),
        (400, PermanentError),
        (403, PermanentError),
    ],
)
def test_opensearch_http_errors_are_classified(stub, status, error):
    index = OpenSearchIndex(stub.url)
    index.upsert(CASE_A, [text(1, "x")])  # the index exists: the failures below are the bulk and search calls
    stub.force_status = status
    calls = (
        lambda: index.upsert(CASE_A, [text(1, "x")]),
        lambda: index.delete(CASE_A, [1]),
        lambda: index.search(CASE_A, "x"),
        lambda: index.count(CASE_A),
        lambda: index.upsert(CASE_B, [text(1, "x")]),
    )  # and creating a new case's index
    for call in calls:
        with pytest.raises(error) as raised:
            call()
        assert raised.value.context["status"] == status
        assert stub.url not in str(raised.value)


def test_opensearch_bulk_item_failures_are_errors(stub, monkeypatch):
    index = OpenSearchIndex(stub.url)
    index.upsert(CASE_A, [text(1, "x")])

    def failing_bulk(body):
        return {
            "errors": True,
            "items": [{"index": {"_id": "1", "status": 503}}, {"index": {"_id": "2", "status": 201}}],
        }

    monkeypatch.setattr(stub, "_bulk", failing_bulk)
    with pytest.raises(RetryableError):
        index.upsert(CASE_A, [text(1, "x"), text(2, "y")])


def test_opensearch_failures_are_sent_once_and_stop_the_next_batch(stub, monkeypatch):
    index = OpenSearchIndex(stub.url)
    index.upsert(CASE_A, [text(1, "x")])
    stub.requests.clear()
    stub.force_status = 503
    with pytest.raises(RetryableError):
        index.search(CASE_A, "x")
    assert len(stub.requests) == 1  # the client does not retry: the run's retry policy does
    stub.force_status = None
    stub.requests.clear()

    def refusing_bulk(body):
        return {"errors": True, "items": [{"index": {"_id": "1", "status": 400}}]}

    monkeypatch.setattr(stub, "_bulk", refusing_bulk)
    index.bulk_docs = 1
    with pytest.raises(PermanentError) as raised:
        index.upsert(CASE_A, [text(1, "x"), text(2, "y"), text(3, "z")])
    assert raised.value.context["status"] == 400
    assert len(stub.of("POST", "/_bulk")) == 1


def test_opensearch_redirects_are_refused_and_credentials_stay(stub, monkeypatch):
    elsewhere = StubOpenSearch()
    try:
        index = OpenSearchIndex(stub.url, user="indexer", password=Secret("NP_TEST_OS_PASSWORD", "s3cret-pw"))
        stub.force_status, stub.redirect_to = 302, elsewhere.url
        with pytest.raises(PermanentError) as raised:
            index.count(CASE_A)
        assert raised.value.context["status"] == 302
        assert len(stub.requests) == 1 and elsewhere.requests == []
    finally:
        elsewhere.stop()


def test_opensearch_unreachable_is_retryable(stub):
    url = stub.url
    stub.stop()
    with pytest.raises(RetryableError):
        OpenSearchIndex(url).search(CASE_A, "x")


def test_opensearch_refuses_bad_case_ids(stub):
    with pytest.raises(InvalidCaseId):
        OpenSearchIndex(stub.url).search("101/../_all", "x")
    assert stub.requests == []


# ---------------------------------------------------------------- choice by settings


def test_build_search_index_follows_the_settings(tmp_path):
    default = build_search_index(load_settings({"NP_HOME": str(tmp_path)}))
    assert isinstance(default, Fts5SearchIndex)
    assert default.path(CASE_A) == tmp_path.resolve() / "search" / "case_101.sqlite"

    chosen = build_search_index(
        load_settings(
            {
                "NP_HOME": str(tmp_path),
                "NP_SEARCH_BACKEND": "opensearch",
                "NP_OPENSEARCH_URL": "https://search.example.com/",
                "NP_OPENSEARCH_INDEX_PREFIX": "np-c2",
                "NP_OPENSEARCH_USER": "indexer",
            }
        )
    )
    assert isinstance(chosen, OpenSearchIndex)
    assert chosen.index_name(CASE_A) == "np-c2-case-101"
    assert (chosen.url, chosen.user, chosen.password.name) == (
        "https://search.example.com",
        "indexer",
        "NP_OPENSEARCH_PASSWORD",
    )


def test_search_settings_are_validated(tmp_path):
    with pytest.raises(SettingsError, match="NP_OPENSEARCH_URL"):
        load_settings({"NP_HOME": str(tmp_path), "NP_SEARCH_BACKEND": "opensearch"})
    with pytest.raises(SettingsError, match="NP_SEARCH_BACKEND"):
        load_settings({"NP_HOME": str(tmp_path), "NP_SEARCH_BACKEND": "solr"})
    with pytest.raises(SettingsError, match="NP_OPENSEARCH_INDEX_PREFIX"):
        load_settings({"NP_HOME": str(tmp_path), "NP_OPENSEARCH_INDEX_PREFIX": "Bad/Prefix"})


def test_the_dagster_resource_hands_out_the_chosen_index(tmp_path):
    from resources.dagster_resources import SearchIndexResource, build_resources

    settings = load_settings({"NP_HOME": str(tmp_path)})
    resource = build_resources(settings)["search_index"]
    assert isinstance(resource, SearchIndexResource)
    index = resource.index()
    assert isinstance(index, Fts5SearchIndex) and index.root == settings.search_dir
    index.upsert(CASE_A, [text(1, "through the resource")])
    assert [h.document_id for h in resource.index().search(CASE_A, "resource")] == [1]
