"""Crash recovery with a real SIGKILL of a real run's process group, then a plain re-run.

A production run (`dagster job execute`, its own process group) is killed while a volume is half
produced: it keeps its `export_volumes` pool slot and stays STARTED in storage. The same command
run again must complete on its own and give the same bytes as an uninterrupted run of the same
manifest in a separate clean home:
- on the laptop instance (deploy/dagster.local.yaml, no daemon): the re-run's volume fan-out finds
  the dead run (same machine, no process alive), marks it failed and frees its slot;
- on the production instance file (deploy/dagster.yaml on PostgreSQL, the run launcher swapped for
  local processes as in tests/test_deploy.py) with a real `dagster-daemon`: once the run is marked
  failed (what run monitoring does for a dead ECS task or pod), the daemon frees its slot after
  `free_slots_after_run_end_seconds`, before the re-run starts.
A stamp run (killed after its numbers were committed, while the pages are stamped) and an exchange
run (killed once it copies documents) are re-run the same way: the re-run completes, and the case
database rows and files equal those of an uninterrupted run, with nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from domain.dead_runs import DeadRun, Machine, SlotHolder, dead_slot_holders
from resources.settings import get_settings, load_settings
from scripts.services import stop_process
from tests import test_deploy
from tests.production_fixtures import manifest_zip, read_manifest_zip

ROOT = Path(__file__).resolve().parents[1]
DAGSTER = str(Path(sys.executable).parent / "dagster")
CASE, EXPORT = 101, 7
KEY = f"{CASE}-{EXPORT}"
NAME = "CRASH_PROD001"
POOL = "export_volumes"
RUN_SECONDS = 420  # a hang (a run waiting for ever on a dead run's slot) fails the test, it does not stall CI


# ---- the decision alone --------------------------------------------------------------------------------

HERE = Machine("host-a", "boot-2", "pid:[1]")


def _holder(
    run_id: str, machine: Machine | None = HERE, pids=((100, 1000.0),), finished: bool = False
) -> SlotHolder:
    return SlotHolder(run_id, finished, machine, tuple(pids))


def test_only_provably_dead_runs_of_this_machine_are_judged_dead():
    live = {100: 900.0, 300: 5000.0}  # pid -> when the live process with it started
    holders = [
        _holder("dead", pids=((200, 1000.0),)),  # its process is gone
        _holder("live", pids=((100, 1000.0), (200, 1000.0))),  # one of its processes lives
        _holder("reused", pids=((300, 1000.0),)),  # pid 300 now belongs to a later process
        _holder("rebooted", Machine("host-a", "boot-1", "pid:[1]")),  # ran before the machine restarted
        _holder("elsewhere", Machine("host-b", "boot-2", "pid:[1]"), pids=((200, 1000.0),)),
        _holder(
            "other-container", Machine("host-a", "boot-2", "pid:[2]"), pids=((200, 1000.0),)
        ),  # pids not visible here
        _holder("unknown", None, pids=((200, 1000.0),)),  # never recorded where it ran
        _holder("no-pids", pids=()),
        _holder("ended", pids=((200, 1000.0),), finished=True),
        _holder("me", pids=((200, 1000.0),)),
    ]
    dead = dead_slot_holders(holders, HERE, "me", live.get)
    assert [(d.run_id, d.mark_failed) for d in dead] == [
        ("dead", True),
        ("reused", True),
        ("rebooted", True),
        ("ended", False),
    ]
    assert all(isinstance(d, DeadRun) and d.reason for d in dead)
    assert "300" in dead[1].reason and "restarted" in dead[2].reason


def test_a_live_pid_recorded_moments_after_its_process_started_is_alive():
    # Process start times are read in clock ticks from a whole-second boot time: a little later is the
    # same process.
    holder = _holder("run", pids=((100, 1000.0),))
    assert dead_slot_holders([holder], HERE, "other", {100: 1001.5}.get) == []
    assert [d.run_id for d in dead_slot_holders([holder], HERE, "other", {100: 1010.0}.get)] == ["run"]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's process table")
def test_the_process_table_knows_this_process_and_not_a_reaped_one():
    from resources.processes import process_start, this_machine

    here = this_machine()
    assert here.host and here.boot_id and here.pid_namespace.startswith("pid:")
    assert process_start(os.getpid()) is not None and process_start(os.getpid()) <= time.time()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert process_start(child.pid) is None
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    while (
        not Path(f"/proc/{zombie.pid}/stat").exists()
        or Path(f"/proc/{zombie.pid}/stat").read_text().split(") ")[1][0] != "Z"
    ):
        time.sleep(0.05)  # exited, not reaped yet: a zombie is not alive
    assert process_start(zombie.pid) is None
    zombie.wait()


# ---- real runs ------------------------------------------------------------------------------------------


def _manifest(template: Path) -> bytes:
    """Export 7 of the demo case: four text documents in two volumes, one with a redaction."""
    data = read_manifest_zip(
        (template / "objects" / f"case_{CASE}" / "exports" / "export_1" / "manifest.zip").read_bytes()
    )
    redacted = {r["exhibit_id"] for r in data["redactions"]}
    plain = [
        e
        for e in data["exhibits"]
        if e["parent_exhibit_id"] is None
        and e["text_key"]
        and not e["native_key"]
        and (e["page_count"] or 0) in range(2, 6)
    ]
    chosen = sorted(
        [e for e in plain if e["id"] in redacted][:1] + [e for e in plain if e["id"] not in redacted][:3],
        key=lambda e: e["id"],
    )
    assert len(chosen) == 4, "the demo case has enough short text documents"
    ids = [e["id"] for e in chosen]
    export = {
        **data["export"][0],
        "export_id": EXPORT,
        "name": NAME,
        "expansive_pdf": 0,
        "native_inclusion": "none",
        "split_bytes": 1024 * 1024,
    }
    rows = [
        {
            "position": n,
            "exhibit_id": i,
            "volume": 1 if n <= 2 else 2,
            "bates_begin": None,
            "produce_native": 0,
            "withheld": 0,
        }
        for n, i in enumerate(ids, start=1)
    ]
    return manifest_zip(
        {
            "export": [export],
            "exhibits": chosen,
            "exhibits_for_export": rows,
            "redactions": [r for r in data["redactions"] if r["exhibit_id"] in ids],
        }
    )


def _production_defs() -> dg.Definitions:
    from jobs.productions import production_job
    from nextpoint_assets.productions.assets import PRODUCTION_ASSETS, PRODUCTION_CHECKS
    from resources.dagster_resources import build_resources

    return dg.Definitions(
        assets=PRODUCTION_ASSETS,
        asset_checks=PRODUCTION_CHECKS,
        jobs=[production_job],
        resources=build_resources(load_settings()),
    )


def _export_dir(home: Path) -> Path:
    return home / "objects" / f"case_{CASE}" / "exports" / f"export_{EXPORT}"


def _new_home(template: Path, home: Path, manifest: bytes) -> Path:
    shutil.copytree(template, home)
    _export_dir(home).mkdir(parents=True)
    (_export_dir(home) / "manifest.zip").write_bytes(manifest)
    return home


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _output(home: Path) -> dict[str, str]:
    """What a production delivers: the production folder, the archive, the volume list, the error logs."""
    export = _export_dir(home)
    found = {}
    for part in ("production", "zips", "error_logs"):
        found.update({f"{part}/{k}": v for k, v in _hashes(export / part).items()})
    found["volumes.json"] = hashlib.sha256((export / "volumes.json").read_bytes()).hexdigest()
    return found


def _events(home: Path, event_type: str) -> list[dict]:
    path = home / "events" / "events.jsonl"
    found = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [e for e in found if e["event_type"] == event_type]


@pytest.fixture(scope="module")
def production_manifest(demo_template) -> bytes:
    return _manifest(demo_template)


@pytest.fixture(scope="module")
def reference_output(demo_template, production_manifest, tmp_path_factory) -> dict[str, str]:
    """The same manifest produced once, uninterrupted, in a separate clean home."""
    home = _new_home(demo_template, tmp_path_factory.mktemp("reference") / "np_home", production_manifest)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NP_HOME", str(home))
        get_settings.cache_clear()
        with dg.instance_for_test() as instance:
            instance.add_dynamic_partitions("exports", [KEY])
            result = (
                _production_defs()
                .resolve_job_def("production_job")
                .execute_in_process(instance=instance, partition_key=KEY, raise_on_error=False)
            )
        assert result.success
    get_settings.cache_clear()
    output = _output(home)
    assert any(k.startswith("production/") for k in output) and any(k.startswith("zips/") for k in output)
    return output


def _env(np_home: Path, dagster_home: Path, extra: dict | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NP_", "DAGSTER_"))}
    return {**env, "NP_HOME": str(np_home), "DAGSTER_HOME": str(dagster_home), **(extra or {})}


def _execute(env: dict, log: Path) -> subprocess.Popen:
    """`dagster job execute` of the production, in its own process group (its pgid is its pid)."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [
                DAGSTER,
                "job",
                "execute",
                "-m",
                "definitions",
                "-j",
                "production_job",
                "--tags",
                json.dumps({"dagster/partition": KEY}),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait(
    what: str,
    predicate,
    process: subprocess.Popen | None,
    log: Path,
    seconds: float = RUN_SECONDS,
    every: float = 0.2,
):
    deadline = time.monotonic() + seconds
    while not (found := predicate()):
        if process is not None and process.poll() is not None:
            pytest.fail(
                f"the run ended (exit {process.returncode}) before {what}:\n{log.read_text()[-3000:]}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"not {what} after {seconds}s:\n{log.read_text()[-3000:]}")
        time.sleep(every)
    return found


def _kill_mid_volume(env: dict, np_home: Path, instance: dg.DagsterInstance, log: Path) -> dg.DagsterRun:
    """Start the production, SIGKILL its whole process group once volume 1 has its first file, return
    the run."""
    process = _execute(env, log)
    volume = _export_dir(np_home) / "production" / NAME / "VOL001"
    try:
        _wait(
            "volume 1 half produced",
            lambda: volume.is_dir() and any(p.is_file() for p in volume.rglob("*")),
            process,
            log,
        )
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    [run] = instance.get_runs(dg.RunsFilter(tags={"dagster/partition": KEY}))
    assert run.status == dg.DagsterRunStatus.STARTED  # nobody will ever say otherwise
    info = instance.event_log_storage.get_concurrency_info(POOL)
    assert {slot.run_id for slot in info.claimed_slots} == {
        run.run_id
    } and info.slot_count == 1  # the pool is full
    assert not (_export_dir(np_home) / "zips").exists()
    return run


def _rerun(env: dict, log: Path) -> None:
    process = _execute(env, log)
    try:
        assert process.wait(timeout=RUN_SECONDS) == 0, log.read_text()[-3000:]
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"the re-run did not finish in {RUN_SECONDS}s (waiting for the dead run's slot?):\n"
            f"{log.read_text()[-3000:]}"
        )
    finally:
        stop_process(process, signal.SIGKILL, group=True)


def _check_recovered(
    instance: dg.DagsterInstance, dead: dg.DagsterRun, np_home: Path, reference: dict[str, str]
) -> None:
    runs = instance.get_runs(dg.RunsFilter(tags={"dagster/partition": KEY}))
    assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]
    assert runs[1].run_id == dead.run_id
    info = instance.event_log_storage.get_concurrency_info(POOL)
    assert info.claimed_slots == [] and info.pending_steps == []
    assert _output(np_home) == reference
    assert len([e for e in _events(np_home, "EXPORT_COMPLETED") if e.get("export_id") == EXPORT]) == 1


def _instance_home(tmp_path: Path, config: dict) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    return home


@pytest.mark.timeout(1200)
def test_sigkill_mid_volume_then_a_plain_rerun_on_the_laptop_instance(
    demo_template, production_manifest, reference_output, tmp_path, monkeypatch
):
    np_home = _new_home(demo_template, tmp_path / "np_home", production_manifest)
    dagster_home = _instance_home(
        tmp_path, yaml.safe_load((ROOT / "deploy" / "dagster.local.yaml").read_text())
    )
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))  # the file's `env: DAGSTER_HOME`
    env, log = _env(np_home, dagster_home), tmp_path / "runs.log"
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.add_dynamic_partitions("exports", [KEY])
        instance.event_log_storage.set_concurrency_slots(
            POOL, 1
        )  # one volume at a time: the dead run holds the pool
        dead = _kill_mid_volume(env, np_home, instance, log)
        _rerun(env, log)
        _check_recovered(instance, dead, np_home, reference_output)
        failure = instance.get_records_for_run(dead.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
        assert "worker is gone" in failure[0].event_log_entry.dagster_event.message


# The production instance file on PostgreSQL, as tests/test_deploy.py makes it (the run launcher swapped for
# local processes), with a real daemon.
pg_home = test_deploy.pg_home
NO_CODE = "import dagster as dg\n\ndefs = dg.Definitions()\n"


@pytest.mark.timeout(1200)
def test_sigkill_mid_volume_then_the_daemon_frees_the_slot_on_the_production_instance_file(
    pg_home, demo_template, production_manifest, reference_output, tmp_path
):
    dagster_home, pg_env, _ = pg_home
    config = yaml.safe_load((dagster_home / "dagster.yaml").read_text())
    assert (
        config["run_monitoring"]["enabled"]
        and config["run_monitoring"]["free_slots_after_run_end_seconds"] > 0
    )
    # Seconds, not minutes, for the test; run_retries off: the re-run here is the plain one, not the
    # daemon's retry.
    config["run_monitoring"].update(free_slots_after_run_end_seconds=2, poll_interval_seconds=1)
    config["run_retries"]["enabled"] = False
    (dagster_home / "dagster.yaml").write_text(yaml.safe_dump(config))
    np_home = _new_home(demo_template, tmp_path / "np_home", production_manifest)
    env, log = _env(np_home, dagster_home, pg_env), tmp_path / "runs.log"
    # The daemon watches the instance only: a code location with nothing in it (no sensor starts a run).
    (tmp_path / "no_code.py").write_text(NO_CODE)
    (tmp_path / "workspace.yaml").write_text(
        yaml.safe_dump(
            {"load_from": [{"python_file": {"relative_path": "no_code.py", "location_name": "no_code"}}]}
        )
    )
    with dg.DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("exports", [KEY])
        instance.event_log_storage.set_concurrency_slots(POOL, 1)
        with open(tmp_path / "daemon.log", "wb") as daemon_log:
            daemon = subprocess.Popen(
                [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
                cwd=tmp_path,
                env=env,
                stdout=daemon_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            dead = _kill_mid_volume(env, np_home, instance, log)
            # What run monitoring does when the launcher reports the run's ECS task or pod gone (the local
            # launcher of this test cannot tell): the run is marked failed. The daemon then frees its slot.
            instance.report_run_failed(
                dead, "The run worker's task stopped (marked failed as run monitoring does)."
            )
            _wait(
                "the slot freed by the daemon",
                lambda: not instance.event_log_storage.get_concurrency_info(POOL).claimed_slots,
                daemon,
                tmp_path / "daemon.log",
                120,
            )
            _rerun(env, log)
        finally:
            stop_process(daemon, group=True)
        _check_recovered(instance, dead, np_home, reference_output)


# ---- a stamp run ------------------------------------------------------------------------------------------

STAMP_DOCS = 120


def _stamp_case(home: Path, template: Path | None = None):
    """A case of STAMP_DOCS three-page PDFs; a copy of `template`'s when given (the PDFs carry their
    making time)."""
    from resources.dagster_resources import DatabaseResource
    from resources.object_store import CaseStore, build_object_store
    from tests.stamp_fixtures import Doc, StampCase, build_case

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NP_HOME", str(home))
        get_settings.cache_clear()
        settings = load_settings()
        if template is None:
            case = build_case(
                settings, CASE, [Doc(i, 3, status=1 if i % 3 == 0 else 0) for i in range(1, STAMP_DOCS + 1)]
            )
        else:
            shutil.copytree(template, home)
            case = StampCase(
                CASE,
                DatabaseResource.from_settings(settings).databases(),
                CaseStore(build_object_store(settings), CASE),
            )
    get_settings.cache_clear()
    return case


def _stamp_request() -> dict:
    from domain.stamps.request import stamp_run_config
    from tests.stamp_fixtures import request

    return stamp_run_config(
        request("crash-1", CASE, "bates_stamp", "apply", list(range(1, STAMP_DOCS + 1)), pattern_id=1)
    )


def _stamp_state(case) -> tuple[dict, list, list]:
    from sqlalchemy import select

    from domain import schema

    with case.databases.case_reader(CASE).connect() as conn:
        details = sorted(
            tuple(r)
            for r in conn.execute(
                select(
                    schema.stamp_details.c.exhibit_id,
                    schema.stamp_details.c.page_number,
                    schema.stamp_details.c.stamp_type,
                    schema.stamp_details.c.text,
                    schema.stamp_details.c.position,
                    schema.stamp_details.c.bates_number,
                )
            )
        )
        patterns = [
            tuple(r) for r in conn.execute(select(schema.bates_patterns).order_by(schema.bates_patterns.c.id))
        ]
    root = case.store.store.local_path(case.store.key("stamped_pages"))
    return _hashes(Path(root)), details, patterns


@pytest.mark.timeout(900)
def test_sigkill_mid_stamp_run_then_a_plain_rerun(tmp_path, monkeypatch):
    reference_home, np_home = tmp_path / "reference", tmp_path / "np_home"
    clean_home = tmp_path / "clean"
    _stamp_case(clean_home)
    reference = _stamp_case(reference_home, template=clean_home)
    monkeypatch.setenv("NP_HOME", str(reference_home))
    get_settings.cache_clear()
    from jobs.stamps import stamp_job
    from nextpoint_assets.stamps.assets import stamped_page_set
    from resources.dagster_resources import build_resources

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("cases", [str(CASE)])
        job = dg.Definitions(
            assets=[stamped_page_set], jobs=[stamp_job], resources=build_resources(load_settings())
        ).resolve_job_def("stamp_job")
        assert job.execute_in_process(
            instance=instance, partition_key=str(CASE), run_config=_stamp_request()
        ).success
    expected = _stamp_state(reference)

    case = _stamp_case(np_home, template=clean_home)
    dagster_home = _instance_home(
        tmp_path, yaml.safe_load((ROOT / "deploy" / "dagster.local.yaml").read_text())
    )
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(_stamp_request()))
    command = [
        DAGSTER,
        "job",
        "execute",
        "-m",
        "definitions",
        "-j",
        "stamp_job",
        "-c",
        str(tmp_path / "run.yaml"),
        "--tags",
        json.dumps({"dagster/partition": str(CASE)}),
    ]
    env, log = _env(np_home, dagster_home), tmp_path / "runs.log"
    stamped = Path(case.store.store.local_path(case.store.key("stamped_pages")))
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.add_dynamic_partitions("cases", [str(CASE)])
        with open(log, "ab") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            _wait(
                "the first exhibit stamped",
                lambda: stamped.is_dir() and any(stamped.glob("exhibit_*/*")),
                process,
                log,
                every=0.01,
            )
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        assert process.returncode == -signal.SIGKILL
        assert not _events(np_home, "STAMP_COMPLETED")  # killed before the end
        with open(log, "ab") as out:
            rerun = subprocess.run(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=RUN_SECONDS
            )
        assert rerun.returncode == 0, log.read_text()[-3000:]
        runs = instance.get_runs()
        assert len(runs) == 2 and runs[0].status == dg.DagsterRunStatus.SUCCESS
    assert _stamp_state(case) == expected
    assert len(_events(np_home, "STAMP_COMPLETED")) == 1


# ---- an exchange run ------------------------------------------------------------------------------------

SOURCE, DESTINATION, BATCH = 101, 202, 31
EXCHANGE_KEY = f"{DESTINATION}-{SOURCE}-{BATCH}"


def _exchange_config() -> dict:
    from domain.exchanges.request import exchange_run_config

    return exchange_run_config(
        {
            "event_type": "EXCHANGE_REQUESTED",
            "event_id": "crash-exchange-1",
            "case_id": DESTINATION,
            "occurred_at": "2026-11-24T10:00:00Z",
            "source_case_id": SOURCE,
            "destination_case_id": DESTINATION,
            "batch_id": BATCH,
            "exhibit_ids": list(range(1, 7)),
            "include_natives": True,
            "requires_annotations": True,
            "annotations": {
                "redactionsAs": "brand_in",
                "batesAs": "brand_in",
                "highlightsAs": "layer",
                "notesAs": "layer",
                "stickersAs": "layer",
                "confidentialityCodesAs": "layer",
            },
        }
    )


def _destination(home: Path) -> tuple[dict[str, list], dict[str, str]]:
    """Every row of the destination case database, and every file of its store."""
    import sqlite3

    [path] = (home / "databases").glob(f"*case_{DESTINATION}.sqlite")
    conn = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        rows = {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"'))) for t in tables}
    finally:
        conn.close()
    return rows, _hashes(home / "objects" / f"case_{DESTINATION}")


@pytest.mark.timeout(1200)
def test_sigkill_mid_exchange_then_a_plain_rerun(demo_template, tmp_path, monkeypatch):
    from jobs.exchanges import exchange_job
    from nextpoint_assets.exchanges.assets import EXCHANGE_ASSETS
    from nextpoint_assets.exchanges.pii import exchange_pii_gate, exchange_pii_scan
    from resources.dagster_resources import build_resources

    reference_home, np_home = tmp_path / "reference", tmp_path / "np_home"
    shutil.copytree(demo_template, reference_home)
    shutil.copytree(demo_template, np_home)
    monkeypatch.setenv("NP_HOME", str(reference_home))
    get_settings.cache_clear()
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("exchanges", [EXCHANGE_KEY])
        defs = dg.Definitions(
            assets=[*EXCHANGE_ASSETS, exchange_pii_scan],
            asset_checks=[exchange_pii_gate],
            jobs=[exchange_job],
            resources=build_resources(load_settings()),
        )
        assert (
            defs.resolve_job_def("exchange_job")
            .execute_in_process(instance=instance, partition_key=EXCHANGE_KEY, run_config=_exchange_config())
            .success
        )
    expected = _destination(reference_home)

    dagster_home = _instance_home(
        tmp_path, yaml.safe_load((ROOT / "deploy" / "dagster.local.yaml").read_text())
    )
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(_exchange_config()))
    command = [
        DAGSTER,
        "job",
        "execute",
        "-m",
        "definitions",
        "-j",
        "exchange_job",
        "-c",
        str(tmp_path / "run.yaml"),
        "--tags",
        json.dumps({"dagster/partition": EXCHANGE_KEY}),
    ]
    env, log = _env(np_home, dagster_home), tmp_path / "runs.log"
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.add_dynamic_partitions("exchanges", [EXCHANGE_KEY])
        with open(log, "ab") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:  # killed in the middle of the database copy: its first table is copied, the others not yet
            _wait(
                "the first table copied",
                lambda: "exchange_database_copy - documents: " in log.read_text(),
                process,
                log,
                every=0.05,
            )
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        assert process.returncode == -signal.SIGKILL
        assert (
            not _events(np_home, "EXCHANGER_FINISHED") and _destination(np_home)[0] != expected[0]
        )  # killed mid-copy
        with open(log, "ab") as out:
            rerun = subprocess.run(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=RUN_SECONDS
            )
        assert rerun.returncode == 0, log.read_text()[-3000:]
        runs = instance.get_runs()
        assert len(runs) == 2 and runs[0].status == dg.DagsterRunStatus.SUCCESS
    rows, files = _destination(np_home)
    assert files == expected[1]
    assert rows == expected[0]
    assert len(_events(np_home, "EXCHANGER_FINISHED")) == 1
