"""Shared fixtures: isolated settings, real MariaDB and PostgreSQL servers (scripts/services.py),
the moto server over HTTP, demo data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from resources.resilience import reset_guards
from resources.settings import get_settings, load_settings
from scripts.services import external_mariadb, external_postgres, start_mariadb, start_moto, start_postgres


@pytest.fixture(autouse=True)
def np_home(tmp_path, monkeypatch) -> Path:
    """Every test gets its own NP_HOME and fresh settings; nothing leaks between tests."""
    home = tmp_path / "np_home"
    monkeypatch.setenv("NP_HOME", str(home))
    for name in list(os.environ):
        if name.startswith("NP_") and name != "NP_HOME" and not name.startswith("NP_TEST_"):
            monkeypatch.delenv(name)
    get_settings.cache_clear()
    reset_guards()  # circuit breakers are per process: one test's outage must not open the next test's
    yield home
    get_settings.cache_clear()
    reset_guards()


@pytest.fixture
def settings(np_home):
    return load_settings()


@pytest.fixture(scope="session")
def mariadb():
    server = external_mariadb() or start_mariadb()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL (Dagster's production storage); tests make their own databases in it."""
    server = external_postgres() or start_postgres()
    yield server
    server.stop()


@pytest.fixture
def mysql_env(mariadb, monkeypatch):
    """Point the platform at the test MariaDB (password through the environment, as in production)."""
    monkeypatch.setenv("NP_DB_BACKEND", "mysql")
    monkeypatch.setenv("NP_DB_HOST", mariadb.host)
    monkeypatch.setenv("NP_DB_PORT", str(mariadb.port))
    monkeypatch.setenv("NP_DB_USER", mariadb.user)
    monkeypatch.setenv("NP_DB_PASSWORD", mariadb.password)
    prefix = f"t{os.getpid()}_{abs(hash(os.environ.get('PYTEST_CURRENT_TEST', ''))) % 10**6}"
    monkeypatch.setenv("NP_DB_NAME_PREFIX", f"{prefix}_case")
    monkeypatch.setenv("NP_CORE_DB_NAME", f"{prefix}_core")
    get_settings.cache_clear()
    return load_settings()


@pytest.fixture(scope="session")
def moto_endpoint():
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    server, endpoint = start_moto()
    yield endpoint
    server.stop()


@pytest.fixture
def s3_env(moto_endpoint, monkeypatch, request):
    import boto3

    bucket = "np-test-" + request.node.name.lower().replace("_", "-").replace("[", "-").replace("]", "")[:40]
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    monkeypatch.setenv("NP_OBJECT_STORE", "s3")
    monkeypatch.setenv("NP_S3_BUCKET", bucket)
    monkeypatch.setenv("NP_S3_ENDPOINT_URL", moto_endpoint)
    get_settings.cache_clear()
    return load_settings()


SMALL_DEMO_PAGES = 40


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """Small demo data made once per session; tests copy it (see `demo_home`)."""
    from demo.generate import DEFAULT_CASES, CaseSpec, generate

    home = tmp_path_factory.mktemp("demo_template")
    specs = [
        CaseSpec(s.case_id, s.name, s.account_id, SMALL_DEMO_PAGES, s.bates_prefix, swap_codes=s.swap_codes)
        for s in DEFAULT_CASES
    ]
    generate(load_settings({"NP_HOME": str(home)}), specs, seed=7)
    return home


@pytest.fixture
def demo_home(demo_template, np_home) -> Path:
    shutil.copytree(demo_template, np_home, dirs_exist_ok=True)
    return np_home
