"""renditions: speed and memory of HTML renditions (issue 21) beside poppler's `pdftohtml`.

    .venv/bin/python -m bench.run renditions
    NP_BENCH_RENDITIONS_LARGE=2000 .venv/bin/python -m bench.run renditions   # quicker memory runs
    NP_BENCH_RENDITIONS_TAGGED_LARGE=10000 ...   # the tagged large document (default 2,000 pages)

Speed, all on the SAME pages (the speed set): the 12 answer keys of bench/renditions_corpus.py
(seed 21), each as Chromium printed it (tagged) and as its untagged copy, plus every real-world PDF
of tests/corpus/ (see its SOURCES.md) that pdfium opens as it is, pdftohtml converts and whose
every page has a text layer. Scanned (image-only) pages are kept OUT of the speed set: ours reads
them by OCR (seconds a page; benchmark `ocr_cli` measures that), pdftohtml does not read them at
all, so a ratio would compare different work. Encrypted, damaged and empty files are out too (they are
named problems, not renditions).

- `ours_1proc`: imaging/renditions/document.py `render_document` over every PDF, one process.
- `ours_all_cores`: the same spread over os.cpu_count() processes (a process pool, one PDF a task).
- `peer_pdftohtml_1proc` / `peer_pdftohtml_all_cores`: `pdftohtml -s -i -noframes -q in out.html`
  per PDF, one at a time / as many at once as cores. The non-semantic floor: positioned text, no
  headings, lists, tables, reading order or alt text.
- `limit_text_layer_1proc`: the text layer alone with pypdfium2 (open, each page's
  `get_textpage().get_text_range()`): what any rendition must at least pay.

Memory, each in its own process (the runner records its peak RSS): `render_document` of a generated
100-page and 10,000-page untagged document (pikepdf copies of the untagged answer keys' pages, in
turn) and of a 100-page and a large tagged document (Chromium printing one long HTML page of
answer-key bodies with tagged=True: pikepdf page copies would lose the structure tree). The large
sizes are NP_BENCH_RENDITIONS_LARGE pages untagged (default 10,000) and
NP_BENCH_RENDITIONS_TAGGED_LARGE tagged (default 2,000: Chromium lays the long page out in one
piece and did not finish 10,000 pages in 20 minutes on a 2-core machine). The summary prints the
peak RSS of each and the ratio large / 100 pages: "memory flat from 100 to 10,000 pages" is a ratio
near 1.

Generated PDFs are kept under NP_BENCH_DATA (default /tmp/np-bench)/renditions and reused.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

PDFTOHTML = "/usr/bin/pdftohtml"
LARGE_ENV = "NP_BENCH_RENDITIONS_LARGE"
TAGGED_LARGE_ENV = "NP_BENCH_RENDITIONS_TAGGED_LARGE"
KEYS, SEED = 12, 21
SMALL = 100
REAL_CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"

SPEED = ("peer_pdftohtml_1proc", "ours_1proc", "peer_pdftohtml_all_cores", "ours_all_cores")
MEMORY = ("memory_untagged_small", "memory_untagged_large", "memory_tagged_small", "memory_tagged_large")
VARIANTS = (*SPEED, "limit_text_layer_1proc", *MEMORY)
_VS = {
    "ours_1proc": "peer_pdftohtml_1proc",
    "ours_all_cores": "peer_pdftohtml_all_cores",
    "limit_text_layer_1proc": "peer_pdftohtml_1proc",
}


def large_pages() -> int:
    return int(os.environ.get(LARGE_ENV, "10000").replace("_", ""))


def tagged_large_pages() -> int:
    # Chromium lays a long page out in one piece: 300 pages print in 6 s, 10,000 took over 20
    # minutes (and 7 GB) without finishing on the 2-core machine, so the tagged default is 2,000.
    return int(os.environ.get(TAGGED_LARGE_ENV, "2000").replace("_", ""))


# --- data --------------------------------------------------------------------------------------


def _text_only(pdf: Path) -> bool:
    """pdfium opens it as it is (no repair, no password) and every page has text characters."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(pdf))
    except pdfium.PdfiumError:
        return False
    try:
        if len(document) == 0:
            return False
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            try:
                if not textpage.get_text_range().strip():
                    return False
            finally:
                textpage.close()
                page.close()
        return True
    finally:
        document.close()


def _poppler_converts(pdf: Path) -> bool:
    """pdftohtml makes a page of it (it refuses, for one, a PDF whose owner forbids copying text)."""
    try:
        _pdftohtml(str(pdf))
    except (subprocess.CalledProcessError, RuntimeError):
        return False
    return True


def _copies(sources: list[Path], pages: int, out: Path) -> None:
    """`pages` pages: the sources' pages in turn, repeated (qpdf makes each repeat its own page)."""
    import pikepdf

    opened = [pikepdf.open(source) for source in sources]
    try:
        with pikepdf.new() as pdf:
            base = [page for source in opened for page in source.pages]
            for page in base[:pages]:
                pdf.pages.append(page)
            for index in range(len(pdf.pages), pages):
                pdf.pages.append(pdf.pages[index % len(base)])
            pdf.save(out)
    finally:
        for source in opened:
            source.close()


def _long_tagged(pages: int, out: Path) -> None:
    """One long HTML page of answer-key bodies, printed by Chromium with tags, at least `pages` long
    (estimated at 7 pages a key, printed again with more keys if short), then cut to `pages` by
    printing only that page range."""
    from playwright.sync_api import sync_playwright

    from bench.renditions_corpus import CSS, chromium, source

    executable = chromium()
    if executable is None:
        raise RuntimeError("no system Chromium (apt package `chromium`)")
    keys = max(2, pages // 6 + 1)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_default_timeout(0)
            bodies = [source(SEED + 1, index).html for index in range(keys)]
            bodies = [body.split("<body>", 1)[1].rsplit("</body>", 1)[0] for body in bodies]
            document = (
                f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Long tagged</title>'
                f"<style>{CSS}</style></head><body>{''.join(bodies)}</body></html>"
            )
            page.set_content(document, wait_until="load")
            options: dict = {"format": "Letter", "tagged": True, "print_background": True}
            options["margin"] = {"top": "0.8in", "bottom": "0.8in", "left": "0.7in", "right": "0.7in"}
            out.write_bytes(page.pdf(page_ranges=f"1-{pages}", **options))
        finally:
            browser.close()


def prepare(size: dict) -> dict:
    from bench.cases import DATA_DIR
    from bench.renditions_corpus import corpus

    large = large_pages()
    folder = DATA_DIR / "renditions"
    keys_folder = folder / f"keys-{SEED}-{KEYS}"
    if not (keys_folder / "ready").exists():
        shutil.rmtree(keys_folder, ignore_errors=True)
        corpus(keys_folder, count=KEYS, seed=SEED)
        (keys_folder / "ready").write_text("ok")
    keys = sorted(keys_folder.glob("*.tagged.pdf")) + sorted(keys_folder.glob("*.untagged.pdf"))
    real = [p for p in sorted(REAL_CORPUS.glob("*.pdf")) if _text_only(p) and _poppler_converts(p)]
    speed = [*keys, *real]
    documents = {}
    for kind, pages in (("untagged_small", SMALL), ("untagged_large", large)):
        path = folder / f"untagged-{pages}.pdf"
        if not path.exists():
            _copies(sorted(keys_folder.glob("*.untagged.pdf")), pages, path.with_suffix(".part"))
            path.with_suffix(".part").rename(path)
        documents[kind] = str(path)
    for kind, pages in (("tagged_small", SMALL), ("tagged_large", tagged_large_pages())):
        path = folder / f"tagged-{pages}.pdf"
        if not path.exists():
            _long_tagged(pages, path.with_suffix(".part"))
            path.with_suffix(".part").rename(path)
        documents[kind] = str(path)
    return {"speed_pdfs": [str(p) for p in speed], "documents": documents, "large_pages": large}


# --- speed -------------------------------------------------------------------------------------


def _pages(pdf: Path) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        return len(document)
    finally:
        document.close()


def _render(pdf: str) -> int:
    """One rendition of `pdf` into a temporary folder; its page count."""
    from imaging.engine import LocalDocumentEngine
    from imaging.renditions.document import render_document

    out = Path(tempfile.mkdtemp(prefix="np-rendition-"))
    try:
        result = render_document(
            LocalDocumentEngine(), Path(pdf), title="", page_labels=None, out_dir=out, max_pages=1_000_000
        )
        if result.entry is None:
            raise RuntimeError(result.problem.line())
        return result.entry.pages
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _pdftohtml(pdf: str) -> int:
    out = Path(tempfile.mkdtemp(prefix="np-pdftohtml-"))
    try:
        subprocess.run(
            [PDFTOHTML, "-s", "-i", "-noframes", "-q", pdf, str(out / "out.html")],
            check=True,
            capture_output=True,
        )
        if not (out / "out.html").is_file():
            raise RuntimeError(f"pdftohtml wrote nothing for {Path(pdf).name}")
        return _pages(Path(pdf))
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _largest_first(args: dict) -> list[str]:
    """The speed set, biggest documents first (a pool then ends evenly)."""
    return sorted(args["speed_pdfs"], key=lambda p: -_pages(Path(p)))


def _warm() -> None:
    """A pool worker's imports, made before the clock starts (a long-running pool has them)."""
    import imaging.renditions.document  # noqa: F401


def _speed(args: dict, work, processes: int, peer: bool, pool=ProcessPoolExecutor) -> dict:
    from bench.cases import _result

    pdfs = _largest_first(args)
    if processes == 1:
        if not peer:
            _warm()
        start = time.perf_counter()
        pages = sum(work(pdf) for pdf in pdfs)
    else:
        options = {} if peer else {"initializer": _warm}
        with pool(max_workers=processes, **options) as executor:
            list(executor.map(int, range(processes)))  # every worker started
            start = time.perf_counter()
            pages = sum(executor.map(work, pdfs))
    seconds = time.perf_counter() - start
    split = {"pdfs": len(pdfs), "processes": processes}
    return _result(pages, "pages", seconds, peer=peer, split=split)


def ours_1proc(args: dict) -> dict:
    return {**_speed(args, _render, 1, False), "vs": _VS["ours_1proc"]}


def ours_all_cores(args: dict) -> dict:
    return {**_speed(args, _render, os.cpu_count() or 1, False), "vs": _VS["ours_all_cores"]}


def peer_pdftohtml_1proc(args: dict) -> dict:
    return _speed(args, _pdftohtml, 1, True)


def peer_pdftohtml_all_cores(args: dict) -> dict:
    # Threads only start the processes: each pdftohtml is its own process, as many at once as cores.
    return _speed(args, _pdftohtml, os.cpu_count() or 1, True, pool=ThreadPoolExecutor)


def limit_text_layer_1proc(args: dict) -> dict:
    import pypdfium2 as pdfium

    from bench.cases import _result

    pdfs = _largest_first(args)
    start = time.perf_counter()
    pages = 0
    for pdf in pdfs:
        document = pdfium.PdfDocument(pdf)
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
            pages += 1
        document.close()
    seconds = time.perf_counter() - start
    return {
        **_result(pages, "pages", seconds, split={"pdfs": len(pdfs)}),
        "vs": _VS["limit_text_layer_1proc"],
    }


# --- memory ------------------------------------------------------------------------------------


def _memory(args: dict, kind: str) -> dict:
    from bench.cases import _result

    pdf = args["documents"][kind]
    start = time.perf_counter()
    pages = _render(pdf)
    seconds = time.perf_counter() - start
    # check: a figure of its own (peak RSS), not a ratio to a peer
    return _result(pages, "pages", seconds, check=True, split={"document": Path(pdf).name})


def memory_untagged_small(args: dict) -> dict:
    return _memory(args, "untagged_small")


def memory_untagged_large(args: dict) -> dict:
    return _memory(args, "untagged_large")


def memory_tagged_small(args: dict) -> dict:
    return _memory(args, "tagged_small")


def memory_tagged_large(args: dict) -> dict:
    return _memory(args, "tagged_large")


# --- summary -----------------------------------------------------------------------------------


def summary(measured: list[dict]) -> str:
    rows = {m["variant"]: m for m in measured}

    def ratio(mine: str, peer: str) -> str:
        a, b = rows.get(mine, {}), rows.get(peer, {})
        if "error" in a or "error" in b or not b.get("per_second"):
            return "n/a"
        mine, theirs = a["per_second"], b["per_second"]
        return f"{mine:.1f} / {theirs:.1f} pages/s = {mine / theirs:.2f}x"

    def memory(small: str, large: str) -> str:
        a, b = rows.get(small, {}), rows.get(large, {})
        if "peak_mib" not in a or "peak_mib" not in b:
            return "n/a (" + (a.get("error") or b.get("error") or "not run") + ")"
        return (
            f"{a['units']:,} pages {a['peak_mib']:.0f} MiB, {b['units']:,} pages {b['peak_mib']:.0f} MiB: "
            f"x{b['peak_mib'] / a['peak_mib']:.2f} for x{b['units'] / max(a['units'], 1):.0f} the pages "
            f"({b['per_second']:.1f} pages/s)"
        )

    cores = os.cpu_count() or 1
    pdfs = rows.get("ours_1proc", {}).get("split", {}).get("pdfs", "?")
    return "\n".join(
        [
            f"speed set: {pdfs} PDFs (answer keys tagged + untagged, text-layer real-world corpus)",
            "1. ours vs pdftohtml, 1 process: " + ratio("ours_1proc", "peer_pdftohtml_1proc"),
            f"2. ours vs pdftohtml, {cores} processes: "
            + ratio("ours_all_cores", "peer_pdftohtml_all_cores"),
            "3. text layer alone (pypdfium2) vs pdftohtml, 1 process: "
            + ratio("limit_text_layer_1proc", "peer_pdftohtml_1proc"),
            "   ours as a share of the text-layer limit: " + ratio("ours_1proc", "limit_text_layer_1proc"),
            "4. peak RSS, untagged: " + memory("memory_untagged_small", "memory_untagged_large"),
            "   peak RSS, tagged:   " + memory("memory_tagged_small", "memory_tagged_large"),
        ]
    )
