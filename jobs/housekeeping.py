"""Housekeeping jobs: one op each, run daily by sensors/housekeeping.py, every deletion reported in metadata.

- housekeeping_work_files_job: export work folders, the local store's temp files,
  scratch folders, unfinished S3 multipart uploads, leftover Pipes context files
  (NP_CLEANUP_WORK_RETENTION_DAYS, 7).
- housekeeping_export_archives_job: export archives, `zips/` with its `volumes.json`
  (NP_CLEANUP_ARCHIVE_RETENTION_DAYS, 14).
- housekeeping_orphaned_outputs_job: partial outputs of exports that never completed and
  whose last run died (NP_CLEANUP_WORK_RETENTION_DAYS).
- housekeeping_partitions_job: finished `exports` and `exchanges` partitions
  (NP_PARTITION_RETENTION_DAYS, 90); their runs and materializations stay.

What may go is decided by domain/housekeeping.py; this module lists, asks and
deletes. Anything a live run holds is skipped, and the live runs are re-read
while a clean-up deletes (at most REFRESH_SECONDS apart).
"""

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from domain import housekeeping as hk
from nextpoint_assets.exchanges.assets import exchanges_partitions
from nextpoint_assets.partitions import cases_partitions
from nextpoint_assets.pii.records import awaiting_subjects
from nextpoint_assets.productions.common import exports_partitions
from resources.dagster_resources import DatabaseResource, ObjectStoreResource
from resources.object_store import LocalObjectStore, S3ObjectStore
from resources.settings import get_settings

HOUSEKEEPING_TAGS = {"kind": "housekeeping"}
#: Every status but SUCCESS, FAILURE and CANCELED: such a run may still use its files.
LIVE_STATUSES = [s for s in dg.DagsterRunStatus if s.value not in hk.TERMINAL_STATUSES]
PRUNED_PARTITION_SETS = (exports_partitions, exchanges_partitions)  # `cases` is never pruned
EXPORT_COMPLETION = dg.AssetKey("export_completion")
REFRESH_SECONDS = 5.0
_CHUNK = 500  # partition keys per run-storage query

_CASE_FOLDER = re.compile(r"^case_[1-9]\d*/$")
_EXPORT_FOLDER = re.compile(r"^case_([1-9]\d*)/exports/export_([1-9]\d*)/$")
_PIPES_FOLDER = re.compile(r"^[A-Za-z]{30}/$")


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# -- runs ---------------------------------------------------------------------------------------


def run_info(record) -> hk.RunInfo:
    run = record.dagster_run
    tags = run.tags
    ended = None
    if run.status.value in hk.TERMINAL_STATUSES:
        ended = (
            datetime.fromtimestamp(record.end_time, UTC)
            if record.end_time
            else _aware(record.update_timestamp)
        )
    start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    return hk.RunInfo(
        run.run_id,
        run.status.value,
        _aware(record.create_timestamp),
        ended,
        tags.get(PARTITION_NAME_TAG),
        (start, end) if start and end else None,
    )


def read_live_scope(instance: dg.DagsterInstance, own_run_id: str | None) -> hk.LiveScope:
    """What the live runs hold now: one run-storage query (plus the partition sets for backfill ranges)."""
    runs = [run_info(r) for r in instance.get_run_records(dg.RunsFilter(statuses=LIVE_STATUSES))]
    sets = {}
    if any(r.partition_range for r in runs if r.run_id != own_run_id):
        sets = {
            p.name: instance.get_dynamic_partitions(p.name)
            for p in (cases_partitions, *PRUNED_PARTITION_SETS)
        }
    return hk.live_scope(runs, sets, own_run_id)


def runs_by_partition(instance: dg.DagsterInstance, keys: Iterable[str]) -> dict[str, list[hk.RunInfo]]:
    """Every run of each partition key, in one query per 500 keys (never one per key)."""
    keys = sorted(set(keys))
    runs: list[hk.RunInfo] = []
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        runs.extend(
            run_info(r) for r in instance.get_run_records(dg.RunsFilter(tags={PARTITION_NAME_TAG: chunk}))
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


# -- listing and deleting -----------------------------------------------------------------------


def export_folders(store) -> Iterator[tuple[str, str]]:
    """(partition key, prefix) of every export folder `case_{id}/exports/export_{id}/` in the store."""
    for case in store.list_folders(""):
        if _CASE_FOLDER.match(case):
            for folder in store.list_folders(f"{case}exports/"):
                if match := _EXPORT_FOLDER.match(folder):
                    yield f"{match[1]}-{match[2]}", folder


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []


def local_scratch(settings, store) -> Iterator[Path]:
    """Local files and folders only runs in progress need: the store's `.scratch/` folders, the work folder
    (`spark/` entry by entry), `np-*` temp folders of this machine and the outbox's unfinished `.part` files."""
    if isinstance(store, LocalObjectStore):
        yield from _children(store.root / ".scratch")
    spark = settings.work_dir / "spark"
    for child in _children(settings.work_dir):
        if child == spark and child.is_dir() and not child.is_symlink():
            yield from _children(spark)
        else:
            yield child
    yield from (p for p in _children(Path(tempfile.gettempdir())) if p.name.startswith("np-"))
    yield from (
        p for p in _children(settings.outbox_dir) if p.name.startswith(".") and p.name.endswith(".part")
    )


def newest_and_size(path: Path) -> tuple[datetime, int]:
    """The newest modification time anywhere under `path` and the bytes of its files (links not followed)."""
    stat = path.lstat()
    newest, size = stat.st_mtime, 0 if path.is_dir() else stat.st_size
    if path.is_dir() and not path.is_symlink():
        for folder, dirs, files in os.walk(path):
            for name in dirs + files:
                try:
                    inner = (Path(folder) / name).lstat()
                except FileNotFoundError:
                    continue
                newest = max(newest, inner.st_mtime)
                if name in files:
                    size += inner.st_size
    return datetime.fromtimestamp(newest, UTC), size


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


class Sweeper:
    """Deletes what the rules allow, counting everything in a Tally (nothing is deleted in a dry run)."""

    def __init__(
        self, context, store, guard: LiveGuard, dry_run: bool, now: datetime, retention_days: int
    ) -> None:
        self.context = context
        self.store = store
        self.guard = guard
        self.dry_run = dry_run
        self.now = now
        self.days = retention_days
        self.tally = hk.Tally()

    def delete(self, category: str, items: list) -> None:
        if not items:
            return
        failed = set() if self.dry_run else set(self.store.delete_many([i.key for i in items]))
        for item in items:
            if item.key in failed:
                self.tally.fail(category, item.key)
            else:
                self.tally.add(category, item.key, item.size)

    def folder(self, category: str, prefix: str, extra: Iterable = ()) -> None:
        """A folder that goes whole or not at all (plus `extra` objects that belong to it)."""
        if self.guard.scope().holds_prefix(prefix):
            self.tally.skip(category, "live")
            return
        objects = [*self.store.list_objects(prefix), *extra]
        verdict = hk.folder_verdict(prefix, objects, self.now, self.days, self.guard.scope())
        if verdict == "delete":
            self.delete(category, objects)
        elif verdict != "empty":
            self.tally.skip(category, verdict)

    def one(self, category: str, item) -> None:
        verdict = hk.object_verdict(item, self.now, self.days, self.guard.scope())
        if verdict == "delete":
            self.delete(category, [item])
        else:
            self.tally.skip(category, verdict)

    def uploads(self) -> None:
        """Unfinished S3 multipart uploads: aborted once older than the retention (their parts cost storage)."""
        category = "multipart_upload"
        for key, upload_id, initiated in self.store.list_multipart_uploads():
            entry = hk.Entry(key, 0, _aware(initiated))
            verdict = hk.object_verdict(entry, self.now, self.days, self.guard.scope())
            if verdict != "delete":
                self.tally.skip(category, verdict)
                continue
            try:
                if not self.dry_run:
                    self.store.abort_multipart_upload(key, upload_id)
                self.tally.add(category, key, 0)
            except Exception as exc:  # one upload must not stop the clean-up
                self.context.log.warning(f"could not abort the upload of {key}: {exc}")
                self.tally.fail(category, key)

    def pipes_contexts(self) -> None:
        """Context files Dagster Pipes writes at the bucket root ({30 letters}/context.json) and a killed run left."""
        for folder in self.store.list_folders(""):
            if _PIPES_FOLDER.match(folder):
                for item in self.store.list_objects(folder):
                    if hk.is_pipes_context(item.key):
                        self.one("pipes_context", item)

    def local(self, paths: Iterable[Path]) -> None:
        category = "local_scratch"
        for path in paths:
            try:
                newest, size = newest_and_size(path)
            except FileNotFoundError:
                continue
            verdict = hk.local_verdict(newest, self.now, self.days, self.guard.scope())
            if verdict != "delete":
                self.tally.skip(category, verdict)
                continue
            try:
                if not self.dry_run:
                    _remove(path)
                self.tally.add(category, str(path), size)
            except OSError as exc:
                self.context.log.warning(f"could not remove {path}: {exc}")
                self.tally.fail(category, str(path))


def report(context, tally: hk.Tally, **extra) -> dict:
    """The tally as the op's output metadata (shown in the UI) and as its output value."""
    summary = tally.summary()
    metadata: dict = {
        "deleted": summary["deleted"],
        "deleted_bytes": summary["deleted_bytes"],
        "failed": summary["failed"],
        **extra,
    }
    for category, values in summary["categories"].items():
        metadata[f"{category}_deleted"] = values["deleted"]
        metadata[f"{category}_bytes"] = values["bytes"]
        metadata[f"{category}_sample"] = dg.MetadataValue.json(values["sample"])
        if values["failed"]:
            metadata[f"{category}_failed"] = dg.MetadataValue.json(values["failed"])
    metadata["skipped"] = dg.MetadataValue.json(
        {c: v["skipped"] for c, v in summary["categories"].items() if v["skipped"]}
    )
    context.add_output_metadata(metadata)
    context.log.info(
        f"{'would delete' if extra.get('dry_run') else 'deleted'} {summary['deleted']} item(s), "
        f"{summary['deleted_bytes']} bytes; failed {summary['failed']}"
    )
    return {**summary, **extra}


# -- ops and jobs -------------------------------------------------------------------------------


class CleanupConfig(dg.Config):
    retention_days: int | None = None  # None: the NP_* setting
    dry_run: bool = False  # report what would be deleted, delete nothing


def _sweeper(context, config: CleanupConfig, object_store: ObjectStoreResource, default_days: int) -> Sweeper:
    days = config.retention_days or default_days
    now = _now()
    hk.cutoff(now, days)  # refuses a retention under one day
    return Sweeper(
        context, object_store.store(), LiveGuard(context.instance, context.run_id), config.dry_run, now, days
    )


@dg.op(
    description="Delete export work folders, temp files, scratch folders, unfinished uploads and Pipes context "
    "files older than the work retention, skipping everything live runs hold.",
    tags=HOUSEKEEPING_TAGS,
)
def clean_work_files(
    context: dg.OpExecutionContext, config: CleanupConfig, object_store: ObjectStoreResource
) -> dict:
    settings = get_settings()
    sweep = _sweeper(context, config, object_store, settings.cleanup_work_retention_days)
    store = sweep.store
    for _key, prefix in export_folders(store):
        sweep.folder("export_work", prefix + "work/")
    if isinstance(store, LocalObjectStore):
        for item in store.list_temp_objects():
            sweep.one("store_temp", item)
    if isinstance(store, S3ObjectStore):
        sweep.uploads()
        sweep.pipes_contexts()
    sweep.local(local_scratch(settings, store))
    return report(
        context,
        sweep.tally,
        retention_days=sweep.days,
        dry_run=config.dry_run,
        cutoff=hk.cutoff(sweep.now, sweep.days).isoformat(),
    )


@dg.op(
    description="Delete export archives (zips/ and volumes.json) older than the archive retention; "
    "the production folder stays.",
    tags=HOUSEKEEPING_TAGS,
)
def expire_export_archives(
    context: dg.OpExecutionContext, config: CleanupConfig, object_store: ObjectStoreResource
) -> dict:
    sweep = _sweeper(context, config, object_store, get_settings().cleanup_archive_retention_days)
    for _key, prefix in export_folders(sweep.store):
        index = sweep.store.head(prefix + "volumes.json")  # lists the parts: goes with them
        sweep.folder("archive", prefix + "zips/", extra=[index] if index else [])
    return report(
        context,
        sweep.tally,
        retention_days=sweep.days,
        dry_run=config.dry_run,
        cutoff=hk.cutoff(sweep.now, sweep.days).isoformat(),
    )


@dg.op(
    description="Delete the partial outputs of exports that never completed and whose last run failed or was "
    "canceled longer ago than the work retention; manifest.zip and error_logs/ stay.",
    tags=HOUSEKEEPING_TAGS,
)
def clean_orphaned_outputs(
    context: dg.OpExecutionContext,
    config: CleanupConfig,
    object_store: ObjectStoreResource,
    databases: DatabaseResource,
) -> dict:
    sweep = _sweeper(context, config, object_store, get_settings().cleanup_work_retention_days)
    exports = dict(export_folders(sweep.store))
    runs = runs_by_partition(context.instance, exports)
    completed = context.instance.get_materialized_partitions(EXPORT_COMPLETION)
    held = awaiting_subjects(databases.databases().platform())  # stopped at the PII gate: waiting, not dead
    orphaned = []
    for key, prefix in exports.items():
        verdict = hk.export_verdict(runs.get(key, []), key in completed, sweep.now, sweep.days)
        if verdict == "orphaned" and sweep.guard.scope().holds_prefix(prefix):
            verdict = "live"
        if verdict == "orphaned" and key in held:
            verdict = "awaiting_pii_review"
        if verdict != "orphaned":
            sweep.tally.skip("partial_output", verdict)
            continue
        orphaned.append(key)
        objects = list(sweep.store.list_objects(prefix))
        sweep.delete(
            "partial_output", hk.orphaned_objects(prefix, objects, sweep.now, sweep.days, sweep.guard.scope())
        )
    return report(
        context,
        sweep.tally,
        retention_days=sweep.days,
        dry_run=config.dry_run,
        orphaned_exports=dg.MetadataValue.json(orphaned[:100]),
        orphaned_export_count=len(orphaned),
    )


class PruneConfig(dg.Config):
    retention_days: int | None = None  # None: NP_PARTITION_RETENTION_DAYS
    max_keys: int = 10_000  # pruned per partition set and run; the rest waits for the next run
    dry_run: bool = False


@dg.op(
    description="Delete finished `exports` and `exchanges` partitions (no live run, last run ended longer ago "
    "than the partition retention). Runs and materializations stay; `cases` is never pruned.",
    tags=HOUSEKEEPING_TAGS,
)
def prune_finished_partitions(context: dg.OpExecutionContext, config: PruneConfig) -> dict:
    days = config.retention_days or get_settings().partition_retention_days
    now = _now()
    hk.cutoff(now, days)
    guard = LiveGuard(context.instance, context.run_id)
    metadata: dict = {"retention_days": days, "dry_run": config.dry_run}
    result: dict = {"retention_days": days, "dry_run": config.dry_run, "pruned": 0, "sets": {}}
    for partitions in PRUNED_PARTITION_SETS:
        name = partitions.name
        keys = list(context.instance.get_dynamic_partitions(name))
        pruned: list[str] = []
        verdicts: dict[str, int] = {}
        for start in range(0, len(keys), _CHUNK):
            if len(pruned) >= config.max_keys:
                verdicts["not_examined"] = len(keys) - start
                break
            chunk = keys[start : start + _CHUNK]
            runs = runs_by_partition(context.instance, chunk)
            finished, counts = hk.prunable_partitions(
                chunk, runs, now, days, guard.scope(), config.max_keys - len(pruned)
            )
            for verdict, count in counts.items():
                verdicts[verdict] = verdicts.get(verdict, 0) + count
            for key in finished:
                if key in guard.scope().partition_keys:  # a run started meanwhile
                    verdicts["live"] = verdicts.get("live", 0) + 1
                    verdicts["finished"] = verdicts.get("finished", 0) - 1
                    continue
                if not config.dry_run:
                    context.instance.delete_dynamic_partition(name, key)
                pruned.append(key)
        metadata[f"{name}_pruned"] = len(pruned)
        metadata[f"{name}_remaining"] = len(keys) - len(pruned)
        metadata[f"{name}_pruned_sample"] = dg.MetadataValue.json(pruned[:20])
        metadata[f"{name}_verdicts"] = dg.MetadataValue.json(verdicts)
        result["sets"][name] = {"pruned": pruned, "verdicts": verdicts, "remaining": len(keys) - len(pruned)}
        result["pruned"] += len(pruned)
    metadata["pruned"] = result["pruned"]
    context.add_output_metadata(metadata)
    context.log.info(f"{'would prune' if config.dry_run else 'pruned'} {result['pruned']} partition(s)")
    return result


@dg.job(
    description="Daily: work files, temp files, scratch folders, unfinished uploads past the work retention.",
    tags=HOUSEKEEPING_TAGS,
)
def housekeeping_work_files_job():
    clean_work_files()


@dg.job(description="Daily: export archives (zips/) past the archive retention.", tags=HOUSEKEEPING_TAGS)
def housekeeping_export_archives_job():
    expire_export_archives()


@dg.job(
    description="Daily: partial outputs of exports whose last run died, past the work retention.",
    tags=HOUSEKEEPING_TAGS,
)
def housekeeping_orphaned_outputs_job():
    clean_orphaned_outputs()


@dg.job(
    description="Daily: finished exports/exchanges partitions past the partition retention.",
    tags=HOUSEKEEPING_TAGS,
)
def housekeeping_partitions_job():
    prune_finished_partitions()


HOUSEKEEPING_JOBS = [
    housekeeping_work_files_job,
    housekeeping_export_archives_job,
    housekeeping_orphaned_outputs_job,
    housekeeping_partitions_job,
]
