"""Review log benchmark: 1,000,000 log rows to CSV and XLSX, ours beside pandas on the same query."""

from __future__ import annotations

import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

DATA_DIR_NAME = "review-log-{rows}"


def prepare_review_log(size: dict) -> dict:
    """A case database with `rows` review log rows over rows/10 exhibits, and a core database (made once)."""
    from sqlalchemy import insert

    from bench.cases import DATA_DIR
    from domain import schema
    from resources.dagster_resources import DatabaseResource

    rows = size["rows"]
    folder = DATA_DIR / DATA_DIR_NAME.format(rows=rows)
    done = folder / ".ready"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.sqlite*"):
            stale.unlink()
        dbs = DatabaseResource(sqlite_dir=str(folder)).databases()
        base = datetime(2024, 1, 1)
        with dbs.create_core_database().begin() as core:
            core.execute(insert(schema.accounts), [{"id": 1, "name": "Bench LLP"}])
            core.execute(
                insert(schema.users),
                [
                    {
                        "id": i,
                        "account_id": 1,
                        "email": f"user{i}@bench.example",
                        "name": f"Reviewer {i}, Esq.",
                    }
                    for i in range(1, 51)
                ],
            )
            core.execute(
                insert(schema.npcases),
                [
                    {
                        "id": 1,
                        "account_id": 1,
                        "name": "Bench",
                        "status": "active",
                        "region": "c2",
                        "created_at": base,
                    }
                ],
            )
        engine = dbs.create_case_database(1)
        exhibits = max(1, rows // 10)
        with engine.begin() as conn:
            conn.execute(
                insert(schema.confidentiality_codes),
                [{"code": "CONFIDENTIAL", "bit": 1}, {"code": "HIGHLY CONFIDENTIAL - AEO", "bit": 2}],
            )
            for start in range(0, exhibits, 20_000):
                conn.execute(
                    insert(schema.exhibits),
                    [
                        {
                            "document_id": i,
                            "control_number": f"CTRL-{i:08d}",
                            "bates_begin": f"ACME{i:07d}",
                            "title": f"Memo {i}",
                            "created_at": base,
                            "updated_at": base,
                        }
                        for i in range(start + 1, min(start + 20_000, exhibits) + 1)
                    ],
                )
            shares = {"relevancy_logs": 0.5, "privilege_logs": 0.2, "confidentiality_logs": 0.3}
            made = 0
            for table, share in shares.items():
                count = rows - made if table == "confidentiality_logs" else int(rows * share)
                made += count
                for start in range(0, count, 20_000):
                    batch = []
                    for i in range(start, min(start + 20_000, count)):
                        row = {
                            "exhibit_id": i % exhibits + 1,
                            "user_id": i % 50 + 1,
                            "created_at": base + timedelta(seconds=i * 7 + len(table)),
                        }
                        if table == "relevancy_logs":
                            row |= {
                                "relevancy": ("relevant", "hot", "not_relevant")[i % 3],
                                "note": f'Looked at it, "twice" — row {i}' if i % 4 == 0 else None,
                            }
                        elif table == "privilege_logs":
                            row |= {
                                "privilege_type": "attorney_client",
                                "basis": "Advice of counsel",
                                "description": f"Email to counsel about item {i}",
                            }
                        else:
                            row |= {"old_status": i % 3, "new_status": (i + 1) % 4}
                        batch.append(row)
                    conn.execute(insert(getattr(schema, table)), batch)
        dbs.dispose()
        done.touch()
    return {"sqlite_dir": str(folder)}


def _databases(args: dict):
    from resources.dagster_resources import DatabaseResource

    return DatabaseResource(sqlite_dir=args["sqlite_dir"], core_db_name="np_core").databases()


def _ours(args: dict, fmt: str) -> dict:
    from bench.cases import _result
    from domain.reports.catalog import REPORTS
    from domain.reports.request import ReportParameters
    from nextpoint_assets.reports.runner import make_context, write_file

    dbs = _databases(args)
    out = Path(tempfile.mkdtemp()) / f"ours.{fmt}"
    start = time.perf_counter()
    ctx = make_context(1, ReportParameters(), dbs, None, out.parent)
    rows, _, _ = write_file(REPORTS["review_log"], ctx, fmt, out)
    return _result(rows, "rows", time.perf_counter() - start, bytes=out.stat().st_size)


def _pandas(args: dict, fmt: str) -> dict:
    import pandas as pd

    from bench.cases import _result
    from domain.reports import review_log
    from domain.reports.request import ReportParameters

    dbs = _databases(args)
    out = Path(tempfile.mkdtemp()) / f"pandas.{fmt}"
    start = time.perf_counter()
    with dbs.case_reader(1).connect() as conn:
        frame = pd.read_sql(review_log.query(ReportParameters()), conn)
    if fmt == "csv":
        frame.to_csv(out, index=False, encoding="utf-8-sig")
    else:
        frame.to_excel(out, index=False)  # openpyxl, the engine pandas picks for .xlsx here
    return _result(len(frame), "rows", time.perf_counter() - start, peer=True, bytes=out.stat().st_size)


def ours_csv(args: dict) -> dict:
    return _ours(args, "csv")


def ours_xlsx(args: dict) -> dict:
    return _ours(args, "xlsx")


def pandas_read_sql_to_csv(args: dict) -> dict:
    return _pandas(args, "csv")


def pandas_read_sql_to_excel(args: dict) -> dict:
    return _pandas(args, "xlsx")


VARIANTS = ("pandas_read_sql_to_csv", "ours_csv", "pandas_read_sql_to_excel", "ours_xlsx")
