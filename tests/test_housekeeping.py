"""Housekeeping: the pure rules, then the jobs for real against the local store, moto's S3 and a
Dagster instance."""

import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

import nextpoint_assets.housekeeping as sweeps
from domain import housekeeping as hk
from jobs.housekeeping import (
    HOUSEKEEPING_JOBS,
    housekeeping_export_archives_job,
    housekeeping_orphaned_outputs_job,
    housekeeping_partitions_job,
    housekeeping_work_files_job,
)
from nextpoint_assets.partitions import cases_partitions, exchanges_partitions, exports_partitions
from resources.dagster_resources import DatabaseResource, ObjectStoreResource
from resources.local_object_store import LocalObjectStore
from resources.object_store import build_object_store
from resources.s3_object_store import S3ObjectStore
from sensors.housekeeping import HOUSEKEEPING_SCHEDULES

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)


def run(run_id="r", status="FAILURE", created=NOW, ended=None, key=None, range_=None):
    return hk.RunInfo(run_id, status, created, ended, key, range_)


def entry(key, age_days, size=1):
    return hk.Entry(key, size, NOW - timedelta(days=age_days))


# -- the pure rules ----------------------------------------------------------------------------


def test_live_runs_hold_their_exports_exchanges_cases_and_backfill_ranges():
    runs = [
        run("a", "STARTED", key="101-7"),
        run("b", "QUEUED", key="202-303-9"),
        run("c", "CANCELING", key="404"),
        run("d", "STARTING", range_=("505", "707"), created=NOW - 3 * DAY),
        run("e", "FAILURE", key="808"),  # finished: holds nothing
        run("own", "STARTED", key="909"),  # the clean-up itself
        run("f", "NOT_STARTED", range_=("2026-01-01", "2026-03-01")),  # monthly backfill: no case prefix
    ]
    scope = hk.live_scope(runs, {"cases": ["404", "505", "606", "707", "808"]}, own_run_id="own")
    assert scope.exports == {(101, 7)}
    assert scope.cases == {202, 303, 404, 505, 606, 707}
    assert scope.live_runs == 5 and scope.oldest_live == NOW - 3 * DAY and not scope.everything
    assert scope.holds_prefix("case_101/exports/export_7/work/plan.json")
    assert not scope.holds_prefix("case_101/exports/export_8/work/plan.json")  # another export of the case
    assert not scope.holds_prefix("case_1010/exports/export_7/work/plan.json")
    assert scope.holds_prefix("case_303/documents/1/a.pdf") and scope.holds_prefix("case_606/reports/x.csv")
    assert not scope.holds_prefix("case_808/x") and not scope.holds_prefix("case_909/x")
    # Nothing names a scratch folder: held when written after the oldest live run was created.
    assert scope.holds(".scratch/np-stamps-x", NOW - 2 * DAY)
    assert not scope.holds(".scratch/np-stamps-x", NOW - 4 * DAY)


def test_an_unresolvable_live_backfill_over_cases_holds_every_case():
    scope = hk.live_scope([run("a", "STARTED", range_=("5", "9"))], {"cases": ["1", "2"]})
    assert scope.everything and scope.holds_prefix("case_77/anything")
    assert not hk.live_scope([run("a", "SUCCESS", range_=("5", "9"))]).everything


def test_a_folder_goes_whole_once_its_newest_file_is_past_the_retention():
    scope = hk.LiveScope()
    prefix = "case_1/exports/export_2/work/"
    old = [entry(prefix + "plan.json", 10), entry(prefix + "volumes/VOL001.json", 8)]
    assert hk.folder_verdict(prefix, old, NOW, 7, scope) == "delete"
    assert hk.folder_verdict(prefix, [*old, entry(prefix + "qc.json", 1)], NOW, 7, scope) == "recent"
    assert hk.folder_verdict(prefix, [], NOW, 7, scope) == "empty"
    held = hk.live_scope([run("a", "STARTED", key="1-2")])
    assert hk.folder_verdict(prefix, old, NOW, 7, held) == "live"
    assert hk.object_verdict(entry("case_1/.tmp-a.part", 8), NOW, 7, scope) == "delete"
    assert hk.object_verdict(entry("case_1/.tmp-a.part", 6), NOW, 7, scope) == "recent"
    with pytest.raises(ValueError):
        hk.cutoff(NOW, 0)


def test_partial_outputs_never_include_the_manifest_or_the_error_logs():
    assert hk.is_partial_output("production/NAME/VOL001/IMAGES/0001/A.tif")
    assert hk.is_partial_output("zips/NAME.7z.001") and hk.is_partial_output("work/plan.json")
    assert hk.is_partial_output("volumes.json")
    assert not hk.is_partial_output("manifest.zip")
    assert not hk.is_partial_output("error_logs/VOL001.txt")
    assert not hk.is_partial_output("something_else.txt")  # unknown files are never guessed at
    prefix = "case_1/exports/export_2/"
    objects = [
        entry(prefix + k, 10)
        for k in ("manifest.zip", "error_logs/manifest.txt", "production/N/DATA/N.dat", "zips/N.7z.001")
    ]
    objects.append(entry(prefix + "production/N/DATA/N.opt", 1))  # written after the cutoff: kept
    kept_out = hk.orphaned_objects(prefix, objects, NOW, 7, hk.LiveScope())
    assert [o.key for o in kept_out] == [prefix + "production/N/DATA/N.dat", prefix + "zips/N.7z.001"]
    assert hk.orphaned_objects(prefix, objects, NOW, 7, hk.live_scope([run("a", "STARTED", key="1-2")])) == []


@pytest.mark.parametrize(
    ("runs", "completed", "verdict"),
    [
        ([run("a", "FAILURE", NOW - 11 * DAY, NOW - 10 * DAY)], False, "orphaned"),
        ([run("a", "CANCELED", NOW - 11 * DAY, NOW - 10 * DAY)], False, "orphaned"),
        (
            [run("a", "FAILURE", NOW - 11 * DAY, NOW - 10 * DAY)],
            True,
            "completed",
        ),  # a finished production stays
        ([run("a", "FAILURE", NOW - 3 * DAY, NOW - 2 * DAY)], False, "recent"),
        ([], False, "no_runs"),
        (
            [run("a", "FAILURE", NOW - 30 * DAY, NOW - 29 * DAY), run("b", "STARTED", NOW - 20 * DAY)],
            False,
            "live",
        ),
        (
            [
                run("a", "FAILURE", NOW - 30 * DAY, NOW - 29 * DAY),
                run("b", "SUCCESS", NOW - 20 * DAY, NOW - 19 * DAY),
            ],
            False,
            "not_dead",
        ),
        (
            [
                run("a", "SUCCESS", NOW - 30 * DAY, NOW - 29 * DAY),
                run("b", "FAILURE", NOW - 20 * DAY, NOW - 19 * DAY),
            ],
            False,
            "orphaned",
        ),
    ],
)
def test_an_export_is_orphaned_only_when_it_never_completed_and_its_last_run_died_long_ago(
    runs, completed, verdict
):
    assert hk.export_verdict(runs, completed, NOW, 7) == verdict


def test_finished_partitions_are_pruned_in_order_up_to_the_limit():
    old, recent = NOW - 100 * DAY, NOW - 10 * DAY
    runs = {
        "1-1": [run("a", "SUCCESS", old, old, "1-1")],
        "1-2": [run("b", "FAILURE", old, old, "1-2"), run("c", "SUCCESS", recent, recent, "1-2")],
        "1-3": [run("d", "STARTED", old, None, "1-3")],
        "1-5": [run("e", "CANCELED", old, old, "1-5")],
        "1-6": [run("f", "SUCCESS", old, old, "1-6")],
        "1-7": [run("g", "SUCCESS", old, old, "1-7")],
    }
    keys = ["1-1", "1-2", "1-3", "1-4", "1-5", "1-6", "1-7"]
    scope = hk.live_scope([run("x", "STARTED", range_=("1-6", "1-6"))], {"exports": keys})
    pruned, counts = hk.prunable_partitions(keys, runs, NOW, 90, scope, limit=2)
    assert pruned == ["1-1", "1-5"]
    assert counts == {"finished": 2, "recent": 1, "live": 2, "no_runs": 1, "over_limit": 1}
    assert hk.group_by_partition([run("a", key="k"), run("b", key="k"), run("c")]) == {
        "k": [run("a", key="k"), run("b", key="k")]
    }


def test_the_tally_reports_counts_bytes_and_a_bounded_sample():
    tally = hk.Tally(sample_size=2)
    for i in range(3):
        tally.add("export_work", f"k{i}", 10)
    tally.skip("export_work", "live")
    tally.fail("archive", "z")
    summary = tally.summary()
    assert summary["deleted"] == 3 and summary["deleted_bytes"] == 30 and summary["failed"] == 1
    assert summary["categories"]["export_work"] == {
        "deleted": 3,
        "bytes": 30,
        "sample": ["k0", "k1"],
        "skipped": {"live": 1},
        "failed": [],
    }


# -- the jobs, for real -------------------------------------------------------------------------


def _age(path: Path, days: float) -> None:
    """Set the modification time of a file or a whole folder `days` back."""
    stamp = time.time() - days * 86400
    for inner in [*sorted(path.rglob("*"), reverse=True), path] if path.is_dir() else [path]:
        os.utime(inner, (stamp, stamp))


def _put(store, key: str, age_days: float | None = None, data: bytes = b"x") -> str:
    store.put_bytes(key, data)
    if age_days is not None:
        _age(store.local_path(key), age_days)
    return key


def _run(
    instance,
    key: str | None,
    status: str,
    ended: datetime | None = None,
    job_name: str = "production_job",
    tags: dict | None = None,
) -> str:
    """A run of `key` in the instance: live runs are added in that status; finished ones get start and end
    events stamped `ended` (a run that ended days ago)."""
    run_id = str(uuid.uuid4())
    all_tags = {**({PARTITION_NAME_TAG: key} if key else {}), **(tags or {})}
    live = status not in hk.TERMINAL_STATUSES
    instance.add_run(
        dg.DagsterRun(
            job_name=job_name,
            run_id=run_id,
            tags=all_tags,
            status=dg.DagsterRunStatus[status] if live else dg.DagsterRunStatus.NOT_STARTED,
        )
    )
    if not live:
        stamp = (ended or datetime.now(UTC)).timestamp()
        event = {
            "SUCCESS": "PIPELINE_SUCCESS",
            "FAILURE": "PIPELINE_FAILURE",
            "CANCELED": "PIPELINE_CANCELED",
        }[status]
        instance.report_dagster_event(
            dg.DagsterEvent(event_type_value="PIPELINE_START", job_name=job_name),
            run_id,
            timestamp=stamp - 60,
        )
        instance.report_dagster_event(
            dg.DagsterEvent(event_type_value=event, job_name=job_name), run_id, timestamp=stamp
        )
    return run_id


def _metadata(result, op_name: str) -> dict:
    outputs = [e for e in result.events_for_node(op_name) if e.is_successful_output]
    return {k: v.value for k, v in outputs[0].event_specific_data.metadata.items()}


def _execute(job, instance, settings, **config):
    run_config = {"ops": {job.graph.node_defs[0].name: {"config": config}}} if config else None
    resources = {
        "object_store": ObjectStoreResource.from_settings(settings),
        "databases": DatabaseResource.from_settings(settings),
    }
    result = job.execute_in_process(instance=instance, resources=resources, run_config=run_config)
    assert result.success
    return result, _metadata(result, job.graph.node_defs[0].name)


@dg.asset(key="export_completion", partitions_def=exports_partitions)
def completion_stub():
    """Stands in for export_completion: its materialization is what marks a production finished."""
    return None


def _complete(instance, key: str) -> None:
    assert dg.materialize([completion_stub], partition_key=key, instance=instance).success


@pytest.fixture(autouse=True)
def systmp(tmp_path, monkeypatch) -> Path:
    """The machine's temp folder, private to the test: the work clean-up sweeps its old np-* folders."""
    folder = tmp_path / "systmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def local(settings, systmp):
    store = build_object_store(settings)
    assert isinstance(store, LocalObjectStore)
    return store, systmp


def test_work_files_temp_and_scratch_past_the_retention_go_and_live_runs_keep_theirs(settings, local):
    store, systmp = local
    work = [
        _put(store, f"case_101/exports/export_1/work/{n}", 10)
        for n in ("manifest.json", "plan.json", "volumes/VOL001.json")
    ]
    kept = [
        _put(store, "case_101/exports/export_1/manifest.zip", 10),  # the input: never
        _put(store, "case_101/exports/export_1/production/N/VOL001/IMAGES/0001/A.tif", 10),  # not a work file
        _put(store, "case_101/exports/export_1/zips/N.7z.001", 10),
        _put(store, "case_101/exports/export_2/work/plan.json", 10),  # its export has a live run
        _put(
            store, "case_101/exports/export_3/work/plan.json", 10
        ),  # the folder has a recent file: kept whole
        _put(store, "case_101/exports/export_3/work/volumes/VOL002.json"),
        _put(store, "case_202/exports/export_1/work/plan.json", 10),  # case 202 is in a live exchange
        _put(store, "case_303/exports/export_4/work/plan.json", 10),  # ... and so is its source case 303
    ]
    temp_old = store.root / "case_101/reports/review_log/.tmp-abc123.part"
    temp_new = store.root / "case_101/reports/review_log/.tmp-def456.part"
    temp_live = store.root / "case_101/exports/export_2/zips/.tmp-ghi789.part"
    for path, days in ((temp_old, 10), (temp_new, None), (temp_live, 10)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
        if days:
            _age(path, days)
    scratch_old = store.root / ".scratch/np-stamps-old"
    scratch_new = store.root / ".scratch/np-stamps-new"
    spark_old = settings.work_dir / "spark/blockmgr-old"
    volume_old = systmp / "np-VOL001-old"
    not_ours = systmp / "someone-elses-old"
    for folder in (scratch_old, scratch_new, spark_old, volume_old, not_ours):
        (folder / "sub").mkdir(parents=True)
        (folder / "sub/file.bin").write_bytes(b"12345")
    for folder in (scratch_old, spark_old, volume_old, not_ours):
        _age(folder, 10)
    outbox_part = settings.outbox_dir / ".mail.eml.part"
    outbox_mail = settings.outbox_dir / "mail.eml"
    for path in (outbox_part, outbox_mail):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"mail")
        _age(path, 10)

    with dg.instance_for_test() as instance:
        _run(instance, "101-2", "STARTED")
        _run(instance, "202-303-9", "NOT_STARTED", job_name="exchange_job")
        _run(instance, "101-1", "FAILURE", datetime.now(UTC) - 10 * DAY)  # finished runs hold nothing
        dry, dry_metadata = _execute(housekeeping_work_files_job, instance, settings, dry_run=True)
        assert dry_metadata["export_work_deleted"] == 3 and dry_metadata["dry_run"] is True
        assert all(store.exists(k) for k in work)

        result, metadata = _execute(housekeeping_work_files_job, instance, settings)

    assert not any(store.exists(k) for k in work)
    assert all(store.exists(k) for k in kept)
    assert metadata["export_work_deleted"] == 3
    assert sorted(metadata["export_work_sample"]) == sorted(work)
    assert metadata["skipped"]["export_work"] == {"live": 3, "recent": 1}
    assert not temp_old.exists() and temp_new.exists() and temp_live.exists()
    assert metadata["store_temp_deleted"] == 1 and metadata["store_temp_sample"] == [
        "case_101/reports/review_log/.tmp-abc123.part"
    ]
    assert (
        not scratch_old.exists()
        and scratch_new.exists()
        and not spark_old.exists()
        and not volume_old.exists()
    )
    assert not_ours.exists() and (settings.work_dir / "spark").is_dir()
    assert not outbox_part.exists() and outbox_mail.exists()
    assert metadata["local_scratch_deleted"] == 4
    assert metadata["deleted"] == 3 + 1 + 4
    assert metadata["deleted_bytes"] == 3 + 4 + 3 * 5 + 4
    assert result.output_for_node("clean_work_files")["deleted"] == metadata["deleted"]


def test_archives_past_their_retention_go_with_their_index_and_the_production_stays(settings, local):
    store, _ = local
    expired = [
        _put(store, "case_101/exports/export_1/zips/N.7z.001", 20),
        _put(store, "case_101/exports/export_1/zips/N.7z.002", 20),
        _put(store, "case_101/exports/export_1/volumes.json", 20),
    ]
    kept = [
        _put(store, "case_101/exports/export_1/manifest.zip", 20),
        _put(store, "case_101/exports/export_1/production/N/DATA/N.dat", 20),
        _put(store, "case_101/exports/export_1/work/plan.json", 1),
        _put(store, "case_101/exports/export_4/zips/N.7z.001", 10),  # younger than 14 days
        _put(store, "case_101/exports/export_2/zips/N.7z.001", 20),  # a live run re-packs it
    ]
    with dg.instance_for_test() as instance:
        _run(instance, "101-2", "STARTING")
        _, metadata = _execute(housekeeping_export_archives_job, instance, settings)
    assert not any(store.exists(k) for k in expired)
    assert all(store.exists(k) for k in kept)
    assert metadata["archive_deleted"] == 3 and metadata["archive_bytes"] == 3
    assert metadata["skipped"]["archive"] == {"live": 1, "recent": 1}
    assert metadata["retention_days"] == settings.cleanup_archive_retention_days == 14


def test_partial_outputs_of_dead_exports_go_and_finished_productions_stay(settings, local):
    store, _ = local
    files = (
        "manifest.zip",
        "error_logs/VOL001.txt",
        "production/N/VOL001/IMAGES/0001/A.tif",
        "production/N/DATA/N.dat",
        "zips/N.7z.001",
        "work/plan.json",
        "volumes.json",
    )
    for export in (5, 6, 7, 8, 9, 10, 11):
        for name in files:
            _put(store, f"case_101/exports/export_{export}/{name}", 10)
    ten_days_ago = datetime.now(UTC) - 10 * DAY
    from nextpoint_assets.pii.records import record_scan

    record_scan(
        DatabaseResource.from_settings(settings).databases().platform(),
        {
            "scan_id": "pii-" + "cd" * 16,
            "subject": "export",
            "subject_key": "101-11",
            "case_id": 101,
            "status": "awaiting_approval",
            "threshold": 0.5,
            "findings": 1,
            "counts": {"US_SSN": 1},
            "documents": 1,
            "pages": 1,
            "findings_key": "case_101/exports/export_11/pii/x.jsonl",
        },
        24 * 30,
    )
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(exports_partitions.name, [f"101-{n}" for n in range(5, 12)])
        _run(instance, "101-11", "FAILURE", ten_days_ago)  # stopped at its PII gate long ago: still waiting
        _run(instance, "101-5", "FAILURE", ten_days_ago)  # died, never completed: orphaned
        _complete(instance, "101-6")
        _run(
            instance, "101-6", "FAILURE", ten_days_ago
        )  # a later run failed, but the production was finished
        _run(instance, "101-7", "CANCELED", datetime.now(UTC) - 2 * DAY)  # too recent
        _run(instance, "101-8", "FAILURE", ten_days_ago)
        _run(instance, "101-8", "STARTED")  # being re-run now
        _run(instance, "101-10", "SUCCESS", ten_days_ago)  # succeeded (a partial selection): not dead
        _, metadata = _execute(housekeeping_orphaned_outputs_job, instance, settings)

    base = "case_101/exports/export_5/"
    assert sorted(k for k in store.list_keys(base)) == [base + "error_logs/VOL001.txt", base + "manifest.zip"]
    for export in (6, 7, 8, 9, 10, 11):
        assert len(list(store.list_keys(f"case_101/exports/export_{export}/"))) == len(files), export
    assert metadata["partial_output_deleted"] == 5
    assert metadata["orphaned_exports"] == ["101-5"]
    assert metadata["skipped"]["partial_output"] == {
        "completed": 1,
        "recent": 1,
        "live": 1,
        "no_runs": 1,
        "not_dead": 1,
        "awaiting_pii_review": 1,
    }


def test_on_s3_old_work_uploads_and_pipes_contexts_go_and_a_live_export_keeps_everything(s3_env, monkeypatch):
    settings = s3_env
    store = build_object_store(settings)
    assert isinstance(store, S3ObjectStore)
    for export in (1, 2):
        for name in (
            "manifest.zip",
            "work/plan.json",
            "work/volumes/VOL001.json",
            "production/N/DATA/N.dat",
            "error_logs/a.txt",
        ):
            store.put_bytes(f"case_101/exports/export_{export}/{name}", b"data")
        store.put_bytes(f"case_101/exports/export_{export}/zips/N.7z.001", b"archive")
        store.put_bytes(f"case_101/exports/export_{export}/volumes.json", b"{}")
        store.client.create_multipart_upload(
            Bucket=store.bucket, Key=f"case_101/exports/export_{export}/zips/N.7z.002"
        )
    pipes = "AbCdEfGhIjKlMnOpQrStUvWxYzAbCd/context.json"
    store.put_bytes(pipes, b"{}")
    real_now = datetime.now(UTC)

    def uploads():
        return sorted(key for key, _, _ in store.list_multipart_uploads())

    with dg.instance_for_test() as instance:
        time.sleep(0.05)
        _run(instance, "101-2", "STARTED")  # created after the Pipes file was written
        _run(instance, "101-1", "FAILURE", real_now)

        # Today no object is old enough. (moto dates every multipart upload 2010-11-10, so the dead
        # export's upload may already go; the live export's never does.)
        _, first = _execute(housekeeping_work_files_job, instance, settings)
        assert first["deleted"] == first.get("multipart_upload_deleted", 0) <= 1
        assert "case_101/exports/export_2/zips/N.7z.002" in uploads() and store.exists(pipes)
        assert store.exists("case_101/exports/export_1/work/plan.json")

        # Eight days on: S3 dates objects itself, so the clean-up's "now" moves instead.
        monkeypatch.setattr(sweeps, "_now", lambda: real_now + 8 * DAY)
        _, metadata = _execute(housekeeping_work_files_job, instance, settings)
        assert not store.exists("case_101/exports/export_1/work/plan.json")
        assert store.exists("case_101/exports/export_2/work/plan.json")
        assert uploads() == ["case_101/exports/export_2/zips/N.7z.002"]
        assert not store.exists(pipes)
        assert metadata["export_work_deleted"] == 2
        assert metadata.get("multipart_upload_deleted", 0) + first.get("multipart_upload_deleted", 0) == 1
        assert metadata["pipes_context_deleted"] == 1

        # The dead export's partial outputs (its last run failed 8 days before "now").
        _, metadata = _execute(housekeeping_orphaned_outputs_job, instance, settings)
        assert sorted(store.list_keys("case_101/exports/export_1/")) == [
            "case_101/exports/export_1/error_logs/a.txt",
            "case_101/exports/export_1/manifest.zip",
        ]
        assert metadata["partial_output_deleted"] == 3 and metadata["skipped"]["partial_output"] == {
            "live": 1
        }

        # Fifteen days on, archives expire, except the live export's.
        store.put_bytes("case_101/exports/export_3/zips/N.7z.001", b"archive")
        monkeypatch.setattr(sweeps, "_now", lambda: real_now + 15 * DAY)
        _, metadata = _execute(housekeeping_export_archives_job, instance, settings)
        assert not store.exists("case_101/exports/export_3/zips/N.7z.001")
        assert store.exists("case_101/exports/export_2/zips/N.7z.001") and store.exists(
            "case_101/exports/export_2/volumes.json"
        )
        assert metadata["archive_deleted"] == 1 and metadata["skipped"]["archive"] == {"live": 1}
    assert sorted(store.list_keys("case_101/exports/export_2/")) == sorted(
        f"case_101/exports/export_2/{n}"
        for n in (
            "manifest.zip",
            "work/plan.json",
            "work/volumes/VOL001.json",
            "production/N/DATA/N.dat",
            "error_logs/a.txt",
            "zips/N.7z.001",
            "volumes.json",
        )
    )


def test_finished_partitions_are_pruned_and_their_history_survives(settings, monkeypatch):
    real_now = datetime.now(UTC)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(
            exports_partitions.name, ["101-1", "101-2", "101-3", "101-4", "101-5"]
        )
        instance.add_dynamic_partitions(exchanges_partitions.name, ["101-202-1", "101-202-2"])
        instance.add_dynamic_partitions(cases_partitions.name, ["101"])
        _complete(instance, "101-1")  # finished, materialized
        _run(instance, "101-2", "FAILURE", real_now)  # finished, failed
        _run(instance, "101-3", "FAILURE", real_now)
        _run(instance, "101-3", "STARTED")  # live
        # 101-4 has no run
        _run(instance, "101-5", "SUCCESS", real_now + 60 * DAY)  # ended 40 days before "now"
        _run(instance, "101-202-1", "SUCCESS", real_now, job_name="exchange_job")
        _run(instance, "101-202-2", "CANCELING", job_name="exchange_job")
        _run(instance, "101", "SUCCESS", real_now, job_name="stamp_job")  # cases are never pruned

        monkeypatch.setattr(sweeps, "_now", lambda: real_now + 100 * DAY)
        _, dry = _execute(housekeeping_partitions_job, instance, settings, dry_run=True)
        assert dry["pruned"] == 3 and len(instance.get_dynamic_partitions(exports_partitions.name)) == 5

        result, metadata = _execute(housekeeping_partitions_job, instance, settings)
        assert instance.get_dynamic_partitions(exports_partitions.name) == ["101-3", "101-4", "101-5"]
        assert instance.get_dynamic_partitions(exchanges_partitions.name) == ["101-202-2"]
        assert instance.get_dynamic_partitions(cases_partitions.name) == ["101"]
        assert (
            metadata["pruned"] == 3 and metadata["exports_pruned"] == 2 and metadata["exchanges_pruned"] == 1
        )
        assert metadata["exports_pruned_sample"] == ["101-1", "101-2"]
        assert metadata["exports_verdicts"] == {"finished": 2, "live": 1, "no_runs": 1, "recent": 1}
        assert result.output_for_node("prune_finished_partitions")["sets"]["exchanges"]["pruned"] == [
            "101-202-1"
        ]

        # The history of a pruned partition is still there.
        records = instance.fetch_materializations(dg.AssetKey("export_completion"), limit=10).records
        assert [r.partition_key for r in records] == ["101-1"]
        assert instance.get_run_records(dg.RunsFilter(tags={PARTITION_NAME_TAG: "101-2"}))


def test_pruning_is_bounded_and_reads_run_storage_in_batches(settings, monkeypatch):
    real_now = datetime.now(UTC)
    keys = [f"7-{n}" for n in range(1, 1201)]
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(exports_partitions.name, keys)
        for key in keys[:5]:
            _run(instance, key, "FAILURE", real_now)
        monkeypatch.setattr(sweeps, "_now", lambda: real_now + 100 * DAY)
        calls = []
        original = instance.get_run_records
        monkeypatch.setattr(instance, "get_run_records", lambda *a, **k: calls.append(1) or original(*a, **k))
        _, metadata = _execute(housekeeping_partitions_job, instance, settings, max_keys=3)
        assert metadata["exports_pruned"] == 3 and metadata["exports_remaining"] == 1197
        assert metadata["exports_verdicts"] == {
            "finished": 3,
            "over_limit": 2,
            "no_runs": 495,
            "not_examined": 700,
        }
        # One query per 500 keys and per exchanges set, a few for live runs: never one per key.
        assert len(calls) < 10
        assert instance.get_dynamic_partitions(exports_partitions.name)[:3] == ["7-4", "7-5", "7-6"]


def test_a_live_backfill_over_a_range_of_exports_holds_its_partitions(settings, monkeypatch):
    real_now = datetime.now(UTC)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(exports_partitions.name, ["9-1", "9-2", "9-3"])
        for key in ("9-1", "9-2", "9-3"):
            _run(instance, key, "SUCCESS", real_now)
        _run(
            instance,
            None,
            "STARTED",
            tags={ASSET_PARTITION_RANGE_START_TAG: "9-2", ASSET_PARTITION_RANGE_END_TAG: "9-3"},
        )
        monkeypatch.setattr(sweeps, "_now", lambda: real_now + 100 * DAY)
        _, metadata = _execute(housekeeping_partitions_job, instance, settings)
    assert metadata["exports_pruned_sample"] == ["9-1"] and metadata["exports_verdicts"] == {
        "finished": 1,
        "live": 2,
    }


def test_schedules_are_daily_utc_running_from_settings_and_run_once_a_day(settings):
    assert {s.job_name for s in HOUSEKEEPING_SCHEDULES} == {j.name for j in HOUSEKEEPING_JOBS}
    crons = {s.name: s.cron_schedule for s in HOUSEKEEPING_SCHEDULES}
    assert crons == {
        "housekeeping_work_files_schedule": settings.cleanup_work_cron,
        "housekeeping_export_archives_schedule": settings.cleanup_archive_cron,
        "housekeeping_orphaned_outputs_schedule": settings.cleanup_orphan_cron,
        "housekeeping_partitions_schedule": settings.partition_prune_cron,
        "housekeeping_report_files_schedule": settings.report_cleanup_cron,
    }
    for schedule in HOUSEKEEPING_SCHEDULES:
        assert schedule.execution_timezone == "UTC"
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    for job in HOUSEKEEPING_JOBS:
        assert job.tags.get("kind") == "housekeeping"
    tick = datetime(2026, 6, 2, 3, tzinfo=UTC)
    with (
        dg.instance_for_test() as instance,
        dg.build_schedule_context(instance=instance, scheduled_execution_time=tick) as ctx,
    ):
        request = HOUSEKEEPING_SCHEDULES[0].evaluate_tick(ctx).run_requests[0]
    assert request.run_key == "housekeeping_work_files_schedule-2026-06-02"


def test_the_definitions_carry_the_housekeeping_jobs_and_schedules():
    from definitions import defs

    for job in HOUSEKEEPING_JOBS:
        assert defs.resolve_job_def(job.name).name == job.name
    names = {s.name for s in defs.schedules}
    assert {s.name for s in HOUSEKEEPING_SCHEDULES} <= names
