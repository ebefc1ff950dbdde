import csv
import io
import json
import os
import subprocess
import sys

import dagster as dg
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from demo.generate import DEFAULT_CASES, CaseSpec, generate
from resources.dagster_resources import DatabaseResource, build_resources
from resources.object_store import CaseStore, build_object_store
from resources.settings import load_settings
from sensors.case_registry import case_registry_sensor

ASSET = dg.AssetKey("page_count_report")


def _defs(settings):
    from jobs.cases import register_cases_job
    from jobs.reports import page_count_report_job
    from nextpoint_assets.reports.assets import REPORT_ASSETS

    return dg.Definitions(
        assets=[REPORT_ASSETS["page_count"]],
        jobs=[register_cases_job, page_count_report_job],
        sensors=[case_registry_sensor],
        resources=build_resources(settings),
    )


def _report_rows(settings, case_id):
    store = CaseStore(build_object_store(settings), case_id)
    latest = json.loads(store.get_bytes("reports/page_count/latest.json"))[
        "key"
    ]  # names the newest run's file
    data = store.get_bytes(store.relative(latest))
    assert data.startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _run_range(defs, instance, first, last):
    return defs.resolve_job_def("page_count_report_job").execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
    )


def test_sensor_registers_cases_from_the_core_database(demo_home, settings):
    instance = dg.DagsterInstance.ephemeral()

    def tick():
        with dg.build_sensor_context(
            instance=instance, resources={"databases": DatabaseResource.from_settings(settings)}
        ) as ctx:
            return case_registry_sensor(ctx)

    result = tick()
    assert [r.partition_keys for r in result.dynamic_partitions_requests] == [
        ["101", "202"]
    ]  # not the deleted 909
    instance.add_dynamic_partitions("cases", ["101", "202"])
    assert isinstance(tick(), dg.SkipReason)


def test_sensor_skips_when_the_core_database_is_missing(settings):
    with dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(),
        resources={"databases": DatabaseResource.from_settings(settings)},
    ) as ctx:
        result = case_registry_sensor(ctx)
    assert isinstance(result, dg.SkipReason) and "np_core" in result.skip_message


def test_one_run_materializes_every_case_with_metadata(demo_home, settings):
    instance = dg.DagsterInstance.ephemeral()
    defs = _defs(settings)
    assert defs.resolve_job_def("register_cases_job").execute_in_process(instance=instance).success
    result = _run_range(defs, instance, "101", "202")
    assert result.success
    assert instance.get_materialized_partitions(ASSET) == {"101", "202"}
    rows = _report_rows(settings, 101)
    assert rows[0] == [
        "exhibit_id",
        "control_number",
        "title",
        "parent_exhibit_id",
        "bates_begin",
        "bates_end",
        "relevancy",
        "page_count",
    ]
    body, total = rows[1:-1], rows[-1]
    assert total[0] == "TOTAL" and int(total[-1]) == sum(int(r[-1]) for r in body)
    event = instance.get_latest_materialization_event(ASSET)
    materializations = [e for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"]
    by_partition = {
        m.event_specific_data.materialization.partition: m.event_specific_data.materialization.metadata
        for m in materializations
    }
    assert by_partition["101"]["row_count"].value == len(body)
    assert by_partition["101"]["summary"].value["page_total"] == int(total[-1])
    assert "| exhibit_id |" in by_partition["101"]["preview"].value
    assert by_partition["101"]["object_key"].value.startswith("case_101/reports/page_count/runs/")
    assert event is not None


def test_a_missing_case_database_fails_alone(demo_home, settings):
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("cases", ["101", "303", "202"])
    result = _run_range(_defs(settings), instance, "101", "202")
    assert not result.success
    assert instance.get_materialized_partitions(ASSET) == {"101", "202"}
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "case 303" in failure.event_specific_data.error.message
    assert "np_case_303 does not exist" in failure.event_specific_data.error.message


def test_report_on_mariadb(mysql_env, np_home):
    specs = [CaseSpec(101, DEFAULT_CASES[0].name, 1, 20, "ACME")]
    generate(mysql_env, specs, seed=3)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("cases", ["101"])
    result = _run_range(_defs(mysql_env), instance, "101", "101")
    assert result.success
    rows = _report_rows(mysql_env, 101)
    assert rows[-1][0] == "TOTAL" and len(rows) > 3


@pytest.mark.timeout(600)
def test_cli_registers_and_materializes_a_partition(demo_home, tmp_path):
    env = {**os.environ, "NP_HOME": str(demo_home), "DAGSTER_HOME": str(tmp_path / "dh")}
    (tmp_path / "dh").mkdir()
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    subprocess.run(
        [dagster, "job", "execute", "-m", "definitions", "-j", "register_cases_job"],
        env=env,
        check=True,
        capture_output=True,
    )
    proc = subprocess.run(
        [
            dagster,
            "asset",
            "materialize",
            "-m",
            "definitions",
            "--select",
            "page_count_report",
            "--partition",
            "202",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    instance = dg.DagsterInstance.from_config(str(tmp_path / "dh"))
    assert instance.get_materialized_partitions(ASSET) == {"202"}
    assert _report_rows(load_settings(), 202)[-1][0] == "TOTAL"


def test_definitions_validate_and_load_from_the_workspace():
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run(
        [dagster, "definitions", "validate", "-w", "workspace.yaml"], cwd=root, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_report_goes_to_s3_with_a_presigned_link(demo_home, s3_env):
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("cases", ["202"])
    result = _run_range(_defs(s3_env), instance, "202", "202")
    assert result.success
    materialization = next(
        e.event_specific_data.materialization
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    )
    link = materialization.metadata["link"].value
    assert link.startswith(s3_env.s3_endpoint_url) and "Signature" in link or "X-Amz-Signature" in link
    import urllib.request

    with urllib.request.urlopen(link) as response:  # the presigned link really serves the file
        assert response.read().startswith(b"\xef\xbb\xbfexhibit_id,")
    assert _report_rows(s3_env, 202)[-1][0] == "TOTAL"
