"""Bring a case's stamped page set in line with its database: re-stamp what changed, drop what went.

No Dagster here: the asset, the bench and the tests call `sync_page_set` alike.
Exhibits are stamped in worker processes from local copies; the files are
uploaded under the exhibit's prefix, then its index entry is written, so a
crash at any point costs at most a re-stamp of the exhibits in flight.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from domain.errors import PlatformError
from domain.log import get_logger, log_context
from domain.stamps import ledger
from domain.stamps.service import read_style
from imaging.pageset import (
    INDEX_KEY,
    MANIFEST,
    ExhibitJob,
    ExhibitOutcome,
    ExhibitStamps,
    PageSetSettings,
    changes,
    desired_state,
    exhibit_prefix,
    index_entry,
    read_index,
    set_version,
    write_index,
)
from imaging.stamp_pdf import open_pdf
from nextpoint_assets.stamps import worker

log = get_logger("stamps.sync")
CHECKPOINT = 200  # exhibits between index writes
INLINE_PAGES = 4000  # below this many pages, starting worker processes (~1 s each) costs more than it saves


class SourceCache:
    """Source PDFs downloaded once per run into a scratch folder, by object key."""

    def __init__(self, store, folder: Path) -> None:
        self.store = store
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._paths: dict[str, Path] = {}

    def path(self, key: str) -> Path:
        if key not in self._paths:
            in_place = self.store.readable_path(key)  # a local store's own file: no copy
            local = self.folder / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:24]}.pdf"
            self._paths[key] = in_place or self.store.download(key, local)
        return self._paths[key]

    def drop(self, key: str | None) -> None:
        path = self._paths.pop(key, None) if key else None
        if path is not None and path.parent == self.folder:
            path.unlink(missing_ok=True)

    def count_pages(self, key: str) -> int:
        with open_pdf(self.path(key), name=Path(key).name) as pdf:
            return len(pdf.pages)


@dataclass
class SyncSummary:
    version: str
    exhibits: int  # carrying at least one stamp
    stamped: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    pages_stamped: int = 0
    unchanged: int = 0


def _wanted(store, engine, settings: PageSetSettings) -> dict[int, ExhibitStamps]:
    with engine.connect() as conn:
        rows = ledger.rows(conn)
        facts = ledger.exhibit_facts(conn, sorted({r.exhibit_id for r in rows}))
        sources = ledger.pdf_sources(conn, {f.document_id for f in facts.values()})
    by_exhibit = {e: sources.get(f.document_id, (None, None)) for e, f in facts.items()}
    return desired_state(rows, by_exhibit, read_style(store), settings)


def _clear(store, exhibit_id: int, keep: set[str] = frozenset()) -> None:
    for key in list(store.list(exhibit_prefix(exhibit_id))):
        if key not in keep:
            store.delete(key)


def sync_page_set(
    store,
    engine,
    settings: PageSetSettings,
    workers: int = 0,
    force: bool = False,
    sources: SourceCache | None = None,
    progress: Callable[[str], None] | None = None,
) -> SyncSummary:
    """Re-stamp the exhibits whose digest changed, drop the ones that carry no stamp any more.
    `sources` may hold the PDFs a stamp request already fetched to check them."""
    wanted = _wanted(store, engine, settings)
    index = read_index(store.get_bytes(INDEX_KEY) if store.exists(INDEX_KEY) else None)
    stale, gone = changes(wanted, index)
    if force:
        stale = sorted(wanted)
    version = set_version(wanted)
    summary = SyncSummary(version, len(wanted), unchanged=len(wanted) - len(stale))
    for exhibit_id in gone:
        _clear(store, exhibit_id)
        index.pop(exhibit_id, None)
        summary.removed.append(exhibit_id)
    previously = set(index)
    with tempfile.TemporaryDirectory(prefix="np-stamps-", dir=store.scratch_dir()) as tmp:
        sources = sources or SourceCache(store, Path(tmp) / "sources")
        done = 0

        def finish(entry: ExhibitStamps, outcome: ExhibitOutcome) -> None:
            nonlocal done
            with log_context(exhibit_id=entry.exhibit_id):
                prefix = exhibit_prefix(entry.exhibit_id)
                keys = {prefix + name for name in [*outcome.files, MANIFEST]} if not outcome.error else set()
                for name, local in outcome.files.items():
                    store.move_file(prefix + name, Path(local))
                if not outcome.error:  # written last: a manifest means its files are all there
                    store.put_bytes(
                        prefix + MANIFEST,
                        json.dumps(outcome.manifest, sort_keys=True).encode("utf-8"),
                        "application/json",
                    )
                if entry.exhibit_id in previously or outcome.error:
                    # Files of an earlier state (or of a failure) never outlive it: they would show
                    # stale stamps.
                    _clear(store, entry.exhibit_id, keep=keys)
                index[entry.exhibit_id] = index_entry(outcome, entry)
                if outcome.error:
                    summary.failed[entry.exhibit_id] = outcome.error
                    log.warning(outcome.error)
                else:
                    summary.stamped.append(entry.exhibit_id)
                    summary.pages_stamped += len(entry.pages)
            done += 1
            if done % CHECKPOINT == 0:
                store.put_bytes(INDEX_KEY, write_index(index, version), "application/json")
                if progress:
                    progress(f"{done} of {len(stale)} exhibits stamped")

        for entry, outcome in _run(stale, wanted, sources, Path(tmp), settings, workers):
            finish(entry, outcome)
    store.put_bytes(INDEX_KEY, write_index(index, version), "application/json")
    return summary


def _job(
    entry: ExhibitStamps, sources: SourceCache, root: Path, settings: PageSetSettings
) -> tuple[ExhibitJob, ExhibitOutcome | None]:
    job = ExhibitJob(entry, None, str(root), settings)
    if entry.pdf_key is None:
        return job, ExhibitOutcome(
            entry.exhibit_id, entry.digest, error=f"Exhibit {entry.exhibit_id} has no PDF rendition to stamp."
        )
    try:
        job.source = str(sources.path(entry.pdf_key))
    except PlatformError as exc:
        return job, ExhibitOutcome(
            entry.exhibit_id, entry.digest, error=f"Exhibit {entry.exhibit_id}: {exc.user_message}"
        )
    return job, None


def _run(
    stale: list[int],
    wanted: dict[int, ExhibitStamps],
    sources: SourceCache,
    root: Path,
    settings: PageSetSettings,
    workers: int,
) -> Iterator[tuple[ExhibitStamps, ExhibitOutcome]]:
    """(entry, outcome) for every stale exhibit, in worker processes when it pays."""
    workers = workers or os.cpu_count() or 1
    pages = sum(len(wanted[e].pages) for e in stale)
    if workers <= 1 or pages < INLINE_PAGES or len(stale) < 2:
        for exhibit_id in stale:
            job, early = _job(wanted[exhibit_id], sources, root, settings)
            yield wanted[exhibit_id], early or worker.run(job)
            _drop_source(sources, wanted[exhibit_id])
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=worker.init) as pool:
        pending: dict[Future, ExhibitStamps] = {}
        for exhibit_id in stale:
            entry = wanted[exhibit_id]
            job, early = _job(entry, sources, root, settings)
            if early is not None:
                yield entry, early
                continue
            pending[pool.submit(worker.run, job)] = entry
            while len(pending) >= 2 * workers:  # bounded: flat memory and scratch disk
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    entry_done = pending.pop(future)
                    yield entry_done, future.result()
                    _drop_source(sources, entry_done)
        for future, entry_done in list(pending.items()):
            yield entry_done, future.result()
            _drop_source(sources, entry_done)


def _drop_source(sources: SourceCache, entry: ExhibitStamps) -> None:
    sources.drop(entry.pdf_key)
