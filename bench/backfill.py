"""A report backfill over many case partitions in one run, beside the same reports made in a bare loop.

`prepare_backfill` makes `cases` (default 1,000) small SQLite case databases (kept under NP_BENCH_DATA
and reused): one text-only demo case is generated (demo/generate.py) and its database file copied for
every other case id, each case registered in the core database (`NP_BENCH_BACKFILL_CASES` sets how many).

- `ours_single_run`: `page_count_report` over every case partition in ONE run, as an engineer's
  backfill launches it (the asset's `BackfillPolicy.single_run`; the partition range tags
  `dagster/asset_partition_range_start`/`_end`, as sensors/report_schedules.py sends them), executed
  on a real instance made from deploy/dagster.local.yaml (SQLite run and event storage) with
  definitions.py's own job and resources. Seconds are the run's wall time; the split gives the
  step's time (STEP_START -> STEP_SUCCESS of the run's events) and the run around it. Verified (the
  variant fails otherwise): every case partition materialized in this run, each materialization's
  file in the object store.
- `peer_bare_loop`: the same per-case work (`materialize_case_report`: query, CSV, object store,
  `latest.json`, outcome event) in a plain loop, no Dagster run or event storage: the limit of the
  report itself.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

FIRST_CASE = 10_001
ASSET = "page_count_report"
VARIANTS = ("peer_bare_loop", "ours_single_run")


def _keys(cases: int) -> list[str]:
    return [str(FIRST_CASE + i) for i in range(cases)]


def prepare_backfill(size: dict) -> dict:
    """`cases` case databases of one small text-only case each, registered in the core database."""
    from sqlalchemy import insert

    from bench.cases import DATA_DIR
    from demo.core_db import BASE_TIME
    from demo.generate import CaseSpec, generate
    from domain import schema
    from resources.dagster_resources import DatabaseResource
    from resources.settings import load_settings

    cases = int(size.get("cases") or os.environ.get("NP_BENCH_BACKFILL_CASES", "1000"))
    home = DATA_DIR / f"report-backfill-{cases}"
    if not (home / "ready").exists():
        shutil.rmtree(home, ignore_errors=True)
        settings = load_settings({"NP_HOME": str(home)})
        generate(settings, [CaseSpec(FIRST_CASE, "Backfill 1", 1, 8, "BF", text_only=True)], seed=11)
        databases = DatabaseResource.from_settings(settings).databases()
        template = databases.sqlite_path(databases.case_db_name(FIRST_CASE))
        for key in _keys(cases)[1:]:
            shutil.copyfile(template, databases.sqlite_path(databases.case_db_name(key)))
        with databases.core_writer().begin() as core:
            core.execute(
                insert(schema.npcases),
                [
                    {
                        "id": int(key),
                        "account_id": 1,
                        "name": f"Backfill {key}",
                        "status": "active",
                        "region": "c2",
                        "created_at": BASE_TIME,
                    }
                    for key in _keys(cases)[1:]
                ],
            )
        databases.dispose()
        (home / "ready").write_text("ok")
    return {"backfill_home": str(home), "cases": cases}


def _scratch_home(args: dict) -> Path:
    """A fresh NP_HOME whose databases are the prepared ones and whose object store is empty."""
    scratch = Path(tempfile.mkdtemp(prefix="np-bench-backfill-"))
    (scratch / "databases").symlink_to(Path(args["backfill_home"]) / "databases")
    os.environ["NP_HOME"] = str(scratch)
    os.environ["DAGSTER_HOME"] = str(scratch / "dagster_home")  # the instance file's `env: DAGSTER_HOME`
    return scratch


def ours_single_run(args: dict) -> dict:
    import dagster as dg
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from bench.cases import _result
    from scripts.dagster_dev import make_dagster_home

    scratch = _scratch_home(args)
    keys = _keys(args["cases"])
    make_dagster_home(scratch / "dagster_home", keys)
    from definitions import defs  # after NP_HOME is set: definitions.py reads its settings at import
    from resources.settings import load_settings

    job = defs.resolve_job_def(f"{ASSET}_job")
    with dg.DagsterInstance.from_config(str(scratch / "dagster_home")) as instance:
        start = time.perf_counter()
        result = job.execute_in_process(
            instance=instance,
            tags={ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]},
            raise_on_error=False,
        )
        seconds = time.perf_counter() - start
        if not result.success:
            raise RuntimeError(f"the backfill run {result.run_id} failed")
        split = _split(instance, result.run_id)
        done = instance.get_materialized_partitions(dg.AssetKey(ASSET))
        if done != set(keys):
            raise RuntimeError(f"{len(set(keys) - done)} case(s) without a materialization")
        materializations = [
            e.event_specific_data.materialization
            for e in result.all_events
            if e.event_type_value == "ASSET_MATERIALIZATION"
        ]
    _verify_files(load_settings({"NP_HOME": str(scratch)}), keys, materializations)
    return _result(len(keys), "cases", seconds, split=split, run_id=result.run_id)


def _split(instance, run_id: str) -> dict[str, float]:
    """The step (STEP_START -> STEP_SUCCESS) and the run around it, from the run's own events."""
    import dagster as dg

    from bench.cases import first_event_times

    first = first_event_times(instance, run_id)
    t = dg.DagsterEventType
    step = first[t.STEP_SUCCESS.value] - first[t.STEP_START.value]
    run = first[t.RUN_SUCCESS.value] - first[t.RUN_START.value]
    return {"step": round(step, 2), "run_around": round(run - step, 2)}


def _verify_files(settings, keys: list[str], materializations: list) -> None:
    """One materialization per case, each naming a file the object store holds."""
    from resources.object_store import build_object_store

    store = build_object_store(settings)
    by_case = {m.partition: m.metadata["object_key"].value for m in materializations}
    if sorted(by_case) != sorted(keys) or len(materializations) != len(keys):
        raise RuntimeError(f"{len(materializations)} materializations for {len(keys)} cases")
    missing = [k for k, key in by_case.items() if not store.exists(key)]
    if missing:
        raise RuntimeError(f"{len(missing)} case(s) without their file, e.g. {missing[:3]}")


def peer_bare_loop(args: dict) -> dict:
    from types import SimpleNamespace

    import dagster as dg

    from bench.cases import _result
    from domain.reports.catalog import REPORTS
    from nextpoint_assets.reports.assets import REPORT_ASSETS, materialize_case_report
    from nextpoint_assets.reports.forms import report_config
    from nextpoint_assets.reports.runner import sinks_from
    from resources.dagster_resources import (
        DatabaseResource,
        EventBusResource,
        MailerResource,
        ObjectStoreResource,
        ReportSettingsResource,
    )
    from resources.settings import load_settings

    scratch = _scratch_home(args)
    settings = load_settings({"NP_HOME": str(scratch)})
    keys = _keys(args["cases"])
    spec = REPORTS["page_count"]
    config = report_config("page_count")()
    context = SimpleNamespace(run_id="peer-bare-loop", asset_key=REPORT_ASSETS["page_count"].key)
    start = time.perf_counter()
    dbs = DatabaseResource.from_settings(settings).databases()
    sinks = sinks_from(
        ObjectStoreResource.from_settings(settings),
        MailerResource.from_settings(settings),
        EventBusResource.from_settings(settings),
        ReportSettingsResource.from_settings(settings),
    )
    made = [materialize_case_report(context, spec, config, int(key), dbs, sinks) for key in keys]
    seconds = time.perf_counter() - start
    _verify_files(settings, keys, made)
    assert all(isinstance(m, dg.AssetMaterialization) for m in made)
    return _result(len(keys), "cases", seconds, peer=True)
