"""The demo: make the demo cases, register them, run the main job on embedded defaults.

Runs against the real Dagster instance in $DAGSTER_HOME, so every run and
materialization shows in the UI afterwards (scripts/ui.sh).
"""

from __future__ import annotations

import argparse
import sys

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from definitions import defs
from demo.generate import DEFAULT_CASES, generate
from domain.productions.paths import ExportPaths
from domain.productions.request import export_partition_key
from domain.reports.delivery import LATEST, report_folder
from nextpoint_assets.partitions import cases_partitions
from nextpoint_assets.pii.records import latest_scan
from nextpoint_assets.productions.common import exports_partitions
from nextpoint_assets.reports.runner import read_latest
from resources.dagster_resources import DatabaseResource
from resources.local_object_store import LocalObjectStore
from resources.object_store import build_object_store
from resources.settings import get_settings
from resources.spark import spark_log_file


def production_job():
    """The production job, rebuilt in each step process (multiprocess executor)."""
    from definitions import defs as definitions

    return definitions.resolve_job_def("production_job")


def run_production(instance: dg.DagsterInstance, case_id: int, export_id: int = 1) -> bool:
    """The main job: a demo case's production, volumes in parallel processes."""
    key = export_partition_key(case_id, export_id)
    instance.add_dynamic_partitions(exports_partitions.name, [key])
    with dg.execute_job(
        dg.reconstructable(production_job), instance=instance, tags={"dagster/partition": key}
    ) as result:
        return result.success


def run_stamping(instance: dg.DagsterInstance, case_id: int) -> dg.ExecuteInProcessResult:
    """Bates numbers and confidentiality stamps on every exhibit of a demo case (stamp_job)."""
    from sqlalchemy import select

    from domain.schema import exhibits
    from domain.stamps.request import stamp_run_config
    from resources.dagster_resources import DatabaseResource

    with DatabaseResource.from_settings(get_settings()).databases().case_reader(case_id).connect() as conn:
        ids = [r.id for r in conn.execute(select(exhibits.c.id).order_by(exhibits.c.id))]
    job = defs.resolve_job_def("stamp_job")
    result = None
    for event_id, body in (
        (f"demo-bates-{case_id}", {"type": "bates_stamp", "pattern_id": 1}),
        (f"demo-confidentiality-{case_id}", {"type": "confidentiality_stamp"}),
    ):
        request = {"event_id": event_id, "action": "apply", "exhibit_ids": ids, **body}
        result = job.execute_in_process(
            instance=instance,
            partition_key=str(case_id),
            run_config=stamp_run_config(request),
            raise_on_error=False,
        )
    return result


def run_exchange(instance: dg.DagsterInstance, source: int, destination: int) -> dg.ExecuteInProcessResult:
    """The first 12 exhibits of one demo case exchanged into the other, redactions and Bates branded in."""
    from domain.exchanges.request import exchange_run_config

    body = {
        "event_id": f"demo-exchange-{source}-{destination}",
        "idempotency_key": f"demo-{source}-{destination}-1",
        "source_case_id": source,
        "destination_case_id": destination,
        "batch_id": 1,
        "exhibit_ids": list(range(1, 13)),
        "annotations": {"redactionsAs": "brand_in", "batesAs": "brand_in"},
    }
    key = f"{destination}-{source}-1"
    instance.add_dynamic_partitions("exchanges", [key])
    return defs.resolve_job_def("exchange_job").execute_in_process(
        instance=instance, partition_key=key, run_config=exchange_run_config(body), raise_on_error=False
    )


def run_renditions(instance: dg.DagsterInstance, case_id: int, exhibit_ids: tuple[int, ...]):
    """Accessible HTML renditions of a demo case's documents that carry no planted personal data:
    their PII scan is clean, so the renditions follow in the same run (html_renditions_job)."""
    config = {"documents": "exhibit_ids", "exhibit_ids": list(exhibit_ids)}
    return defs.resolve_job_def("html_renditions_job").execute_in_process(
        instance=instance,
        partition_key=str(case_id),
        run_config={"ops": {"html_rendition_pii_scan": {"config": config}}},
        raise_on_error=False,
    )


def run_queued_request(instance: dg.DagsterInstance, case_id: int) -> bool:
    """A REPORT_REQUESTED event put on the local request queue, taken by request_sensor (one tick, as the
    daemon does under scripts/ui.sh), its run executed, and the message deleted by the next tick."""
    import json
    from datetime import UTC, datetime

    from resources.request_queue import LocalRequestQueue
    from sensors.requests import request_sensor

    event = {
        "event_type": "REPORT_REQUESTED",
        "event_id": f"demo-privilege-log-{case_id}",
        "case_id": case_id,
        "occurred_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "report_type": "privilege_log",
        "user_id": 1,
        "delivery": {"format": "xlsx"},
    }
    queue = LocalRequestQueue(get_settings().queue_dir)
    queue.send(json.dumps(event))
    resources = {k: defs.resources[k] for k in ("request_queue", "databases", "object_store", "event_bus")}
    cursor, ok = None, True
    for _ in range(2):  # the first tick requests the run, the second confirms it and deletes the message
        with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
            result = request_sensor(context)
        if not isinstance(result, dg.SensorResult):
            return False
        cursor = result.cursor
        for request in result.dynamic_partitions_requests or []:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        for request in result.run_requests or []:
            run = defs.resolve_job_def(request.job_name).execute_in_process(
                instance=instance,
                partition_key=request.partition_key,
                run_config=request.run_config,
                tags={**request.tags, "dagster/run_key": request.run_key},
                raise_on_error=False,
            )
            ok = ok and run.success
    return ok and queue.depth() == 0


def print_renditions(result: dg.ExecuteInProcessResult, case_id: int, store) -> None:
    scans = result.asset_materializations_for_node("html_rendition_pii_scan")
    made = result.asset_materializations_for_node("html_renditions")
    outcome = "succeeded" if result.success else "FAILED"
    print(f"HTML renditions, case {case_id} (html_renditions_job): {outcome}")
    if scans:
        scan = scans[0].metadata
        print(
            f"  PII scan first:      {scan['status'].value}, {scan['findings'].value} finding(s) in "
            f"{scan['documents'].value} documents (scan {scan['scan_id'].value})"
        )
    if made:
        meta = made[0].metadata
        print(
            f"  renditions:          {meta['documents_made'].value} documents made "
            f"({meta['pages_made'].value} pages), {meta['documents_skipped'].value} unchanged, "
            f"{meta['documents_with_problems'].value} with problems, "
            f"{meta['needs_person'].value} item(s) for a person"
        )
        folder = f"case_{case_id}/renditions/html"
        if isinstance(store, LocalObjectStore):
            print(f"  HTML, one folder per document: {store.local_path(folder)}/{{document_id}}/index.html")
            print(f"  manifest:            {store.local_path(folder + '/manifest.json')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    settings = get_settings()

    print(f"Generating demo cases under {settings.home} ...")
    summaries = generate(settings, DEFAULT_CASES, args.seed)
    for s in summaries:
        print(f"  case {s.case_id}: {s.exhibits} exhibits, {s.pages} pages, manifest {s.manifest_key}")

    instance = dg.DagsterInstance.get()
    register = defs.resolve_job_def("register_cases_job").execute_in_process(instance=instance)
    if not register.success:
        print("Registering the case partitions failed; see the run in the UI.", file=sys.stderr)
        return 1
    keys = instance.get_dynamic_partitions(cases_partitions.name)
    demo_keys = [k for k in keys if int(k) in {s.case_id for s in summaries}]

    # One run for every case partition: the same path a UI backfill takes (single-run policy).
    job = defs.resolve_job_def("page_count_report_job")
    result = job.execute_in_process(
        instance=instance,
        tags={ASSET_PARTITION_RANGE_START_TAG: demo_keys[0], ASSET_PARTITION_RANGE_END_TAG: demo_keys[-1]},
        raise_on_error=False,
    )
    review_log = defs.resolve_job_def("review_log_report_job").execute_in_process(
        instance=instance,
        run_config={"ops": {"review_log_report": {"config": {"format": "xlsx"}}}},
        tags={ASSET_PARTITION_RANGE_START_TAG: demo_keys[0], ASSET_PARTITION_RANGE_END_TAG: demo_keys[-1]},
        raise_on_error=False,
    )
    store = build_object_store(settings)
    productions = {s.case_id: run_production(instance, s.case_id) for s in summaries}
    stamping = run_stamping(instance, summaries[0].case_id)
    exchange = run_exchange(instance, summaries[0].case_id, summaries[1].case_id)
    queued = run_queued_request(instance, summaries[0].case_id)
    renditions = run_renditions(instance, summaries[0].case_id, summaries[0].plain_exhibit_ids)
    print()
    print("Page-count reports:", "succeeded" if result.success else "FAILED", f"(run {result.run_id})")
    for s in summaries:
        # Each run's file has its own key; latest.json beside them names the newest.
        key = read_latest(store, f"case_{s.case_id}/{report_folder('page_count')}{LATEST}")
        where = store.local_path(key) if key and isinstance(store, LocalObjectStore) else key
        print(f"  page-count report, case {s.case_id}: {where}")
    print(
        "Review logs (XLSX):", "succeeded" if review_log.success else "FAILED", f"(run {review_log.run_id})"
    )
    for s in summaries:
        key = read_latest(store, f"case_{s.case_id}/{report_folder('review_log')}{LATEST}")
        print(
            f"  review log, case {s.case_id}: "
            f"{store.local_path(key) if key and isinstance(store, LocalObjectStore) else key}"
        )
    platform = DatabaseResource.from_settings(settings).databases().platform()
    for case_id, ok in productions.items():
        paths = ExportPaths(1)
        base = f"case_{case_id}/{paths.base}"
        print(f"Main job (production of case {case_id}, export 1): {'succeeded' if ok else 'FAILED'}")
        if isinstance(store, LocalObjectStore):
            print(f"  unpacked production: {store.local_path(base + '/production')}")
            print(f"  7z archive parts:    {store.local_path(base + '/zips')}")
            print(f"  error logs:          {store.local_path(base + '/error_logs')}")
        scan = latest_scan(platform, export_partition_key(case_id, 1))
        if scan is not None:  # docs/pii.md: the parties' mail domains are allowlisted for the demo
            print(
                f"  PII scan:            {scan['status']}, {scan['findings']} finding(s) "
                f"in {scan['pages']} pages "
                f"(scan {scan['scan_id']})"
            )
    stamped = f"case_{summaries[0].case_id}/stamped_pages"
    print(
        f"Stamped page set, case {summaries[0].case_id} (stamp_job): "
        f"{'succeeded' if stamping.success else 'FAILED'}"
    )
    if isinstance(store, LocalObjectStore):
        print(f"  annotated and burned-in PDFs: {store.local_path(stamped)}")
    print(
        f"Exchange, case {summaries[0].case_id} -> case {summaries[1].case_id} (exchange_job): "
        f"{'succeeded' if exchange.success else 'FAILED'}"
    )
    print(
        f"Event-driven request (REPORT_REQUESTED on the local queue -> request_sensor -> run): "
        f"{'succeeded' if queued else 'FAILED'}"
    )
    print_renditions(renditions, summaries[0].case_id, store)
    print()
    print(f"Object store:    {settings.object_store_root}")
    print(f"Case databases:  {settings.sqlite_dir}")
    print(f"Events:          {settings.events_file}")
    print(f"Spark log:       {spark_log_file(settings)}  (Spark's full log; its errors only are shown here)")
    print(f"Request queue:   {settings.queue_dir}  (drop request JSON here; scripts/ui.sh's daemon takes it)")
    print(f"Dagster home:    {instance.root_directory}")
    print("Open the UI:     scripts/ui.sh   then browse http://127.0.0.1:3000")
    return (
        0
        if result.success
        and review_log.success
        and all(productions.values())
        and stamping.success
        and exchange.success
        and queued
        and renditions.success
        else 1
    )


if __name__ == "__main__":
    raise SystemExit(main())
