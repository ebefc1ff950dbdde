"""From the UI: a real `dagster dev` (webserver + daemon) launches a partitioned report run.

The GraphQL client submits the job exactly as the UI's "Materialize" button does,
through the queued run coordinator and the daemon.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import dagster as dg
import pytest
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from scripts.services import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.timeout(600)
def test_ui_launches_a_partitioned_materialization(demo_home, tmp_path, monkeypatch):
    dagster_home = tmp_path / "dh"
    dagster_home.mkdir()
    shutil.copy(os.path.join(ROOT, "deploy", "dagster.local.yaml"), dagster_home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))  # the instance file's `env: DAGSTER_HOME`
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    instance.add_dynamic_partitions("cases", ["101", "202"])
    port = free_port()
    env = {**os.environ, "NP_HOME": str(demo_home), "DAGSTER_HOME": str(dagster_home)}
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    server = subprocess.Popen(
        [dagster, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 180
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                break
            except OSError:
                assert server.poll() is None and time.time() < deadline, "dagster dev did not start"
                time.sleep(1)
        client = DagsterGraphQLClient("127.0.0.1", port_number=port)
        while True:
            try:
                run_id = client.submit_job_execution(
                    "page_count_report_job", tags={"dagster/partition": "202"}
                )
                break
            except DagsterGraphQLClientError:
                assert time.time() < deadline, "code location did not load"
                time.sleep(2)
        status = None
        while time.time() < deadline:
            status = client.get_run_status(run_id)
            if status in (
                dg.DagsterRunStatus.SUCCESS,
                dg.DagsterRunStatus.FAILURE,
                dg.DagsterRunStatus.CANCELED,
            ):
                break
            time.sleep(1)
        assert status == dg.DagsterRunStatus.SUCCESS
        assert instance.get_materialized_partitions(dg.AssetKey("page_count_report")) == {"202"}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
