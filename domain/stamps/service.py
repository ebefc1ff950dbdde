"""A stamp request applied to the case database: numbers taken, rows written, one transaction.

What happens per request:
1. a request seen before (its receipt exists) changes nothing and returns the same result;
2. every exhibit is checked first (in the case, a readable PDF whose page count
   agrees with the exhibit's): a bad one is named with the reason and held back,
   Bates families are held back whole;
3. one transaction writes the stamp rows (and, for Bates, takes the numbers under
   the pattern's lock); a crash before the commit leaves nothing taken;
4. the receipt is written, so a re-delivery finds it.

The stamped page files are made afterwards from the database (pageset.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from sqlalchemy import Engine

from domain.errors import PermanentError, PlatformError
from domain.stamps import ledger
from domain.stamps.ledger import ExhibitFacts, Pattern, StampRow
from domain.stamps.numbering import allocate, families, family_order
from domain.stamps.request import MAX_TEXT, StampRequest, confidentiality_text, exhibit_text

PREFIX = "stamped_pages/"
STYLE_KEY = f"{PREFIX}style.json"
DEFAULT_FONT_SIZE = 10.0
DEFAULT_MAX_PAGES = 100_000

#: A PDF's page count by object key; raises a PlatformError (missing, encrypted, corrupt).
PageCounter = Callable[[str], int]


@dataclass
class StampResult:
    event_id: str
    case_id: int
    stamp_type: str
    action: str
    exhibit_ids: list[int] = field(default_factory=list)  # exhibits the request changed or confirmed
    failed: dict[int, str] = field(default_factory=dict)  # exhibit -> what to fix
    skipped: dict[int, str] = field(default_factory=dict)  # exhibit -> why nothing was needed
    bates_range: dict[str, str] | None = None
    pages: int = 0
    already_done: bool = False

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> StampResult:
        data = dict(data)
        data["failed"] = {int(k): v for k, v in data.get("failed", {}).items()}
        data["skipped"] = {int(k): v for k, v in data.get("skipped", {}).items()}
        return cls(**data)


def receipt_key(request: StampRequest) -> str:
    return f"{PREFIX}requests/{request.receipt_name}.json"


def read_style(store) -> dict[str, float]:
    if not store.exists(STYLE_KEY):
        return {}
    try:
        raw = json.loads(store.get_bytes(STYLE_KEY))
        return {k: float(v) for k, v in raw.items() if k in ("bates", "confidentiality", "exhibit")}
    except (ValueError, TypeError, AttributeError):
        return {}


def handle(
    request: StampRequest, engine: Engine, store, count_pages: PageCounter, max_pages: int = DEFAULT_MAX_PAGES
) -> StampResult:
    """Apply, update or remove the request's stamps in the case database (see the module doc)."""
    key = receipt_key(request)
    if store.exists(key):
        result = StampResult.from_json(json.loads(store.get_bytes(key)))
        result.already_done = True
        return result
    if request.action == "remove":
        result = _remove(request, engine)
    elif request.stamp_type == "bates" and request.action == "apply":
        result = _apply_bates(request, engine, count_pages, max_pages)
    elif request.stamp_type == "bates":
        result = _update_bates(request, engine)
    else:
        result = _designate(request, engine, count_pages, max_pages)
    if request.template.font_size and request.action != "remove":
        # The stamp's size is a case-wide style: one Bates look across the case.
        style = read_style(store) | {request.stamp_type: request.template.font_size}
        store.put_bytes(STYLE_KEY, json.dumps(style, sort_keys=True).encode("utf-8"), "application/json")
    # No receipt yet, even when the database shows the request committed (a crash came between the commit
    # and this write): the receipt is written now, as the first handling would have written it, so a
    # re-run leaves the same receipt as an uninterrupted run.
    first = {**result.to_json(), "already_done": False}
    store.put_bytes(key, json.dumps(first, sort_keys=True).encode("utf-8"), "application/json")
    return result


# Checks -------------------------------------------------------------------


def _result(request: StampRequest) -> StampResult:
    return StampResult(request.event_id, request.case_id, request.stamp_type, request.action)


def _facts(engine: Engine, request: StampRequest, result: StampResult) -> dict[int, ExhibitFacts]:
    with engine.connect() as conn:
        facts = ledger.exhibit_facts(conn, request.exhibit_ids)
    for exhibit_id in request.exhibit_ids:
        if exhibit_id not in facts:
            result.failed[exhibit_id] = f"Exhibit {exhibit_id} is not in case {request.case_id}."
    return facts


def _checked_pages(
    engine: Engine,
    request: StampRequest,
    facts: dict[int, ExhibitFacts],
    result: StampResult,
    count_pages: PageCounter,
    max_pages: int,
) -> dict[int, int]:
    """Page count of every exhibit fit to stamp; the others land in result.failed with the reason."""
    with engine.connect() as conn:
        keys = ledger.pdf_keys(conn, {f.document_id for f in facts.values()})
    pages: dict[int, int] = {}
    for exhibit_id in request.exhibit_ids:
        fact = facts.get(exhibit_id)
        if fact is None:
            continue
        key = keys.get(fact.document_id)
        if key is None:
            result.failed[exhibit_id] = f"Exhibit {exhibit_id} has no PDF rendition to stamp."
            continue
        try:
            count = count_pages(key)
        except PlatformError as exc:
            result.failed[exhibit_id] = f"Exhibit {exhibit_id}: {exc.user_message}"
            continue
        if count < 1:
            result.failed[exhibit_id] = f"Exhibit {exhibit_id}: its PDF has no pages."
        elif fact.page_count is not None and fact.page_count != count:
            result.failed[exhibit_id] = (
                f"Exhibit {exhibit_id}: its verified page count is {fact.page_count} but its PDF "
                f"has {count} pages; correct one of them, then stamp again."
            )
        elif count > max_pages:
            result.failed[exhibit_id] = (
                f"Exhibit {exhibit_id} has {count} pages, more than the {max_pages} a document may have."
            )
        else:
            pages[exhibit_id] = count
    return pages


def _bates_range(rows: Sequence[StampRow]) -> dict[str, str] | None:
    numbered = [r for r in rows if r.bates_number is not None]
    if not numbered:
        return None
    first = min(numbered, key=lambda r: (r.bates_pattern_id, r.bates_number))
    last = max(numbered, key=lambda r: (r.bates_pattern_id, r.bates_number))
    return {"begin": first.text, "end": last.text}


def _bounds(rows: Sequence[StampRow]) -> dict[int, tuple[str, str]]:
    by_exhibit: dict[int, list[StampRow]] = {}
    for r in rows:
        by_exhibit.setdefault(r.exhibit_id, []).append(r)
    return {
        e: (min(rs, key=lambda r: r.page_number).text, max(rs, key=lambda r: r.page_number).text)
        for e, rs in by_exhibit.items()
    }


# Bates --------------------------------------------------------------------


def _apply_bates(
    request: StampRequest, engine: Engine, count_pages: PageCounter, max_pages: int
) -> StampResult:
    result = _result(request)
    with engine.connect() as conn:
        if not ledger.patterns(conn, [request.pattern_id]):
            raise PermanentError(
                f"Bates pattern {request.pattern_id} does not exist in case {request.case_id}."
            )
    facts = _facts(engine, request, result)
    pages = _checked_pages(engine, request, facts, result, count_pages, max_pages)
    parents = {e: f.parent_id for e, f in facts.items()}
    with ledger.write_transaction(engine) as conn:
        pattern = ledger.lock_pattern(conn, request.pattern_id)
        existing = ledger.rows(conn, list(pages), "bates")
        numbered = {r.exhibit_id for r in existing}
        if pages and numbered == set(pages) and {r.bates_pattern_id for r in existing} == {pattern.id}:
            # Every exhibit already carries this pattern's numbers: the same request, committed before
            # a crash.
            # The same result as then: the exhibits in the order they were numbered.
            result.exhibit_ids = family_order([e for e in request.exhibit_ids if e in pages], parents)
            result.bates_range = _bates_range(existing)
            result.pages = len(existing)
            result.already_done = True
            return result
        for exhibit_id, (begin, end) in _bounds(existing).items():
            result.failed[exhibit_id] = (
                f"Exhibit {exhibit_id} already carries Bates numbers {begin}-{end}; "
                "remove them or send an update instead."
            )
        _hold_back_families(request.exhibit_ids, parents, result)
        order = family_order(
            [e for e in request.exhibit_ids if e in pages and e not in result.failed], parents
        )
        new_rows = _number(order, pages, pattern, request.position)
        ledger.insert_rows(conn, new_rows)
        ledger.set_bates_bounds(conn, _bounds(new_rows))
        ledger.set_next_number(conn, pattern.id, pattern.next_number + len(new_rows))
    result.exhibit_ids = order
    result.bates_range = _bates_range(new_rows)
    result.pages = len(new_rows)
    return result


def _hold_back_families(
    exhibit_ids: Sequence[int], parents: dict[int, int | None], result: StampResult
) -> None:
    """A family is numbered as one run or not at all."""
    for members in families(exhibit_ids, parents).values():
        bad = [e for e in members if e in result.failed]
        for exhibit_id in members:
            if bad and exhibit_id not in result.failed:
                result.failed[exhibit_id] = (
                    f"Exhibit {exhibit_id} was held back with its family: "
                    f"exhibit {bad[0]} could not be numbered."
                )


def _number(order: Sequence[int], pages: dict[int, int], pattern: Pattern, position: str) -> list[StampRow]:
    ranges = allocate(order, pages, pattern.next_number)
    return [
        StampRow(exhibit_id, page, "bates", pattern.text(number), position, pattern.id, number)
        for exhibit_id in order
        for page, number in enumerate(range(ranges[exhibit_id][0], ranges[exhibit_id][1] + 1), start=1)
    ]


def _update_bates(request: StampRequest, engine: Engine) -> StampResult:
    """Re-set the text (the pattern's current prefix, padding, suffix) and the position; numbers stay."""
    result = _result(request)
    facts = _facts(engine, request, result)
    with ledger.write_transaction(engine) as conn:
        existing = ledger.rows(conn, list(facts), "bates")
        carried = {r.exhibit_id for r in existing}
        for exhibit_id in facts:
            if exhibit_id not in carried:
                result.failed[exhibit_id] = (
                    f"Exhibit {exhibit_id} carries no Bates numbers to update; apply them first."
                )
        known = ledger.patterns(conn, {r.bates_pattern_id for r in existing if r.bates_pattern_id})
        new_rows = []
        for r in existing:
            pattern = known.get(r.bates_pattern_id)
            text = pattern.text(r.bates_number) if pattern and r.bates_number is not None else r.text
            new_rows.append(
                StampRow(
                    r.exhibit_id,
                    r.page_number,
                    "bates",
                    text,
                    request.template.position or r.position,
                    r.bates_pattern_id,
                    r.bates_number,
                )
            )
        ledger.delete_rows(conn, sorted(carried), "bates")
        ledger.insert_rows(conn, new_rows)
        ledger.set_bates_bounds(conn, _bounds(new_rows))
    result.exhibit_ids = [e for e in request.exhibit_ids if e in carried]
    result.bates_range = _bates_range(new_rows)
    result.pages = len(new_rows)
    return result


# Removal ------------------------------------------------------------------


def _remove(request: StampRequest, engine: Engine) -> StampResult:
    result = _result(request)
    facts = _facts(engine, request, result)
    stamp_type = request.stamp_type
    with ledger.write_transaction(engine) as conn:
        existing = ledger.rows(conn, list(facts), stamp_type)
        if stamp_type == "bates" and request.reuse_numbers:
            existing = _give_back(conn, list(facts), existing)
        carried = {r.exhibit_id for r in existing}
        for exhibit_id in facts:
            if exhibit_id not in carried:
                result.skipped[exhibit_id] = f"Exhibit {exhibit_id} carried no {stamp_type} stamp."
        ledger.delete_rows(conn, sorted(carried), stamp_type)
        if stamp_type == "bates":
            ledger.set_bates_bounds(conn, dict.fromkeys(carried, (None, None)))
    result.exhibit_ids = [e for e in request.exhibit_ids if e in carried]
    result.bates_range = _bates_range(existing)
    result.pages = len(existing)
    return result


def _give_back(conn, exhibit_ids: list[int], existing: list[StampRow]) -> list[StampRow]:
    """Roll each pattern back to the lowest removed number, which is only gap-free when the
    removed numbers are the pattern's last ones; otherwise nothing is removed."""
    for pattern_id in sorted(_numbers_by_pattern(existing)):
        ledger.lock_pattern(conn, pattern_id)
    existing = ledger.rows(conn, exhibit_ids, "bates")  # read again under the pattern locks
    for pattern_id, numbers in sorted(_numbers_by_pattern(existing).items()):
        pattern = ledger.patterns(conn, [pattern_id])[pattern_id]
        lowest, highest = min(numbers), max(numbers)
        in_use = ledger.pattern_numbers_from(conn, pattern_id, lowest)
        if (
            highest != pattern.next_number - 1
            or len(set(numbers)) != highest - lowest + 1
            or in_use > len(numbers)
        ):
            raise PermanentError(
                f"The Bates numbers {pattern.text(lowest)}-{pattern.text(highest)} cannot be reused: "
                "later numbers of the pattern are in use, so reusing them would leave a gap. "
                "Remove them without reuse instead."
            )
        ledger.set_next_number(conn, pattern_id, lowest)
    return existing


def _numbers_by_pattern(rows: Sequence[StampRow]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for r in rows:
        if r.bates_pattern_id is not None and r.bates_number is not None:
            found.setdefault(r.bates_pattern_id, []).append(r.bates_number)
    return found


# Confidentiality and exhibit stamps -------------------------------------------


def _designate(
    request: StampRequest, engine: Engine, count_pages: PageCounter, max_pages: int
) -> StampResult:
    """Apply or update: each exhibit's stamp of this type becomes what the database and template say now."""
    result = _result(request)
    facts = _facts(engine, request, result)
    pages = _checked_pages(engine, request, facts, result, count_pages, max_pages)
    stamp_type = request.stamp_type
    with engine.connect() as conn:
        case_codes = ledger.codes(conn)
        previous = {r.exhibit_id: r for r in ledger.rows(conn, list(pages), stamp_type) if r.page_number == 1}
    new_rows: list[StampRow] = []
    cleared: list[int] = []
    for index, exhibit_id in enumerate(request.exhibit_ids):
        if exhibit_id not in pages:
            continue
        fact, before = facts[exhibit_id], previous.get(exhibit_id)
        position = request.template.position or (before.position if before else request.position)
        try:
            text = _designation(request, fact, index, case_codes, before)
        except PermanentError as exc:
            result.failed[exhibit_id] = f"Exhibit {exhibit_id}: {exc.user_message}"
            continue
        if text is None:
            result.skipped[exhibit_id] = f"Exhibit {exhibit_id} carries no {stamp_type} designation."
            cleared.append(exhibit_id)
            continue
        stamped = (
            range(1, pages[exhibit_id] + 1)
            if stamp_type == "confidentiality" or request.template.pages == "all"
            else [1]
        )
        new_rows.extend(StampRow(exhibit_id, page, stamp_type, text, position) for page in stamped)
        result.exhibit_ids.append(exhibit_id)
    with ledger.write_transaction(engine) as conn:
        ledger.delete_rows(conn, result.exhibit_ids + cleared, stamp_type)
        ledger.insert_rows(conn, new_rows)
    result.pages = len(new_rows)
    return result


def _designation(
    request: StampRequest, fact: ExhibitFacts, index: int, case_codes: dict[int, str], before: StampRow | None
) -> str | None:
    if request.stamp_type == "confidentiality":
        return confidentiality_text(fact.confidentiality_status, case_codes)
    template = request.template.text
    if not template:
        if before is None:
            raise PermanentError("an exhibit stamp needs template.text")
        return before.text  # an update that only moves the stamp
    start = request.template.start_number
    text = exhibit_text(
        template, start + index if start is not None else fact.id, fact.id, fact.control_number
    ).strip()
    if len(text) > MAX_TEXT:
        raise PermanentError(f"the exhibit stamp text is longer than {MAX_TEXT} characters")
    return text
