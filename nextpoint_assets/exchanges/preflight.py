"""Everything checked before the first write, so bad input is refused with a clear message."""

from __future__ import annotations

from sqlalchemy import func, inspect, select

from domain.batches import IN_LIST_SIZE, batched
from domain.errors import CaseDatabaseMissing, PermanentError
from domain.exchanges.request import ExchangeRequest
from domain.schema import case_metadata, exhibits, label_categories, label_category_labels, npcases

#: The contract tables an exchange reads from the source and writes to the destination.
EXCHANGE_TABLES = (
    "documents",
    "document_variants",
    "exhibits",
    "custodians",
    "custodian_exhibits",
    "confidentiality_codes",
    "confidentiality_logs",
    "relevancy_logs",
    "privilege_logs",
    "label_categories",
    "label_category_labels",
    "folder_tags",
    "folder_taggings",
    "custom_fields",
    "custom_field_values",
    "annotations",
    "stamp_details",
)


def check_request(databases, request: ExchangeRequest) -> int:
    """Raise PermanentError naming the problem; return how many exhibits the request selects."""
    with databases.core_reader().connect() as conn:
        known = dict(
            conn.execute(
                select(npcases.c.id, npcases.c.status).where(
                    npcases.c.id.in_([request.source_case_id, request.destination_case_id])
                )
            ).all()
        )
    for role, case_id in (("source", request.source_case_id), ("destination", request.destination_case_id)):
        if known.get(case_id) in (None, "deleted"):
            raise PermanentError(f"The {role} case {case_id} is unknown or deleted.", case_id=case_id)
        try:
            engine = databases.case_reader(case_id)
        except CaseDatabaseMissing:
            raise PermanentError(f"The {role} case {case_id} has no database.", case_id=case_id) from None
        _check_tables(engine, role, case_id)
    with databases.case_reader(request.source_case_id).connect() as conn:
        if request.exhibit_ids:
            wanted = set(request.exhibit_ids)
            found: set[int] = set()
            for chunk in batched(sorted(wanted), IN_LIST_SIZE):
                found.update(conn.execute(select(exhibits.c.id).where(exhibits.c.id.in_(chunk))).scalars())
            missing = sorted(wanted - found)
            if missing:
                raise PermanentError(
                    f"Exhibits {missing[:20]} are not in the source case {request.source_case_id}"
                    + (f" (and {len(missing) - 20} more)" if len(missing) > 20 else "")
                    + "."
                )
            return len(wanted)
        if (
            conn.execute(
                select(label_categories.c.id).where(label_categories.c.id == request.label_id)
            ).first()
            is None
        ):
            raise PermanentError(
                f"Label {request.label_id} does not exist in the source case {request.source_case_id}."
            )
        count = conn.execute(
            select(func.count(func.distinct(label_category_labels.c.exhibit_id))).where(
                label_category_labels.c.label_category_id == request.label_id
            )
        ).scalar()
        if not count:
            raise PermanentError(
                f"Label {request.label_id} carries no exhibits in the source case {request.source_case_id}."
            )
        return int(count)


def _check_tables(engine, role: str, case_id: int) -> None:
    inspector = inspect(engine)
    present = set(inspector.get_table_names())
    for name in EXCHANGE_TABLES:
        if name not in present:
            raise PermanentError(f"The {role} case {case_id} database has no table {name}.", case_id=case_id)
        columns = {c["name"] for c in inspector.get_columns(name)}
        lacking = sorted({c.name for c in case_metadata.tables[name].columns} - columns)
        if lacking:
            raise PermanentError(
                f"The {role} case {case_id} table {name} lacks columns {lacking}.", case_id=case_id
            )
