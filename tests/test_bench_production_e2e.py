"""bench/production_e2e.py's own machinery: the tiny-page scale case, the process-tree memory sampler and
the summary (figures themselves are not asserted: timing lives in bench/)."""

import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pypdfium2
import pytest

from bench import production_e2e


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    import bench.cases

    monkeypatch.setattr(bench.cases, "DATA_DIR", tmp_path / "data")
    return tmp_path / "data"


def test_scale_case_has_tiny_text_pages_and_a_tiff_manifest(data_dir):
    case = production_e2e.prepare_tiny(30)
    assert case["pages"] >= 30 and case["documents"] >= 1
    root = Path(case["home"])
    pdfs = sorted(root.rglob("documents/*/rendition.pdf"))
    assert len(pdfs) == case["documents"]
    pdf = pypdfium2.PdfDocument(pdfs[0])
    assert tuple(round(v) for v in pdf[0].get_size()) == (144, 144)
    assert pdf[0].get_textpage().get_text_range().strip()  # a text layer: no OCR in the job
    manifest = next(root.rglob("exports/export_1/manifest.zip"))
    import sqlite3

    work = data_dir / "m.sqlite"
    work.write_bytes(zipfile.ZipFile(manifest).read("manifest.sqlite"))
    db = sqlite3.connect(work)
    assert db.execute("SELECT image_format FROM export").fetchall() == [("tiff",)]
    assert (
        db.execute("SELECT COUNT(*) FROM exhibits_for_export WHERE withheld OR produce_native").fetchone()[0]
        == 0
    )
    db.close()
    # Made once: a second call reuses it.
    assert production_e2e.prepare_tiny(30) == case


def test_peak_memory_counts_a_child_process():
    # The child writes 200 MiB (so the pages are resident) and holds them until the sampler has seen
    # them: no race with the sampling interval on a loaded machine.
    hold = "import sys; b = b'x' * (200 * 2**20); print('ready', flush=True); sys.stdin.read()"
    with production_e2e.PeakMemory(interval=0.05) as memory:
        child = subprocess.Popen([sys.executable, "-c", hold], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            assert child.stdout.readline().strip() == b"ready"
            for _ in range(600):  # at most a minute
                if memory.peak_pss - memory.peak_self_pss > 190 * 2**20:
                    break
                time.sleep(0.1)
        finally:
            child.stdin.close()
            child.wait(timeout=60)
    assert memory.peak_processes >= 2
    # The child's 200 MiB on top of this process (which, in the whole suite, holds more than that).
    assert memory.peak_pss - memory.peak_self_pss > 190 * 2**20


def test_summary_gives_each_ratio_against_its_own_peer():
    def row(variant, per_second, **extra):
        return {
            "variant": variant,
            "units": 10,
            "seconds": 1.0,
            "per_second": per_second,
            "peak_mib": 1,
            **extra,
        }

    measured = [
        row("peer_ghostscript_all_cores", 100.0),
        row("ours_e2e_tiff_all_cores", 50.0, steps={"export_manifest": 0.5}),
        row("peer_ghostscript", 40.0),
        row("ours_tiff_1proc", 36.0),
        row("peer_tesseract_cli", 0.5),
        {"variant": "ours_tesserocr", "error": "boom"},
    ]
    text = production_e2e.summary(measured)
    assert "= 0.50x" in text and "= 0.90x" in text
    assert "3. OCR" in text and "not measured" in text
