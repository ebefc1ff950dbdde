"""Stamp requests against real case databases (SQLite and MariaDB): numbering, idempotency, bad input."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select, update

from domain import schema
from domain.errors import PermanentError
from domain.stamps import ledger, service
from domain.stamps.numbering import allocate, family_order
from domain.stamps.request import bates_text, confidentiality_text, exhibit_text, parse_request
from nextpoint_assets.stamps.sync import SourceCache
from tests.stamp_fixtures import Doc, build_case, request


@pytest.fixture(params=["sqlite", "mariadb"])
def backend(request):
    if request.param == "mariadb":
        return request.getfixturevalue("mysql_env")
    return request.getfixturevalue("settings")


def _handle(case, body: dict, tmp: Path, **kwargs) -> service.StampResult:
    counter = SourceCache(case.store, tmp / "sources").count_pages
    return service.handle(parse_request(body, case.case_id), case.engine, case.store, counter, **kwargs)


def _bates(case) -> list[tuple[int, int, int, str]]:
    with case.engine.connect() as conn:
        rows = ledger.rows(conn, stamp_type="bates")
    return sorted((r.bates_number, r.exhibit_id, r.page_number, r.text) for r in rows)


def _next_number(case, pattern_id: int = 1) -> int:
    with case.engine.connect() as conn:
        return ledger.patterns(conn, [pattern_id])[pattern_id].next_number


def test_pure_numbering_and_texts():
    parents = {1: None, 2: 1, 3: 2, 4: 1, 5: None}
    assert family_order([5, 4, 3, 1, 2], parents) == [5, 1, 4, 2, 3]  # siblings in request order
    assert family_order([3, 2], parents) == [2, 3]  # the attachment of an attachment follows it
    assert allocate([5, 1], {5: 2, 1: 3}, 10) == {5: (10, 11), 1: (12, 14)}
    assert bates_text("ACME", 42, 7, "-C") == "ACME0000042-C"
    assert confidentiality_text(3, {1: "CONFIDENTIAL", 2: "AEO"}) == "CONFIDENTIAL / AEO"
    assert confidentiality_text(0, {1: "CONFIDENTIAL"}) is None
    with pytest.raises(PermanentError, match="bit"):
        confidentiality_text(4, {1: "CONFIDENTIAL"})
    assert (
        exhibit_text("PX {exhibit_number} ({control_number}) {0.__class__}", 12, 7, "C-7")
        == "PX 12 (C-7) {0.__class__}"
    )


@pytest.mark.parametrize(
    "body, problem",
    [
        ({"type": "bates_stamp", "action": "apply", "exhibit_ids": [1]}, "pattern_id"),
        ({"type": "exhibit_stamp", "action": "apply", "exhibit_ids": [1]}, "template.text"),
        (
            {
                "type": "exhibit_stamp",
                "action": "apply",
                "exhibit_ids": [1],
                "template": {"text": "{exhibit_number.__class__}"},
            },
            "placeholder",
        ),
        (
            {
                "type": "exhibit_stamp",
                "action": "apply",
                "exhibit_ids": [1],
                "template": {"text": "EXHIBIT \u4e00"},
            },
            "cannot print",
        ),
        ({"type": "bates_stamp", "action": "apply", "exhibit_ids": [], "pattern_id": 1}, "exhibit_ids"),
        ({"type": "bates_stamp", "action": "apply", "exhibit_ids": [-3], "pattern_id": 1}, "positive"),
        ({"type": "stamp", "action": "apply", "exhibit_ids": [1]}, "type"),
        (
            {
                "type": "bates_stamp",
                "action": "apply",
                "exhibit_ids": [1],
                "pattern_id": 1,
                "template": {"position": "middle"},
            },
            "position",
        ),
    ],
)
def test_hostile_requests_are_refused_with_the_reason(body, problem):
    with pytest.raises(PermanentError, match=problem):
        parse_request({"event_id": "x", "case_id": 101, **body})
    with pytest.raises(PermanentError, match="case 101, not case 202"):
        parse_request(request("x", 101, "confidentiality_stamp", "apply", [1]), 202)


def test_apply_numbers_every_page_in_family_order_and_skips_nothing(backend, tmp_path):
    case = build_case(
        backend,
        101,
        [Doc(1, 3), Doc(2, 2, parent=1), Doc(3, 1), Doc(4, 2, parent=1)],
        patterns=[("ACME", "", 7, 100)],
    )
    result = _handle(case, request("e1", 101, "bates_stamp", "apply", [3, 2, 1, 4], pattern_id=1), tmp_path)
    assert result.exhibit_ids == [3, 1, 2, 4] and not result.failed
    assert result.bates_range == {"begin": "ACME0000100", "end": "ACME0000107"}
    numbers = _bates(case)
    assert [n for n, *_ in numbers] == list(range(100, 108))
    assert [(e, p) for _, e, p, _ in numbers] == [
        (3, 1),
        (1, 1),
        (1, 2),
        (1, 3),
        (2, 1),
        (2, 2),
        (4, 1),
        (4, 2),
    ]
    assert _next_number(case) == 108
    with case.engine.connect() as conn:
        bounds = {r.id: (r.bates_begin, r.bates_end) for r in conn.execute(select(schema.exhibits))}
    assert bounds[1] == ("ACME0000101", "ACME0000103") and bounds[3] == ("ACME0000100", "ACME0000100")

    # The same event again changes nothing and answers the same.
    again = _handle(case, request("e1", 101, "bates_stamp", "apply", [3, 2, 1, 4], pattern_id=1), tmp_path)
    assert again.already_done and again.bates_range == result.bates_range and _bates(case) == numbers
    # A new event for exhibits already numbered takes no number either.
    other = _handle(case, request("e2", 101, "bates_stamp", "apply", [1, 3], pattern_id=1), tmp_path)
    assert other.already_done and _next_number(case) == 108


def test_bad_exhibits_are_named_and_the_rest_numbered_without_gaps(backend, tmp_path):
    docs = [
        Doc(1, 2),
        Doc(2, 2, page_count=5),
        Doc(3, 1, encrypted=True),
        Doc(4, 1, parent=3),
        Doc(5, 1),
        Doc(6, 1, page_count=None),
    ]
    case = build_case(backend, 101, docs)
    case.store.delete("documents/5/rendition.pdf")
    result = _handle(
        case, request("e1", 101, "bates_stamp", "apply", [1, 2, 3, 4, 5, 6, 999], pattern_id=1), tmp_path
    )
    assert result.exhibit_ids == [1, 6]
    assert "verified page count is 5 but its PDF has 2 pages" in result.failed[2]
    assert "password-protected" in result.failed[3]
    assert "held back with its family" in result.failed[4]
    assert "missing" in result.failed[5]
    assert result.failed[999] == "Exhibit 999 is not in case 101."
    assert [n for n, *_ in _bates(case)] == [1, 2, 3] and _next_number(case) == 4

    with pytest.raises(PermanentError, match="pattern 77 does not exist"):
        _handle(case, request("e2", 101, "bates_stamp", "apply", [5], pattern_id=77), tmp_path)
    assert _next_number(case) == 4


def test_a_failure_inside_the_transaction_takes_no_number(settings, tmp_path, monkeypatch):
    case = build_case(settings, 101, [Doc(1, 3), Doc(2, 2)])

    def crash(*_args, **_kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(ledger, "set_next_number", crash)
    with pytest.raises(RuntimeError):
        _handle(case, request("e1", 101, "bates_stamp", "apply", [1, 2], pattern_id=1), tmp_path)
    assert _bates(case) == [] and _next_number(case) == 1
    assert not case.store.exists(
        service.receipt_key(parse_request(request("e1", 101, "bates_stamp", "apply", [1], pattern_id=1)))
    )
    monkeypatch.undo()
    result = _handle(case, request("e1", 101, "bates_stamp", "apply", [1, 2], pattern_id=1), tmp_path)
    assert result.bates_range == {"begin": "ACME0000001", "end": "ACME0000005"}


def test_a_crash_after_the_commit_then_a_rerun_writes_the_receipt_an_uninterrupted_run_writes(
    settings, tmp_path, monkeypatch
):
    case = build_case(settings, 101, [Doc(1, 2), Doc(2, 1, parent=1), Doc(3, 1)])
    body = request("e1", 101, "bates_stamp", "apply", [3, 2, 1], pattern_id=1)
    key = service.receipt_key(parse_request(body, 101))
    put, meant = case.store.put_bytes, {}

    def killed(relative, data, content_type=None):
        if relative == key:  # the process dies once the numbers are committed, before the receipt is written
            meant[relative] = data
            raise RuntimeError("worker killed")
        return put(relative, data, content_type)

    monkeypatch.setattr(case.store, "put_bytes", killed)
    with pytest.raises(RuntimeError):
        _handle(case, body, tmp_path)
    monkeypatch.undo()
    assert not case.store.exists(key) and _next_number(case) == 5
    again = _handle(case, body, tmp_path)
    assert again.already_done and again.exhibit_ids == [3, 1, 2] and _next_number(case) == 5
    assert case.store.get_bytes(key) == meant[key]


def test_concurrent_requests_on_one_pattern_never_gap_or_duplicate(backend, tmp_path):
    docs = [Doc(i, pages=1 + i % 3) for i in range(1, 33)]
    case = build_case(backend, 101, docs)
    counter = SourceCache(case.store, tmp_path / "sources")
    for doc in docs:  # download up front: the race is in the database, not the store
        counter.count_pages(f"documents/{doc.id}/rendition.pdf")
    barrier = threading.Barrier(8)
    results: list = []
    errors: list = []

    def run(worker: int) -> None:
        body = request(
            f"c{worker}",
            101,
            "bates_stamp",
            "apply",
            list(range(worker * 4 + 1, worker * 4 + 5)),
            pattern_id=1,
        )
        barrier.wait()
        try:
            results.append(service.handle(parse_request(body), case.engine, case.store, counter.count_pages))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    numbers = _bates(case)
    total = sum(d.pages for d in docs)
    assert [n for n, *_ in numbers] == list(range(1, total + 1)) and _next_number(case) == total + 1
    for result in results:  # every request got one unbroken run
        begin, end = (int(result.bates_range[k][4:]) for k in ("begin", "end"))
        assert end - begin + 1 == result.pages


def test_remove_keeps_numbers_unless_reuse_is_asked_and_possible(backend, tmp_path):
    case = build_case(backend, 101, [Doc(1, 2), Doc(2, 3), Doc(3, 1)])
    _handle(case, request("a", 101, "bates_stamp", "apply", [1, 2, 3], pattern_id=1), tmp_path)
    removed = _handle(case, request("r1", 101, "bates_stamp", "remove", [1]), tmp_path)
    assert removed.exhibit_ids == [1] and removed.bates_range == {
        "begin": "ACME0000001",
        "end": "ACME0000002",
    }
    assert _next_number(case) == 7 and [n for n, *_ in _bates(case)] == [3, 4, 5, 6]
    with pytest.raises(PermanentError, match="cannot be reused"):
        _handle(case, request("r2", 101, "bates_stamp", "remove", [2], reuse_numbers=True), tmp_path)
    assert [n for n, *_ in _bates(case)] == [3, 4, 5, 6]  # refused whole: nothing removed
    tail = _handle(case, request("r3", 101, "bates_stamp", "remove", [3], reuse_numbers=True), tmp_path)
    assert tail.exhibit_ids == [3] and _next_number(case) == 6
    with case.engine.connect() as conn:
        assert (
            conn.execute(select(schema.exhibits.c.bates_begin).where(schema.exhibits.c.id == 3)).scalar()
            is None
        )
    again = _handle(case, request("a2", 101, "bates_stamp", "apply", [1], pattern_id=1), tmp_path)
    assert again.bates_range == {"begin": "ACME0000006", "end": "ACME0000007"}


def test_update_reformats_and_moves_without_renumbering(settings, tmp_path):
    case = build_case(settings, 101, [Doc(1, 2)])
    _handle(case, request("a", 101, "bates_stamp", "apply", [1], pattern_id=1), tmp_path)
    with case.engine.begin() as conn:
        conn.execute(update(schema.bates_patterns).values(prefix="ACME-", padding=5))
    result = _handle(
        case,
        request(
            "u", 101, "bates_stamp", "update", [1], template={"position": "bottom_center", "font_size": 12}
        ),
        tmp_path,
    )
    assert result.bates_range == {"begin": "ACME-00001", "end": "ACME-00002"}
    with case.engine.connect() as conn:
        rows = ledger.rows(conn, [1], "bates")
    assert [(r.bates_number, r.position) for r in rows] == [(1, "bottom_center"), (2, "bottom_center")]
    assert service.read_style(case.store) == {"bates": 12.0}


def test_confidentiality_and_exhibit_stamps_follow_the_database_and_template(backend, tmp_path):
    case = build_case(
        backend, 101, [Doc(1, 2, status=2), Doc(2, 1, status=0), Doc(3, 1, status=8), Doc(4, 3)]
    )
    conf = _handle(case, request("c", 101, "confidentiality_stamp", "apply", [1, 2, 3]), tmp_path)
    assert conf.exhibit_ids == [1] and 2 in conf.skipped and "bit(s) [8]" in conf.failed[3]
    with case.engine.connect() as conn:
        rows = ledger.rows(conn, stamp_type="confidentiality")
    assert [(r.exhibit_id, r.page_number, r.text, r.position) for r in rows] == [
        (1, 1, "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY", "bottom_left"),
        (1, 2, "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY", "bottom_left"),
    ]
    # The designation changes in the database; an update follows it, and a cleared one goes.
    with case.engine.begin() as conn:
        conn.execute(
            update(schema.exhibits).where(schema.exhibits.c.id == 1).values(confidentiality_status=0)
        )
    cleared = _handle(case, request("c2", 101, "confidentiality_stamp", "update", [1]), tmp_path)
    assert 1 in cleared.skipped
    with case.engine.connect() as conn:
        assert ledger.rows(conn, stamp_type="confidentiality") == []

    ex = _handle(
        case,
        request(
            "x",
            101,
            "exhibit_stamp",
            "apply",
            [4, 1],
            template={"text": "PLAINTIFF EXHIBIT {exhibit_number}", "start_number": 12},
        ),
        tmp_path,
    )
    assert ex.exhibit_ids == [4, 1]
    with case.engine.connect() as conn:
        rows = ledger.rows(conn, stamp_type="exhibit")
    assert [(r.exhibit_id, r.page_number, r.text, r.position) for r in rows] == [
        (1, 1, "PLAINTIFF EXHIBIT 13", "top_right"),
        (4, 1, "PLAINTIFF EXHIBIT 12", "top_right"),
    ]
    removed = _handle(case, request("x2", 101, "exhibit_stamp", "remove", [4, 2]), tmp_path)
    assert removed.exhibit_ids == [4] and 2 in removed.skipped
