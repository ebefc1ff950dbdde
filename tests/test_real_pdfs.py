"""Productions of real-world PDFs (tests/corpus/, see SOURCES.md) in every image format, on a
real Dagster instance: every readable document is produced with its own page count, every
unreadable one is named by exhibit id and object key (never a temporary path), and every
quality check passes."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import dagster as dg
import pikepdf
import pytest
from PIL import Image

from domain.productions import loadfile_parsers
from domain.productions.manifest import Exhibit
from domain.productions.plan import PlannedDocument
from imaging.doc_job import DocJob
from imaging.engine import LocalDocumentEngine
from imaging.render import produce_document_safely
from resources.object_store import CaseStore, build_object_store
from resources.settings import get_settings, load_settings
from tests.production_fixtures import exhibit, export_row, manifest_zip, tables
from tests.test_production_job import _checks, run_export

CORPUS = Path(__file__).parent / "corpus"
CASE = 301
# What cannot be produced, and the code it is reported under (the test's own list, not the code's).
UNREADABLE = {
    "libreoffice-user-password.pdf": "encrypted_pdf",
    "qpdf-user-password-aes256.pdf": "encrypted_pdf",
    "damaged-truncated.pdf": "unreadable_pdf",
    "zero-bytes.pdf": "unreadable_pdf",
    "not-a-pdf.pdf": "unreadable_pdf",
}
# Damaged files pdfium refuses but qpdf rebuilds: produced, with a warning naming the exhibit.
REPAIRED = {"damaged-truncated-repairable.pdf", "damaged-http-headers-in-front.pdf"}
HUGE = {"gs-poster-200in.pdf", "gs-a0-cmyk-poster.pdf"}


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.pdf"))


def expected_pages(path: Path) -> int:
    """The test's own page count: qpdf's (which repairs what it can, as the production does)."""
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def test_the_corpus_is_small_varied_and_listed():
    files = corpus_files()
    sources = (CORPUS / "SOURCES.md").read_text()
    assert all(f"`{f.name}`" in sources for f in files), [
        f.name for f in files if f"`{f.name}`" not in sources
    ]
    assert sum(f.stat().st_size for f in files) < 5 * 1024 * 1024
    producers = set()
    for f in files:
        if f.name in UNREADABLE or f.name.startswith("damaged-"):
            continue
        with pikepdf.open(f) as pdf:
            producers.add(str(pdf.docinfo.get("/Producer", "")).split(" ")[0].split("-")[0])
    assert len(producers) >= 12, producers
    assert sum(expected_pages(f) for f in files if f.name not in UNREADABLE) <= 60


@pytest.fixture(scope="module")
def corpus_case(tmp_path_factory):
    """Case 301 holding every corpus file as an exhibit's PDF rendition."""
    home = tmp_path_factory.mktemp("real_pdfs") / "np_home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NP_HOME", str(home))
        get_settings.cache_clear()
        settings = load_settings()
        store = CaseStore(build_object_store(settings), CASE)
        exhibits = {}
        for number, path in enumerate(corpus_files(), start=1001):
            key = f"documents/{number}/{path.name}"
            store.put_bytes(key, path.read_bytes())
            exhibits[number] = (path, key)
        yield {
            "home": home,
            "settings": settings,
            "store": store,
            "exhibits": exhibits,
            "instance": dg.DagsterInstance.ephemeral(),
        }
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def keep_env(corpus_case, monkeypatch):
    monkeypatch.setenv("NP_HOME", str(corpus_case["home"]))
    get_settings.cache_clear()


def _manifest(case, export_id: int, image_format: str) -> dict:
    rows = [
        exhibit(number, pdf_key=key, page_count=None, filename=path.name, md5=None, date_sent=None)
        for number, (path, key) in case["exhibits"].items()
    ]
    export = export_row(
        export_id=export_id,
        case_id=CASE,
        name=f"Real {image_format}",
        image_format=image_format,
        bates_prefix=f"R{image_format.upper()}",
        split_bytes=4 * 1024 * 1024,
        images_per_folder=500,
        expansive_pdf=1,
    )
    return tables(export, rows)


@pytest.mark.parametrize("export_id,image_format", [(1, "tiff"), (2, "jpeg"), (3, "pdf")])
def test_every_format_produces_the_corpus_or_names_what_it_cannot(corpus_case, export_id, image_format):
    store, exhibits = corpus_case["store"], corpus_case["exhibits"]
    store.put_bytes(
        f"exports/export_{export_id}/manifest.zip",
        manifest_zip(_manifest(corpus_case, export_id, image_format)),
    )
    result = run_export(corpus_case["settings"], corpus_case["instance"], f"{CASE}-{export_id}", workers=2)
    checks = _checks(result)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    assert checks and all(checks.values()), checks

    log = "".join(store.get_bytes(k).decode() for k in store.list(f"exports/export_{export_id}/error_logs/"))
    assert tempfile.gettempdir() not in log and "/tmp/" not in log, log
    for number, (path, key) in exhibits.items():
        if path.name in UNREADABLE:
            line = next(
                (
                    x
                    for x in log.splitlines()
                    if x.startswith(f"[ERROR] exhibit {number}: {UNREADABLE[path.name]}:")
                ),
                None,
            )
            assert line is not None and key in line, (path.name, log)
        if path.name in REPAIRED:
            assert re.search(rf"\[WARNING\] exhibit {number}: repaired_pdf: {re.escape(key)}: ", log), (
                path.name,
                log,
            )
        if path.name == "gs-poster-200in.pdf" and image_format != "pdf":
            assert (
                f"[WARNING] exhibit {number}: page_reduced: page 1 of {key} is 200.00 x 200.00 inches" in log
            )
        if path.name == "imagemagick-tiny-images.pdf" and image_format != "pdf":
            assert f"[WARNING] exhibit {number}: page_enlarged: page 6 of {key} is 0.05 x 0.05 inches" in log
    assert "[ERROR]" not in "\n".join(
        x
        for x in log.splitlines()
        if not any(f"exhibit {n}: " in x for n, (p, _) in exhibits.items() if p.name in UNREADABLE)
    )

    root = Path(
        store.store.local_path(store.key(f"exports/export_{export_id}/production/Real_{image_format}"))
    )
    header, rows = loadfile_parsers.read_dat(root / f"Real_{image_format}.dat")
    produced = {row[header.index("FILENAME")]: row for row in rows}
    readable = {
        path.name: expected_pages(path) for path, _ in exhibits.values() if path.name not in UNREADABLE
    }
    assert {name: int(row[header.index("PGCOUNT")]) for name, row in produced.items()} == readable
    opt = loadfile_parsers.read_opt(root / f"Real_{image_format}.opt")
    assert len(opt) == sum(readable.values())
    files = {row[2].replace("\\", "/") for row in opt}
    with pikepdf.open(root / f"Real_{image_format}_VOL001.pdf") as expansive:
        assert len(expansive.pages) == 1 + sum(readable.values())  # a cover page, then every produced page
    if image_format == "pdf":
        # One PDF a document, with every page of it.
        counts = {}
        for relative in files:
            with pikepdf.open(root / relative) as pdf:
                counts[relative] = len(pdf.pages)
        assert sorted(counts.values()) == sorted(readable.values())
        # Every page carries its own Bates number on the page, tiny and huge pages included.
        engine = LocalDocumentEngine()
        texts = {relative: engine.page_texts(root / relative) for relative in counts}
        seen: dict[str, int] = {}
        for row in opt:
            key, relative = row[0], row[2].replace("\\", "/")
            page = seen[relative] = seen.get(relative, -1) + 1
            assert key in texts[relative][page], (relative, page, key)
    else:
        assert len(files) == sum(readable.values())
        for relative in files:
            with Image.open(root / relative) as image:
                # Within the pixel cap, and never smaller than 2 inches at 300 dpi on its shorter side.
                assert image.width * image.height <= 36_000_000 and min(image.size) >= 600, (
                    relative,
                    image.size,
                )


def test_a_corrupt_pdf_is_named_by_exhibit_and_key_never_by_a_temporary_path(tmp_path):
    """The PDF was readable when the plan was made, and is garbage when its volume is produced
    (replaced in the object store in between): the problem names the exhibit and key."""
    local = tmp_path / "np-VOL001-x" / "7" / "7.pdf"
    local.parent.mkdir(parents=True)
    local.write_bytes(b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ngarbage")
    key = "documents/7/rendition.pdf"
    export = _manifest_settings()
    doc = PlannedDocument(
        position=1,
        exhibit_id=7,
        volume=1,
        volume_label="VOL001",
        kind="image",
        pages=2,
        page_keys=["ABC0000001", "ABC0000002"],
        page_folders=["0001", "0001"],
        folder="0001",
        begin="ABC0000001",
        end="ABC0000002",
        family_root=7,
        family_child=False,
    )
    record = Exhibit(
        7, 7, None, "CTRL-7", "memo.pdf", "pdf", None, None, None, None, None, None, key, None, None, None
    )
    job = DocJob(doc, record, export, str(tmp_path / "np-VOL001-x" / "7" / "out"), pdf_path=str(local))
    outcome = produce_document_safely(job, LocalDocumentEngine())
    lines = [p.line() for p in outcome.problems]
    assert lines and all(line.startswith("[ERROR] exhibit 7: ") for line in lines), lines
    assert any(key in line for line in lines), lines
    assert not any(
        str(tmp_path) in line or "np-VOL001" in line or tempfile.gettempdir() in line for line in lines
    ), lines
    assert len(outcome.produced.pages) == 2  # the numbered pages are kept, as placeholders
    shutil.rmtree(tmp_path / "np-VOL001-x", ignore_errors=True)


def test_engine_errors_carry_no_local_path(tmp_path):
    from domain.errors import DocumentEncrypted, DocumentUnreadable

    engine = LocalDocumentEngine()
    for name, error in (
        ("not-a-pdf.pdf", DocumentUnreadable),
        ("zero-bytes.pdf", DocumentUnreadable),
        ("qpdf-user-password-aes256.pdf", DocumentEncrypted),
    ):
        copy = tmp_path / "np-inspect-abc" / "doc.pdf"
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(CORPUS / name, copy)
        with pytest.raises(error) as caught:
            engine.page_count(copy)
        named = caught.value.about(exhibit_id=12, key=f"documents/12/{name}")
        assert str(tmp_path) not in str(caught.value) and "doc.pdf" not in str(caught.value)
        assert "exhibit_id=12" in str(named) and f"key=documents/12/{name}" in str(named)


def _manifest_settings():
    from domain.productions.manifest import validate_manifest

    data = tables(export_row(image_format="tiff"), [exhibit(7)])
    return validate_manifest(data, 101, 1).export


def test_repaired_and_huge_pages_render_within_the_pixel_cap():
    engine = LocalDocumentEngine()
    assert engine.repair_note(CORPUS / "libreoffice-writer.pdf") is None
    note = engine.repair_note(CORPUS / "damaged-truncated-repairable.pdf")
    assert note and "rebuilt" in note and str(CORPUS) not in note
    from imaging import raster

    width, height, _ = engine.page_sizes(CORPUS / "gs-poster-200in.pdf")[0]
    dpi = raster.render_dpi(width, height)
    assert dpi < 40
    (image,) = engine.iter_render(CORPUS / "gs-poster-200in.pdf", [(0, True)], raster.DPI, {0: dpi})
    assert image.width * image.height <= raster.MAX_PAGE_PIXELS
    assert image.info["dpi"] == (raster.DPI, raster.DPI)


def test_paths_are_replaced_but_object_keys_are_kept():
    from domain.errors import without_paths

    text = "/tmp/np-VOL001-x/7/7.pdf (offset 12): bad; the key documents/tmp/a.pdf; '/var/tmp/q.pdf'"
    assert (
        without_paths(text, name="the PDF")
        == "the PDF (offset 12): bad; the key documents/tmp/a.pdf; 'the PDF'"
    )
    local = Path(tempfile.gettempdir()) / "np-inspect-1" / "doc with space.pdf"
    assert without_paths(f"{local}: unreadable", local, name="the PDF") == "the PDF: unreadable"
