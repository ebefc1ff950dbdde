"""What the request sensors share: which work already has a run, and which cases may be worked on."""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg
from sqlalchemy import select

from domain.schema import npcases
from jobs.requests import WORK_TAG
from nextpoint_assets.partitions import REGISTERED_STATUSES

_CHUNK = 500  # keys per IN (...) query


def work_with_runs(instance: dg.DagsterInstance, work_keys: Iterable[str]) -> set[str]:
    """The work keys some run (of any sensor, in any state) already carries: that work is not started again."""
    keys = sorted(set(work_keys))
    found: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        for record in instance.get_run_records(dg.RunsFilter(tags={WORK_TAG: chunk})):
            found.add(record.dagster_run.tags.get(WORK_TAG, ""))
    return found & set(keys)


def workable_cases(databases, case_ids: Iterable[int]) -> set[int]:
    """The cases of `case_ids` the core database knows and has not deleted."""
    ids = sorted(set(case_ids))
    found: set[int] = set()
    with databases.core_reader().connect() as conn:
        for start in range(0, len(ids), _CHUNK):
            rows = conn.execute(select(npcases.c.id).where(npcases.c.id.in_(ids[start:start + _CHUNK]),
                                                           npcases.c.status.in_(REGISTERED_STATUSES)))
            found.update(int(row[0]) for row in rows)
    return found
