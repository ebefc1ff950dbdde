"""The production Dagster instance files (deploy/): valid for Dagster's schemas, and working on a real
PostgreSQL.

The Postgres tests load deploy/dagster.yaml as production does (every `env:` value from the
environment), with only the ECS run launcher and the S3 compute log manager swapped for Dagster's
defaults, then prove with psycopg2 that runs, events, partitions and sensor state are rows in
Postgres: a silent fallback to SQLite fails them.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._config import validate_config
from dagster._core.instance.config import dagster_instance_config
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.scheduler.instigation import InstigatorState
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.storage.local_compute_log_manager import LocalComputeLogManager
from dagster._serdes import deserialize_value
from dagster._serdes.config_class import class_from_code_pointer
from dagster._utils.tags import TagConcurrencyLimitsCounter

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
INSTANCE_FILES = ("dagster.yaml", "dagster.k8s.yaml")


def _load(name: str) -> dict:
    return yaml.safe_load((DEPLOY / name).read_text())


def _validated(name: str, tmp_path) -> dict:
    """The file as Dagster reads it from DAGSTER_HOME (its own schema and cross-field checks)."""
    home = tmp_path / name.replace(".", "_")
    home.mkdir()
    (home / "dagster.yaml").write_text((DEPLOY / name).read_text())
    config, custom_class = dagster_instance_config(str(home))
    assert custom_class is None
    return dict(config)


def _check_class_config(section: dict) -> None:
    """A `module`/`class`/`config` section: the class exists and its own schema accepts the config."""
    cls = class_from_code_pointer(section["module"], section["class"])
    result = validate_config(cls.config_type(), section.get("config") or {})
    assert result.success, f"{section['class']}: {[e.message for e in result.errors]}"


# --- the files, against Dagster's schemas ---------------------------------------------------------


@pytest.mark.parametrize("name", INSTANCE_FILES)
def test_instance_file_is_valid(name, tmp_path):
    config = _validated(name, tmp_path)
    assert set(config["storage"]) == {"postgres"}
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["telemetry"] == {"enabled": False}
    assert config["run_monitoring"]["enabled"] is True
    assert config["sensors"]["use_threads"] is True
    assert config["python_logs"]["managed_python_loggers"] == ["nextpoint"]
    for key in ("run_coordinator", "compute_logs"):
        _check_class_config(config[key])


def test_ecs_run_launcher_config_is_valid(tmp_path):
    launcher = _validated("dagster.yaml", tmp_path)["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_aws.ecs", "EcsRunLauncher")
    _check_class_config(launcher)
    assert launcher["config"]["include_sidecars"] is False
    assert launcher["config"]["secrets_tag"] is None  # never every secret tagged "dagster"


def test_a_typo_fails_validation(tmp_path):
    from dagster_aws.ecs import EcsRunLauncher

    config = _load("dagster.yaml")["run_launcher"]["config"]
    config["include_sidecar"] = config.pop("include_sidecars")
    assert not validate_config(EcsRunLauncher.config_type(), config).success
    broken = _load("dagster.yaml")
    broken["concurrency"]["runs"]["tag_concurrency_limit"] = broken["concurrency"]["runs"].pop(
        "tag_concurrency_limits"
    )
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(broken))
    with pytest.raises(dg.DagsterInvalidConfigError):
        dagster_instance_config(str(tmp_path))


def test_k8s_run_launcher_config_is_valid(tmp_path):
    launcher = _validated("dagster.k8s.yaml", tmp_path)["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    pytest.importorskip("dagster_k8s", reason="dagster-k8s is not a dependency of this project (ECS is)")
    _check_class_config(launcher)


def test_k8s_file_differs_only_in_the_run_launcher():
    ecs, k8s = _load("dagster.yaml"), _load("dagster.k8s.yaml")
    ecs.pop("run_launcher")
    k8s.pop("run_launcher")
    assert ecs == k8s


def test_the_executor_setting_reaches_every_run_and_matches_the_launcher():
    """NP_EXECUTOR picks the step executor (jobs/executor.py): the ECS launcher copies it into every run's
    task (and so every step's), Kubernetes runs get it from the `nextpoint-env` ConfigMap."""
    from resources.settings import Knobs

    assert "NP_EXECUTOR" in _load("dagster.yaml")["run_launcher"]["config"]["env_vars"]
    assert "NP_EXECUTOR=k8s" in (DEPLOY / "dagster.k8s.yaml").read_text()
    assert Knobs.model_fields["executor"].default == "local"
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert all(f"NP_EXECUTOR={name}" in operations for name in ("local", "ecs", "k8s"))


@pytest.mark.parametrize("name", INSTANCE_FILES)
def test_no_secret_in_the_files(name):
    config = _load(name)
    assert config["storage"]["postgres"]["postgres_db"]["password"] == {"env": "DAGSTER_PG_PASSWORD"}
    for field in ("username", "hostname", "db_name", "port"):
        assert set(config["storage"]["postgres"]["postgres_db"][field]) == {"env"}
    assert "postgres_url" not in config["storage"]["postgres"]


def test_grpc_workspace_points_at_the_code_server(monkeypatch):
    from dagster._core.workspace.config_schema import process_workspace_config

    monkeypatch.setenv("DAGSTER_CODE_LOCATION_HOST", "code.internal")
    monkeypatch.setenv("DAGSTER_CODE_LOCATION_PORT", "4000")
    result = process_workspace_config(_load("workspace.grpc.yaml"))
    assert result.success, [e.message for e in result.errors]
    [entry] = result.value["load_from"]
    assert entry["grpc_server"] == {"host": "code.internal", "port": 4000, "location_name": "nextpoint"}


def test_image_matches_setup_and_project():
    """The Dockerfile installs setup.sh's base packages, serves the project's module under its location
    name."""
    import re
    import tomllib

    dockerfile = (DEPLOY / "Dockerfile").read_text()
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    base = re.search(r'apt_ensure "the platform" (.*?);;', setup, re.S).group(1).replace("\\\n", " ").split()
    installed = re.search(r"apt-get install -y --no-install-recommends(.*?)&&", dockerfile, re.S).group(1)
    assert set(base) <= set(installed.replace("\\\n", " ").split())
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dagster"]
    cmd = json.loads(re.search(r"^CMD (\[.*?\])\s*$", dockerfile, re.S | re.M).group(1).replace("\\\n", ""))
    assert cmd[:3] == ["dagster", "code-server", "start"]
    assert (
        cmd[cmd.index("-m") + 1] == tool["module_name"]
        and cmd[cmd.index("--location-name") + 1] == tool["code_location_name"]
    )
    assert (
        "uv sync --frozen --no-dev" in dockerfile and "\nUSER 10001:10001\n" in dockerfile
    )  # numeric: runAsNonRoot
    assert "DAGSTER_WEBSERVER_HOST=127.0.0.1" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".nextpoint" in ignored and ".git" in ignored


def test_tag_limits_name_tags_the_jobs_carry():
    """`kind` limits name kinds that jobs/*.py really set; every pool of an op is known to the docs."""
    from definitions import defs

    limits = _load("dagster.yaml")["concurrency"]["runs"]["tag_concurrency_limits"]
    job_kinds = {job.tags.get("kind") for job in defs.resolve_all_job_defs()} - {None}
    assert {lim["value"] for lim in limits if lim["key"] == "kind"} <= job_kinds
    assert {"production", "exchange", "housekeeping"} <= job_kinds
    from domain.requests import CASE_TAG, REQUEST_TAG, SERIAL_TAG

    assert {lim["key"] for lim in limits} == {"kind", REQUEST_TAG, CASE_TAG, SERIAL_TAG}
    assert {lim["value"] for lim in limits if lim["key"] == "np/request"} <= {
        "export",
        "stamp",
        "report",
        "exchange",
    }
    pools = {
        node_def.pool
        for job in defs.resolve_all_job_defs()
        for node_def in job.all_node_defs
        if isinstance(node_def, dg.OpDefinition) and node_def.pool
    }
    assert pools == {"export_volumes"}
    text = (DEPLOY / "dagster.yaml").read_text() + (ROOT / "docs" / "operations.md").read_text()
    assert all(pool in text for pool in pools)


def test_tag_limits_block_as_intended():
    """The limits as the run queue applies them: per kind, per request type and per case."""
    limits = _load("dagster.yaml")["concurrency"]["runs"]["tag_concurrency_limits"]

    def run(**tags):
        return DagsterRun(job_name="j", run_id=secrets.token_hex(8), tags=tags)

    case_7 = [run(**{"np/case_id": "7", "np/request": "report"}) for _ in range(2)]
    counter = TagConcurrencyLimitsCounter(limits, case_7)
    assert counter.is_blocked(run(**{"np/case_id": "7", "np/request": "stamp"}))  # a third run of case 7
    assert not counter.is_blocked(run(**{"np/case_id": "8", "np/request": "stamp"}))  # another case
    exchanges = [run(kind="exchange", **{"np/request": "exchange", "np/case_id": str(i)}) for i in range(2)]
    counter = TagConcurrencyLimitsCounter(limits, exchanges)
    assert counter.is_blocked(run(kind="exchange", **{"np/request": "exchange", "np/case_id": "9"}))
    assert not counter.is_blocked(run(kind="production", **{"np/request": "export", "np/case_id": "9"}))
    export_1 = [run(kind="production", **{"np/serial": "export-9-1", "np/case_id": "9"})]
    counter = TagConcurrencyLimitsCounter(limits, export_1)
    assert counter.is_blocked(
        run(kind="production", **{"np/serial": "export-9-1", "np/case_id": "9"})
    )  # same export
    assert not counter.is_blocked(run(kind="production", **{"np/serial": "export-9-2", "np/case_id": "9"}))


# --- on a real PostgreSQL ------------------------------------------------------------------------


@pytest.fixture
def pg_home(postgres, tmp_path, monkeypatch):
    """A fresh Postgres database and a DAGSTER_HOME holding deploy/dagster.yaml with the two swaps."""
    import psycopg2

    db_name = f"np_dagster_{secrets.token_hex(4)}"
    admin = psycopg2.connect(
        host=postgres.host,
        port=postgres.port,
        user=postgres.user,
        password=postgres.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{db_name}"')
    env = {
        "DAGSTER_PG_USERNAME": postgres.user,
        "DAGSTER_PG_PASSWORD": postgres.password,
        "DAGSTER_PG_HOST": postgres.host,
        "DAGSTER_PG_DB": db_name,
        "DAGSTER_PG_PORT": str(postgres.port),
        "PGSSLMODE": "disable",  # the throw-away server has no TLS; production sets require
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = _load("dagster.yaml")
    # The only differences from production: runs start as local processes (DefaultRunLauncher, which
    # cannot resume a run, so no resume attempts) and step logs stay on local disk.
    config.pop("run_launcher")
    config.pop("compute_logs")
    config["run_monitoring"]["max_resume_run_attempts"] = 0
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("DAGSTER_HOME", str(home))

    def query(sql, *args):
        conn = psycopg2.connect(
            host=postgres.host,
            port=postgres.port,
            user=postgres.user,
            password=postgres.password,
            dbname=db_name,
        )
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args)
                return cur.fetchall()
        finally:
            conn.close()

    yield home, env, query
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    admin.close()


def test_instance_on_postgres_runs_a_platform_job(pg_home, demo_home, settings):
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    from jobs.cases import register_cases_job
    from jobs.reports import page_count_report_job
    from nextpoint_assets.reports.assets import REPORT_ASSETS
    from resources.dagster_resources import build_resources

    home, _, query = pg_home
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert isinstance(instance.run_launcher, DefaultRunLauncher)
        assert isinstance(instance.compute_log_manager, LocalComputeLogManager)
        assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)
        assert (
            instance.run_coordinator.dequeue_use_threads and instance.run_coordinator.dequeue_num_workers == 4
        )
        queue = instance.get_concurrency_config().run_queue_config
        file_runs = _load("dagster.yaml")["concurrency"]["runs"]
        assert queue.max_concurrent_runs == file_runs["max_concurrent_runs"]
        assert queue.tag_concurrency_limits == file_runs["tag_concurrency_limits"]
        assert instance.global_op_concurrency_default_limit == 4
        assert instance.run_monitoring_enabled and instance.run_retries_enabled
        assert instance.python_log_level == "INFO" and instance.managed_python_loggers == ["nextpoint"]
        assert not list(home.glob("**/*.db")) and not list(home.glob("**/*.sqlite"))

        defs = dg.Definitions(
            assets=[REPORT_ASSETS["page_count"]],
            jobs=[register_cases_job, page_count_report_job],
            resources=build_resources(settings),
        )
        registered = defs.resolve_job_def("register_cases_job").execute_in_process(instance=instance)
        assert registered.success
        report = defs.resolve_job_def("page_count_report_job").execute_in_process(
            instance=instance, partition_key="202"
        )
        assert report.success

        # The rows are in Postgres itself.
        runs = dict(query("SELECT run_id, status FROM runs"))
        assert runs == {registered.run_id: "SUCCESS", report.run_id: "SUCCESS"}
        assert query("SELECT count(*) FROM event_logs WHERE run_id = %s", registered.run_id)[0][0] > 5
        assert query("SELECT value FROM run_tags WHERE run_id = %s AND key = 'kind'", registered.run_id) == [
            ("housekeeping",)
        ]
        assert query(
            "SELECT partition FROM dynamic_partitions WHERE partitions_def_name = 'cases' ORDER BY partition"
        ) == [("101",), ("202",)]
        assert (
            query(
                "SELECT count(*) FROM event_logs "
                "WHERE asset_key = %s AND dagster_event_type = 'ASSET_MATERIALIZATION'",
                dg.AssetKey("page_count_report").to_string(),
            )[0][0]
            == 1
        )

        instance.delete_dynamic_partition("cases", "101")
        assert query("SELECT partition FROM dynamic_partitions WHERE partitions_def_name = 'cases'") == [
            ("202",)
        ]

        instance.event_log_storage.set_concurrency_slots(
            "export_volumes", 3
        )  # `dagster instance concurrency set`
        assert query(
            'SELECT "limit" FROM concurrency_limits WHERE concurrency_key = %s', "export_volumes"
        ) == [(3,)]
        assert query(
            "SELECT count(*) FROM concurrency_slots WHERE concurrency_key = %s", "export_volumes"
        ) == [(3,)]


PROBE = textwrap.dedent('''
    """A code location for the daemon test: a sensor with a cursor that queues one tagged run."""
    import dagster as dg

    probes = dg.DynamicPartitionsDefinition(name="deploy_probe")


    @dg.op
    def hello(context):
        context.log.info("hello from the run worker")


    @dg.job(tags={"kind": "housekeeping"})
    def probe_job():
        hello()


    @dg.sensor(job=probe_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
    def probe_sensor(context):
        if context.cursor:
            return dg.SkipReason("already requested")
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(run_key="probe-1", tags={"np/request": "report", "np/case_id": "101"})
            ],
            dynamic_partitions_requests=[probes.build_add_request(["p1", "p2"])],
            cursor="requested-1",
        )


    defs = dg.Definitions(jobs=[probe_job], sensors=[probe_sensor])
''')


@pytest.mark.timeout(300)
def test_daemon_on_postgres_keeps_sensor_state_and_runs_queued_runs(pg_home, tmp_path):
    """The production daemon path: sensor tick and cursor, queue, run worker, all stored in Postgres."""
    home, env, query = pg_home
    (tmp_path / "probe.py").write_text(PROBE)
    (tmp_path / "workspace.yaml").write_text(
        yaml.safe_dump(
            {"load_from": [{"python_file": {"relative_path": "probe.py", "location_name": "probe"}}]}
        )
    )
    with dg.DagsterInstance.get():  # makes the tables, as the first process of a deployment does
        pass
    daemon_env = {**os.environ, **env, "DAGSTER_HOME": str(home)}
    daemon = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", str(tmp_path / "workspace.yaml")],
        cwd=tmp_path,
        env=daemon_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 240
        while True:
            done = query("SELECT run_id, status FROM runs WHERE status IN ('SUCCESS', 'FAILURE')")
            if done:
                break
            assert daemon.poll() is None, "dagster-daemon exited"
            assert time.time() < deadline, (
                f"no finished run; runs: {query('SELECT run_id, status FROM runs')}"
            )
            time.sleep(1)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
    [(run_id, status)] = done
    assert status == "SUCCESS"
    tags = dict(query("SELECT key, value FROM run_tags WHERE run_id = %s", run_id))
    assert tags["np/request"] == "report" and tags["np/case_id"] == "101" and tags["kind"] == "housekeeping"
    assert tags["dagster/sensor_name"] == "probe_sensor"
    # The run went through the queue (the queued run coordinator of the file) and a run worker process.
    events = {row[0] for row in query("SELECT dagster_event_type FROM event_logs WHERE run_id = %s", run_id)}
    assert {"PIPELINE_ENQUEUED", "PIPELINE_STARTING", "PIPELINE_START", "PIPELINE_SUCCESS"} <= events, events
    assert (
        query(
            "SELECT count(*) FROM event_logs WHERE run_id = %s AND event LIKE %s",
            run_id,
            "%hello from the run worker%",
        )[0][0]
        == 1
    )
    assert query(
        "SELECT partition FROM dynamic_partitions WHERE partitions_def_name = 'deploy_probe' "
        "ORDER BY partition"
    ) == [("p1",), ("p2",)]
    # Sensor state: the cursor and the ticks, in Postgres.
    [(body,)] = query("SELECT instigator_body FROM instigators WHERE instigator_type = 'SENSOR'")
    state = deserialize_value(body, InstigatorState)
    assert state.name == "probe_sensor" and state.instigator_data.cursor == "requested-1"
    tick_statuses = {status for (status,) in query("SELECT status FROM job_ticks")}
    assert "SUCCESS" in tick_statuses
    assert query("SELECT count(*) FROM daemon_heartbeats")[0][0] > 0

    with dg.DagsterInstance.get() as instance:  # the same state read back through Dagster
        assert instance.get_dynamic_partitions("deploy_probe") == ["p1", "p2"]
        instance.delete_dynamic_partition("deploy_probe", "p1")
        assert instance.get_run_by_id(run_id).is_success
    assert query("SELECT partition FROM dynamic_partitions WHERE partitions_def_name = 'deploy_probe'") == [
        ("p2",)
    ]
