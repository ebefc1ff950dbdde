"""Housekeeping rules: what may be deleted, given listings, run states and the time.

Pure: no Dagster, no boto3, no I/O. The clean-ups (nextpoint_assets/housekeeping.py, run by
jobs/housekeeping.py) list the object store and read run storage, ask these functions, and delete.

The rules (docs/operations.md, "Housekeeping"):

- A live run (any status but SUCCESS, FAILURE, CANCELED) holds what its
  partitions name: an export key `{case}-{export}` holds
  `case_{case}/exports/export_{export}/`; an exchange key `{dst}-{src}-{batch}`
  holds both cases' prefixes whole; a case key `{id}` holds `case_{id}/`. A
  single-run backfill holds every key of its range; a range of case-scoped keys
  that cannot be resolved holds every case. Nothing a live run holds is deleted.
- Files no partition names (scratch folders, Pipes context files) are held when
  they were written after the oldest live run was created.
- Folders that are one unit (an export's `work/`, its `zips/`, a scratch folder)
  go whole, and only once their newest file is older than the retention: a
  half-deleted unit would look valid to a re-run.
- An export's partial outputs (`production/`, `zips/`, `work/`, `volumes.json`)
  go when the export never completed (no `export_completion`
  materialization), its last run FAILED or was CANCELED more than the retention
  ago, and nothing runs for it. `manifest.zip` (the input) and `error_logs/`
  (why it failed) are never deleted by any rule.
- A one-off partition (exports, exchanges) is finished when it has runs, none
  of them live, and the last one ended more than the retention ago.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

TERMINAL_STATUSES = frozenset({"SUCCESS", "FAILURE", "CANCELED"})
DEAD_STATUSES = frozenset({"FAILURE", "CANCELED"})

_ID = r"([1-9]\d{0,17})"
_CASE_KEY = re.compile(rf"^{_ID}$")
_EXPORT_KEY = re.compile(rf"^{_ID}-{_ID}$")
_EXCHANGE_KEY = re.compile(rf"^{_ID}-{_ID}-{_ID}$")
_CASE_PREFIX = re.compile(rf"^case_{_ID}/")
_EXPORT_PREFIX = re.compile(rf"^case_{_ID}/exports/export_{_ID}/")

#: What a production writes under `exports/export_{id}/`: only a partial result while it never completed.
PARTIAL_OUTPUT_PREFIXES = ("production/", "zips/", "work/")
PARTIAL_OUTPUT_FILES = ("volumes.json",)
#: Never deleted by any rule: the export's input, and the record of why it failed.
NEVER_DELETED_FILES = ("manifest.zip",)
NEVER_DELETED_PREFIXES = ("error_logs/",)

#: Keys of the Pipes context files `PipesS3ContextInjector` writes at the bucket root (30 random letters).
PIPES_CONTEXT_KEY = re.compile(r"^[A-Za-z]{30}/context\.json$")


class Listed(Protocol):
    """One listed object or file: the store's ObjectInfo fits."""

    key: str
    size: int
    modified: datetime


@dataclass(frozen=True)
class Entry:
    """A listed thing (object, upload, local folder) with its age and size."""

    key: str
    size: int
    modified: datetime


@dataclass(frozen=True)
class RunInfo:
    """What the rules need of one run."""

    run_id: str
    status: str  # a DagsterRunStatus value
    created: datetime
    ended: datetime | None = None  # finished runs: when they ended (or were last updated)
    partition_key: str | None = None
    partition_range: tuple[str, str] | None = None  # single-run backfills: first and last key

    @property
    def live(self) -> bool:
        return self.status not in TERMINAL_STATUSES


@dataclass(frozen=True)
class LiveScope:
    """What the live runs hold."""

    cases: frozenset[int] = frozenset()
    exports: frozenset[tuple[int, int]] = frozenset()
    partition_keys: frozenset[str] = frozenset()
    everything: bool = False  # a live backfill over case-scoped keys that could not be resolved
    oldest_live: datetime | None = None
    live_runs: int = 0

    def holds_prefix(self, key: str) -> bool:
        """Does a live run's partition name this key's case or export?"""
        match = _CASE_PREFIX.match(key)
        if not match:
            return False
        if self.everything or int(match[1]) in self.cases:
            return True
        export = _EXPORT_PREFIX.match(key)
        return bool(export) and (int(export[1]), int(export[2])) in self.exports

    def holds(self, key: str, modified: datetime) -> bool:
        """Case keys by partition; anything else when written after the oldest live run was created."""
        if _CASE_PREFIX.match(key):
            return self.holds_prefix(key)
        return self.holds_unattributed(modified)

    def holds_unattributed(self, modified: datetime) -> bool:
        return self.oldest_live is not None and modified >= self.oldest_live


def case_scoped(partition_key: str) -> bool:
    """Is this a key of the cases, exports or exchanges partitions (as the platform formats them)?"""
    return bool(
        _CASE_KEY.match(partition_key)
        or _EXPORT_KEY.match(partition_key)
        or _EXCHANGE_KEY.match(partition_key)
    )


def _range_keys(start: str, end: str, partition_sets: Mapping[str, Sequence[str]]) -> list[str] | None:
    for keys in partition_sets.values():
        try:
            first, last = keys.index(start), keys.index(end)
        except ValueError:
            continue
        return list(keys[min(first, last) : max(first, last) + 1])
    return None


def live_scope(
    runs: Iterable[RunInfo],
    partition_sets: Mapping[str, Sequence[str]] | None = None,
    own_run_id: str | None = None,
) -> LiveScope:
    """What the live runs among `runs` hold (see the module's rules); `own_run_id` (the clean-up) is left out.

    `partition_sets` (name -> keys in order) resolves the ranges of single-run backfills."""
    cases: set[int] = set()
    exports: set[tuple[int, int]] = set()
    keys: set[str] = set()
    everything = False
    oldest: datetime | None = None
    count = 0
    for run in runs:
        if not run.live or run.run_id == own_run_id:
            continue
        count += 1
        oldest = run.created if oldest is None else min(oldest, run.created)
        held: list[str] = []
        if run.partition_key:
            held.append(run.partition_key)
        if run.partition_range:
            start, end = run.partition_range
            resolved = _range_keys(start, end, partition_sets or {})
            if resolved is not None:
                held.extend(resolved)
            elif case_scoped(start) or case_scoped(end):
                everything = True
        for key in held:
            keys.add(key)
            if match := _EXPORT_KEY.match(key):
                exports.add((int(match[1]), int(match[2])))
            elif match := _EXCHANGE_KEY.match(key):
                cases.update((int(match[1]), int(match[2])))
            elif match := _CASE_KEY.match(key):
                cases.add(int(match[1]))
    return LiveScope(frozenset(cases), frozenset(exports), frozenset(keys), everything, oldest, count)


def cutoff(now: datetime, retention_days: int) -> datetime:
    if retention_days < 1:
        raise ValueError("A retention is at least one day.")
    return now - timedelta(days=retention_days)


# -- files --------------------------------------------------------------------------------------


def folder_verdict(
    prefix: str, objects: Sequence[Listed], now: datetime, retention_days: int, scope: LiveScope
) -> str:
    """'delete' when the whole folder may go: held by no live run, its newest file older than the retention.
    Otherwise why not: 'empty', 'live' or 'recent'."""
    if not objects:
        return "empty"
    if scope.holds_prefix(prefix) or any(scope.holds(o.key, o.modified) for o in objects):
        return "live"
    if max(o.modified for o in objects) >= cutoff(now, retention_days):
        return "recent"
    return "delete"


def object_verdict(item: Listed, now: datetime, retention_days: int, scope: LiveScope) -> str:
    """'delete', 'live' or 'recent' for one object that is its own unit (a temp file, an upload)."""
    if scope.holds(item.key, item.modified):
        return "live"
    if item.modified >= cutoff(now, retention_days):
        return "recent"
    return "delete"


def local_verdict(newest: datetime, now: datetime, retention_days: int, scope: LiveScope) -> str:
    """A local scratch folder or file (no partition names it): by age, and newer than no live run."""
    if scope.holds_unattributed(newest):
        return "live"
    if newest >= cutoff(now, retention_days):
        return "recent"
    return "delete"


def is_pipes_context(key: str) -> bool:
    return bool(PIPES_CONTEXT_KEY.match(key))


# -- partial outputs of dead exports ------------------------------------------------------------


def is_partial_output(relative: str) -> bool:
    """Is a key relative to `exports/export_{id}/` a production output (partial while never completed)?"""
    if relative in NEVER_DELETED_FILES or relative.startswith(NEVER_DELETED_PREFIXES):
        return False
    return relative in PARTIAL_OUTPUT_FILES or relative.startswith(PARTIAL_OUTPUT_PREFIXES)


def last_run(runs: Sequence[RunInfo]) -> RunInfo | None:
    return max(runs, key=lambda r: r.created) if runs else None


def export_verdict(runs: Sequence[RunInfo], completed: bool, now: datetime, retention_days: int) -> str:
    """'orphaned' when the export's outputs are partial leftovers of dead runs; otherwise why not:
    'completed' (a finished production: kept), 'no_runs', 'live', 'not_dead' (last run succeeded),
    'recent'."""
    if completed:
        return "completed"
    if not runs:
        return "no_runs"
    if any(r.live for r in runs):
        return "live"
    last = last_run(runs)
    if last.status not in DEAD_STATUSES:
        return "not_dead"
    if last.ended is None or last.ended >= cutoff(now, retention_days):
        return "recent"
    return "orphaned"


def orphaned_objects(
    export_prefix: str, objects: Iterable[Listed], now: datetime, retention_days: int, scope: LiveScope
) -> list[Listed]:
    """Of an orphaned export's objects (keys under `export_prefix`), the partial outputs old enough to
    delete."""
    if scope.holds_prefix(export_prefix):
        return []
    limit = cutoff(now, retention_days)
    return [
        o
        for o in objects
        if o.key.startswith(export_prefix)
        and is_partial_output(o.key[len(export_prefix) :])
        and o.modified < limit
    ]


# -- partitions ---------------------------------------------------------------------------------


def partition_verdict(runs: Sequence[RunInfo], now: datetime, retention_days: int) -> str:
    """'finished' when the partition may be pruned; otherwise 'no_runs', 'live' or 'recent'."""
    if not runs:
        return "no_runs"
    if any(r.live for r in runs):
        return "live"
    limit = cutoff(now, retention_days)
    if any(r.ended is None or r.ended >= limit for r in runs):
        return "recent"
    return "finished"


def group_by_partition(runs: Iterable[RunInfo]) -> dict[str, list[RunInfo]]:
    grouped: dict[str, list[RunInfo]] = {}
    for run in runs:
        if run.partition_key:
            grouped.setdefault(run.partition_key, []).append(run)
    return grouped


def prunable_partitions(
    keys: Sequence[str],
    runs_by_key: Mapping[str, Sequence[RunInfo]],
    now: datetime,
    retention_days: int,
    scope: LiveScope,
    limit: int,
) -> tuple[list[str], dict[str, int]]:
    """The finished keys of `keys` (at most `limit`, in the given order) and a count of every verdict."""
    pruned: list[str] = []
    counts: dict[str, int] = {}
    for key in keys:
        verdict = partition_verdict(runs_by_key.get(key, ()), now, retention_days)
        if verdict == "finished" and (scope.everything or key in scope.partition_keys):
            verdict = "live"
        if verdict == "finished":
            if len(pruned) >= limit:
                verdict = "over_limit"
            else:
                pruned.append(key)
        counts[verdict] = counts.get(verdict, 0) + 1
    return pruned, counts


# -- what a clean-up reports --------------------------------------------------------------------


@dataclass
class Tally:
    """Deletions and skips per category, for the run's metadata."""

    sample_size: int = 20
    deleted: dict[str, int] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, dict[str, int]] = field(default_factory=dict)
    failed: dict[str, list[str]] = field(default_factory=dict)

    def add(self, category: str, key: str, size: int) -> None:
        self.deleted[category] = self.deleted.get(category, 0) + 1
        self.bytes[category] = self.bytes.get(category, 0) + max(0, int(size))
        sample = self.samples.setdefault(category, [])
        if len(sample) < self.sample_size:
            sample.append(key)

    def skip(self, category: str, reason: str, count: int = 1) -> None:
        reasons = self.skipped.setdefault(category, {})
        reasons[reason] = reasons.get(reason, 0) + count

    def fail(self, category: str, key: str) -> None:
        self.failed.setdefault(category, []).append(key)

    def summary(self) -> dict:
        """Plain values: totals, then per category."""
        categories = sorted(set(self.deleted) | set(self.skipped) | set(self.failed))
        return {
            "deleted": sum(self.deleted.values()),
            "deleted_bytes": sum(self.bytes.values()),
            "failed": sum(len(v) for v in self.failed.values()),
            "categories": {
                c: {
                    "deleted": self.deleted.get(c, 0),
                    "bytes": self.bytes.get(c, 0),
                    "sample": list(self.samples.get(c, [])),
                    "skipped": dict(sorted(self.skipped.get(c, {}).items())),
                    "failed": list(self.failed.get(c, []))[: self.sample_size],
                }
                for c in categories
            },
        }
