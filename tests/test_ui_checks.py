"""What the UI shows beyond green (issue 19, points 5-8), on a real Dagster instance: an empty report's
warning check, a partial stamping failure's failed check, check results recorded per partition, and
partition hygiene (a `cases` partition that is no case)."""

from __future__ import annotations

import dagster as dg

from jobs.reports import REPORT_JOBS, account_user_activity_job
from nextpoint_assets.reports.account_activity import account_user_activity_report
from nextpoint_assets.reports.assets import REPORT_ASSETS
from resources.dagster_resources import build_resources


def _report_job(settings, report_type: str):
    defs = dg.Definitions(
        assets=[*REPORT_ASSETS.values(), account_user_activity_report],
        jobs=[*REPORT_JOBS.values(), account_user_activity_job],
        resources=build_resources(settings),
    )
    return defs.resolve_job_def(f"{report_type}_report_job")


def _history(instance, asset: str, check: str, partition: str | None = None) -> list:
    """The check's recorded evaluations, newest first (of one partition when named)."""
    records = instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(dg.AssetKey(asset), check), limit=50
    )
    evaluations = [r.event.dagster_event.event_specific_data for r in records if r.event]
    return [e for e in evaluations if partition is None or e.partition == partition]


def _run_report(settings, instance, report_type: str, cases: list[str], **config):
    instance.add_dynamic_partitions("cases", cases)
    tags = (
        {"dagster/asset_partition_range_start": cases[0], "dagster/asset_partition_range_end": cases[-1]}
        if len(cases) > 1
        else {}
    )
    return _report_job(settings, report_type).execute_in_process(
        instance=instance,
        partition_key=cases[0] if len(cases) == 1 else None,
        tags=tags,
        raise_on_error=False,
        run_config={"ops": {f"{report_type}_report": {"config": config}}},
    )


def test_an_empty_report_warns_in_its_notes_and_a_yellow_check(demo_home, settings):
    instance = dg.DagsterInstance.ephemeral()
    empty = _run_report(
        settings, instance, "review_log", ["101"], format="csv", date_from="2001-01-01", date_to="2001-01-31"
    )
    assert empty.success  # an empty report is still made and delivered
    [materialization] = empty.asset_materializations_for_node("review_log_report")
    assert materialization.metadata["row_count"].value == 0
    assert "No rows: nothing matched in 2001-01-01 to 2001-01-31" in materialization.metadata["notes"].value
    [warning] = empty.get_asset_check_evaluations()
    assert (warning.check_name, warning.passed, warning.partition) == ("has_rows", False, "101")
    assert warning.severity == dg.AssetCheckSeverity.WARN and not warning.blocking
    assert warning.metadata["row_count"].value == 0 and "Widen the window" in warning.description

    full = _run_report(settings, instance, "review_log", ["101"], format="csv")
    assert full.success
    [passed] = full.get_asset_check_evaluations()
    assert passed.passed and passed.metadata["row_count"].value > 0
    # The instance keeps both, newest first, on partition 101.
    assert [e.passed for e in _history(instance, "review_log_report", "has_rows", "101")] == [True, False]


def test_a_backfill_run_records_has_rows_on_each_case_it_made(demo_home, settings):
    instance = dg.DagsterInstance.ephemeral()
    result = _run_report(settings, instance, "page_count", ["101", "202"], format="csv")
    assert result.success
    by_partition = {e.partition: e for e in result.get_asset_check_evaluations()}
    assert set(by_partition) == {"101", "202"}
    made = {
        m.partition: m.metadata["row_count"].value
        for m in result.asset_materializations_for_node("page_count_report")
    }
    assert {p: e.metadata["row_count"].value for p, e in by_partition.items()} == made
    assert {p: len(_history(instance, "page_count_report", "has_rows", p)) for p in made} == {
        "101": 1,
        "202": 1,
    }
    # Each result is tied to the materialization of its own case.
    for partition, evaluation in by_partition.items():
        record = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("page_count_report"), asset_partitions=[partition]),
            limit=1,
        ).records[0]
        assert evaluation.target_materialization_data.storage_id == record.storage_id


def test_a_run_for_a_partition_that_is_no_case_says_so_in_one_line(demo_home, settings):
    result = _run_report(settings, dg.DagsterInstance.ephemeral(), "review_log", ["999"], format="csv")
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error = failure.event_specific_data.error
    assert "remove partition 999, it is not a case" in error.message
    assert error.cls_name == "Failure"
    assert not result.get_asset_check_evaluations()


def test_account_activity_has_rows_once_per_month_over_its_accounts(demo_home, settings):
    instance = dg.DagsterInstance.ephemeral()
    monthly = dg.Definitions(
        assets=[account_user_activity_report],
        jobs=[account_user_activity_job],
        resources=build_resources(settings),
    ).resolve_job_def("account_user_activity_report_job")
    results = {
        month: monthly.execute_in_process(
            instance=instance,
            partition_key=month,
            raise_on_error=False,
            run_config={"ops": {"account_user_activity_report": {"config": {"format": "csv"}}}},
        )
        for month in ("2024-01-01", "2024-04-01")
    }
    checks = {month: r.get_asset_check_evaluations() for month, r in results.items()}
    rows = {
        month: sum(
            m.metadata["row_count"].value
            for m in r.asset_materializations_for_node("account_user_activity_report")
        )
        for month, r in results.items()
    }
    for month, [evaluation] in checks.items():
        assert evaluation.partition == month
        assert evaluation.metadata["row_count"].value == rows[month]
        assert evaluation.passed == (rows[month] > 0)
    assert rows["2024-04-01"] > 0, rows
    assert rows["2024-01-01"] == 0, rows  # the demo's activity starts later: the month warns
    assert (
        "No rows"
        in results["2024-01-01"]
        .asset_materializations_for_node("account_user_activity_report")[0]
        .metadata["notes"]
        .value
    )


def test_a_partial_stamping_failure_fails_all_stamped_with_its_figures(settings):
    from tests.stamp_fixtures import Doc, build_case, request
    from tests.test_stamp_job import run

    build_case(settings, 101, [Doc(1, 2), Doc(2, 2, page_count=9), Doc(3, 1)])
    instance = dg.DagsterInstance.ephemeral()
    result = run(
        settings, instance, 101, request("mixed", 101, "bates_stamp", "apply", [1, 2, 3], pattern_id=1)
    )
    assert result.success  # exhibits 1 and 3 are stamped and stay so: the check does not block
    [materialization] = result.asset_materializations_for_node("stamped_page_set")
    assert set(materialization.metadata["request_failed"].value) == {"2"}
    [check] = result.get_asset_check_evaluations()
    assert (check.check_name, check.passed, check.partition) == ("all_stamped", False, "101")
    assert check.severity == dg.AssetCheckSeverity.ERROR and not check.blocking
    assert "exhibit 2" in check.description and "page count is 9" in check.description
    figures = {k: v.value for k, v in check.metadata.items() if k != "failed"}
    assert figures == {
        "requests": 1,
        "exhibits_requested": 3,
        "exhibits_stamped_for_requests": 2,
        "page_set_exhibits": 2,
        "restamped_now": 2,
        "failed_count": 1,
    }
    assert list(check.metadata["failed"].value) == ["exhibit 2"]
    [recorded] = _history(instance, "stamped_page_set", "all_stamped", "101")
    assert not recorded.passed

    # The case's disagreement fixed (page count now right) and asked again: the check passes.
    from sqlalchemy import update

    from domain import schema
    from resources.dagster_resources import DatabaseResource

    with DatabaseResource.from_settings(settings).databases().case_writer(101).begin() as conn:
        conn.execute(update(schema.exhibits).where(schema.exhibits.c.id == 2).values(page_count=2))
    again = run(settings, instance, 101, request("again", 101, "bates_stamp", "apply", [2], pattern_id=1))
    assert again.success
    assert [e.passed for e in _history(instance, "stamped_page_set", "all_stamped", "101")] == [True, False]


def _hygiene_defs(settings):
    from jobs.cases import housekeeping_case_partitions_job
    from nextpoint_assets.case_partitions import case_partitions
    from sensors.case_registry import case_partitions_sensor

    return dg.Definitions(
        assets=[case_partitions, REPORT_ASSETS["page_count"]],
        jobs=[housekeeping_case_partitions_job],
        sensors=[case_partitions_sensor],
        resources=build_resources(settings),
    )


def test_partitions_that_are_no_case_are_flagged_and_removed_unless_materialized(demo_home, settings):
    from resources.dagster_resources import DatabaseResource
    from sensors.case_registry import case_partitions_sensor

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("cases", ["101", "202", "999", "909", "abc"])
    # 909 is a deleted case of the core database with a report of its past: it must stay.
    instance.report_runless_asset_event(dg.AssetMaterialization("page_count_report", partition="909"))
    defs = _hygiene_defs(settings)

    def tick():
        with dg.build_sensor_context(
            instance=instance, resources={"databases": DatabaseResource.from_settings(settings)}
        ) as ctx:
            return case_partitions_sensor(ctx)

    request = tick()
    assert request.run_key.startswith("case-partitions-") and request.tags["np/not_a_case"] == "909,999,abc"

    job = defs.resolve_job_def("housekeeping_case_partitions_job")
    dry = job.execute_in_process(
        instance=instance, run_config={"ops": {"case_partitions": {"config": {"dry_run": True}}}}
    )
    assert dry.success and set(instance.get_dynamic_partitions("cases")) == {
        "101",
        "202",
        "999",
        "909",
        "abc",
    }

    result = job.execute_in_process(instance=instance)
    assert result.success
    assert sorted(instance.get_dynamic_partitions("cases")) == ["101", "202", "909"]
    [check] = result.get_asset_check_evaluations()
    assert (check.check_name, check.passed, check.severity) == (
        "every_partition_is_a_case",
        False,
        dg.AssetCheckSeverity.ERROR,  # 909 stays for a person to decide
    )
    assert "removed 999, abc: not a case, nothing was materialized for it" in check.description
    assert "partition 909 kept" in check.description and "page_count_report" in check.description
    assert check.metadata["removed"].value == ["999", "abc"] and list(check.metadata["kept"].value) == ["909"]
    assert tick().tags["np/not_a_case"] == "909"  # still flagged, once a day

    # Once 909 is removed by hand, the next run passes.
    instance.delete_dynamic_partition("cases", "909")
    assert isinstance(tick(), dg.SkipReason)
    [clean] = job.execute_in_process(instance=instance).get_asset_check_evaluations()
    assert clean.passed and clean.metadata["partitions"].value == 2


def test_two_exports_quality_checks_are_told_apart_by_partition(demo_home, settings):
    """QC and the PII gate are recorded against the export they checked, with their figures."""
    from tests.test_production_job import run_export

    instance = dg.DagsterInstance.ephemeral()
    for key in ("101-1", "202-1"):
        result = run_export(settings, instance, key)
        assert result.success, key
        evaluations = result.get_asset_check_evaluations()
        assert {e.partition for e in evaluations} == {key}
        assert all(e.passed for e in evaluations)
    for check, figures in {
        "counts_agree": ("pages_expected", "documents"),
        "bates_sequence": ("page_numbers_checked",),
        "documents_complete": ("text_files_checked",),
        "loadfiles_parse": ("load_files_parsed", "paths_resolved"),
        "images_valid": ("images_opened",),
        "archive_tests_clean": ("archive_files_listed", "production_files"),
        "no_redacted_text": ("redacted_documents", "words_checked"),
    }.items():
        by_export = {key: _history(instance, "export_archive", check, key) for key in ("101-1", "202-1")}
        for key, [evaluation] in by_export.items():
            assert evaluation.passed and evaluation.metadata["export"].value == key, (check, key)
            assert all(evaluation.metadata[f].value >= 0 for f in figures), (check, evaluation.metadata)
            assert evaluation.metadata["failures_found"].value == 0
        assert (
            by_export["101-1"][0].metadata["pages_expected" if check == "counts_agree" else figures[0]].value
            > 0
        )
    [gate_101] = _history(instance, "export_pii_scan", "export_pii_gate", "101-1")
    [gate_202] = _history(instance, "export_pii_scan", "export_pii_gate", "202-1")
    assert gate_101.metadata["checked"].value == "101-1" and gate_202.metadata["checked"].value == "202-1"
    assert gate_101.metadata["documents_scanned"].value > 0 and gate_101.metadata["pages_scanned"].value > 0
    assert gate_101.metadata["scan_id"].value != gate_202.metadata["scan_id"].value


def test_the_exchange_gate_is_recorded_against_its_exchange(settings):
    from nextpoint_assets.exchanges.pii import exchange_pii_gate, exchange_pii_scan

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("exchanges", ["202-101-1", "202-101-2"])
    from nextpoint_assets.partitions import exchanges_partitions

    gate_only = dg.define_asset_job(
        "gate_only",
        selection=dg.AssetSelection.checks(exchange_pii_gate),
        partitions_def=exchanges_partitions,
    )
    job = dg.Definitions(
        assets=[exchange_pii_scan],
        asset_checks=[exchange_pii_gate],
        jobs=[gate_only],
        resources=build_resources(settings),
    ).resolve_job_def("gate_only")
    for key in ("202-101-1", "202-101-2"):
        # A run of the check alone, as the UI's "Execute" on a check's partition makes it (the partition
        # as a tag: execute_in_process's partition_key wants a selected asset).
        result = job.execute_in_process(
            instance=instance, tags={"dagster/partition": key}, raise_on_error=False
        )
        [gate] = result.get_asset_check_evaluations()
        assert not gate.passed and gate.partition == key and "No PII scan" in gate.description
    for key in ("202-101-1", "202-101-2"):
        [recorded] = _history(instance, "exchange_pii_scan", "exchange_pii_gate", key)
        assert recorded.metadata["checked"].value == key
