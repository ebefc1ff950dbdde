"""From the UI: a real `dagster dev` (webserver + daemon) launches a partitioned report run.

The GraphQL client submits the job exactly as the UI's "Materialize" button does,
through the queued run coordinator and the daemon. The server is started by the helper
the browser test and the turnaround benchmark share (scripts/dagster_dev.py).
"""

import time

import dagster as dg
import pytest
from dagster_graphql import DagsterGraphQLClient

from scripts.dagster_dev import dagster_dev, make_dagster_home


@pytest.mark.timeout(600)
def test_ui_launches_a_partitioned_materialization(demo_home, tmp_path, monkeypatch):
    dagster_home = tmp_path / "dh"
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))  # the instance file's `env: DAGSTER_HOME`
    make_dagster_home(dagster_home, ["101", "202"])
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    with dagster_dev(demo_home, dagster_home) as dev:  # returns once the code location has loaded
        client = DagsterGraphQLClient("127.0.0.1", port_number=dev.port)
        run_id = client.submit_job_execution("page_count_report_job", tags={"dagster/partition": "202"})
        deadline = time.time() + 300
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
        assert status == dg.DagsterRunStatus.SUCCESS, f"run {run_id} ended {status}; see {dev.log}"
        assert instance.get_materialized_partitions(dg.AssetKey("page_count_report")) == {"202"}
