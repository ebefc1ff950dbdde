"""From the UI: a real `dagster dev` (webserver + daemon) launches a partitioned report run, and a
case's HTML renditions (PII scan, gate, renditions) with the launchpad's config.

The GraphQL client submits the job exactly as the UI's "Materialize" button does,
through the queued run coordinator and the daemon. The server is started by the helper
the browser test and the turnaround benchmark share (scripts/dagster_dev.py).
"""

import time

import dagster as dg
import pytest
from dagster_graphql import DagsterGraphQLClient

from scripts.dagster_dev import dagster_dev, make_dagster_home
from tests.test_renditions_pii import plain_exhibit


@pytest.mark.timeout(600)
def test_ui_launches_a_partitioned_materialization(demo_home, tmp_path, monkeypatch):
    dagster_home = tmp_path / "dh"
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))  # the instance file's `env: DAGSTER_HOME`
    make_dagster_home(dagster_home, ["101", "202"])
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    with dagster_dev(demo_home, dagster_home) as dev:  # returns once the code location has loaded
        client = DagsterGraphQLClient("127.0.0.1", port_number=dev.port)
        run_id = client.submit_job_execution("page_count_report_job", tags={"dagster/partition": "202"})
        status = _wait(client, run_id)
        assert status == dg.DagsterRunStatus.SUCCESS, f"run {run_id} ended {status}; see {dev.log}"
        assert instance.get_materialized_partitions(dg.AssetKey("page_count_report")) == {"202"}

        # HTML renditions from the launchpad: the selection goes to the PII scan, which is clean for a
        # born-digital chart, so the renditions follow in the same run.
        exhibit, _ = plain_exhibit()
        config = {"documents": "exhibit_ids", "exhibit_ids": [exhibit]}
        run_id = client.submit_job_execution(
            "html_renditions_job",
            run_config={"ops": {"html_rendition_pii_scan": {"config": config}}},
            tags={"dagster/partition": "101"},
        )
        status = _wait(client, run_id)
        assert status == dg.DagsterRunStatus.SUCCESS, f"run {run_id} ended {status}; see {dev.log}"
        assert instance.get_materialized_partitions(dg.AssetKey("html_renditions")) == {"101"}


def _wait(client, run_id: str, seconds: float = 300):
    deadline = time.time() + seconds
    status = None
    while time.time() < deadline:
        status = client.get_run_status(run_id)
        if status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
            break
        time.sleep(1)
    return status
