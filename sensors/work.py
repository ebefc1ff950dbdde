"""What the request sensors share: which work already has a run, and which cases may be worked on.

A run carries its work key as the `np/work` tag. A batch run (domain/requests.py, `batch_run`) carries the
batch's key; which requests it holds is kept in the instance's key-value store, beside the runs
(run storage's cursor values: SQLite or Postgres, whatever the instance uses), written before the
run is asked for. A request whose batch never became a run is free again: the next delivery puts
it in a new batch, which takes it over.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import dagster as dg
from sqlalchemy import select

from domain.batches import IN_LIST_SIZE, batched
from domain.requests import WORK_TAG
from domain.schema import npcases
from nextpoint_assets.partitions import REGISTERED_STATUSES

_BATCH_PREFIX = "np/batch-of/"


def _name(work_key: str) -> str:
    # Short and fixed: MySQL indexes only a key's first 64 characters.
    return _BATCH_PREFIX + hashlib.sha256(work_key.encode("utf-8")).hexdigest()[:40]


def _batches(instance: dg.DagsterInstance, keys: list[str]) -> dict[str, str]:
    names = {_name(k): k for k in keys}
    found: dict[str, str] = {}
    for chunk in batched(names, IN_LIST_SIZE):
        values = instance.run_storage.get_cursor_values(set(chunk))
        found.update({names[n]: batch for n, batch in values.items()})
    return found


def record_batches(instance: dg.DagsterInstance, batch_of: dict[str, str]) -> None:
    """Remember which batch (the work key of its run) each request's work key is in."""
    known = _batches(instance, sorted(batch_of))
    # The store's upsert of a mix of new and known keys writes only the known ones: two calls.
    for part in ([k for k in batch_of if k not in known], [k for k in batch_of if k in known]):
        for chunk in batched(part, IN_LIST_SIZE):
            instance.run_storage.set_cursor_values({_name(k): batch_of[k] for k in chunk})


def work_with_runs(instance: dg.DagsterInstance, work_keys: Iterable[str]) -> set[str]:
    """The work keys some run (of any sensor, in any state) already carries, itself or in its batch:
    that work is not started again."""
    keys = sorted(set(work_keys))
    batch_of = _batches(instance, keys)
    carriers = sorted(set(keys) | set(batch_of.values()))
    with_runs: set[str] = set()
    for chunk in batched(carriers, IN_LIST_SIZE):
        for record in instance.get_run_records(dg.RunsFilter(tags={WORK_TAG: list(chunk)})):
            with_runs.add(record.dagster_run.tags.get(WORK_TAG, ""))
    return {k for k in keys if k in with_runs or batch_of.get(k) in with_runs}


def workable_cases(databases, case_ids: Iterable[int]) -> set[int]:
    """The cases of `case_ids` the core database knows and has not deleted."""
    ids = sorted(set(case_ids))
    found: set[int] = set()
    with databases.core_reader().connect() as conn:
        for chunk in batched(ids, IN_LIST_SIZE):
            rows = conn.execute(
                select(npcases.c.id).where(npcases.c.id.in_(chunk), npcases.c.status.in_(REGISTERED_STATUSES))
            )
            found.update(int(row[0]) for row in rows)
    return found
