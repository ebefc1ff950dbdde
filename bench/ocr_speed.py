"""OCR per core: our tesseract (tesserocr, imaging/ocr.py) beside the `tesseract` command line on
the same 300 dpi page images, with the same language data and page segmentation (--psm 3, AUTO).

`prepare` renders the first pages of the production benchmark's PDFs (text-layer PDFs of the demo
case) to greyscale PNG at 300 dpi, once. Both variants read those files, one process, one thread
(OMP_THREAD_LIMIT=1: per core); the command line gets them all in one call (a list file), so it
loads its model once, as we do. Ours also reports its word recall against the PDFs' text layer.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

VARIANTS = ("peer_tesseract_cli", "ours_tesserocr")
OCR_PAGES = 24  # 2-3 s of CPU a page each way: enough pages for a steady figure in a few minutes


def prepare(size: dict) -> dict:
    from bench.cases import DATA_DIR
    from bench.production import prepare_production
    from imaging import raster
    from imaging.engine import LocalDocumentEngine
    from imaging.ocr import find_tessdata

    pdfs = prepare_production(size)["pdfs"]
    folder = DATA_DIR / f"ocr-pages-{size['pages']}-{OCR_PAGES}"
    engine = LocalDocumentEngine()
    if not (folder / "ready").exists():
        folder.mkdir(parents=True, exist_ok=True)
        made = 0
        for pdf in pdfs:
            texts = engine.page_texts(Path(pdf))
            for index, text in enumerate(texts):
                if made == OCR_PAGES:
                    break
                image = engine.render_page(Path(pdf), index, raster.DPI, grayscale=True)
                image.save(folder / f"page_{made:04d}.png", dpi=(raster.DPI, raster.DPI))
                (folder / f"page_{made:04d}.txt").write_text(text, encoding="utf-8")
                made += 1
        (folder / "ready").write_text("ok")
    return {"ocr_folder": str(folder), "tessdata": str(find_tessdata())}


def _images(args: dict) -> list[Path]:
    return sorted(Path(args["ocr_folder"]).glob("page_*.png"))


def peer_tesseract_cli(args: dict) -> dict:
    images = _images(args)
    listing = Path(tempfile.mkdtemp(prefix="np-ocr-")) / "pages.txt"
    listing.write_text("".join(f"{p}\n" for p in images))
    command = ["tesseract", str(listing), "stdout", "--psm", "3", "-l", "eng"]
    command += ["--tessdata-dir", args["tessdata"]]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    seconds = time.perf_counter() - start
    from bench.cases import _result

    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    return _result(len(images), "pages", seconds, peer=True, split={"engine": version.replace(" ", "-")})


def ours_tesserocr(args: dict) -> dict:
    os.environ["OMP_THREAD_LIMIT"] = "1"  # before tesseract loads: one thread, per core
    import tesserocr
    from PIL import Image

    from bench.cases import _result
    from imaging.ocr import TesseractOcr

    engine = TesseractOcr(Path(args["tessdata"]))
    images = _images(args)
    texts = []
    start = time.perf_counter()
    for path in images:
        with Image.open(path) as image:
            texts.append(engine.ocr(image))
    seconds = time.perf_counter() - start
    # Word recall against the text layer the page was rendered from (a multiset of words).
    found = expected = 0
    for path, text in zip(images, texts, strict=True):
        layer = Counter(path.with_suffix(".txt").read_text(encoding="utf-8").split())
        found += sum((layer & Counter(text.split())).values())
        expected += sum(layer.values())
    recall = found / expected if expected else 0.0
    version = tesserocr.tesseract_version().split("\n")[0]
    return _result(
        len(images),
        "pages",
        seconds,
        split={"engine": version.replace(" ", "-"), "word_recall": f"{recall:.3f}"},
    )
