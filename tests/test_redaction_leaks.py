"""Leak detection that is exact both ways: redactions over ordinary sentences pass, a redacted word
or phrase that survives anywhere fails. Real PDFs (reportlab), real tesseract, a real Dagster instance."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import dagster as dg
import pytest
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from domain.productions import leaks
from domain.productions.paths import ExportPaths
from imaging import production_qc as qc
from imaging import raster
from imaging.engine import LocalDocumentEngine
from imaging.ocr import TesseractOcr
from nextpoint_assets.productions.checks import _leak_profiles
from nextpoint_assets.productions.common import ExportState
from resources.object_store import CaseStore, build_object_store
from resources.settings import get_settings, load_settings
from tests.production_fixtures import exhibit, export_row, manifest_zip, rect, tables
from tests.test_production_job import run_export

SECRET = "Bluebird"  # the one word that only ever appears under a redaction
FONT = 12

# Lines of the text-layer document: (text, redacted). Every common word under a redaction
# ("the", "code", "better", "than", "explicit", ...) also appears unredacted.
TEXT_PAGES = [
    [
        ("Memo on the code of conduct for the team.", False),
        (f"The code word is {SECRET} here.", True),
        ("Simple is better than complex, and explicit beats implicit.", False),
        ("Explicit is better than implicit.", True),
        ("Read the code word list here before the meeting.", False),
        ("Keep this strictly confidential.", True),
    ],
    [
        ("Page two repeats the code, the word and here.", False),
        ("Nothing on this page is redacted at all.", False),
    ],
]
SCAN_LINES = [
    ("Scanned memo about the code word list.", False),
    (f"The code word is {SECRET} here.", True),
    ("Explicit is better than implicit.", True),
    ("Simple is better than complex; explicit beats implicit.", False),
]


def text_pdf(path: Path) -> list[dict]:
    """A two-page PDF with a text layer; returns its redactions (rects around the redacted lines).
    Page 1 also carries a logo: an image of the word STRICTLY, which the text layer does not hold
    and which is redacted in the text below it."""
    pdf = canvas.Canvas(str(path), pagesize=letter)
    logo = Image.new("L", (700, 170), 255)
    ImageDraw.Draw(logo).text((20, 30), "STRICTLY", fill=0, font=raster.font(110))
    redactions = []
    for number, lines in enumerate(TEXT_PAGES, start=1):
        pdf.setFont("Helvetica", FONT)
        if number == 1:
            pdf.drawImage(ImageReader(logo), 390, 720, 168, 41)
        for row, (line, redacted) in enumerate(lines):
            y = 700 - row * 28
            pdf.drawString(72, y, line)
            if redacted:
                width = stringWidth(line, "Helvetica", FONT)
                redactions.append(
                    {
                        "exhibit_id": 1,
                        "page_number": number,
                        "rect": rect(70, y - 4, 74 + width, y + FONT + 2),
                        "label": "REDACTED",
                    }
                )
        pdf.showPage()
    pdf.save()
    return redactions


def scanned_pdf(path: Path) -> list[dict]:
    """A one-page image-only PDF (a scan at 300 dpi, no text layer); returns its redactions."""
    image = Image.new("L", raster.LETTER_PX, 255)
    draw = ImageDraw.Draw(image)
    font = raster.font(48)
    redactions = []
    for row, (line, redacted) in enumerate(SCAN_LINES):
        x, y = 300, 500 + row * 120
        draw.text((x, y), line, fill=0, font=font)
        if redacted:
            x0, y0, x1, y1 = draw.textbbox((x, y), line, font=font)
            # pixels (top-left origin, 300 dpi) to PDF points (bottom-left origin)
            box = (
                (x0 - 10) * 72 / 300,
                792 - (y1 + 10) * 72 / 300,
                (x1 + 10) * 72 / 300,
                792 - (y0 - 10) * 72 / 300,
            )
            redactions.append({"exhibit_id": 2, "page_number": 1, "rect": rect(*box), "label": "REDACTED"})
    pdf = canvas.Canvas(str(path), pagesize=letter)
    pdf.drawImage(ImageReader(image), 0, 0, *letter)
    pdf.showPage()
    pdf.save()
    return redactions


# --- the leaks module on its own ------------------------------------------------------------

KEY = b"k" * 32


def _profile(pages: list[tuple[list[tuple[str, bool]], list[str]]]) -> dict:
    """A profile from pages of (words, hidden) plus burned texts, boxes made up on a line."""
    builder = leaks.ProfileBuilder()
    for number, (words, burned) in enumerate(pages, start=1):
        placed, rects = [], []
        for index, (word, hidden) in enumerate(words):
            box = (index * 10.0, 0.0, index * 10.0 + 8, 10.0)
            placed.append((word, box))
            if hidden:
                rects.append(box)
        builder.add_reading(number, leaks.PageCounts.of_words(placed, rects))
        builder.add_burned(number, burned)
    return builder.profile(KEY)


def _words(text: str, hidden: bool = False) -> list[tuple[str, bool]]:
    return [(w, hidden) for w in text.split()]


def test_common_words_under_a_redaction_are_not_leaks_when_shown_elsewhere():
    page = (
        _words("Simple is better than complex and the code matters.")
        + _words("Explicit is better than implicit.", True)
        + _words("Read the code again.")
    )
    profile = _profile([(page, [])])
    shown = "Simple is better than complex and the code matters.\nRead the code again."
    assert not leaks.find_leaks(profile, KEY, [shown])
    assert not leaks.find_leaks(profile, KEY, [shown], page=1)
    leaked = leaks.find_leaks(profile, KEY, [shown + "\nExplicit is better than implicit."])
    # Every occurrence counts: "better" and "than" now occur once more than they are shown.
    assert (leaked.tokens, leaked.bigrams) == (4, 3)


def test_a_redacted_phrase_leaks_even_when_each_of_its_words_is_shown():
    page = _words("better ideas than ever; better than most") + _words("better than", True)
    profile = _profile([(page, [])])
    assert not leaks.find_leaks(profile, KEY, ["better ideas than ever; better than most"])
    # Every word's count stays within what is shown, but the phrase occurs once more than shown.
    found = leaks.find_leaks(profile, KEY, ["better than ever; better than most"])
    assert found.tokens == 0 and found.bigrams == 1


def test_counts_are_per_occurrence_and_per_page():
    profile = _profile([(_words("the code") + _words("code", True), []), (_words("nothing here"), [])])
    assert not leaks.find_leaks(profile, KEY, ["the code"], page=1)
    assert leaks.find_leaks(profile, KEY, ["the code code"], page=1).tokens == 1
    # Shown on page 1 is not shown on page 2: a page image is held against its own page.
    assert leaks.find_leaks(profile, KEY, ["code"], page=2).tokens == 1
    assert not leaks.find_leaks(profile, KEY, ["nothing here", "the code"])


def test_burned_endorsements_and_labels_count_as_visible():
    profile = _profile([(_words("keep this confidential", True), ["ABC0000001", "CONFIDENTIAL", "REDACTED"])])
    assert not leaks.find_leaks(profile, KEY, ["REDACTED ABC0000001 CONFIDENTIAL"], page=1)
    assert leaks.find_leaks(profile, KEY, ["REDACTED CONFIDENTIAL confidential"], page=1).tokens == 1


def test_the_profile_holds_no_word_in_clear_and_depends_on_the_key():
    page = _words(f"The code word is {SECRET} here.", True)
    profile = _profile([(page, [])])
    dumped = json.dumps(profile).lower()
    assert "bluebird" not in dumped and "code" not in dumped
    assert (
        len(profile["tokens"]) == 5 and len(profile["bigrams"]) == 4
    )  # the, code, word, bluebird, here; "is" is short
    builder = leaks.ProfileBuilder()
    builder.add_reading(1, leaks.PageCounts.of_words([(w, (0, 0, 1, 1)) for w, _ in page], [(0, 0, 1, 1)]))
    assert set(builder.profile(b"another key").get("tokens")) != set(profile["tokens"])


def test_a_word_the_box_only_grazes_stays_visible():
    assert leaks.is_hidden((0, 0, 10, 10), [(0, 0, 10, 6)])
    assert not leaks.is_hidden((0, 0, 10, 10), [(0, 0, 10, 3)])
    assert leaks.is_hidden((0, 0, 10, 10), [(0, 0, 5, 10), (5, 0, 10, 10)])  # under two boxes side by side
    assert leaks.tokens("Ｂｌｕｅｂｉｒｄ, e-mail: Jane.Doe@Example.com.") == [
        "bluebird",
        "e-mail",
        "jane.doe@example.com",
    ]


# --- the engine's word boxes ------------------------------------------------------------------


def test_the_engine_reads_words_with_their_boxes(tmp_path):
    engine = LocalDocumentEngine()
    redactions = text_pdf(tmp_path / "a.pdf")
    words = engine.words_with_boxes(tmp_path / "a.pdf", 0)
    secret_rect = tuple(json.loads(redactions[0]["rect"]))
    under = [w for w, box in words if leaks.is_hidden(box, [secret_rect])]
    assert under == ["The", "code", "word", "is", SECRET, "here."]
    assert engine.words_with_boxes(tmp_path / "a.pdf", 5) == []
    scan_redactions = scanned_pdf(tmp_path / "b.pdf")
    assert engine.words_with_boxes(tmp_path / "b.pdf", 0) == []
    # OCR word boxes of the scan, also when it lies on its side: boxes in the given image's pixels.
    page = engine.render_page(tmp_path / "b.pdf", 0, 300, grayscale=True)
    rects = [tuple(round(v * 300 / 72) for v in json.loads(r["rect"])) for r in scan_redactions]
    pixel = [(x0, 3300 - y1, x1, 3300 - y0) for x0, y0, x1, y1 in rects]
    upright = [w for w, box in engine.ocr_word_boxes(page) if leaks.is_hidden(box, pixel)]
    assert SECRET in upright and "Scanned" not in upright
    turned = page.rotate(90, expand=True)
    turned_rects = [(y0, 2550 - x1, y1, 2550 - x0) for x0, y0, x1, y1 in pixel]
    sideways = [
        w
        for w, box in engine.ocr_word_boxes(turned, detect_orientation=True)
        if leaks.is_hidden(box, turned_rects)
    ]
    assert SECRET in sideways and "Scanned" not in sideways


# --- productions on a real Dagster instance ------------------------------------------------


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("leaks") / "np_home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NP_HOME", str(home))
        get_settings.cache_clear()
        settings = load_settings()
        store = CaseStore(build_object_store(settings), 101)
        sources = tmp_path_factory.mktemp("sources")
        redactions = text_pdf(sources / "a.pdf") + scanned_pdf(sources / "b.pdf")
        store.put_bytes("documents/1/rendition.pdf", (sources / "a.pdf").read_bytes())
        store.put_bytes("documents/2/rendition.pdf", (sources / "b.pdf").read_bytes())
        yield {
            "home": home,
            "settings": settings,
            "store": store,
            "redactions": redactions,
            "instance": dg.DagsterInstance.ephemeral(),
        }
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def keep_env(request, monkeypatch):
    if "env" in request.fixturenames:
        monkeypatch.setenv("NP_HOME", str(request.getfixturevalue("env")["home"]))
        get_settings.cache_clear()


def _produce(
    env,
    export_id: int,
    title: str = "Code of conduct memo",
    workers: int = 2,
    redacted: bool = True,
    **export,
):
    exhibits = [
        exhibit(1, page_count=None, confidentiality="CONFIDENTIAL", title=title),
        exhibit(2, page_count=None, title="Scanned memo"),
    ]
    data = tables(
        export_row(export_id=export_id, name=f"LEAK {export_id}", **export),
        exhibits,
        redactions=env["redactions"] if redacted else [],
    )
    env["store"].put_bytes(f"exports/export_{export_id}/manifest.zip", manifest_zip(data))
    result = run_export(env["settings"], env["instance"], f"101-{export_id}", workers=workers)
    root = Path(
        env["store"].store.local_path(
            env["store"].key(ExportPaths(export_id).production(f"LEAK_{export_id}").rstrip("/"))
        )
    )
    return result, root


def _checks(result) -> dict[str, tuple[bool, list]]:
    out = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            failures = data.metadata.get("failures")
            out[data.check_name] = (data.passed, failures.value if failures else [])
    return out


@pytest.fixture(scope="module")
def good(env):
    result, root = _produce(env, 1)
    return {"result": result, "root": root}


def test_redactions_over_ordinary_sentences_pass_every_check(good, env):
    checks = _checks(good["result"])
    assert good["result"].success, checks
    assert checks and all(passed for passed, _ in checks.values()), checks
    root = good["root"]
    texts = {p.name: p.read_text(encoding="utf-8-sig") for p in root.glob("VOL001/TEXT/*/*.txt")}
    assert len(texts) == 2 and all(SECRET.lower() not in t.lower() for t in texts.values())
    assert any(
        "Simple is better than complex" in t for t in texts.values()
    )  # the shown sentences are produced
    # The hand-over holds keyed hashes and counts, its key apart; no word in clear anywhere in the work files.
    work = env["store"]
    result = json.loads(work.get_bytes("exports/export_1/work/volumes/VOL001.json"))
    assert "redacted_hashes" not in result and set(result["leak_profiles"]) == {"1", "2"}
    assert work.exists(ExportPaths(1).leak_key(result["leak_key_id"]))
    for key in work.list("exports/export_1/work/"):
        assert SECRET.lower().encode() not in work.get_bytes(key).lower(), key


def test_a_pdf_production_of_the_same_redactions_passes_too(env):
    result, root = _produce(env, 4, image_format="pdf")
    checks = _checks(result)
    assert result.success and all(passed for passed, _ in checks.values()), checks
    assert len(list(root.glob("VOL001/PDF/*/*.pdf"))) == 2


def test_the_same_production_without_burn_in_fails_naming_the_documents(env, monkeypatch):
    for name in ("burn_redactions", "redact_array", "label_redactions_bilevel"):
        monkeypatch.setattr(raster, name, lambda *args, **kwargs: None)
    result, _ = _produce(env, 2, workers=1)  # in-process, so the patched burn-in is the one used
    assert not result.success
    passed, failures = _checks(result)["no_redacted_text"]
    assert not passed
    assert any(f.startswith("ACME0000001 (exhibit 1):") for f in failures), failures
    assert any(f.startswith("ACME0000003 (exhibit 2):") for f in failures), failures
    assert not any(SECRET.lower() in f.lower() for f in failures)


def _figures(result, check: str) -> dict:
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if data.check_name == check:
                return {k: v.value for k, v in data.metadata.items()}
    raise AssertionError(f"no {check} result")


def _qc(env, export_id: int, root: Path, handed_over: bool = False) -> list[str]:
    """The redaction check of export_quality_checks, on the production as it now is; with
    `handed_over`, on the volume step's OCR of the redacted page images, as QC runs it."""
    engine = LocalDocumentEngine()
    state = ExportState(env["store"], export_id)
    results = state.volume_results().values()
    pages = {int(k): v for r in results for k, v in r.get("redacted_pages", {}).items()}
    outcome = qc.check_redactions(
        root,
        state.manifest.export,
        state.plan.documents,
        state.produced(),
        _leak_profiles(env["store"], state, results),
        pages,
        lambda image: engine.ocr(image, detect_orientation=True),
        engine.page_texts,
        handed_over={int(k): v for r in results for k, v in r.get("page_ocr", {}).items()}
        if handed_over
        else None,
    )
    return outcome.details


@pytest.fixture
def tampered(good, env, tmp_path):
    """A copy of the good production to tamper with; the original stays as it was."""
    root = tmp_path / good["root"].name
    shutil.copytree(good["root"], root)
    return root


def test_a_unique_word_leaking_in_the_text_file_only_fails(tampered, env):
    assert _qc(env, 1, tampered) == []
    text = tampered / "VOL001/TEXT/0001/ACME0000001.txt"
    text.write_bytes(text.read_bytes() + f"{SECRET}\r\n".encode())
    # Appended to the last page of the text: held against what page 2 shows.
    assert _qc(env, 1, tampered) == [
        "ACME0000001 (exhibit 1): 1 redacted word(s) found in VOL001/TEXT/0001/ACME0000001.txt (page 2)"
    ]


def _write_secret_onto(page) -> None:
    """The secret drawn back onto a produced G4 page image, as a faulty producer might leave it."""
    with Image.open(page) as image:
        drawn = image.convert("L")
    ImageDraw.Draw(drawn).text((300, 2600), f"Postscript {SECRET} again", fill=0, font=raster.font(48))
    buffer = io.BytesIO()
    drawn.convert("1").save(buffer, format="TIFF", compression="group4", dpi=(300, 300))
    page.write_bytes(buffer.getvalue())


def test_a_unique_word_leaking_in_a_page_image_only_fails(tampered, env):
    _write_secret_onto(tampered / "VOL001/IMAGES/0001/ACME0000003.tif")
    assert _qc(env, 1, tampered) == [
        "ACME0000003 (exhibit 2): 1 redacted word(s) found in VOL001/IMAGES/0001/ACME0000003.tif"
    ]


def test_a_page_image_changed_after_the_volume_step_read_it_fails(tampered, env):
    """QC takes the volume step's OCR of a redacted page only for the very file it read."""
    assert _qc(env, 1, tampered, handed_over=True) == []
    _write_secret_onto(tampered / "VOL001/IMAGES/0001/ACME0000003.tif")
    assert _qc(env, 1, tampered, handed_over=True) == [
        "ACME0000003 (exhibit 2): VOL001/IMAGES/0001/ACME0000003.tif is not the file the volume step read "
        "(its hash)"
    ]


def _count_ocr(monkeypatch) -> tuple[list[str], list[tuple[int, int]]]:
    """Every OCR call from now on, by the hash of the image it reads; every orientation detection
    (OSD), by the size of the image it looks at."""
    read: list[str] = []
    turned: list[tuple[int, int]] = []

    def counting(original):
        def call(self, image, *args, **kwargs):
            read.append(hashlib.sha256(image.tobytes()).hexdigest())
            return original(self, image, *args, **kwargs)

        return call

    for name in ("ocr", "ocr_words", "ocr_word_boxes"):
        monkeypatch.setattr(TesseractOcr, name, counting(getattr(TesseractOcr, name)))
    orientation = TesseractOcr._orientation

    def detecting(self, image):
        turned.append(image.size)
        return orientation(self, image)

    monkeypatch.setattr(TesseractOcr, "_orientation", detecting)
    return read, turned


def test_no_page_is_ocred_twice_in_a_production_with_redactions(env, monkeypatch):
    """Every OCR call of a whole production (volume step and QC, in one process) is counted by the
    image it reads: no image is read twice, and QC reads none (it takes the volume step's reading)."""
    read, turned = _count_ocr(monkeypatch)
    result, _ = _produce(env, 5, workers=1)
    assert result.success, _checks(result)
    volume = json.loads(env["store"].get_bytes("exports/export_5/work/volumes/VOL001.json"))
    redacted = sum(len(pages) for pages in volume["redacted_pages"].values())
    assert redacted >= 2 and len(read) == len(set(read))
    # The volume step's own count is every call made: QC made none.
    assert sum(volume["ocr_pages"].values()) == len(read)
    # The redacted pages as produced are read once each (with the text mode on, also the text file's OCR).
    assert volume["ocr_pages"]["produced"] <= sum(len(d["pages"]) for d in volume["documents"])
    figures = _figures(result, "no_redacted_text")
    assert figures["pages_ocr_read"] == 0 and figures["pages_ocr_handed_over"] == redacted
    # Orientation is detected only on the scan (no text layer): read before and after its boxes
    # are burned. The two text-layer pages of exhibit 1 are upright as rendered.
    assert len(turned) == 2 and len(read) == 5


def test_an_ocr_production_detects_orientation_only_on_the_scan(env, monkeypatch):
    """Text mode "ocr", nothing redacted: each page is OCRed once; OSD only on the page without a
    text layer (the scan), not on the two text-layer pages."""
    read, turned = _count_ocr(monkeypatch)
    result, root = _produce(env, 6, workers=1, redacted=False, text_mode="ocr")
    assert result.success, _checks(result)
    assert len(read) == 3 == len(set(read)) and len(turned) == 1
    texts = [p.read_text(encoding="utf-8-sig") for p in sorted(root.glob("VOL001/TEXT/*/*.txt"))]
    assert "Simple is better than complex" in texts[0] and SECRET in texts[1]


def test_a_unique_word_leaking_in_the_dat_row_only_fails(env):
    result, _ = _produce(env, 3, title=f"{SECRET} plans")
    passed, failures = _checks(result)["no_redacted_text"]
    assert not passed and not result.success
    assert sorted(failures) == [
        "ACME0000001 (exhibit 1): 1 redacted word(s) found in CSV row",
        "ACME0000001 (exhibit 1): 1 redacted word(s) found in DAT row",
    ]
