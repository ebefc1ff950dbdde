"""Productions end to end on a real Dagster instance: real PDFs, tesseract, 7-Zip, HTTP callback."""

import hashlib
import http.server
import io
import json
import re
import shutil
import sqlite3
import subprocess
import threading
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import dagster as dg
import pikepdf
import pytest
from PIL import Image

from domain.productions import loadfile_parsers
from domain.productions.paths import ExportPaths
from imaging.engine import LocalDocumentEngine
from nextpoint_assets.productions import worker
from nextpoint_assets.productions.volumes import produce_volume
from resources.backend_api import SIGNATURE_HEADER, sign
from resources.dagster_resources import DocumentEngineResource, build_resources
from resources.event_bus import LocalEventBus
from resources.object_store import CaseStore, build_object_store
from resources.settings import get_settings, load_settings
from sensors.production_outcomes import export_failure_sensor
from tests.production_fixtures import exhibit, export_row, manifest_zip, order, tables

SECRET = "test-callback-secret-made-up-here"


class Callbacks:
    """A local backend that checks the HMAC-SHA1 signature of every callback."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                valid = self.headers.get(SIGNATURE_HEADER) == sign(body, SECRET)
                outer.received.append({"path": self.path, "body": body, "valid": valid})
                self.send_response(200 if valid else 401)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"


def export_defs(settings):
    from jobs.productions import production_job
    from nextpoint_assets.productions.assets import PRODUCTION_ASSETS, PRODUCTION_CHECKS

    return dg.Definitions(
        assets=PRODUCTION_ASSETS,
        asset_checks=PRODUCTION_CHECKS,
        jobs=[production_job],
        sensors=[export_failure_sensor],
        resources=build_resources(settings),
    )


def run_export(settings, instance, key, workers=1):
    instance.add_dynamic_partitions("exports", [key])
    job = export_defs(settings).resolve_job_def("production_job")
    volume = {"config": {"workers": workers}}
    config = {"ops": {"export_volumes": {"ops": {"export_volume": volume, "export_volume_ocr": volume}}}}
    return job.execute_in_process(
        instance=instance, partition_key=key, run_config=config, raise_on_error=False
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory, demo_template):
    """The demo case 101 copied, with a backend to call back; settings through the environment."""
    home = tmp_path_factory.mktemp("exports") / "np_home"
    shutil.copytree(demo_template, home)
    callbacks = Callbacks()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NP_HOME", str(home))
        mp.setenv("NP_BACKEND_API_URL", callbacks.url)
        mp.setenv("NP_BACKEND_API_SECRET", SECRET)
        get_settings.cache_clear()
        settings = load_settings()
        yield {
            "home": home,
            "settings": settings,
            "callbacks": callbacks,
            "instance": dg.DagsterInstance.ephemeral(),
        }
    callbacks.server.shutdown()
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def keep_env(env, monkeypatch):
    # The autouse np_home fixture points NP_HOME elsewhere; these tests share the module's home.
    monkeypatch.setenv("NP_HOME", str(env["home"]))
    monkeypatch.setenv("NP_BACKEND_API_URL", env["callbacks"].url)
    monkeypatch.setenv("NP_BACKEND_API_SECRET", SECRET)
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def demo_export(env):
    result = run_export(env["settings"], env["instance"], "101-1", workers=2)
    store = CaseStore(build_object_store(env["settings"]), 101)
    paths = ExportPaths(1)
    name = "ACME_PROD001"
    root = Path(store.store.local_path(store.key(paths.production(name).rstrip("/"))))
    return {"result": result, "store": store, "paths": paths, "root": root, "name": name}


def _checks(result):
    return {
        e.event_specific_data.check_name: e.event_specific_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def test_demo_export_succeeds_with_every_check_passing(demo_export):
    result = demo_export["result"]
    assert result.success
    checks = _checks(result)
    assert set(checks) == {
        "counts_agree",
        "bates_sequence",
        "documents_complete",
        "loadfiles_parse",
        "images_valid",
        "archive_tests_clean",
        "no_redacted_text",
        "export_pii_gate",
    }
    assert all(checks.values()), checks


def test_layout_and_counts_agree_everywhere(demo_export, env):
    root, name = demo_export["root"], demo_export["name"]
    # The DII's text copies sit beside the first images; they are not pages.
    images = sorted(p for p in root.glob("VOL*/IMAGES/*/*") if p.is_file() and p.suffix != ".txt")
    opt = loadfile_parsers.read_opt(root / f"{name}.opt")
    lfp = loadfile_parsers.read_lfp(root / f"{name}.lfp")
    header, rows = loadfile_parsers.read_dat(root / f"{name}.dat")
    pgcount = sum(int(r[header.index("PGCOUNT")]) for r in rows)
    events = LocalEventBus(env["settings"].events_file).read_all()
    completed = [e for e in events if e["event_type"] == "EXPORT_COMPLETED" and e["export_id"] == 1]
    assert len(images) == len(opt) == len(lfp) == pgcount == completed[-1]["page_count"] > 0
    # Every OPT path names a real file; every image lives in a folder of at most images_per_folder files.
    for row in opt:
        assert (root / row[2].replace("\\", "/")).is_file()
    assert {p.parent.name for p in images} >= {"0001"}
    assert (
        max(sum(1 for p in folder.iterdir() if p.suffix != ".txt") for folder in root.glob("VOL*/IMAGES/*"))
        <= 50
    )
    assert (root / "VOL001" / "TEXT").is_dir() and (root / "VOL002").is_dir()
    assert sorted(p.name for p in root.glob(f"{name}_VOL*.pdf")) == [
        f"{name}_VOL001.pdf",
        f"{name}_VOL002.pdf",
    ]
    keys = [row[0] for row in opt]
    assert keys == [f"ACME{n:07d}" for n in range(1, len(keys) + 1)]


def test_images_are_300_dpi_g4_or_jpeg_for_colour(demo_export):
    root = demo_export["root"]
    kinds = set()
    for path in (
        p for p in root.glob("VOL*/IMAGES/*/*") if p.suffix != ".txt"
    ):  # .txt: the DII's text copies
        with Image.open(path) as image:
            assert tuple(round(v) for v in image.info["dpi"]) == (300, 300)
            if path.suffix == ".tif":
                assert image.mode == "1" and image.info["compression"] == "group4"
            kinds.add(path.suffix)
    assert kinds == {".tif", ".jpg"}  # the demo's chart pages are colour


def test_archive_splits_tests_clean_and_holds_the_production(demo_export):
    store, paths, root = demo_export["store"], demo_export["paths"], demo_export["root"]
    volumes = json.loads(store.get_bytes(paths.volumes_json))["volumes"]
    assert len(volumes) >= 2  # the demo manifest splits at 2 MiB
    for volume in volumes:
        assert volume["bytes"] == store.store.size(volume["key"]) <= 2 * 1024 * 1024
        assert re.search(r"/zips/ACME_PROD001\.7z\.\d{3}$", volume["key"])
    first = Path(store.store.local_path(volumes[0]["key"]))
    listing = subprocess.run(
        ["7zz", "l", "-ba", "-slt", str(first)], capture_output=True, text=True, check=True
    ).stdout
    archived = {line[7:] for line in listing.splitlines() if line.startswith("Path = ")} - {first.name}
    on_disk = {p.relative_to(root.parent).as_posix() for p in root.rglob("*")} | {root.name}
    assert {a.replace("\\", "/") for a in archived} == on_disk
    assert (
        "Everything is Ok" in subprocess.run(["7zz", "t", str(first)], capture_output=True, text=True).stdout
    )


def _secrets(home: Path) -> list[str]:
    """The words under every redaction, read from the original PDFs (the test's own reading)."""
    engine = LocalDocumentEngine()
    manifest = zipfile.ZipFile(home / "objects/case_101/exports/export_1/manifest.zip").read(
        "manifest.sqlite"
    )
    db_path = home / "m.sqlite"
    db_path.write_bytes(manifest)
    db = sqlite3.connect(db_path)
    secrets = []
    for exhibit_id, page, box in db.execute("SELECT exhibit_id, page_number, rect FROM redactions"):
        (pdf_key,) = db.execute("SELECT pdf_key FROM exhibits WHERE id = ?", (exhibit_id,)).fetchone()
        text = engine.text_in_rect(home / "objects/case_101" / pdf_key, page - 1, tuple(json.loads(box)))
        secrets.extend(re.findall(r"\d{3}-\d{2}-\d{4}", text))
    return secrets


def test_no_redacted_word_survives_anywhere(demo_export, env):
    secrets = _secrets(env["home"])
    assert secrets, "the demo has redacted SSNs"
    root = demo_export["root"]
    engine = LocalDocumentEngine()
    haystack = []
    for path in root.rglob("*"):
        if path.suffix in (".txt", ".dat", ".csv", ".opt", ".lfp", ".dii", ".log"):
            haystack.append(path.read_bytes().decode("utf-8", "replace"))
        elif path.suffix == ".pdf":
            haystack.extend(engine.page_texts(path))
    zips = Path(demo_export["store"].store.local_path("case_101/exports/export_1/zips"))
    haystack.extend(p.read_bytes().decode("latin-1") for p in zips.iterdir())
    for secret in secrets:
        assert not any(secret in text for text in haystack), secret
    # The images: OCR every page that carried a redaction.
    opt = {r[0]: r[2] for r in loadfile_parsers.read_opt(root / "ACME_PROD001.opt")}
    redacted_texts = [
        p for p in root.rglob("TEXT/*/*.txt") if "SSN" in p.read_text() or "Employee record" in p.read_text()
    ]
    assert redacted_texts
    for text_file in redacted_texts:
        image_path = root / opt[text_file.stem].replace("\\", "/")
        ocr = engine.ocr(Image.open(image_path).convert("L"))
        assert "Employee record" in ocr and not any(s in ocr for s in secrets)


def test_withheld_slip_sheets_and_natives(demo_export):
    root = demo_export["root"]
    header, rows = loadfile_parsers.read_dat(root / "ACME_PROD001.dat")
    by_begin = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    withheld = [
        b
        for b, r in by_begin.items()
        if r["TITLE"] == ""
        and r["PGCOUNT"] == "1"
        and "WITHHELD" in (root / r["TEXTLINK"].replace("\\", "/")).read_text()
    ]
    assert withheld
    natives = [r for r in by_begin.values() if r["NATIVELINK"]]
    assert natives and all((root / r["NATIVELINK"].replace("\\", "/")).is_file() for r in natives)
    assert {r["FILEEXT"] for r in natives} <= {"xlsx", "csv"}


def test_completion_event_and_signed_callback(demo_export, env):
    received = [c for c in env["callbacks"].received if c["path"] == "/exports/1/callback"]
    assert received and all(c["valid"] for c in received)
    xml = ET.fromstring(received[-1]["body"])
    assert xml.findtext("status") == "complete" and xml.findtext("case-id") == "101"
    events = [e for e in LocalEventBus(env["settings"].events_file).read_all() if e.get("export_id") == 1]
    assert [e["event_type"] for e in events][:1] == ["EXPORT_STARTED"]
    completed = events[-1]
    assert (
        completed["event_type"] == "EXPORT_COMPLETED"
        and int(xml.findtext("page-count")) == completed["page_count"]
    )
    assert [k.text for k in xml.find("archive-keys")] == completed["archive_keys"]


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_crash_mid_volume_then_rerun_gives_the_same_bytes(demo_export, env, monkeypatch):
    root, store = demo_export["root"], demo_export["store"]
    before = _hashes(root)
    (root / "VOL001" / "IMAGES" / "0001" / "STRAY.tif").write_bytes(b"left by a crashed run")
    engine = DocumentEngineResource()
    calls = {"n": 0}
    real_run = worker.run

    def crashing(job):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("the machine died")
        return real_run(job)

    monkeypatch.setattr(worker, "run", crashing)
    with pytest.raises(RuntimeError):
        produce_volume(store, engine, 1, 1, workers=1, force=True)
    monkeypatch.setattr(worker, "run", real_run)
    summary = produce_volume(store, engine, 1, 1, workers=1, force=True)
    assert not summary["skipped"]
    after = _hashes(root)
    volume_one = {k: v for k, v in before.items() if k.startswith("VOL001/")}
    assert {k: v for k, v in after.items() if k.startswith("VOL001/")} == volume_one
    # Unchanged plan: a second run skips the volume entirely.
    assert produce_volume(store, engine, 1, 1, workers=1, force=False)["skipped"]


def test_rerunning_the_export_changes_nothing(demo_export, env):
    zips = Path(demo_export["store"].store.local_path("case_101/exports/export_1/zips"))
    before = _hashes(demo_export["root"]), _hashes(zips)
    result = run_export(env["settings"], env["instance"], "101-1")
    assert result.success
    assert (_hashes(demo_export["root"]), _hashes(zips)) == before


def _upload_case_files(store: CaseStore, demo_store: CaseStore) -> None:
    """A few hostile files beside the demo's good ones."""
    good = demo_store.get_bytes("documents/4/rendition.pdf")
    store.put_bytes("bad/corrupt.pdf", b"%PDF-1.7\nnot really a pdf at all")
    with pikepdf.open(io.BytesIO(good)) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user="secret-user", owner="secret-owner"))
        store.put_bytes("bad/encrypted.pdf", out.getvalue())
    empty = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.save(empty)
    store.put_bytes("bad/empty.pdf", empty.getvalue())


def _put_manifest(store: CaseStore, export_id: int, data: dict, require_complete: bool = False) -> None:
    raw = manifest_zip(data)
    if require_complete:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "manifest.sqlite"
            path.write_bytes(zipfile.ZipFile(io.BytesIO(raw)).read("manifest.sqlite"))
            db = sqlite3.connect(path)
            db.execute("ALTER TABLE export ADD COLUMN require_complete INTEGER NOT NULL DEFAULT 0")
            db.execute("UPDATE export SET require_complete = 1")
            db.commit()
            db.close()
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as archive:
                archive.write(path, "manifest.sqlite")
            raw = out.getvalue()
    store.put_bytes(f"exports/export_{export_id}/manifest.zip", raw)


def _hostile_tables(export_id: int) -> dict:
    exhibits = [
        exhibit(
            4,
            pdf_key="documents/4/rendition.pdf",
            page_count=None,
            filename="../../" + "Ünïcode " * 40 + ".pdf",
        ),
        exhibit(90, pdf_key="documents/9999/missing.pdf"),
        exhibit(91, pdf_key="bad/corrupt.pdf"),
        exhibit(92, pdf_key="bad/encrypted.pdf"),
        exhibit(93, pdf_key="bad/empty.pdf"),
        exhibit(94, pdf_key="../case_202/documents/1/rendition.pdf"),
        exhibit(5, pdf_key="documents/5/rendition.pdf", page_count=None),
    ]
    rows = [order(i + 1, e["id"]) for i, e in enumerate(exhibits)] + [order(20, 5)]  # exhibit 5 twice
    return tables(
        export_row(
            export_id=export_id, name="Hostile ../ Prod", bates_prefix="HOST", split_bytes=1024 * 1024
        ),
        exhibits,
        rows,
    )


def test_bad_documents_are_named_and_the_rest_is_produced(env):
    settings = env["settings"]
    store = CaseStore(build_object_store(settings), 101)
    _upload_case_files(store, store)
    _put_manifest(store, 2, _hostile_tables(2))
    result = run_export(settings, env["instance"], "101-2")
    assert result.success and all(_checks(result).values())
    log = "".join(store.get_bytes(k).decode() for k in store.list("exports/export_2/error_logs/"))
    for exhibit_id, code in (
        (90, "document_not_found"),
        (91, "unreadable_pdf"),
        (92, "encrypted_pdf"),
        (93, "empty_pdf"),
        (94, "bad_exhibit_row"),
        (5, "duplicate_exhibit"),
    ):
        assert f"exhibit {exhibit_id}: {code}" in log, (exhibit_id, code, log)
    root = Path(store.store.local_path("case_101/exports/export_2/production/Hostile_Prod"))
    header, rows = loadfile_parsers.read_dat(root / "Hostile_Prod.dat")
    assert [r[0] for r in rows] == ["HOST0000001", rows[1][0]] and len(rows) == 2
    assert rows[0][header.index("FILENAME")].startswith(
        "../../Ünïcode"
    )  # metadata kept exactly; paths never use it
    assert all(".." not in p.name for p in root.rglob("*"))
    materializations = [
        e
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION" and e.asset_key == dg.AssetKey("export_manifest")
    ]
    problems = materializations[0].event_specific_data.materialization.metadata["problems"].value
    assert "| 92 | error | encrypted_pdf |" in problems
    # Nothing was written outside the export's own folder or into case 202.
    assert not list(Path(settings.object_store_root / "case_202").rglob("*production*"))


def test_a_production_that_must_be_complete_fails_with_a_summary(env):
    settings = env["settings"]
    store = CaseStore(build_object_store(settings), 101)
    _put_manifest(store, 3, _hostile_tables(3), require_complete=True)
    instance = env["instance"]
    result = run_export(settings, instance, "101-3")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == "export_completion"
    assert "must be complete" in failure.event_specific_data.error.message
    # The failure sensor announces it, naming the step, and posts the failed callback.
    run = instance.get_run_by_id(result.run_id)
    failure_event = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0]
    defs = export_defs(settings)
    with dg.build_run_status_sensor_context(
        sensor_name="export_failure_sensor",
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=failure_event.dagster_event,
        resources=defs.resources,
    ) as context:
        export_failure_sensor(context.for_run_failure())
    failed = [
        e
        for e in LocalEventBus(settings.events_file).read_all()
        if e["event_type"] == "EXPORT_FAILED" and e["export_id"] == 3
    ]
    assert (
        len(failed) == 1
        and "export_completion" in failed[0]["error"]
        and "must be complete" in failed[0]["error"]
    )
    posted = [c for c in env["callbacks"].received if c["path"] == "/exports/3/callback"]
    assert posted and posted[-1]["valid"] and ET.fromstring(posted[-1]["body"]).findtext("status") == "failed"


def test_searchable_pdf_production_with_redactions(env):
    settings = env["settings"]
    store = CaseStore(build_object_store(settings), 101)
    engine = LocalDocumentEngine()
    # Exhibit 11 of the demo has a planted SSN on page 1; its redaction rect comes from the demo manifest.
    demo = zipfile.ZipFile(io.BytesIO(store.get_bytes("exports/export_1/manifest.zip"))).read(
        "manifest.sqlite"
    )
    path = env["home"] / "demo_manifest.sqlite"
    path.write_bytes(demo)
    db = sqlite3.connect(path)
    exhibit_id, page, box = db.execute(
        "SELECT exhibit_id, page_number, rect FROM redactions LIMIT 1"
    ).fetchone()
    (pdf_key,) = db.execute("SELECT pdf_key FROM exhibits WHERE id = ?", (exhibit_id,)).fetchone()
    secret = re.findall(
        r"\d{3}-\d{2}-\d{4}",
        engine.text_in_rect(env["home"] / "objects/case_101" / pdf_key, page - 1, tuple(json.loads(box))),
    )[0]
    exhibits = [
        exhibit(exhibit_id, pdf_key=pdf_key, page_count=None),
        exhibit(4, pdf_key="documents/4/rendition.pdf", page_count=None),
    ]
    data = tables(
        export_row(
            export_id=4,
            name="PDF PROD",
            image_format="pdf",
            bates_prefix="PDFP",
            expansive_pdf=1,
            split_bytes=5 * 1024 * 1024,
        ),
        exhibits,
        redactions=[{"exhibit_id": exhibit_id, "page_number": page, "rect": box, "label": "REDACTED - PII"}],
    )
    _put_manifest(store, 4, data)
    result = run_export(settings, env["instance"], "101-4")
    assert result.success and all(_checks(result).values()), _checks(result)
    # A redacted page is OCRed twice (source and produced): in a 2-document volume that is OCR-heavy work,
    # so the volume ran as the larger step (domain/productions/volume_sizing.py).
    steps = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert "export_volumes.export_volume_ocr[volume_001]" in steps
    assert not any(s.startswith("export_volumes.export_volume[") for s in steps)
    root = Path(store.store.local_path("case_101/exports/export_4/production/PDF_PROD"))
    pdfs = sorted(root.glob("VOL001/PDF/0001/*.pdf"))
    assert len(pdfs) == 2
    redacted_text = "\n".join(engine.page_texts(pdfs[0]))
    plain_text = "\n".join(engine.page_texts(pdfs[1]))
    assert secret not in redacted_text
    assert "Employee record" in redacted_text  # image + OCR layer, line by line
    assert "page 1 of" in plain_text  # the original text layer is kept
    with pikepdf.open(pdfs[0]) as pdf:
        assert all("/Annots" not in page.obj for page in pdf.pages)
    opt = loadfile_parsers.read_opt(root / "PDF_PROD.opt")
    assert all(row[2].endswith(".pdf") for row in opt)
    assert (root / "PDF_PROD_VOL001.pdf").is_file()
