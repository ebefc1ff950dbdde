"""stamp_job and the stamped_page_set asset on a real Dagster instance, SQLite + local store and
MariaDB + S3."""

from __future__ import annotations

import json

import dagster as dg
import pikepdf
import pytest
from sqlalchemy import select

from domain import schema
from domain.stamps.request import stamp_run_config
from resources.dagster_resources import build_resources
from resources.event_bus import LocalEventBus
from tests.stamp_fixtures import Doc, build_case, request


def stamp_defs(settings):
    from jobs.stamps import stamp_job
    from nextpoint_assets.stamps.assets import stamped_page_set

    return dg.Definitions(assets=[stamped_page_set], jobs=[stamp_job], resources=build_resources(settings))


def run(settings, instance, case_id: int, body: dict | None = None, **config):
    instance.add_dynamic_partitions("cases", [str(case_id)])
    job = stamp_defs(settings).resolve_job_def("stamp_job")
    run_config = (
        stamp_run_config(body, **config) if body else {"ops": {"stamped_page_set": {"config": config}}}
    )
    return job.execute_in_process(
        instance=instance, partition_key=str(case_id), run_config=run_config, raise_on_error=False
    )


def materialization(result) -> dict:
    [event] = result.asset_materializations_for_node("stamped_page_set")
    return event


def events(settings, event_type: str | None = None) -> list[dict]:
    found = LocalEventBus(settings.events_file).read_all()
    return [e for e in found if event_type is None or e["event_type"] == event_type]


def index(case) -> dict:
    return json.loads(case.store.get_bytes("stamped_pages/index.json"))["exhibits"]


@pytest.fixture(params=["sqlite-local", "mariadb-s3"])
def backend(request):
    if request.param == "mariadb-s3":
        request.getfixturevalue("mysql_env")
        request.getfixturevalue("s3_env")
    from resources.settings import load_settings

    return load_settings()


def test_apply_then_rematerialize_restamps_only_what_changed(backend, tmp_path):
    settings = backend
    case = build_case(settings, 101, [Doc(1, 3), Doc(2, 2, parent=1), Doc(3, 2, status=1, rotation=90)])
    instance = dg.DagsterInstance.ephemeral()
    result = run(settings, instance, 101, request("e1", 101, "bates_stamp", "apply", [1, 2, 3], pattern_id=1))
    assert result.success
    first = materialization(result)
    assert first.metadata["restamped_now"].value == 3 and first.metadata["already_done"].value is False
    [completed] = events(settings, "STAMP_COMPLETED")
    assert completed["exhibit_ids"] == [1, 2, 3] and completed["bates_range"] == {
        "begin": "ACME0000001",
        "end": "ACME0000007",
    }
    assert completed["case_id"] == 101 and completed["request_event_id"] == "e1"
    entries = index(case)
    assert entries["2"]["bates_begin"] == "ACME0000004" and entries["2"]["pages"] == 2
    with pikepdf.open(
        case.store.download("stamped_pages/exhibit_1/annotated.pdf", tmp_path / "a.pdf")
    ) as pdf:
        texts = [str(a.Contents) for page in pdf.pages for a in page.Annots]
    assert texts == ["ACME0000001", "ACME0000002", "ACME0000003"]
    manifest = json.loads(case.store.get_bytes("stamped_pages/exhibit_3/manifest.json"))
    assert [p["stamps"][0]["text"] for p in manifest["pages"]] == ["ACME0000006", "ACME0000007"]

    # Nothing changed: nothing re-stamped, same data version.
    again = materialization(run(settings, instance, 101))
    assert (
        again.metadata["restamped_now"].value == 0
        and again.tags["dagster/data_version"] == first.tags["dagster/data_version"]
    )

    # A confidentiality stamp on exhibit 3 only: one exhibit re-stamped, a new data version.
    third = run(
        settings,
        instance,
        101,
        request("e2", 101, "confidentiality_stamp", "apply", [3], template={"font_size": 8}),
    )
    changed = materialization(third)
    assert (
        changed.metadata["restamped_now"].value == 1
        and changed.tags["dagster/data_version"] != first.tags["dagster/data_version"]
    )
    manifest = json.loads(case.store.get_bytes("stamped_pages/exhibit_3/manifest.json"))
    assert [(s["type"], s["text"], s["font_size"]) for s in manifest["pages"][0]["stamps"]] == [
        ("bates", "ACME0000006", 10.0),
        ("confidentiality", "CONFIDENTIAL", 8.0),
    ]

    # The same request delivered again: no second piece of work, the same outcome event id.
    redelivered = materialization(
        run(settings, instance, 101, request("e2", 101, "confidentiality_stamp", "apply", [3]))
    )
    assert (
        redelivered.metadata["already_done"].value is True
        and redelivered.metadata["restamped_now"].value == 0
    )
    ids = [e["event_id"] for e in events(settings, "STAMP_COMPLETED")]
    assert len(ids) == 3 and ids[1] == ids[2]

    # Bates removed from the family: its files go, the index forgets it.
    run(settings, instance, 101, request("e3", 101, "bates_stamp", "remove", [1, 2]))
    keys = list(case.store.list("stamped_pages/"))
    assert not any(k.startswith(("stamped_pages/exhibit_1/", "stamped_pages/exhibit_2/")) for k in keys)
    assert set(index(case)) == {"3"}
    with case.engine.connect() as conn:
        assert (
            conn.execute(select(schema.exhibits.c.bates_begin).where(schema.exhibits.c.id == 1)).scalar()
            is None
        )


def test_bad_requests_announce_stamp_failed_and_take_nothing(settings):
    case = build_case(settings, 101, [Doc(1, 2), Doc(2, 2, page_count=9), Doc(3, 1, encrypted=True)])
    instance = dg.DagsterInstance.ephemeral()
    result = run(settings, instance, 101, request("bad", 101, "bates_stamp", "apply", [1], pattern_id=42))
    assert not result.success
    [failed] = events(settings, "STAMP_FAILED")
    assert "pattern 42 does not exist" in failed["error"] and failed["exhibit_ids"] == [1]

    mixed = run(
        settings, instance, 101, request("mixed", 101, "bates_stamp", "apply", [1, 2, 3, 404], pattern_id=1)
    )
    assert mixed.success
    completed = events(settings, "STAMP_COMPLETED")[-1]
    failed = events(settings, "STAMP_FAILED")[-1]
    assert completed["exhibit_ids"] == [1] and completed["bates_range"] == {
        "begin": "ACME0000001",
        "end": "ACME0000002",
    }
    assert failed["exhibit_ids"] == [2, 3, 404] and "page count is 9" in failed["errors"]["2"]
    assert "password-protected" in failed["errors"]["3"] and "not in case 101" in failed["errors"]["404"]
    assert set(index(case)) == {"1"}

    nothing = run(settings, instance, 101, request("none", 101, "bates_stamp", "apply", [2, 3], pattern_id=1))
    assert not nothing.success  # no exhibit could be stamped: the run fails with the reasons


def test_legacy_images_and_overlay_mode(settings):
    case = build_case(settings, 101, [Doc(1, 2, rotation=90)])
    instance = dg.DagsterInstance.ephemeral()
    result = run(
        settings,
        instance,
        101,
        request("e", 101, "bates_stamp", "apply", [1], pattern_id=1),
        outputs=["annotations", "burned", "images"],
        mode="overlay",
        image_dpi=72,
    )
    assert result.success
    keys = sorted(case.store.list("stamped_pages/exhibit_1/"))
    assert "stamped_pages/exhibit_1/images/page_00002.png" in keys
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(case.store.get_bytes("stamped_pages/exhibit_1/images/page_00001.png")))
    assert image.size == (612, 792)  # overlay: the page keeps its size, as displayed (rotated 90)
    # Outputs turned off again: the images go with the next materialization.
    run(settings, instance, 101, outputs=["annotations"], mode="overlay", force=True)
    assert sorted(case.store.list("stamped_pages/exhibit_1/")) == [
        "stamped_pages/exhibit_1/annotated.pdf",
        "stamped_pages/exhibit_1/manifest.json",
    ]


def test_a_5000_page_document_is_numbered_and_stamped_whole(settings, tmp_path):
    case = build_case(settings, 101, [Doc(1, 5000), Doc(2, 1)])
    instance = dg.DagsterInstance.ephemeral()
    result = run(
        settings, instance, 101, request("big", 101, "bates_stamp", "apply", [1, 2], pattern_id=1), workers=2
    )
    assert result.success
    assert events(settings, "STAMP_COMPLETED")[0]["bates_range"] == {
        "begin": "ACME0000001",
        "end": "ACME0005001",
    }
    with pikepdf.open(case.store.download("stamped_pages/exhibit_1/burned.pdf", tmp_path / "b.pdf")) as pdf:
        assert len(pdf.pages) == 5000
    assert index(case)["1"]["bates_end"] == "ACME0005000"


def test_demo_case_numbers_every_good_exhibit_and_names_the_disagreeing_one(demo_home):
    from resources.settings import load_settings

    settings = load_settings()
    from resources.dagster_resources import DatabaseResource

    dbs = DatabaseResource.from_settings(settings).databases()
    with dbs.case_reader(101).connect() as conn:
        ids = [r.id for r in conn.execute(select(schema.exhibits.c.id).order_by(schema.exhibits.c.id))]
    instance = dg.DagsterInstance.ephemeral()
    result = run(settings, instance, 101, request("demo", 101, "bates_stamp", "apply", ids, pattern_id=1))
    assert result.success
    meta = materialization(result).metadata
    failed = meta["request_failed"].value
    assert failed and all("page count" in m or "held back" in m or "no PDF" in m for m in failed.values())
    with dbs.case_reader(101).connect() as conn:
        numbers = sorted(r.bates_number for r in conn.execute(select(schema.stamp_details.c.bates_number)))
    assert numbers == list(range(1, len(numbers) + 1))
