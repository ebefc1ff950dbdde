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

DATA_DIR = Path(os.environ.get("NP_BENCH_DATA", Path(tempfile.gettempdir()) / "np-bench"))


@dataclass
class Benchmark:
    prepare: Callable[[dict], dict]
    variants: tuple[str, ...]


def _result(units: int, unit: str, seconds: float, peer: bool = False, **extra) -> dict:
    return {"units": units, "unit": unit, "seconds": seconds, "per_second": units / seconds if seconds else 0.0, "peer": peer, **extra}


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
                conn.execute(insert(schema.exhibits), [
                    {"document_id": i, "control_number": f"CTRL-{i:08d}", "title": f"Title, \"quoted\" {i} — ü",
                     "page_count": i % 37 + 1, "bates_begin": f"ACME{i:07d}", "bates_end": f"ACME{i:07d}",
                     "created_at": base + timedelta(seconds=i), "updated_at": base}
                    for i in range(start + 1, min(start + 20_000, rows) + 1)
                ])
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
    summary = generate(load_settings({"NP_HOME": str(home)}), [CaseSpec(301, "bench", 1, args["pages"], "BM", text_only=True)])
    return _result(summary[0].pages, "pages", time.perf_counter() - start)


BENCHMARKS: dict[str, Benchmark] = {
    "report_csv": Benchmark(prepare_report, ("pandas_read_sql_to_csv", "streaming_csv")),
    "demo_generation": Benchmark(prepare_nothing, ("text_case",)),
}

VARIANTS: dict[tuple[str, str], Callable[[dict], dict]] = {
    ("report_csv", "pandas_read_sql_to_csv"): report_pandas,
    ("report_csv", "streaming_csv"): report_ours,
    ("demo_generation", "text_case"): demo_generation,
}


if __name__ == "__main__":
    name, variant, raw = sys.argv[1], sys.argv[2], sys.argv[3]
    print(json.dumps(VARIANTS[(name, variant)](json.loads(raw))))
