"""A real `dagster dev` (webserver + daemon, as scripts/ui.sh starts it) on its own Dagster home.

Shared by the UI tests (tests/test_ui_launch.py, tests/test_ui_browser.py) and the turnaround
benchmark (bench/ui_turnaround.py), so all three see the instance file the laptop uses
(deploy/dagster.local.yaml) and the same wait for the code location.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from scripts.services import free_port, stop_process

ROOT = Path(__file__).resolve().parent.parent
LOCATION = "nextpoint"  # workspace.yaml's location_name
REPOSITORY = "__repository__"  # the name Dagster gives the one repository of a `Definitions`

_WORKSPACE_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""


class DagsterDevError(RuntimeError):
    """`dagster dev` did not start, or its code location did not load (the log names why)."""


@dataclass(frozen=True)
class DagsterDev:
    port: int
    dagster_home: Path
    log: Path  # webserver, daemon and code server output: read it when something went wrong

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def graphql(self, query: str, variables: dict | None = None, timeout: float = 30) -> dict:
        """One GraphQL request as the UI sends it; returns `data` (raises on transport errors)."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read())
        if payload.get("errors"):
            raise DagsterDevError(f"GraphQL errors: {payload['errors']}")
        return payload["data"]


def make_dagster_home(dagster_home: Path, cases: Sequence[str] = ()) -> None:
    """A Dagster home holding the laptop's instance file, with `cases` added as case partitions.

    The instance file reads `env: DAGSTER_HOME`: the caller sets it to `dagster_home` first.
    """
    import dagster as dg

    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "deploy" / "dagster.local.yaml", dagster_home / "dagster.yaml")
    if cases:
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            instance.add_dynamic_partitions("cases", list(cases))


@contextmanager
def dagster_dev(np_home: Path, dagster_home: Path, timeout: float = 240) -> Iterator[DagsterDev]:
    """Start `dagster dev` on `workspace.yaml`, wait until its code location has loaded, stop it after.

    Its output goes to `dagster_home/dagster-dev.log` (quiet tests, a log to read on failure).
    """
    port = free_port()
    log = dagster_home / "dagster-dev.log"
    env = {**os.environ, "NP_HOME": str(np_home), "DAGSTER_HOME": str(dagster_home)}
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    with open(log, "ab") as out:
        server = subprocess.Popen(
            [dagster, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: webserver, daemon and code servers stop together
        )
    dev = DagsterDev(port, dagster_home, log)
    try:
        _wait_until_loaded(dev, server, time.monotonic() + timeout)
        yield dev
    finally:
        stop_process(server, signal.SIGTERM, group=True)
        with suppress(ProcessLookupError):  # a run worker left behind by a `dagster dev` that ended
            os.killpg(server.pid, signal.SIGKILL)


def _wait_until_loaded(dev: DagsterDev, server: subprocess.Popen, deadline: float) -> None:
    while True:
        if server.poll() is not None:
            raise DagsterDevError(f"dagster dev exited with {server.returncode}; see {dev.log}")
        if time.monotonic() > deadline:
            raise DagsterDevError(f"dagster dev did not load the code location in time; see {dev.log}")
        try:
            workspace = dev.graphql(_WORKSPACE_QUERY, timeout=5)["workspaceOrError"]
        except (OSError, urllib.error.URLError, DagsterDevError):
            time.sleep(1)  # the webserver is not listening yet
            continue
        entries = {e["name"]: e for e in workspace.get("locationEntries", [])}
        entry = entries.get(LOCATION)
        if entry and entry["loadStatus"] == "LOADED":
            loaded = entry["locationOrLoadError"] or {}
            if loaded.get("__typename") == "PythonError":
                raise DagsterDevError(f"code location failed to load: {loaded.get('message')}")
            return
        time.sleep(1)
