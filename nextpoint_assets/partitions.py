"""Every partition set of the platform, in one place.

`cases` (per-case assets: stamps, reports), `exports` ('{case_id}-{export_id}', the production
assets), `exchanges` ('{destination}-{source}-{batch}', the exchange assets) and `months` (the
account activity report). Keys of the dynamic sets are parsed in `domain/` (keys, exchange request).
"""

from __future__ import annotations

import dagster as dg
from sqlalchemy import select

from domain.errors import PermanentError
from domain.keys import validate_case_id
from domain.schema import npcases

cases_partitions = dg.DynamicPartitionsDefinition(name="cases")
exports_partitions = dg.DynamicPartitionsDefinition(name="exports")
exchanges_partitions = dg.DynamicPartitionsDefinition(name="exchanges")
months_partitions = dg.MonthlyPartitionsDefinition(start_date="2024-01-01", end_offset=0)

REGISTERED_STATUSES = ("active", "archived")


def case_id_of(partition_key: str) -> int:
    """The case id of a `cases` partition key (the key is the id itself)."""
    return validate_case_id(partition_key)


def case_keys_from_core(databases) -> list[str]:
    """Partition keys of every case the core database lists as active or archived."""
    with databases.core_reader().connect() as conn:
        ids = conn.execute(
            select(npcases.c.id).where(npcases.c.status.in_(REGISTERED_STATUSES)).order_by(npcases.c.id)
        )
        return [str(row[0]) for row in ids]


def partitions_not_cases(instance: dg.DagsterInstance, databases) -> list[str]:
    """`cases` partition keys that are no active or archived case of the core database."""
    known = set(case_keys_from_core(databases))
    return sorted(k for k in instance.get_dynamic_partitions(cases_partitions.name) if k not in known)


def new_case_keys(instance: dg.DagsterInstance, databases) -> list[str]:
    known = set(instance.get_dynamic_partitions(cases_partitions.name))
    return [key for key in case_keys_from_core(databases) if key not in known]


def not_a_case_message(case_id: int, database: str) -> str:
    """One line for a run on a `cases` partition that is no case: what is wrong and the fix."""
    return (
        f"Case {case_id} is not a known case (the database {database} does not exist): remove partition "
        f"{case_id}, it is not a case (housekeeping removes it when nothing was ever materialized for it)."
    )


def require_case(dbs, case_id: int) -> None:
    """Raise, in one line naming the fix, when a `cases` partition's case has no database."""
    if not dbs.case_exists(case_id):
        raise PermanentError(not_a_case_message(case_id, dbs.case_db_name(case_id)))
