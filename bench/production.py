"""The production benchmark: our volume production beside Ghostscript and poppler on the same pages.

`prepare_production` makes a text-only demo case of `pages` pages (kept under NP_BENCH_DATA and
reused) with manifests for TIFF, PDF and OCR productions; the peers draw the same PDFs.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

PRODUCTION_CASE = 301


def prepare_production(size: dict) -> dict:
    """A text-only demo case of `pages` pages, with manifests for TIFF, PDF and OCR productions."""
    import shutil
    import sqlite3
    import zipfile

    from bench.cases import DATA_DIR
    from demo.generate import CaseSpec, generate
    from resources.settings import load_settings

    pages = size["pages"]
    home = DATA_DIR / f"production-{pages}"
    settings = load_settings({"NP_HOME": str(home)})
    marker = home / "ready"
    if not marker.exists():
        shutil.rmtree(home, ignore_errors=True)
        generate(settings, [CaseSpec(PRODUCTION_CASE, "bench", 1, pages, "BM", text_only=True)])
        case_dir = settings.object_store_root / f"case_{PRODUCTION_CASE}"
        source = zipfile.ZipFile(case_dir / "exports/export_1/manifest.zip").read("manifest.sqlite")
        # Every page imaged (no slip sheets), so ours and the peers draw the same pages.
        for export_id, image_format, text_mode in (
            (1, "tiff", "extracted_then_ocr"),
            (2, "pdf", "extracted_then_ocr"),
            (3, "tiff", "ocr"),
        ):
            work = home / f"m{export_id}.sqlite"
            work.write_bytes(source)
            db = sqlite3.connect(work)
            db.execute(
                "UPDATE export SET export_id = ?, image_format = ?, text_mode = ?",
                (export_id, image_format, text_mode),
            )
            db.execute("UPDATE exhibits_for_export SET withheld = 0, produce_native = 0")
            db.commit()
            db.close()
            target = case_dir / f"exports/export_{export_id}/manifest.zip"
            target.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(target, "w") as archive:
                archive.write(work, "manifest.sqlite")
        marker.write_text("ok")
    pdfs = sorted(
        str(p)
        for p in (settings.object_store_root / f"case_{PRODUCTION_CASE}" / "documents").glob(
            "*/rendition.pdf"
        )
    )
    return {"home": str(home), "pdfs": pdfs}


def _peer(args: dict, commands) -> dict:
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    from bench.cases import _result

    out = Path(tempfile.mkdtemp(prefix="np-peer-"))
    workers = args.get("workers", 1)
    start = time.perf_counter()

    def one(item):
        index, pdf = item
        target = out / str(index)
        target.mkdir()
        for command in commands(pdf, target):
            subprocess.run(command, check=True, capture_output=True, shell=isinstance(command, str))

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, enumerate(args["pdfs"])))
    seconds = time.perf_counter() - start
    pages = sum(1 for p in out.rglob("*.tif"))
    return _result(pages, "pages", seconds, peer=True)


def peer_ghostscript(args: dict) -> dict:
    return _peer(
        args,
        lambda pdf, out: [
            [
                "gs",
                "-q",
                "-dNOPAUSE",
                "-dBATCH",
                "-dSAFER",
                "-sDEVICE=tiffg4",
                "-r300",
                f"-sOutputFile={out}/p%04d.tif",
                pdf,
            ]
        ],
    )


def peer_pdftoppm_tiffcp(args: dict) -> dict:
    def commands(pdf, out):
        return [
            ["pdftoppm", "-r", "300", "-mono", "-tiff", pdf, f"{out}/raw"],
            f'for f in {out}/raw*.tif; do tiffcp -c g4 "$f" "${{f%.tif}}.g4.tif" && rm "$f"; done',
        ]

    return _peer(args, commands)


def _ours(args: dict, export_id: int, workers: int) -> dict:
    """Every volume of one export produced (render, endorse, encode, text, upload) with `workers`
    processes."""
    import dagster as dg

    from bench.cases import _result
    from nextpoint_assets.productions.common import ExportState
    from nextpoint_assets.productions.manifest_asset import export_manifest
    from nextpoint_assets.productions.volumes import produce_volume
    from resources.dagster_resources import DocumentEngineResource, EventBusResource, ObjectStoreResource
    from resources.settings import load_settings

    settings = load_settings({"NP_HOME": args["home"]})
    os.environ["NP_HOME"] = args["home"]
    store = ObjectStoreResource.from_settings(settings).case(PRODUCTION_CASE)
    instance = dg.DagsterInstance.ephemeral()
    key = f"{PRODUCTION_CASE}-{export_id}"
    instance.add_dynamic_partitions("exports", [key])
    resources = {
        "object_store": ObjectStoreResource.from_settings(settings),
        "document_engine": DocumentEngineResource(),
        "event_bus": EventBusResource.from_settings(settings),
    }
    dg.materialize([export_manifest], instance=instance, partition_key=key, resources=resources)
    state = ExportState(store, export_id)
    pages = state.plan.page_total
    split: dict[str, float] = {}
    start = time.perf_counter()
    for volume in state.plan.volumes:
        summary = produce_volume(store, DocumentEngineResource(), export_id, volume, workers, force=True)
        for name, value in summary.get("seconds", {}).items():
            split[name] = round(split.get(name, 0.0) + value, 2)
    return _result(pages, "pages", time.perf_counter() - start, split=split)


def _ours_end_to_end(args: dict, export_id: int) -> dict:
    """The whole export job: manifest, volumes, load files, archive, QC, completion."""
    import dagster as dg

    from bench.cases import _result
    from jobs.productions import production_job
    from nextpoint_assets.productions.assets import PRODUCTION_ASSETS, PRODUCTION_CHECKS
    from resources.dagster_resources import build_resources
    from resources.settings import load_settings

    os.environ["NP_HOME"] = args["home"]
    settings = load_settings({"NP_HOME": args["home"]})
    defs = dg.Definitions(
        # The PII scan and its gate are part of every production: the bench case's text is clean.
        assets=PRODUCTION_ASSETS,
        asset_checks=PRODUCTION_CHECKS,
        jobs=[production_job],
        resources=build_resources(settings),
    )
    instance = dg.DagsterInstance.ephemeral()
    key = f"{PRODUCTION_CASE}-{export_id}"
    instance.add_dynamic_partitions("exports", [key])
    volume = {"config": {"workers": os.cpu_count() or 1, "force": True}}
    config = {"ops": {"export_volumes": {"ops": {"export_volume": volume, "export_volume_ocr": volume}}}}
    start = time.perf_counter()
    result = defs.resolve_job_def("production_job").execute_in_process(
        instance=instance, partition_key=key, run_config=config
    )
    seconds = time.perf_counter() - start
    from nextpoint_assets.productions.common import ExportState
    from resources.dagster_resources import ObjectStoreResource

    state = ExportState(ObjectStoreResource.from_settings(settings).case(PRODUCTION_CASE), export_id)
    assert result.success
    return _result(state.plan.page_total, "pages", seconds, steps=step_seconds(instance, result.run_id))


def step_seconds(instance, run_id: str) -> dict[str, float]:
    """Seconds of each step of a run, from its own STEP_START -> STEP_SUCCESS events."""
    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for record in instance.get_records_for_run(run_id, limit=1_000_000).records:
        event = record.event_log_entry
        kind = event.dagster_event.event_type_value if event.dagster_event else None
        if kind == "STEP_START":
            started[event.step_key] = event.timestamp
        elif kind == "STEP_SUCCESS" and event.step_key in started:
            seconds[event.step_key] = round(event.timestamp - started[event.step_key], 2)
    return seconds


def ours_e2e_tiff_all_cores(args: dict) -> dict:
    return _ours_end_to_end(args, 1)


def ours_e2e_pdf_all_cores(args: dict) -> dict:
    return _ours_end_to_end(args, 2)


def ours_tiff_1proc(args: dict) -> dict:
    return _ours(args, 1, 1)


def ours_tiff_all_cores(args: dict) -> dict:
    return _ours(args, 1, os.cpu_count() or 1)


def ours_pdf_all_cores(args: dict) -> dict:
    return _ours(args, 2, os.cpu_count() or 1)


def ours_tiff_ocr_all_cores(args: dict) -> dict:
    return _ours(args, 3, os.cpu_count() or 1)
