"""QC takes the proofs the volume and archive steps hand over instead of repeating their work (no full
decode of every page image, no second 7-Zip test or listing, no copy of zips/), and still fails on a
changed, truncated, unrecorded or undecodable image and on an archive part altered or gone after
packing. Real PDFs (reportlab), real 7-Zip, a real Dagster instance."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
from pathlib import Path

import dagster as dg
import numpy as np
import pytest
from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from domain.productions.paths import ExportPaths
from imaging import archive_qc, image_qc
from nextpoint_assets.productions.checks import _archive_facts
from nextpoint_assets.productions.common import ExportState
from resources import sevenzip
from resources.local_object_store import LocalObjectStore
from resources.object_store import CaseStore, build_object_store
from resources.s3_object_store import S3ObjectStore
from resources.settings import get_settings, load_settings
from tests.production_fixtures import exhibit, export_row, manifest_zip, order, tables
from tests.test_production_job import run_export

EXPORT_ID = 7
NAME = "PROOFS"
PAGES_PER_DOC = 2
VOLUMES = [1, 1, 1, 2, 2]  # five documents over two volumes


def _pdf(path: Path, number: int) -> None:
    """Two pages of text; the first document's first page also carries a block of random dots, which
    neither G4 nor LZMA shrinks: the archive (over 1 MiB) splits into two parts at the smallest split."""
    pdf = canvas.Canvas(str(path), pagesize=letter)
    for page in range(PAGES_PER_DOC):
        if number == 1 and page == 0:
            dots = np.random.default_rng(1).random((2000, 2400)) > 0.5
            noise = Image.fromarray(dots).convert("1")
            pdf.drawImage(ImageReader(noise), 36, 36, 2400 * 72 / 300, 2000 * 72 / 300)
        pdf.setFont("Helvetica", 14)
        for row in range(30):
            pdf.drawString(72, 720 - row * 20, f"Inventory sheet {number} page {page + 1} line {row} bolts")
        pdf.showPage()
    pdf.save()


def _manifest(store: CaseStore, sources: Path) -> None:
    """The documents and the manifest of the export, in the store."""
    for number in range(1, len(VOLUMES) + 1):
        _pdf(sources / f"{number}.pdf", number)
        store.put_bytes(f"documents/{number}/rendition.pdf", (sources / f"{number}.pdf").read_bytes())
    data = tables(
        export_row(export_id=EXPORT_ID, name=NAME, split_bytes=1024 * 1024),
        [exhibit(n, page_count=PAGES_PER_DOC) for n in range(1, len(VOLUMES) + 1)],
        [order(i + 1, i + 1, volume=v) for i, v in enumerate(VOLUMES)],
    )
    store.put_bytes(f"exports/export_{EXPORT_ID}/manifest.zip", manifest_zip(data))


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """One small production run end to end, counting the 7-Zip tests and listings and the downloads
    of zips/ made during the run."""
    home = tmp_path_factory.mktemp("qc_proofs") / "np_home"
    calls = {"test": 0, "list": 0, "zips_downloads": 0}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NP_HOME", str(home))
        get_settings.cache_clear()
        settings = load_settings()
        store = CaseStore(build_object_store(settings), 101)
        _manifest(store, tmp_path_factory.mktemp("sources"))

        def counted(name, original):
            def call(*args, **kwargs):
                calls[name] += 1
                return original(*args, **kwargs)

            return call

        mp.setattr(sevenzip, "test", counted("test", sevenzip.test))
        mp.setattr(sevenzip, "list_files", counted("list", sevenzip.list_files))
        download = LocalObjectStore.download

        def watched_download(self, key, path):
            calls["zips_downloads"] += "/zips/" in key
            return download(self, key, path)

        mp.setattr(LocalObjectStore, "download", watched_download)
        result = run_export(settings, dg.DagsterInstance.ephemeral(), f"101-{EXPORT_ID}", workers=1)
        mp.undo()
        mp.setenv("NP_HOME", str(home))
        get_settings.cache_clear()
        paths = ExportPaths(EXPORT_ID)
        root = Path(store.store.local_path(store.key(paths.production(NAME).rstrip("/"))))
        yield {"result": result, "store": store, "paths": paths, "root": root, "calls": calls}
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def keep_home(request, monkeypatch):
    if "production" in request.fixturenames:
        home = request.getfixturevalue("production")["root"].parents[5]
        monkeypatch.setenv("NP_HOME", str(home))
        get_settings.cache_clear()


def _evaluations(result) -> dict[str, dict]:
    out = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            out[data.check_name] = {"passed": data.passed, **{k: v.value for k, v in data.metadata.items()}}
    return out


def _proofs(production) -> dict[str, dict | None]:
    state = ExportState(production["store"], EXPORT_ID)
    return {r["volume"]: r.get("files") for r in state.volume_results().values()}


@pytest.fixture
def copy(production, tmp_path) -> Path:
    """A copy of the production to tamper with; the original stays as it was."""
    root = tmp_path / NAME
    shutil.copytree(production["root"], root)
    return root


def _images(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.glob("VOL*/IMAGES/*/*.tif"))


def _record(proofs: dict, relative: str, data: bytes) -> dict:
    """The proofs as a faulty volume step would have recorded them: for the bytes it wrote."""
    changed = json.loads(json.dumps(proofs))
    changed[relative.split("/")[0]][relative] = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
    }
    return changed


def _strip(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.tag_v2[273][0], image.tag_v2[279][0]


def test_qc_passes_on_the_proofs_without_testing_or_copying_the_archive_again(production):
    result, store, paths = production["result"], production["store"], production["paths"]
    checks = _evaluations(result)
    assert result.success and all(c["passed"] for c in checks.values()), checks
    pages = len(VOLUMES) * PAGES_PER_DOC
    images = checks["images_valid"]
    assert images["images_header_checked"] == images["images_hash_matched"] == pages
    assert images["images_decoded_sample"] == pages  # fewer pages than the sample: all decoded
    assert images["images_decoded_without_proof"] == 0
    # 7-Zip tested and listed the archive once, in the archive step; QC copied no part of zips/.
    assert production["calls"] == {"test": 1, "list": 1, "zips_downloads": 0}
    record = json.loads(store.get_bytes(paths.archive_test_json))
    assert record["test"]["ok"] and record["test"]["summary"].startswith("Everything is Ok; ")
    parts = sorted(store.list(paths.zips))
    assert len(parts) >= 2 and checks["archive_tests_clean"]["archive_parts_hash_matched"] == len(parts)
    assert [p["sha256"] for p in record["parts"]] == [
        hashlib.sha256(store.get_bytes(p)).hexdigest() for p in parts
    ]
    on_disk = {p.relative_to(production["root"].parent).as_posix() for p in production["root"].rglob("*")}
    assert {x.replace("\\", "/") for x in record["listing"]} == {
        p for p in on_disk if (production["root"].parent / p).is_file()
    }
    # volumes.json keeps its fields; the proofs live in work files.
    volumes = json.loads(store.get_bytes(paths.volumes_json))
    assert set(volumes) == {"export_id", "name", "volumes"}
    assert all(set(v) == {"key", "bytes"} for v in volumes["volumes"])
    files = _proofs(production)
    assert sorted(k for f in files.values() for k in f if k.endswith(".tif")) == _images(production["root"])


def test_the_decoded_sample_is_deterministic_and_covers_each_volume():
    images = [f"VOL{v:03d}/IMAGES/0001/P{n:05d}.tif" for v in (1, 2) for n in range(1000)]
    sample = image_qc.decode_sample(images, seed=7)
    assert sample == image_qc.decode_sample(list(reversed(images)), seed=7)
    assert sample != image_qc.decode_sample(images, seed=8)
    assert {"VOL001/IMAGES/0001/P00000.tif", "VOL002/IMAGES/0001/P00000.tif"} <= sample
    assert 40 <= len(sample) <= 42  # 2% of 2,000 pages, plus each volume's first page
    assert 20 <= len(image_qc.decode_sample(images[:100], seed=7)) <= 21  # at least 20 pages


def test_a_tiff_changed_after_the_volume_step_fails_by_name(production, copy):
    page = _images(copy)[3]
    data = bytearray((copy / page).read_bytes())
    offset, count = _strip(bytes(data))
    data[offset + count // 2] ^= 0xFF  # one flipped byte in the pixel data: the header still reads
    (copy / page).write_bytes(bytes(data))
    outcome = image_qc.check_images(copy, _proofs(production), seed=EXPORT_ID)
    assert not outcome.passed
    assert outcome.details == [
        f"{page} is not the file the volume step wrote (SHA-256; {len(data)} bytes, {len(data)} written)"
    ]
    assert outcome.figures["images_hash_matched"] == len(_images(copy)) - 1


def test_a_strip_running_past_the_end_of_the_file_fails_even_as_recorded(production, copy):
    """An encoder that records more strip bytes than it wrote: the hash is its own, the strip table
    is what gives it away."""
    page = _images(copy)[5]
    data = bytearray((copy / page).read_bytes())
    ifd = struct.unpack_from("<I", data, 4)[0]
    for entry in range(struct.unpack_from("<H", data, ifd)[0]):
        at = ifd + 2 + 12 * entry
        tag, kind = struct.unpack_from("<HH", data, at)
        if tag == 279:  # StripByteCounts, one LONG held in the entry
            assert kind == 4
            struct.pack_into("<I", data, at + 8, len(data))
    (copy / page).write_bytes(bytes(data))
    offset, count = _strip(bytes(data))
    outcome = image_qc.check_images(copy, _record(_proofs(production), page, bytes(data)), seed=EXPORT_ID)
    assert f"{page}: strip 0 ({count} bytes at {offset}) lies outside the file ({len(data)} bytes)" in (
        outcome.details
    )


def test_a_truncated_tiff_fails(production, copy):
    page = _images(copy)[1]
    data = (copy / page).read_bytes()
    offset, count = _strip(data)
    (copy / page).write_bytes(data[: offset + count // 2])  # cut inside its strip
    outcome = image_qc.check_images(copy, _proofs(production), seed=EXPORT_ID)
    assert any(d.startswith(f"{page} is not the file the volume step wrote") for d in outcome.details)
    assert any(d.startswith(f"{page} does not open") for d in outcome.details)


def test_pixel_data_that_does_not_decode_fails_in_the_sample(production, copy):
    """A broken encoder: the file is as recorded and its header is sound, only decoding shows it."""
    page = _images(copy)[0]  # a volume's first page: always in the sample
    data = bytearray((copy / page).read_bytes())
    offset, count = _strip(bytes(data))
    data[offset : offset + count] = b"\x00" * count
    (copy / page).write_bytes(bytes(data))
    outcome = image_qc.check_images(copy, _record(_proofs(production), page, bytes(data)), seed=EXPORT_ID)
    assert [d.split(":")[0] for d in outcome.details] == [f"{page} does not open"]


def test_an_image_no_volume_step_recorded_fails_and_a_recorded_one_gone_fails(production, copy):
    first, second = _images(copy)[:2]
    shutil.copyfile(copy / first, copy / first.replace(".tif", "_X.tif"))
    (copy / second).unlink()
    outcome = image_qc.check_images(copy, _proofs(production), seed=EXPORT_ID)
    assert outcome.details == [
        f"{first.replace('.tif', '_X.tif')} was written by no volume step (no record of it)",
        f"{second} was written by the volume step VOL001 but is not there",
    ]


def test_a_volume_result_from_before_the_records_is_decoded_in_full(production, copy):
    proofs = {**_proofs(production), "VOL001": None}
    outcome = image_qc.check_images(copy, proofs, seed=EXPORT_ID)
    in_vol001 = sum(1 for p in _images(copy) if p.startswith("VOL001/"))
    assert outcome.passed and outcome.figures["images_decoded_without_proof"] == in_vol001
    assert outcome.figures["images_hash_matched"] == len(_images(copy)) - in_vol001


@pytest.fixture
def archive(production):
    """QC's archive check as export_quality_checks runs it; the parts are put back afterwards."""
    store, paths = production["store"], production["paths"]
    saved = {key: store.get_bytes(key) for key in store.list(paths.zips)}
    record = store.get_bytes(paths.archive_test_json)
    state = ExportState(store, EXPORT_ID)
    yield lambda: archive_qc.check_archive(*_archive_facts(store, state))
    for key in list(store.list(paths.zips)):
        store.delete(key)
    for key, data in saved.items():
        store.put_bytes(key, data)
    store.put_bytes(paths.archive_test_json, record)


def test_an_archive_part_altered_after_packing_fails(production, archive):
    assert archive().passed
    store, paths = production["store"], production["paths"]
    key = sorted(store.list(paths.zips))[1]
    data = bytearray(store.get_bytes(key))
    data[len(data) // 2] ^= 0x01
    store.put_bytes(key, bytes(data))
    outcome = archive()
    assert outcome.details == [f"archive part {Path(key).name} is not the part that was tested (SHA-256)"]


def test_a_missing_or_untested_archive_part_fails(production, archive):
    store, paths = production["store"], production["paths"]
    first, second = sorted(store.list(paths.zips))[:2]
    store.delete(second)
    store.put_bytes(first.replace(".7z.001", ".7z.099"), b"7z stray")
    assert archive().details == [
        f"archive part {Path(second).name} is missing from the store",
        f"archive part {Path(first).name.replace('.7z.001', '.7z.099')} in the store was not tested by the "
        "archive step",
    ]


def test_a_failed_or_missing_test_record_and_a_listing_short_of_a_file_fail(production, archive):
    store, paths = production["store"], production["paths"]
    record = json.loads(store.get_bytes(paths.archive_test_json))
    dropped = record["listing"].pop()
    record["test"] = {"ok": False, "summary": "ERROR: CRC Failed"}
    store.put_bytes(paths.archive_test_json, json.dumps(record).encode())
    details = archive().details
    assert details[0] == "the archive test did not report Everything is Ok (ERROR: CRC Failed)"
    assert details[1] == (
        "the archive does not hold exactly the production's files (1 missing, 0 not in the production, "
        f"e.g. {dropped.replace(chr(92), '/')})"
    )
    store.delete(paths.archive_test_json)
    assert "the archive step recorded no test of this archive; re-run export_archive" in archive().details


def test_qc_on_s3_reads_a_downloaded_production_and_streams_the_parts(s3_env, tmp_path, monkeypatch):
    store = CaseStore(build_object_store(s3_env), 101)
    _manifest(store, tmp_path)
    downloaded: list[str] = []
    download = S3ObjectStore.download

    def watched_download(self, key, path):
        downloaded.append(key)
        return download(self, key, path)

    monkeypatch.setattr(S3ObjectStore, "download", watched_download)
    result = run_export(s3_env, dg.DagsterInstance.ephemeral(), f"101-{EXPORT_ID}", workers=1)
    assert downloaded and not [key for key in downloaded if "/zips/" in key]  # parts hashed as streamed
    checks = _evaluations(result)
    assert result.success and all(c["passed"] for c in checks.values()), checks
    assert checks["images_valid"]["images_hash_matched"] == len(VOLUMES) * PAGES_PER_DOC
    paths = ExportPaths(EXPORT_ID)
    parts = sorted(store.list(paths.zips))
    assert len(parts) >= 2 and checks["archive_tests_clean"]["archive_parts_hash_matched"] == len(parts)
    key = parts[0]
    data = bytearray(store.get_bytes(key))
    data[100] ^= 0x01
    store.put_bytes(key, bytes(data))
    outcome = archive_qc.check_archive(*_archive_facts(store, ExportState(store, EXPORT_ID)))
    assert outcome.details == [f"archive part {Path(key).name} is not the part that was tested (SHA-256)"]
