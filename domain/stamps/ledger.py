"""What the case database says about stamps, and the writes that change it.

Every write of a request happens inside `write_transaction`, which holds the
case's stamp lock from the first read to the commit: on MySQL/MariaDB a row
lock on the Bates pattern (SELECT ... FOR UPDATE), on SQLite an immediate
transaction (the database's one write lock). Numbers are read and advanced
under that lock, so concurrent requests never share or skip a number.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, insert, select, update

from domain.batches import IN_LIST_SIZE, batched
from domain.schema import bates_patterns, confidentiality_codes, document_variants, exhibits, stamp_details
from domain.stamps.request import bates_text

INSERT_ROWS = 5000  # rows per multi-row INSERT: one statement stays well under a packet's size


@dataclass(frozen=True)
class ExhibitFacts:
    id: int
    document_id: int
    parent_id: int | None
    page_count: int | None
    control_number: str | None
    confidentiality_status: int


@dataclass(frozen=True)
class Pattern:
    id: int
    prefix: str
    suffix: str
    padding: int
    next_number: int

    def text(self, number: int) -> str:
        return bates_text(self.prefix, number, self.padding, self.suffix)


@dataclass(frozen=True)
class StampRow:
    exhibit_id: int
    page_number: int
    stamp_type: str
    text: str
    position: str
    bates_pattern_id: int | None = None
    bates_number: int | None = None


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction that commits everything or nothing."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # A deferred SQLite transaction would read next_number before taking the write lock.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise


def lock_pattern(conn: Connection, pattern_id: int) -> Pattern | None:
    row = conn.execute(
        select(bates_patterns).where(bates_patterns.c.id == pattern_id).with_for_update()
    ).first()
    return Pattern(row.id, row.prefix, row.suffix or "", row.padding, row.next_number) if row else None


def patterns(conn: Connection, ids: Iterable[int] | None = None) -> dict[int, Pattern]:
    query = select(bates_patterns)
    if ids is not None:
        query = query.where(bates_patterns.c.id.in_(list(ids)))
    return {
        r.id: Pattern(r.id, r.prefix, r.suffix or "", r.padding, r.next_number) for r in conn.execute(query)
    }


def set_next_number(conn: Connection, pattern_id: int, next_number: int) -> None:
    conn.execute(
        update(bates_patterns).where(bates_patterns.c.id == pattern_id).values(next_number=next_number)
    )


def exhibit_facts(conn: Connection, ids: Sequence[int]) -> dict[int, ExhibitFacts]:
    found: dict[int, ExhibitFacts] = {}
    columns = (
        exhibits.c.id,
        exhibits.c.document_id,
        exhibits.c.parent_exhibit_id,
        exhibits.c.page_count,
        exhibits.c.control_number,
        exhibits.c.confidentiality_status,
    )
    for chunk in batched(ids, IN_LIST_SIZE):
        for r in conn.execute(select(*columns).where(exhibits.c.id.in_(chunk))):
            found[r.id] = ExhibitFacts(
                r.id,
                r.document_id,
                r.parent_exhibit_id,
                r.page_count,
                r.control_number,
                r.confidentiality_status or 0,
            )
    return found


def pdf_sources(conn: Connection, document_ids: Iterable[int]) -> dict[int, tuple[str, int | None]]:
    """Each document's PDF rendition (the first one stored, if several) and its recorded size."""
    found: dict[int, tuple[str, int | None]] = {}
    for chunk in batched(sorted(set(document_ids)), IN_LIST_SIZE):
        query = (
            select(document_variants.c.document_id, document_variants.c.object_key, document_variants.c.bytes)
            .where(document_variants.c.kind == "pdf", document_variants.c.document_id.in_(chunk))
            .order_by(document_variants.c.id)
        )
        for r in conn.execute(query):
            found.setdefault(r.document_id, (r.object_key, r.bytes))
    return found


def pdf_keys(conn: Connection, document_ids: Iterable[int]) -> dict[int, str]:
    return {d: key for d, (key, _) in pdf_sources(conn, document_ids).items()}


def codes(conn: Connection) -> dict[int, str]:
    return {
        r.bit: r.code for r in conn.execute(select(confidentiality_codes.c.bit, confidentiality_codes.c.code))
    }


def _row(r) -> StampRow:
    return StampRow(
        r.exhibit_id, r.page_number, r.stamp_type, r.text, r.position, r.bates_pattern_id, r.bates_number
    )


def rows(
    conn: Connection, exhibit_ids: Sequence[int] | None = None, stamp_type: str | None = None
) -> list[StampRow]:
    """Stamp rows in (exhibit, page, type, id) order: all of the case's, or those of some exhibits."""
    columns = (
        stamp_details.c.exhibit_id,
        stamp_details.c.page_number,
        stamp_details.c.stamp_type,
        stamp_details.c.text,
        stamp_details.c.position,
        stamp_details.c.bates_pattern_id,
        stamp_details.c.bates_number,
    )
    order = (
        stamp_details.c.exhibit_id,
        stamp_details.c.page_number,
        stamp_details.c.stamp_type,
        stamp_details.c.id,
    )
    where = [stamp_details.c.stamp_type == stamp_type] if stamp_type else []
    if exhibit_ids is None:
        return [_row(r) for r in conn.execute(select(*columns).where(*where).order_by(*order))]
    out: list[StampRow] = []
    for chunk in batched(exhibit_ids, IN_LIST_SIZE):
        out.extend(
            _row(r)
            for r in conn.execute(
                select(*columns).where(stamp_details.c.exhibit_id.in_(chunk), *where).order_by(*order)
            )
        )
    return sorted(out, key=lambda r: (r.exhibit_id, r.page_number, r.stamp_type))


def insert_rows(conn: Connection, new_rows: Sequence[StampRow]) -> None:
    if not new_rows:
        return
    created = now()
    payload = [{**r.__dict__, "created_at": created} for r in new_rows]
    for rows in batched(payload, INSERT_ROWS):
        conn.execute(insert(stamp_details), list(rows))


def delete_rows(conn: Connection, exhibit_ids: Sequence[int], stamp_type: str) -> None:
    for chunk in batched(exhibit_ids, IN_LIST_SIZE):
        conn.execute(
            delete(stamp_details).where(
                and_(stamp_details.c.exhibit_id.in_(chunk), stamp_details.c.stamp_type == stamp_type)
            )
        )


def pattern_numbers_from(conn: Connection, pattern_id: int, lowest: int) -> int:
    """How many rows hold a number of the pattern at or above `lowest`."""
    query = (
        select(func.count())
        .select_from(stamp_details)
        .where(stamp_details.c.bates_pattern_id == pattern_id, stamp_details.c.bates_number >= lowest)
    )
    return int(conn.execute(query).scalar_one())


def set_bates_bounds(conn: Connection, bounds: dict[int, tuple[str | None, str | None]]) -> None:
    """exhibits.bates_begin / bates_end of each exhibit (None clears them)."""
    if not bounds:
        return
    statement = (
        update(exhibits)
        .where(exhibits.c.id == bindparam("eid"))
        .values(bates_begin=bindparam("begin"), bates_end=bindparam("end"), updated_at=bindparam("at"))
    )
    at = now()
    conn.execute(statement, [{"eid": e, "begin": b, "end": n, "at": at} for e, (b, n) in bounds.items()])
