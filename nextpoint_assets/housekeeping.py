"""Housekeeping I/O: lists the object store, local scratch and run storage, asks the rules
(domain/housekeeping.py), deletes.

The ops of jobs/housekeeping.py call one function each (`sweep_work_files`,
`sweep_export_archives`, `sweep_orphaned_outputs`, `prune_partitions`); every
deletion is counted in a Tally and reported as the op's output metadata.
Anything a live run holds is skipped, and the live runs are re-read while a
clean-up deletes (nextpoint_assets/live_runs.py).
"""

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from domain import housekeeping as hk
from domain.batches import batched
from nextpoint_assets.live_runs import RUN_QUERY_KEYS, LiveGuard, aware, runs_by_partition
from nextpoint_assets.partitions import exchanges_partitions, exports_partitions
from nextpoint_assets.pii.records import awaiting_subjects
from resources.local_object_store import LocalObjectStore
from resources.s3_object_store import S3ObjectStore

PRUNED_PARTITION_SETS = (exports_partitions, exchanges_partitions)  # `cases` is never pruned
EXPORT_COMPLETION = dg.AssetKey("export_completion")

_CASE_FOLDER = re.compile(r"^case_[1-9]\d*/$")
_EXPORT_FOLDER = re.compile(r"^case_([1-9]\d*)/exports/export_([1-9]\d*)/$")
_PIPES_FOLDER = re.compile(r"^[A-Za-z]{30}/$")


def _now() -> datetime:
    return datetime.now(UTC)


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
    """Local files and folders only runs in progress need: the store's `.scratch/` folders, the work
    folder (`spark/` entry by entry), `np-*` temp folders of this machine and the outbox's unfinished
    `.part` files."""
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
        """Unfinished S3 multipart uploads: aborted once older than the retention (parts cost storage)."""
        category = "multipart_upload"
        for key, upload_id, initiated in self.store.list_multipart_uploads():
            entry = hk.Entry(key, 0, aware(initiated))
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
        """Context files Dagster Pipes writes at the bucket root ({30 letters}/context.json), left by a
        killed run."""
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


# -- the clean-ups, one per op -----------------------------------------------------------------


def sweeper(context, store, retention_days: int, dry_run: bool) -> Sweeper:
    """A Sweeper for the running op: `retention_days` checked (at least one day), the time read once."""
    now = _now()
    hk.cutoff(now, retention_days)  # refuses a retention under one day
    return Sweeper(context, store, LiveGuard(context.instance, context.run_id), dry_run, now, retention_days)


def _cutoff_report(context, sweep: Sweeper) -> dict:
    return report(
        context,
        sweep.tally,
        retention_days=sweep.days,
        dry_run=sweep.dry_run,
        cutoff=hk.cutoff(sweep.now, sweep.days).isoformat(),
    )


def sweep_work_files(context, sweep: Sweeper, settings) -> dict:
    """Export work folders, the store's temp files, unfinished uploads, Pipes contexts, local scratch."""
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
    return _cutoff_report(context, sweep)


def sweep_export_archives(context, sweep: Sweeper) -> dict:
    """Each export's `zips/` with its `volumes.json`, whole or not at all."""
    for _key, prefix in export_folders(sweep.store):
        index = sweep.store.head(prefix + "volumes.json")  # lists the parts: goes with them
        sweep.folder("archive", prefix + "zips/", extra=[index] if index else [])
    return _cutoff_report(context, sweep)


def sweep_orphaned_outputs(context, sweep: Sweeper, platform_db) -> dict:
    """The partial outputs of exports that never completed and whose last run died."""
    exports = dict(export_folders(sweep.store))
    runs = runs_by_partition(context.instance, exports)
    completed = context.instance.get_materialized_partitions(EXPORT_COMPLETION)
    held = awaiting_subjects(platform_db)  # stopped at the PII gate: waiting, not dead
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
        dry_run=sweep.dry_run,
        orphaned_exports=dg.MetadataValue.json(orphaned[:100]),
        orphaned_export_count=len(orphaned),
    )


def _prune_set(context, name: str, guard: LiveGuard, now: datetime, days: int, max_keys: int, dry_run: bool):
    """(pruned keys, verdict counts, keys examined) of one partition set."""
    instance = context.instance
    keys = list(instance.get_dynamic_partitions(name))
    pruned: list[str] = []
    verdicts: dict[str, int] = {}
    examined = 0
    for chunk in batched(keys, RUN_QUERY_KEYS):
        if len(pruned) >= max_keys:
            verdicts["not_examined"] = len(keys) - examined
            break
        examined += len(chunk)
        runs = runs_by_partition(instance, chunk)
        finished, counts = hk.prunable_partitions(
            list(chunk), runs, now, days, guard.scope(), max_keys - len(pruned)
        )
        for verdict, count in counts.items():
            verdicts[verdict] = verdicts.get(verdict, 0) + count
        for key in finished:
            if key in guard.scope().partition_keys:  # a run started meanwhile
                verdicts["live"] = verdicts.get("live", 0) + 1
                verdicts["finished"] = verdicts.get("finished", 0) - 1
                continue
            if not dry_run:
                instance.delete_dynamic_partition(name, key)
            pruned.append(key)
    return keys, pruned, verdicts


def prune_partitions(context, retention_days: int, max_keys: int, dry_run: bool) -> dict:
    """Finished `exports` and `exchanges` partitions (at most `max_keys` per set); `cases` is never pruned."""
    now = _now()
    hk.cutoff(now, retention_days)
    guard = LiveGuard(context.instance, context.run_id)
    metadata: dict = {"retention_days": retention_days, "dry_run": dry_run}
    result: dict = {"retention_days": retention_days, "dry_run": dry_run, "pruned": 0, "sets": {}}
    for partitions in PRUNED_PARTITION_SETS:
        name = partitions.name
        keys, pruned, verdicts = _prune_set(context, name, guard, now, retention_days, max_keys, dry_run)
        metadata[f"{name}_pruned"] = len(pruned)
        metadata[f"{name}_remaining"] = len(keys) - len(pruned)
        metadata[f"{name}_pruned_sample"] = dg.MetadataValue.json(pruned[:20])
        metadata[f"{name}_verdicts"] = dg.MetadataValue.json(verdicts)
        result["sets"][name] = {"pruned": pruned, "verdicts": verdicts, "remaining": len(keys) - len(pruned)}
        result["pruned"] += len(pruned)
    metadata["pruned"] = result["pruned"]
    context.add_output_metadata(metadata)
    context.log.info(f"{'would prune' if dry_run else 'pruned'} {result['pruned']} partition(s)")
    return result
