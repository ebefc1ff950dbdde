"""Report outputs kept per materialization (own keys, `latest.json`, housekeeping of the last N) and links
that open (the read-only file server of the local store, presigned S3 links with their expiry)."""

import http.client
import json
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import delete, func, select

from domain.housekeeping import Entry
from domain.reports.delivery import latest_pointer, newer_pointer, report_key
from domain.reports.retention import pointed_key, stale_report_files
from domain.schema import relevancy_logs
from jobs.housekeeping import housekeeping_report_files_job
from jobs.reports import REPORT_JOBS
from nextpoint_assets.reports.assets import REPORT_ASSETS
from resources.dagster_resources import DatabaseResource, ObjectStoreResource, build_resources
from resources.local_object_store import LocalObjectStore
from resources.object_store import build_object_store
from resources.settings import get_settings, load_settings
from scripts.services import free_port

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
RUN_KEY = r"case_101/reports/review_log/runs/\d{8}T\d{12}Z-[0-9a-f-]+\.csv"


def _run(settings, instance, report_type="review_log", **config):
    instance.add_dynamic_partitions("cases", ["101"])
    defs = dg.Definitions(
        assets=list(REPORT_ASSETS.values()),
        jobs=list(REPORT_JOBS.values()),
        resources=build_resources(settings),
    )
    result = defs.resolve_job_def(f"{report_type}_report_job").execute_in_process(
        instance=instance,
        partition_key="101",
        raise_on_error=False,
        run_config={"ops": {f"{report_type}_report": {"config": config}}},
    )
    found = [
        e.event_specific_data.materialization.metadata
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    ]
    assert result.success and len(found) == 1
    return {k: v.value for k, v in found[0].items()}


# -- the pure rules ------------------------------------------------------------------------------


def test_keys_are_per_run_and_per_request():
    a = report_key("review_log", "csv", None, "run-1", NOW)
    b = report_key("review_log", "csv", None, "run-1", NOW + timedelta(microseconds=1))
    assert a == "reports/review_log/runs/20261201T120000000000Z-run-1.csv" and a != b
    assert report_key("review_log", "xlsx", "abc", "run-1", NOW) == report_key("review_log", "xlsx", "abc")
    with pytest.raises(ValueError):
        report_key("review_log", "csv")  # no run id: there is no key that cannot be overwritten


def test_an_older_pointer_never_replaces_a_newer_one():
    newer = latest_pointer("case_1/reports/x/runs/b.csv", "run-b", "csv", 3, NOW)
    assert pointed_key(newer) == "case_1/reports/x/runs/b.csv"
    assert not newer_pointer(newer, NOW - timedelta(seconds=1))
    assert newer_pointer(newer, NOW) and newer_pointer(None, NOW) and newer_pointer(b"{not json", NOW)
    assert pointed_key(b"[1]") is None and pointed_key(b"") is None


def _stamp(i: int) -> str:
    return (NOW + timedelta(minutes=i)).strftime("%Y%m%dT%H%M%S%fZ")


def test_retention_keeps_the_newest_the_latest_and_live_links():
    folder = "case_1/reports/review_log/"
    runs = [Entry(f"{folder}runs/{_stamp(i)}-run{i}.csv", 1, NOW) for i in range(6)]
    requests = [Entry(f"{folder}requests/req{i}.xlsx", 1, NOW - timedelta(days=10 - i)) for i in range(4)]
    fresh = Entry(f"{folder}requests/fresh.csv", 1, NOW - timedelta(hours=1))
    strays = [
        Entry(f"{folder}latest.json", 1, NOW - timedelta(days=99)),
        Entry(f"{folder}runs/x.txt", 1, NOW),
    ]
    listed = [*runs, *requests, fresh, *strays]
    doomed = stale_report_files(folder, listed, runs[1].key, 2, NOW, timedelta(days=7))
    # Runs: the two newest (4, 5) and the one latest.json names (1) stay. Requests: the two newest (fresh, 3)
    # stay; 0..2 are past the link lifetime and go.
    assert {d.key for d in doomed} == {runs[i].key for i in (0, 2, 3)} | {requests[i].key for i in (0, 1, 2)}
    # A request file whose emailed link may still work stays whatever N says.
    young = stale_report_files(folder, listed, None, 1, NOW, timedelta(days=30))
    assert not {r.key for r in requests} & {d.key for d in young}
    with pytest.raises(ValueError):
        stale_report_files(folder, listed, None, 0, NOW, timedelta(days=7))


# -- materializations keep their files ---------------------------------------------------------


def test_two_materializations_keep_two_files_and_latest_names_the_second(demo_home, settings):
    store = build_object_store(settings)
    with dg.instance_for_test() as instance:
        first = _run(settings, instance)
        first_bytes = store.get_bytes(first["object_key"])
        # The case changes between the runs, so an overwrite would show in the first file's bytes.
        writer = DatabaseResource.from_settings(settings).databases().case_writer(101)
        with writer.begin() as conn:
            some = conn.execute(select(func.min(relevancy_logs.c.id))).scalar_one()
            conn.execute(delete(relevancy_logs).where(relevancy_logs.c.id == some))
        second = _run(settings, instance)
        history = [
            r.asset_materialization.metadata["object_key"].value
            for r in instance.fetch_materializations(dg.AssetKey("review_log_report"), limit=10).records
        ]
    assert re.fullmatch(RUN_KEY, first["object_key"]) and re.fullmatch(RUN_KEY, second["object_key"])
    assert first["object_key"] != second["object_key"]
    assert sorted(history) == sorted([first["object_key"], second["object_key"]])
    assert second["row_count"] == first["row_count"] - 1
    assert store.get_bytes(first["object_key"]) == first_bytes != store.get_bytes(second["object_key"])
    latest = json.loads(store.get_bytes("case_101/reports/review_log/latest.json"))
    assert latest["key"] == second["object_key"]
    assert (latest["format"], latest["rows"]) == ("csv", second["row_count"])
    assert second["latest_pointer"] == "case_101/reports/review_log/latest.json"
    assert Path(second["local_path"]) == store.local_path(second["object_key"])
    assert "link" not in second  # no file server set: a file:// link would not open from the UI


def test_a_redelivered_request_writes_the_same_file_once(demo_home, settings):
    store = build_object_store(settings)
    with dg.instance_for_test() as instance:
        first = _run(settings, instance, event_id="req-7", email=["a@example.com"])
        again = _run(settings, instance, event_id="req-7", email=["a@example.com"])
    assert first["object_key"] == again["object_key"]
    assert first["object_key"].startswith("case_101/reports/review_log/requests/")
    files = list(store.list_keys("case_101/reports/review_log/"))
    assert sorted(files) == sorted([first["object_key"], "case_101/reports/review_log/latest.json"])


# -- housekeeping --------------------------------------------------------------------------------


def test_housekeeping_keeps_the_last_n_and_the_latest(settings):
    store = build_object_store(settings)
    folder = "case_101/reports/review_log/"
    runs = [f"{folder}runs/{_stamp(i)}-run{i}.csv" for i in range(6)]
    for key in runs:
        store.put_bytes(key, key.encode())
    store.put_bytes(f"{folder}latest.json", latest_pointer(runs[0], "run0", "csv", 1, NOW))
    old_request, new_request = f"{folder}requests/old.xlsx", f"{folder}requests/new.xlsx"
    for key in (old_request, new_request):
        store.put_bytes(key, b"x")
    month_ago = (datetime.now(UTC) - timedelta(days=30)).timestamp()
    os.utime(store.local_path(old_request), (month_ago, month_ago))
    account = "accounts/account_1/reports/user_activity/2024-04/"
    account_runs = [f"{account}runs/{_stamp(i)}-run{i}.csv" for i in range(3)]
    for key in account_runs:
        store.put_bytes(key, b"a")
    store.put_bytes(f"{account}latest.json", latest_pointer(account_runs[2], "run2", "csv", 1, NOW))

    def execute(**config):
        result = housekeeping_report_files_job.execute_in_process(
            instance=instance,
            resources={"object_store": ObjectStoreResource.from_settings(settings)},
            run_config={"ops": {"keep_last_reports": {"config": {"keep_last": 1, **config}}}},
        )
        assert result.success
        return result.output_for_node("keep_last_reports")

    with dg.instance_for_test() as instance:
        dry = execute(dry_run=True)
        assert dry["deleted"] == 4 + 1 + 2 and all(store.exists(k) for k in runs)
        done = execute()
    assert done["deleted"] == 7
    # Kept: the newest run, the one latest.json names, the newest request; each account month's newest.
    assert [k for k in runs if store.exists(k)] == [runs[0], runs[5]]
    assert not store.exists(old_request) and store.exists(new_request)
    assert [k for k in account_runs if store.exists(k)] == [account_runs[2]]
    assert store.exists(f"{folder}latest.json") and store.exists(f"{account}latest.json")


# -- links that open -------------------------------------------------------------------------------


@pytest.fixture
def file_server(np_home):
    """scripts/file_server.py as scripts/ui.sh starts it, over the local store's root, on a free port."""
    root = np_home / "objects"
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.file_server", "--root", str(root), "--port", str(port)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stderr.readline()  # printed once the socket listens
        assert "read-only on http://127.0.0.1:" in line, line
        yield root, port
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stderr.close()


def _request(port: int, method: str, path: str, body: bytes | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body)  # the path goes out exactly as written: no normalizing
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


def test_the_file_server_serves_files_under_its_root_and_nothing_else(file_server, tmp_path):
    root, port = file_server
    data = b"\xef\xbb\xbfa,b\r\n1,2\r\n"
    (root / "case_1" / "reports").mkdir(parents=True)
    (root / "case_1" / "reports" / "r.csv").write_bytes(data)
    (root / ".scratch").mkdir()
    (root / ".scratch" / "half.part").write_bytes(b"half")
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"secret")
    (root / "case_1" / "leak.txt").symlink_to(secret)
    (root / "case_1" / "out").symlink_to(tmp_path)

    status, body, headers = _request(port, "GET", "/case_1/reports/r.csv")
    assert (status, body) == (200, data) and headers["Content-Type"].startswith("text/csv")
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Content-Disposition"].startswith(
        "attachment"
    )
    status, body, headers = _request(port, "HEAD", "/case_1/reports/r.csv")
    assert (status, body, headers["Content-Length"]) == (200, b"", str(len(data)))

    refused = [
        "/../secret.txt",
        "/case_1/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/case_1/%2e%2e%2f%2e%2e%2fsecret.txt",
        "//" + str(secret).lstrip("/"),
        "/%2F" + str(secret).lstrip("/"),
        str(secret),  # an absolute path is a path under the root, where there is none
        "/case_1/leak.txt",  # a symlink out of the root
        "/case_1/out/secret.txt",  # through a symlinked folder
        "/case_1/reports/",  # no listings
        "/",
        "/.scratch/half.part",  # hidden: scratch and temp files
        "/case_1/reports/r.csv%00.txt",
        "/case_1\\reports\\r.csv",
    ]
    for path in refused:
        status, body, _ = _request(port, "GET", path)
        assert status == 404 and b"secret" not in body and b"half" not in body, path
    for method in ("PUT", "POST", "DELETE"):
        status, _, headers = _request(port, method, "/case_1/reports/r.csv", b"changed")
        assert status == 405 and headers["Allow"] == "GET, HEAD", method
    assert (root / "case_1" / "reports" / "r.csv").read_bytes() == data


def test_with_a_file_server_a_local_report_links_to_it(demo_home, file_server, monkeypatch):
    root, port = file_server
    monkeypatch.setenv("NP_FILE_SERVER_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    settings = load_settings()
    with dg.instance_for_test() as instance:
        meta = _run(settings, instance)
    assert meta["link"] == f"http://127.0.0.1:{port}/{meta['object_key']}"
    assert root == settings.object_store_root
    stored = LocalObjectStore(root).get_bytes(meta["object_key"])
    with urllib.request.urlopen(meta["link"], timeout=30) as response:
        assert response.read() == stored


def test_on_s3_the_link_is_presigned_and_states_its_expiry(demo_home, s3_env):
    settings = s3_env
    before = datetime.now(UTC)
    with dg.instance_for_test() as instance:
        meta = _run(settings, instance)
    after = datetime.now(UTC)
    expires_at = datetime.fromisoformat(meta["link_expires_at"])
    lifetime = timedelta(seconds=settings.presign_seconds)
    assert before + lifetime - timedelta(seconds=1) <= expires_at <= after + lifetime + timedelta(seconds=1)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(meta["link"]).query)
    assert expires_at == datetime.fromtimestamp(int(query["Expires"][0]), UTC)  # what the URL itself says
    assert "expires in 168 hours" in meta["link_expires"] and "local_path" not in meta
    with urllib.request.urlopen(meta["link"], timeout=30) as response:
        assert response.read() == build_object_store(settings).get_bytes(meta["object_key"])
    latest = json.loads(build_object_store(settings).get_bytes("case_101/reports/review_log/latest.json"))
    assert latest["key"] == meta["object_key"]
