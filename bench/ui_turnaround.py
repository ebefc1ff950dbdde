"""Turnaround of a report launched from the UI, beside a bare `dagster asset materialize`.

- `ui_launch`: `dagster dev` (webserver + daemon, scripts/ui.sh) on a fresh Dagster home made from
  deploy/dagster.local.yaml and a tiny demo (cases 101 and 202). page_count_report for case 101 is
  launched as the UI's Materialize button does (GraphQL `launchPipelineExecution` of the asset job
  with the `dagster/partition` tag), RUNS times after one warm-up run; seconds are launch to the
  run's RUN_SUCCESS event (median; p90 in the split). The split gives, as medians, where the time
  goes from the run's own events: `queue` launch -> RUN_STARTING (the daemon's queued run
  coordinator dequeued it), `worker` -> RUN_START (the code server starts the run worker process, which loads
  definitions.py), `step_proc` -> STEP_START (the step starting; a run of one step runs it in the run
  worker, jobs/executor.py; before, the step's own process loaded definitions.py again),
  `step` STEP_START -> STEP_SUCCESS (the report itself), `finish` -> RUN_SUCCESS.
- `bare_cli`: the peer, `dagster asset materialize -m definitions --select page_count_report
  --partition 101` on its own fresh Dagster home: seconds are the command's wall time, split as above
  (`queue` is absent: nothing is queued).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("NP_BENCH_UI_RUNS", "8"))
PARTITION = "101"
ASSET = "page_count_report"
VARIANTS = ("bare_cli", "ui_launch")

# What the UI's Materialize button sends for one partition of one asset (Dagster 1.13's UI).
LAUNCH = """
mutation LaunchPipelineExecution($executionParams: ExecutionParams!) {
  launchPipelineExecution(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""


def prepare(size: dict) -> dict:
    """Cases 101 and 202 with a few text-only pages each (made once, reused)."""
    from bench.cases import small_demo

    return {"demo": str(small_demo("ui-demo"))}


def _scratch(args: dict) -> tuple[Path, Path]:
    """A copy of the demo (NP_HOME) and an empty Dagster home, set in this process's environment."""
    scratch = Path(tempfile.mkdtemp(prefix="np-bench-ui-"))
    np_home, dagster_home = scratch / "np_home", scratch / "dagster_home"
    shutil.copytree(args["demo"], np_home)
    os.environ["NP_HOME"] = str(np_home)
    os.environ["DAGSTER_HOME"] = str(dagster_home)  # the instance file's `env: DAGSTER_HOME`
    return np_home, dagster_home


def _split(instance, run_id: str, launched: float | None) -> dict[str, float]:
    """Seconds between the run's own events (wall-clock timestamps written by each process)."""
    import dagster as dg

    from bench.cases import first_event_times

    first = first_event_times(instance, run_id)
    t = dg.DagsterEventType
    marks = [
        ("queue", t.RUN_STARTING),  # the daemon dequeued it (1.13 writes no RUN_DEQUEUED event)
        ("worker", t.RUN_START),
        ("step_proc", t.STEP_START),
        ("step", t.STEP_SUCCESS),
        ("finish", t.RUN_SUCCESS),
    ]
    split, previous = {}, launched or min(first.values())  # the CLI: from its run's first event
    for name, event_type in marks:
        at = first.get(event_type.value)
        if at is None:
            continue
        if previous is not None:
            split[name] = at - previous
        previous = at
    split["total"] = first[t.RUN_SUCCESS.value] - (launched or min(first.values()))
    return split


def _summary(samples: list[dict[str, float]], seconds: list[float], peer: bool) -> dict:
    from bench.cases import _result

    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    median = statistics.median(seconds)
    keys = [k for k in ("queue", "worker", "step_proc", "step", "finish") if k in samples[0]]
    split = {k: round(statistics.median(s[k] for s in samples), 2) for k in keys}
    split = {"p90": round(p90, 2), "min": round(ordered[0], 2), **split}
    lines = ["run  seconds  " + "  ".join(f"{k:>9}" for k in keys)]
    for i, (total, s) in enumerate(zip(seconds, samples, strict=True), 1):
        lines.append(f"{i:>3}  {total:7.2f}  " + "  ".join(f"{s[k]:9.2f}" for k in keys))
    return _result(1, "run", median, peer=peer, runs=len(seconds), split=split, report="\n".join(lines))


def bare_cli(args: dict) -> dict:
    import dagster as dg

    from scripts.dagster_dev import ROOT, make_dagster_home

    _, dagster_home = _scratch(args)
    make_dagster_home(dagster_home, ["101", "202"])
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    command = [
        dagster,
        "asset",
        "materialize",
        "-m",
        "definitions",
        "--select",
        ASSET,
        "--partition",
        PARTITION,
    ]
    seconds, samples = [], []
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for _ in range(RUNS):
            start = time.perf_counter()
            subprocess.run(
                command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            seconds.append(time.perf_counter() - start)
            run = instance.get_runs(limit=1)[0]
            if run.status != dg.DagsterRunStatus.SUCCESS:
                raise RuntimeError(f"run {run.run_id} ended {run.status}")
            samples.append(_split(instance, run.run_id, None))
    return _summary(samples, seconds, peer=True)


def _launch_and_wait(dev, instance, run_config: dict) -> tuple[str, float]:
    """Launch as the UI does; wait for the run to end; return its id and the launch time."""
    import dagster as dg

    from scripts.dagster_dev import LOCATION, REPOSITORY

    params = {
        "mode": "default",
        "runConfigData": run_config,
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": PARTITION}]},
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": REPOSITORY,
            "pipelineName": "__ASSET_JOB",
            "assetSelection": [{"path": [ASSET]}],  # no assetCheckSelection: its checks run with it
        },
    }
    launched = time.time()
    outcome = dev.graphql(LAUNCH, {"executionParams": params})["launchPipelineExecution"]
    if outcome["__typename"] != "LaunchRunSuccess":
        raise RuntimeError(f"launch refused: {outcome}")
    run_id = outcome["run"]["runId"]
    deadline = time.monotonic() + 300
    while True:  # the run storage, read directly: polling GraphQL would load the webserver being measured
        run = instance.get_run_by_id(run_id)
        if run is not None and run.is_finished:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"run {run_id} did not end within 300 s")
        time.sleep(0.05)
    if run.status != dg.DagsterRunStatus.SUCCESS:
        raise RuntimeError(f"run {run_id} ended {run.status}; see {dev.log}")
    return run_id, launched


def ui_launch(args: dict) -> dict:
    run_config: dict = {}
    import dagster as dg

    from scripts.dagster_dev import dagster_dev, make_dagster_home

    np_home, dagster_home = _scratch(args)
    make_dagster_home(dagster_home, ["101", "202"])
    seconds, samples = [], []
    with (
        dg.DagsterInstance.from_config(str(dagster_home)) as instance,
        dagster_dev(np_home, dagster_home) as dev,
    ):
        _launch_and_wait(
            dev, instance, run_config
        )  # warm-up: the daemon's first tick, first code-server call
        for _ in range(RUNS):
            time.sleep(1)  # let the previous run's process go away, as between two clicks
            run_id, launched = _launch_and_wait(dev, instance, run_config)
            split = _split(instance, run_id, launched)
            seconds.append(split["total"])
            samples.append(split)
    return _summary(samples, seconds, peer=False)
