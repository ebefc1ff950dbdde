"""The volume steps' worker processes: one pool per run process, kept across volume steps.

Starting a pool costs each worker a spawn and the imaging imports (~0.6 CPU-s); a run that produces
its volumes one after another in one process (the in-process executor) paid it per volume. The pool
is kept per (workers, tessdata, language) and shut down when the process exits. A pool whose worker
died (SIGKILL, out of memory) is broken: it is replaced, never reused, so a retried step starts clean.

`default_workers` sizes the pool when the op config says `workers: 0`: every core when the step has
the process's machine or container to itself (in-process executor, one ECS task or Kubernetes Job per
step), else the cores shared among the volume steps the multiprocess executor runs at once on this
machine, so N parallel steps do not start N x cores workers.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager

from nextpoint_assets.productions import worker
from nextpoint_assets.productions.worker import cores

_pools: dict[tuple[int, str | None, str], ProcessPoolExecutor] = {}
_lock = threading.Lock()


def default_workers(volumes: int) -> int:
    """Worker processes for one volume step when none are configured. A step in a child process of
    the run (Dagster's multiprocess executor starts one per step) shares this machine with up to
    min(volumes, cores) other volume steps; a step in the run's main process (in-process executor,
    or its own ECS task or Kubernetes Job) runs alone."""
    if multiprocessing.parent_process() is None:
        return cores()
    return max(1, cores() // max(1, min(volumes, cores())))


def _broken(pool: ProcessPoolExecutor) -> bool:
    # concurrent.futures marks a pool whose worker died as broken; every later submit raises.
    return bool(getattr(pool, "_broken", False)) or bool(getattr(pool, "_shutdown_thread", False))


def _pool(workers: int, tessdata: str | None, language: str) -> ProcessPoolExecutor:
    key = (workers, tessdata, language)
    with _lock:
        pool = _pools.get(key)
        if pool is not None and _broken(pool):
            del _pools[key]
            pool.shutdown(wait=False, cancel_futures=True)
            pool = None
        if pool is None:
            # spawn: a forked worker would inherit the step's threads and open handles (pdfium, sockets).
            pool = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=worker.init_pool_worker,
                initargs=(tessdata, language),
            )
            _pools[key] = pool
        return pool


class _Session:
    """One volume step's use of the shared pool: submit() as on the pool; the futures are tracked so
    a step that fails leaves no work of its own queued or running behind it."""

    def __init__(self, pool: ProcessPoolExecutor) -> None:
        self.pool = pool
        self.futures: list[Future] = []

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future = self.pool.submit(fn, *args, **kwargs)
        self.futures.append(future)
        return future


@contextmanager
def worker_pool(workers: int, tessdata: str | None, language: str) -> Iterator[_Session]:
    """The process's pool for these settings (started on first use). When the block fails, its queued
    documents are cancelled and the running ones awaited (they write into the step's temporary
    folder); a pool left broken is dropped, so the retry starts a new one."""
    session = _Session(_pool(workers, tessdata, language))
    try:
        yield session
    except BaseException:
        for future in session.futures:
            future.cancel()
        for future in session.futures:
            if not future.cancelled():
                # Waits for it; its own failure (a broken pool's futures all fail) is not this one's.
                with contextlib.suppress(Exception):
                    future.exception()
        raise
    finally:
        if _broken(session.pool):
            with _lock:
                for key, pool in list(_pools.items()):
                    if pool is session.pool:
                        del _pools[key]
            session.pool.shutdown(wait=False, cancel_futures=True)


@atexit.register
def shutdown_all() -> None:
    """Stop every kept pool (also at interpreter exit)."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)
