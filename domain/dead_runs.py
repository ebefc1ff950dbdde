"""Which runs holding concurrency-pool slots are provably dead (pure: no Dagster, no OS access).

A run killed with SIGKILL (out of memory, a lost container, a laptop shut) never frees its pool
slots and stays STARTED in Dagster's storage. Where a daemon watches runs it frees the slots of
runs that ended; without one (`dagster job execute`, the demo) a later run asks here which
holders are dead before its own pooled steps claim slots.

A holder is dead only when that is certain from this machine:
- it ran on this machine (same host name) before the last boot (the boot id changed): every
  process it had is gone;
- or it ran on this machine since the last boot, in this pid namespace, and none of the processes
  Dagster recorded for it (run worker, step workers) is alive. A pid now used by a process started
  after the run recorded it is a reused pid, not the run's process.
A run of another machine, or one that never recorded where it ran, is never judged here: the
instance's daemon (run monitoring, `free_slots_after_run_end_seconds`) is the one that can.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# A process started this long after the run recorded its pid is another process (a reused pid).
# Start times read from the process table are whole seconds plus clock ticks: allow for that.
PID_START_TOLERANCE_SECONDS = 2.0


@dataclass(frozen=True)
class Machine:
    """Where processes run: the host name, the kernel's boot id and the pid namespace ("" when unknown).

    Containers sharing a host's name and kernel (host networking) may each have their own pid
    namespace: a pid of another namespace cannot be looked up from here."""

    host: str
    boot_id: str = ""
    pid_namespace: str = ""


@dataclass(frozen=True)
class SlotHolder:
    """A run that holds (or waits for) slots of a pool, as its records show it."""

    run_id: str
    finished: bool  # SUCCESS, FAILURE or CANCELED in storage
    machine: Machine | None  # None: the run never recorded where it ran
    # (pid, epoch seconds when the run recorded it) for every process Dagster or the platform recorded
    pids: tuple[tuple[int, float], ...] = field(default=())


@dataclass(frozen=True)
class DeadRun:
    run_id: str
    mark_failed: bool  # still STARTED/STARTING in storage: report it failed before freeing
    reason: str


# pid -> epoch seconds the live process with that pid started (0.0 when unknown), None when no live
# process has it.
ProcessStart = Callable[[int], float | None]


def _alive(pid: int, recorded_at: float, process_start: ProcessStart) -> bool:
    started = process_start(pid)
    if started is None:
        return False
    return started <= recorded_at + PID_START_TOLERANCE_SECONDS


def dead_slot_holders(
    holders: Iterable[SlotHolder], here: Machine, current_run_id: str, process_start: ProcessStart
) -> list[DeadRun]:
    """The holders whose slots can be freed now, each with why; live or unknown holders are left alone."""
    dead: list[DeadRun] = []
    for holder in holders:
        if holder.run_id == current_run_id or holder.machine is None or holder.machine.host != here.host:
            continue
        machine = holder.machine
        if machine.boot_id and here.boot_id and machine.boot_id != here.boot_id:
            dead.append(
                DeadRun(
                    holder.run_id,
                    not holder.finished,
                    f"its processes ran on {machine.host} before the machine restarted",
                )
            )
            continue
        if machine.pid_namespace != here.pid_namespace or not holder.pids:
            continue  # its processes cannot be seen from here, or nothing proves it dead
        if any(_alive(pid, at, process_start) for pid, at in holder.pids):
            continue
        pids = ", ".join(str(pid) for pid in sorted({pid for pid, _ in holder.pids}))
        dead.append(
            DeadRun(
                holder.run_id,
                not holder.finished,
                f"none of its processes on {machine.host} is alive (pids {pids})",
            )
        )
    return dead
