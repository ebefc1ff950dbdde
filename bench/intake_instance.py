"""The Dagster instance the intake benchmark's daemon runs on: every run it creates stays queued."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def queued_instance_home(scratch: Path, postgres: dict | None = None) -> tuple[Path, dict]:
    """The instance every run stays queued in (the queued run coordinator, `max_concurrent_runs: 0`):
    deploy/dagster.local.yaml (SQLite), or with `postgres` deploy/dagster.yaml, production's, on a fresh
    database with the default run launcher and local step logs (as tests/test_deploy.py runs it).
    Returns the folder and the environment its `env:` values come from."""
    import yaml

    home = Path(tempfile.mkdtemp(prefix="dagster-home-", dir=scratch))
    env: dict[str, str] = {}
    if postgres:
        import psycopg2

        database = f"np_bench_intake_{os.getpid()}"
        admin = psycopg2.connect(
            host=postgres["host"],
            port=postgres["port"],
            user=postgres["user"],
            password=os.environ["NP_BENCH_PG_PASSWORD"],
            dbname="postgres",
        )
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{database}"')
        admin.close()
        env = {
            "DAGSTER_PG_USERNAME": postgres["user"],
            "DAGSTER_PG_PASSWORD": os.environ["NP_BENCH_PG_PASSWORD"],
            "DAGSTER_PG_HOST": postgres["host"],
            "DAGSTER_PG_PORT": str(postgres["port"]),
            "DAGSTER_PG_DB": database,
            "PGSSLMODE": "disable",
        }
        config = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())
        config.pop("run_launcher", None)
        config.pop("compute_logs", None)
        config.get("run_monitoring", {})["max_resume_run_attempts"] = 0
        config.get("run_retries", {})["enabled"] = False
    else:
        config = yaml.safe_load((ROOT / "deploy" / "dagster.local.yaml").read_text())
        config["run_coordinator"] = {"module": "dagster", "class": "QueuedRunCoordinator"}
    config.setdefault("concurrency", {}).setdefault("runs", {})["max_concurrent_runs"] = 0
    # Experiments: e.g. NP_BENCH_INTAKE_INSTANCE='{"sensors": {"num_submit_workers": 4}}'
    config.update(json.loads(os.environ.get("NP_BENCH_INTAKE_INSTANCE") or "{}"))
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    return home, env
