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

from bench import (
    backfill,
    exchange,
    intake,
    ocr_speed,
    pii,
    production,
    production_e2e,
    renditions_speed,
    reports,
    stamping,
    ui_turnaround,
)

DATA_DIR = Path(os.environ.get("NP_BENCH_DATA", Path(tempfile.gettempdir()) / "np-bench"))


def small_demo(name: str) -> Path:
    """Cases 101 and 202, a few text-only pages each, with their core database (made once, reused)."""
    import shutil

    from demo.generate import DEFAULT_CASES, CaseSpec, generate
    from resources.settings import load_settings

    home = DATA_DIR / name
    if not (home / "ready").exists():
        shutil.rmtree(home, ignore_errors=True)
        specs = [
            CaseSpec(
                s.case_id, s.name, s.account_id, 6, s.bates_prefix, text_only=True, swap_codes=s.swap_codes
            )
            for s in DEFAULT_CASES
        ]
        generate(load_settings({"NP_HOME": str(home)}), specs, seed=7)
        (home / "ready").write_text("ok")
    return home


def first_event_times(instance, run_id: str) -> dict[str, float]:
    """When each kind of event first happened in a run (wall-clock timestamps of its own events)."""
    first: dict[str, float] = {}
    for record in instance.get_records_for_run(run_id, limit=1_000_000).records:
        event = record.event_log_entry
        if event.dagster_event is not None:
            first.setdefault(event.dagster_event.event_type_value, event.timestamp)
    return first


@dataclass
class Benchmark:
    prepare: Callable[[dict], dict]
    variants: tuple[str, ...]
    summary: Callable[[list[dict]], str] | None = None  # printed after the table (figures across variants)


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
    from resources.dagster_resources import DatabaseResource

    rows = size["rows"]
    folder = DATA_DIR / f"report-{rows}"
    path = folder / "np_case_1.sqlite"
    if not path.exists():
        dbs = DatabaseResource(sqlite_dir=str(folder)).databases()
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
    from resources.dagster_resources import DatabaseResource

    dbs = DatabaseResource(sqlite_dir=args["sqlite_dir"]).databases()
    out = Path(tempfile.mkdtemp()) / "ours.csv"
    start = time.perf_counter()
    with dbs.case_reader(1).connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=2000).execute(page_count.query())
        summary = write_csv(out, page_count.COLUMNS, page_count.rows_with_totals(result, page_count.Totals()))
    return _result(summary.rows, "rows", time.perf_counter() - start)


def report_pandas(args: dict) -> dict:
    import pandas as pd

    from domain.reports import page_count
    from resources.dagster_resources import DatabaseResource

    dbs = DatabaseResource(sqlite_dir=args["sqlite_dir"]).databases()
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


BENCHMARKS: dict[str, Benchmark] = {
    "production": Benchmark(
        production.prepare_production,
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
        production.prepare_production, ("peer_ghostscript", "ours_tiff_1proc", "ours_tiff_all_cores")
    ),
    "production_parallel_peers": Benchmark(
        production.prepare_production, ("peer_ghostscript_all_cores", "ours_tiff_all_cores")
    ),
    "production_ocr": Benchmark(production.prepare_production, ("ours_tiff_ocr_all_cores",)),
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
    "ui_turnaround": Benchmark(ui_turnaround.prepare, ui_turnaround.VARIANTS),
    "ocr_cli": Benchmark(ocr_speed.prepare, ocr_speed.VARIANTS),
    "report_backfill": Benchmark(backfill.prepare_backfill, backfill.VARIANTS),
    "production_e2e": Benchmark(production_e2e.prepare, production_e2e.VARIANTS, production_e2e.summary),
    "renditions": Benchmark(renditions_speed.prepare, renditions_speed.VARIANTS, renditions_speed.summary),
}
DEFAULT = ("report_csv", "demo_generation", "production")

VARIANTS: dict[tuple[str, str], Callable[[dict], dict]] = {
    ("production", "peer_ghostscript"): production.peer_ghostscript,
    ("production", "peer_pdftoppm_tiffcp"): production.peer_pdftoppm_tiffcp,
    ("production", "ours_tiff_1proc"): production.ours_tiff_1proc,
    ("production", "ours_tiff_all_cores"): production.ours_tiff_all_cores,
    ("production", "ours_pdf_all_cores"): production.ours_pdf_all_cores,
    ("production", "ours_e2e_tiff_all_cores"): production.ours_e2e_tiff_all_cores,
    ("production", "ours_e2e_pdf_all_cores"): production.ours_e2e_pdf_all_cores,
    **{
        ("production_large", name): VARIANT
        for name, VARIANT in (
            ("peer_ghostscript", production.peer_ghostscript),
            ("ours_tiff_1proc", production.ours_tiff_1proc),
            ("ours_tiff_all_cores", production.ours_tiff_all_cores),
        )
    },
    ("production_parallel_peers", "peer_ghostscript_all_cores"): lambda a: production.peer_ghostscript(
        {**a, "workers": os.cpu_count() or 1}
    ),
    ("production_parallel_peers", "ours_tiff_all_cores"): production.ours_tiff_all_cores,
    ("production_ocr", "ours_tiff_ocr_all_cores"): production.ours_tiff_ocr_all_cores,
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
    **{("ui_turnaround", name): getattr(ui_turnaround, name) for name in ui_turnaround.VARIANTS},
    **{("ocr_cli", name): getattr(ocr_speed, name) for name in ocr_speed.VARIANTS},
    **{("report_backfill", name): getattr(backfill, name) for name in backfill.VARIANTS},
    **{("production_e2e", name): production_e2e.variant(name) for name in production_e2e.VARIANTS},
    **{("renditions", name): getattr(renditions_speed, name) for name in renditions_speed.VARIANTS},
}


if __name__ == "__main__":
    name, variant, raw = sys.argv[1], sys.argv[2], sys.argv[3]
    print(json.dumps(VARIANTS[(name, variant)](json.loads(raw))))
