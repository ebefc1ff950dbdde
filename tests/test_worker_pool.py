"""The volume steps' worker pool: kept across steps in one process, replaced when a worker is
SIGKILLed, and sized so parallel volume steps on one machine do not each take every core."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest

from nextpoint_assets.productions import worker_pool


@pytest.fixture(autouse=True)
def no_kept_pools():
    worker_pool.shutdown_all()
    yield
    worker_pool.shutdown_all()


def test_the_pool_is_kept_across_steps_and_replaced_when_a_worker_is_killed():
    with worker_pool.worker_pool(1, None, "eng") as first:
        pid = first.submit(os.getpid).result()
    with worker_pool.worker_pool(1, None, "eng") as second:
        assert second.pool is first.pool
        assert second.submit(os.getpid).result() == pid  # the same worker: no new spawn and imports
    with pytest.raises(BrokenProcessPool), worker_pool.worker_pool(1, None, "eng") as third:
        third.submit(os.kill, pid, signal.SIGKILL).result()
    with worker_pool.worker_pool(1, None, "eng") as retried:  # the step's retry
        assert retried.pool is not first.pool
        assert retried.submit(os.getpid).result() not in (pid, os.getpid())
    # Other settings get their own pool.
    with worker_pool.worker_pool(1, None, "deu") as other:
        assert other.pool is not retried.pool


def test_a_failing_step_leaves_no_work_queued_behind_it():
    with pytest.raises(RuntimeError), worker_pool.worker_pool(1, None, "eng") as session:
        futures = [session.submit(pow, 2, n) for n in range(50)]
        raise RuntimeError("upload failed")
    assert all(f.done() for f in futures)
    assert any(f.cancelled() for f in futures)


def test_parallel_volume_steps_share_the_cores():
    cores = worker_pool.cores()
    # In the run's own process (in-process executor, or a step's own container): every core.
    assert worker_pool.default_workers(4) == cores
    # In a step process of the multiprocess executor: the cores shared by the volumes running at once.
    with ProcessPoolExecutor(1) as child:
        assert child.submit(worker_pool.default_workers, 4).result() == max(1, cores // min(4, cores))
        assert child.submit(worker_pool.default_workers, 1).result() == cores
