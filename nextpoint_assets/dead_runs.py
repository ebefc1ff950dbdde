"""Before a run's pooled steps claim slots: free the slots that dead runs of this machine hold.

A run killed with SIGKILL keeps its concurrency-pool slots and stays STARTED in storage; with
no daemon (`dagster job execute`, the demo) nobody frees them, and every later run of the pool
waits for ever. `release_dead_slot_holders` is called by the step that comes before the pooled
steps (the production's volume fan-out): it records where this run's processes run, reads who
holds or waits for slots of the pools, lets `domain.dead_runs` decide who is provably dead, marks
such a run failed and frees its slots. The daemon's run monitoring does the same for runs of any
machine once they ended (`run_monitoring.free_slots_after_run_end_seconds` in the instance file).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import dagster as dg
from dagster._core.events import DagsterEventType, EngineEventData, JobFailureData, RunFailureReason

from domain.dead_runs import DeadRun, Machine, SlotHolder, dead_slot_holders
from resources.processes import process_start, this_machine

HOST_KEY = "np/host"
BOOT_ID_KEY = "np/boot_id"
PID_NAMESPACE_KEY = "np/pid_namespace"
PID_KEY = "pid"  # the key Dagster's own engine and step-worker events use for a process id
_PID_EVENTS = {DagsterEventType.ENGINE_EVENT, DagsterEventType.STEP_WORKER_STARTED}


def record_machine(instance: dg.DagsterInstance, run: dg.DagsterRun, here: Machine) -> None:
    """An engine event naming the machine (and this process) of the run: what later runs judge it by.

    An event, not a tag: a re-execution copies its parent's tags, and would claim the parent's machine."""
    instance.report_engine_event(
        f"Run processes on {here.host} (pid {os.getpid()})",
        run,
        EngineEventData(
            metadata={
                HOST_KEY: dg.MetadataValue.text(here.host),
                BOOT_ID_KEY: dg.MetadataValue.text(here.boot_id),
                PID_NAMESPACE_KEY: dg.MetadataValue.text(here.pid_namespace),
                PID_KEY: dg.MetadataValue.text(str(os.getpid())),
            }
        ),
    )


def record_this_machine(instance: dg.DagsterInstance, run: dg.DagsterRun) -> None:
    record_machine(instance, run, this_machine())


def _metadata_text(data: object, key: str) -> str | None:
    value = (getattr(data, "metadata", None) or {}).get(key)
    text = getattr(value, "value", value)
    return text if isinstance(text, str) else None


def slot_holder(instance: dg.DagsterInstance, run_id: str) -> SlotHolder | None:
    """What the run's records say about it: finished or not, its machine, its processes' pids."""
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        return None
    machine: Machine | None = None
    pids: list[tuple[int, float]] = []
    for event in instance.get_records_for_run(run_id, of_type=_PID_EVENTS).records:
        entry = event.event_log_entry
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        host = _metadata_text(data, HOST_KEY)
        if host:
            machine = Machine(
                host, _metadata_text(data, BOOT_ID_KEY) or "", _metadata_text(data, PID_NAMESPACE_KEY) or ""
            )
        pid = _metadata_text(data, PID_KEY)
        if pid and pid.isdigit():
            pids.append((int(pid), entry.timestamp))
    return SlotHolder(run_id, record.dagster_run.is_finished, machine, tuple(pids))


def release_dead_slot_holders(
    instance: dg.DagsterInstance,
    run: dg.DagsterRun,
    pools: Iterable[str],
    log: dg.DagsterLogManager | None = None,
) -> list[DeadRun]:
    """Record this run's machine, then mark failed and free the slots of every provably dead holder of
    `pools`."""
    here = this_machine()
    record_machine(instance, run, here)
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    run_ids: set[str] = set()
    for info in storage.get_concurrency_infos(list(pools)).values():
        run_ids |= {slot.run_id for slot in info.claimed_slots} | {step.run_id for step in info.pending_steps}
    run_ids.discard(run.run_id)
    holders = [h for h in (slot_holder(instance, run_id) for run_id in sorted(run_ids)) if h is not None]
    dead = dead_slot_holders(holders, here, run.run_id, process_start)
    for verdict in dead:
        message = (
            f"The run's worker is gone: {verdict.reason}. Run {run.run_id} found it holding "
            f"concurrency slots; they were freed."
        )
        if verdict.mark_failed:
            dead_run = instance.get_run_by_id(verdict.run_id)
            if dead_run is not None and not dead_run.is_finished:
                instance.report_run_failed(
                    dead_run,
                    message,
                    JobFailureData(error=None, failure_reason=RunFailureReason.UNEXPECTED_TERMINATION),
                )
        storage.free_concurrency_slots_for_run(verdict.run_id)
        if log is not None:
            log.warning(f"freed the pool slots of dead run {verdict.run_id}: {verdict.reason}")
    return dead
