"""The benchmarks. `prepare` makes shared data once; each variant runs in its own process.

python -m bench.cases NAME VARIANT '{"rows": ...}'   prints one JSON line
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bench import exchange, intake, pii, reports, stamping

DATA_DIR = Path(os.environ.get("NP_BENCH_DATA", Path(tempfile.gettempdir()) / "np-bench"))


@dataclass
class Benchmark:
    prepare: Callable[[dict], dict]
    variants: tuple[str, ...]


def _result(units: int, unit: str, seconds: float, peer: bool = False, **extra) -> dict:
    return {
        "units": units,
        "unit": unit,
        "seconds": seconds,
        "per_second": units / seconds if seconds else 0.0,
        "peer": peer,
        **extra,
    }


# --- report CSV: streaming writer vs pandas read_sql + to_csv ---------------------------------


def prepare_report(size: dict) -> dict:
    """A SQLite case database with `rows` exhibits (made once, reused across runs)."""
    from sqlalchemy import insert

    from domain import schema
    from resources.databases import DatabaseConfig, Databases

    rows = size["rows"]
    folder = DATA_DIR / f"report-{rows}"
    path = folder / "np_case_1.sqlite"
    if not path.exists():
        dbs = Databases(DatabaseConfig(sqlite_dir=folder))
        engine = dbs.create_case_database(1)
        base = datetime(2024, 1, 1)
        with engine.begin() as conn:
            for start in range(0, rows, 20_000):
                conn.execute(
                    insert(schema.exhibits),
                    [
                        {
                            "document_id": i,
                            "control_number": f"CTRL-{i:08d}",
                            "title": f'Title, "quoted" {i} — ü',
                            "page_count": i % 37 + 1,
                            "bates_begin": f"ACME{i:07d}",
                            "bates_end": f"ACME{i:07d}",
                            "created_at": base + timedelta(seconds=i),
                            "updated_at": base,
                        }
                        for i in range(start + 1, min(start + 20_000, rows) + 1)
                    ],
                )
        dbs.dispose()
    return {"sqlite_dir": str(folder)}


def report_ours(args: dict) -> dict:
    from domain.reports import page_count
    from domain.tabular import write_csv
    from resources.databases import DatabaseConfig, Databases

    dbs = Databases(DatabaseConfig(sqlite_dir=Path(args["sqlite_dir"])))
    out = Path(tempfile.mkdtemp()) / "ours.csv"
    start = time.perf_counter()
    with dbs.case_reader(1).connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=2000).execute(page_count.query())
        summary = write_csv(out, page_count.COLUMNS, page_count.rows_with_totals(result, page_count.Totals()))
    return _result(summary.rows, "rows", time.perf_counter() - start)


def report_pandas(args: dict) -> dict:
    import pandas as pd

    from domain.reports import page_count
    from resources.databases import DatabaseConfig, Databases

    dbs = Databases(DatabaseConfig(sqlite_dir=Path(args["sqlite_dir"])))
    out = Path(tempfile.mkdtemp()) / "pandas.csv"
    start = time.perf_counter()
    with dbs.case_reader(1).connect() as conn:
        frame = pd.read_sql(page_count.query(), conn)
    frame.to_csv(out, index=False, encoding="utf-8-sig")
    return _result(len(frame), "rows", time.perf_counter() - start, peer=True)


# --- demo generation: pages per second of real PDFs into the object store ----------------------


def prepare_nothing(size: dict) -> dict:
    return {}


def demo_generation(args: dict) -> dict:
    from demo.generate import CaseSpec, generate
    from resources.settings import load_settings

    home = Path(tempfile.mkdtemp(prefix="np-bench-demo-"))
    start = time.perf_counter()
    summary = generate(
        load_settings({"NP_HOME": str(home)}),
        [CaseSpec(301, "bench", 1, args["pages"], "BM", text_only=True)],
    )
    return _result(summary[0].pages, "pages", time.perf_counter() - start)


# --- productions: ours beside Ghostscript and poppler on the same pages ----------------------------

PRODUCTION_CASE = 301


def prepare_production(size: dict) -> dict:
    """A text-only demo case of `pages` pages, with manifests for TIFF, PDF and OCR productions."""
    import shutil
    import sqlite3
    import zipfile

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
    """Every volume of one export produced (render, endorse, encode, text, upload) with `workers` processes."""
    import dagster as dg

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

    from jobs.productions import production_job
    from nextpoint_assets.productions.checks import export_quality_checks
    from nextpoint_assets.productions.completion import export_completion
    from nextpoint_assets.productions.manifest_asset import export_manifest
    from nextpoint_assets.productions.package import export_archive, export_expansive_pdf, export_load_files
    from nextpoint_assets.productions.pii import export_pii_gate, export_pii_scan
    from nextpoint_assets.productions.volumes import export_volumes
    from resources.dagster_resources import build_resources
    from resources.settings import load_settings

    os.environ["NP_HOME"] = args["home"]
    settings = load_settings({"NP_HOME": args["home"]})
    defs = dg.Definitions(
        # The PII scan and its gate are part of every production: the bench case's text is clean.
        assets=[
            export_manifest,
            export_volumes,
            export_load_files,
            export_expansive_pdf,
            export_pii_scan,
            export_archive,
            export_completion,
        ],
        asset_checks=[export_quality_checks, export_pii_gate],
        jobs=[production_job],
        resources=build_resources(settings),
    )
    instance = dg.DagsterInstance.ephemeral()
    key = f"{PRODUCTION_CASE}-{export_id}"
    instance.add_dynamic_partitions("exports", [key])
    config = {
        "ops": {
            "export_volumes": {
                "ops": {"export_volume": {"config": {"workers": os.cpu_count() or 1, "force": True}}}
            }
        }
    }
    start = time.perf_counter()
    result = defs.resolve_job_def("production_job").execute_in_process(
        instance=instance, partition_key=key, run_config=config
    )
    seconds = time.perf_counter() - start
    from nextpoint_assets.productions.common import ExportState
    from resources.dagster_resources import ObjectStoreResource

    state = ExportState(ObjectStoreResource.from_settings(settings).case(PRODUCTION_CASE), export_id)
    assert result.success
    return _result(state.plan.page_total, "pages", seconds)


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


BENCHMARKS: dict[str, Benchmark] = {
    "production": Benchmark(
        prepare_production,
        (
            "peer_ghostscript",
            "peer_pdftoppm_tiffcp",
            "ours_tiff_1proc",
            "ours_tiff_all_cores",
            "ours_pdf_all_cores",
            "ours_e2e_tiff_all_cores",
            "ours_e2e_pdf_all_cores",
        ),
    ),
    # The fastest peer only, for the long (10,000-page) runs.
    "production_large": Benchmark(
        prepare_production, ("peer_ghostscript", "ours_tiff_1proc", "ours_tiff_all_cores")
    ),
    "production_parallel_peers": Benchmark(
        prepare_production, ("peer_ghostscript_all_cores", "ours_tiff_all_cores")
    ),
    "production_ocr": Benchmark(prepare_production, ("ours_tiff_ocr_all_cores",)),
    "report_csv": Benchmark(prepare_report, ("pandas_read_sql_to_csv", "streaming_csv")),
    "review_log": Benchmark(reports.prepare_review_log, reports.VARIANTS),
    "review_log_csv": Benchmark(reports.prepare_review_log, reports.VARIANTS[:2]),
    "demo_generation": Benchmark(prepare_nothing, ("text_case",)),
    "stamping": Benchmark(
        stamping.prepare_stamping,
        (
            "peer_pypdf_reportlab_overlay",
            "peer_pikepdf_bare_append",
            "peer_pikepdf_bare_append_no_recompress",
            "ours_annotations_1proc",
            "ours_annotations_all_cores",
            "ours_burned_1proc",
            "ours_burned_all_cores",
        ),
    ),
    "stamp_numbering": Benchmark(stamping.prepare_stamping, ("ours_8_concurrent_requests",)),
    "exchange": Benchmark(exchange.prepare_exchange, exchange.VARIANTS),
    "sqs_intake": Benchmark(intake.prepare_intake, intake.VARIANTS),
    "sqs_intake_postgres": Benchmark(intake.prepare_intake_postgres, intake.POSTGRES_VARIANTS),
    "pii_scan": Benchmark(pii.prepare_pii, pii.VARIANTS),
}
DEFAULT = ("report_csv", "demo_generation", "production")

VARIANTS: dict[tuple[str, str], Callable[[dict], dict]] = {
    ("production", "peer_ghostscript"): peer_ghostscript,
    ("production", "peer_pdftoppm_tiffcp"): peer_pdftoppm_tiffcp,
    ("production", "ours_tiff_1proc"): ours_tiff_1proc,
    ("production", "ours_tiff_all_cores"): ours_tiff_all_cores,
    ("production", "ours_pdf_all_cores"): ours_pdf_all_cores,
    ("production", "ours_e2e_tiff_all_cores"): ours_e2e_tiff_all_cores,
    ("production", "ours_e2e_pdf_all_cores"): ours_e2e_pdf_all_cores,
    **{
        ("production_large", name): VARIANT
        for name, VARIANT in (
            ("peer_ghostscript", peer_ghostscript),
            ("ours_tiff_1proc", ours_tiff_1proc),
            ("ours_tiff_all_cores", ours_tiff_all_cores),
        )
    },
    ("production_parallel_peers", "peer_ghostscript_all_cores"): lambda a: peer_ghostscript(
        {**a, "workers": os.cpu_count() or 1}
    ),
    ("production_parallel_peers", "ours_tiff_all_cores"): ours_tiff_all_cores,
    ("production_ocr", "ours_tiff_ocr_all_cores"): ours_tiff_ocr_all_cores,
    ("report_csv", "pandas_read_sql_to_csv"): report_pandas,
    ("report_csv", "streaming_csv"): report_ours,
    ("demo_generation", "text_case"): demo_generation,
    **{
        (bench, name): getattr(reports, name)
        for bench in ("review_log", "review_log_csv")
        for name in reports.VARIANTS
    },
    **{("stamping", name): getattr(stamping, name) for name in BENCHMARKS["stamping"].variants},
    ("stamp_numbering", "ours_8_concurrent_requests"): stamping.ours_8_concurrent_requests,
    **{("exchange", name): getattr(exchange, name) for name in exchange.VARIANTS},
    **{
        (bench, name): getattr(intake, name)
        for bench in ("sqs_intake", "sqs_intake_postgres")
        for name in (*intake.VARIANTS, *intake.POSTGRES_VARIANTS)
    },
    **{("pii_scan", name): getattr(pii, name) for name in pii.VARIANTS},
}


if __name__ == "__main__":
    name, variant, raw = sys.argv[1], sys.argv[2], sys.argv[3]
    print(json.dumps(VARIANTS[(name, variant)](json.loads(raw))))
