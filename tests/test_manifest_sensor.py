"""The manifest upload sensor on the local store and on S3 (moto server): each new manifest starts its
export once, keys written out of order are not skipped, and the cursor survives a restart."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from resources.dagster_resources import build_resources
from resources.request_queue import LocalRequestQueue
from resources.settings import get_settings, load_settings
from sensors.manifest_uploads import manifest_upload_sensor
from tests.test_request_sensor import Harness, export_body, record


@pytest.fixture(autouse=True)
def no_settling(monkeypatch):
    """Uploads count at once here; the settle time has its own test."""
    monkeypatch.setattr("sensors.manifest_uploads.SETTLE", timedelta(0))


def resources() -> dict:
    return {k: v for k, v in build_resources(load_settings()).items() if k in ("object_store", "databases")}


class Sensor:
    def __init__(self, instance, cursor=None):
        from definitions import defs

        self.instance, self.defs, self.cursor = instance, defs, cursor

    def tick(self) -> list[str]:
        with dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources=resources()
        ) as context:
            result = manifest_upload_sensor(context)
        if isinstance(result, dg.SkipReason):
            return []
        self.cursor = result.cursor
        return sorted(r.tags["dagster/partition"] for r in record(self.instance, self.defs, result))


def upload(store, case_id: int, export_id: int, data: bytes = b"manifest") -> None:
    store.put_bytes(f"case_{case_id}/exports/export_{export_id}/manifest.zip", data)


def started_since(hours: float) -> str:
    """A cursor whose sensor first ran `hours` ago."""
    return json.dumps({"since": (datetime.now(UTC) - timedelta(hours=hours)).isoformat()})


def test_each_upload_starts_its_export_once_even_out_of_order(demo_home):
    store = build_resources(get_settings())["object_store"].store()
    upload(store, 101, 3)  # there before the sensor ever ran
    old = (datetime.now(UTC) - timedelta(days=3)).timestamp()
    os.utime(store.local_path("case_101/exports/export_3/manifest.zip"), (old, old))
    with dg.instance_for_test() as instance:
        sensor = Sensor(instance, started_since(0))
        assert sensor.tick() == []
        upload(store, 202, 10)
        store.put_bytes("case_101/exports/export_20/work/plan.json", b"{}")  # a folder without its manifest
        assert sensor.tick() == ["202-10"]
        upload(store, 202, 9)  # sorts before export_10, written after it
        upload(store, 101, 2)  # and a case that sorts first
        assert sensor.tick() == ["101-2", "202-9"]
        assert sensor.tick() == []
        upload(store, 101, 20)  # the folder's manifest arrives later
        restarted = Sensor(instance, sensor.cursor)  # a daemon restart: only the stored cursor remains
        assert restarted.tick() == ["101-20"]
        assert restarted.tick() == []
        upload(store, 999, 1)  # a folder of a case the core database does not know: nothing starts
        assert restarted.tick() == []
        runs = instance.get_runs()
        assert len(runs) == 4 and all(r.job_name == "production_job" for r in runs)
        assert all(r.tags["np/request"] == "export" and r.tags["np/work"].startswith("export:") for r in runs)
        assert set(instance.get_dynamic_partitions("exports")) == {"202-10", "202-9", "101-2", "101-20"}
        assert "101-3" not in instance.get_dynamic_partitions("exports")


def test_an_event_and_the_upload_of_the_same_manifest_start_one_run(demo_home):
    settings = get_settings()
    store = build_resources(settings)["object_store"].store()
    with dg.instance_for_test() as instance:
        sensor = Sensor(instance, started_since(0))
        sensor.tick()
        upload(store, 101, 7)
        LocalRequestQueue(settings.queue_dir).send(json.dumps(export_body("exp-7", 7)))
        _, runs = Harness(instance).tick()  # the event is seen first
        assert len(runs) == 1
        assert sensor.tick() == []  # the upload is the same request
        upload(store, 101, 8)
        assert sensor.tick() == ["101-8"]  # the upload is seen first
        LocalRequestQueue(settings.queue_dir).send(json.dumps(export_body("exp-8", 8)))
        harness = Harness(instance)
        assert harness.tick()[1] == []
        assert len(instance.get_runs()) == 2


def test_s3_uploads_out_of_order(s3_env, demo_home):
    store = build_resources(get_settings())["object_store"].store()
    with dg.instance_for_test() as instance:
        sensor = Sensor(instance, started_since(0))
        assert sensor.tick() == []
        upload(store, 202, 10)
        upload(store, 202, 100)
        assert sensor.tick() == ["202-10", "202-100"]
        upload(store, 202, 11)  # between two handled keys
        upload(store, 101, 1)
        restarted = Sensor(instance, sensor.cursor)
        assert restarted.tick() == ["101-1", "202-11"]
        assert restarted.tick() == []
        assert len(instance.get_runs()) == 4


def test_a_fresh_upload_waits_for_the_event_path(demo_home, monkeypatch):
    monkeypatch.setattr("sensors.manifest_uploads.SETTLE", timedelta(minutes=5))
    store = build_resources(get_settings())["object_store"].store()
    with dg.instance_for_test() as instance:
        sensor = Sensor(instance, started_since(0))
        upload(store, 101, 5)
        assert sensor.tick() == []  # too fresh: not handled yet
        monkeypatch.setattr("sensors.manifest_uploads.SETTLE", timedelta(0))  # as if five minutes went by
        assert sensor.tick() == ["101-5"]
