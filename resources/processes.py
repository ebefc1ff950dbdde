"""This machine's process table: which machine this is, and whether a pid is a live process.

Linux's /proc gives a process's state and start time (a zombie is dead; a process started after
a pid was recorded is a reused pid). Elsewhere only `kill(pid, 0)` is asked, without a start time.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from domain.dead_runs import Machine

PROC = Path("/proc")


def this_machine() -> Machine:
    try:
        boot_id = (PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot_id = ""
    try:
        pid_namespace = os.readlink(PROC / "self/ns/pid")  # "pid:[4026531836]": one per container
    except OSError:
        pid_namespace = ""
    return Machine(socket.gethostname(), boot_id, pid_namespace)


def _boot_time() -> float | None:
    try:
        for line in (PROC / "stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def process_start(pid: int) -> float | None:
    """Epoch seconds the live process `pid` started (0.0 when unknown); None when there is none."""
    if pid <= 0:
        return None
    if not (PROC / "self").exists():  # no /proc (macOS): ask the kernel without a start time
        return _kill_probe(pid)
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return _kill_probe(pid)
    # "pid (comm) state ppid ... starttime(22nd field)": comm may hold spaces and parentheses.
    fields = stat[stat.rfind(")") + 2 :].split()
    if fields[0] in ("Z", "X"):  # zombie or dead: killed, not yet reaped
        return None
    boot = _boot_time()
    if boot is None:
        return 0.0
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def _kill_probe(pid: int) -> float | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return 0.0  # another user's process: alive
    return 0.0
