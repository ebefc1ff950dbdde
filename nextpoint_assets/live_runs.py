"""What the live runs hold, read from Dagster's run storage for the housekeeping clean-ups.

One run-storage query gives the live runs; `LiveGuard` re-reads them at most every
REFRESH_SECONDS while a clean-up deletes, so a run started meanwhile is seen. The rules
that turn runs into held prefixes and keys are in domain/housekeeping.py.
"""

import time
from collections.abc import Iterable
from datetime import UTC, datetime

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from domain import housekeeping as hk
from domain.batches import batched
from nextpoint_assets.partitions import cases_partitions, exchanges_partitions, exports_partitions

#: Every status but SUCCESS, FAILURE and CANCELED: such a run may still use its files.
LIVE_STATUSES = [s for s in dg.DagsterRunStatus if s.value not in hk.TERMINAL_STATUSES]
REFRESH_SECONDS = 5.0
RUN_QUERY_KEYS = 500  # partition keys per run-storage query (a tag filter of that many values)
SCOPED_PARTITION_SETS = (cases_partitions, exports_partitions, exchanges_partitions)


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def run_info(record) -> hk.RunInfo:
    run = record.dagster_run
    tags = run.tags
    ended = None
    if run.status.value in hk.TERMINAL_STATUSES:
        ended = (
            datetime.fromtimestamp(record.end_time, UTC)
            if record.end_time
            else aware(record.update_timestamp)
        )
    start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    return hk.RunInfo(
        run.run_id,
        run.status.value,
        aware(record.create_timestamp),
        ended,
        tags.get(PARTITION_NAME_TAG),
        (start, end) if start and end else None,
    )


def read_live_scope(instance: dg.DagsterInstance, own_run_id: str | None) -> hk.LiveScope:
    """What the live runs hold now: one run-storage query (plus the partition sets for backfill ranges)."""
    runs = [run_info(r) for r in instance.get_run_records(dg.RunsFilter(statuses=LIVE_STATUSES))]
    sets = {}
    if any(r.partition_range for r in runs if r.run_id != own_run_id):
        sets = {p.name: instance.get_dynamic_partitions(p.name) for p in SCOPED_PARTITION_SETS}
    return hk.live_scope(runs, sets, own_run_id)


def runs_by_partition(instance: dg.DagsterInstance, keys: Iterable[str]) -> dict[str, list[hk.RunInfo]]:
    """Every run of each partition key, in one query per 500 keys (never one per key)."""
    runs: list[hk.RunInfo] = []
    for chunk in batched(sorted(set(keys)), RUN_QUERY_KEYS):
        runs.extend(
            run_info(r)
            for r in instance.get_run_records(dg.RunsFilter(tags={PARTITION_NAME_TAG: list(chunk)}))
        )
    return hk.group_by_partition(runs)


class LiveGuard:
    """The live scope, re-read at most every REFRESH_SECONDS: a run started during a clean-up is seen."""

    def __init__(self, instance: dg.DagsterInstance, own_run_id: str | None) -> None:
        self.instance = instance
        self.own_run_id = own_run_id
        self._scope: hk.LiveScope | None = None
        self._read_at = 0.0

    def scope(self) -> hk.LiveScope:
        if self._scope is None or time.monotonic() - self._read_at >= REFRESH_SECONDS:
            self._scope = read_live_scope(self.instance, self.own_run_id)
            self._read_at = time.monotonic()
        return self._scope
