"""production_e2e: the figures issue 20 asks for, measured side by side in one run on the same pages.

    .venv/bin/python -m bench.run production_e2e --pages 2000
    NP_BENCH_E2E_SCALE=1000,10000 .venv/bin/python -m bench.run production_e2e --pages 300   # quicker

1. Whole job: our production job (TIFF, OCR off, manifest -> volumes -> load files -> archive -> every
   QC check green -> completion, every core: `production._ours_end_to_end`) beside Ghostscript
   `-sDEVICE=tiffg4 -r300` on the same PDFs with the same number of processes
   (`peer_ghostscript_all_cores`, as benchmark `production_parallel_peers` runs it). Target 0.8x.
2. One process: our render + encode with one worker (`ours_tiff_1proc`) beside single-process
   Ghostscript. Target 0.9x.
3. OCR per core: ours (tesserocr) beside the `tesseract` command line on the same 300 dpi page images,
   same language data, `--psm 3` (bench/ocr_speed.py). Target: within 1.1x (ours >= 0.91x the
   CLI's pages/s). With it the word recall against the text layer (share of the layer's words found in
   the OCR of the rendered page), for the installed data and for tessdata_fast / tessdata_best given
   as directories holding `eng.traineddata` in NP_BENCH_TESSDATA_FAST / NP_BENCH_TESSDATA_BEST (no
   model file lives in the repo; a variant without its directory says so and measures nothing).
4. Scale: the same whole job on GENERATED cases of 1,000 / 10,000 / 100,000 pages
   (NP_BENCH_E2E_SCALE, comma-separated) whose pages are 2 x 2 inches with one short line, so the
   renders cost little and the figures measure the bookkeeping (manifest, plan, load files, archive,
   QC, events); each reports wall time, the peak memory of the run process and its workers
   (summed PSS and RSS, sampled from /proc every 0.25 s; the venv has no psutil) and the manifest
   step's seconds per 1,000 documents (linear in documents when that figure stays flat).

The runner prints each figure's ratio to the peer it names (`vs`) and then a summary of the four.
Generated data is kept under NP_BENCH_DATA and reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

from bench import ocr_speed, production

SCALE_ENV = "NP_BENCH_E2E_SCALE"
DEFAULT_SCALE = "1000,10000,100000"
TESSDATA_ENV = {"fast": "NP_BENCH_TESSDATA_FAST", "best": "NP_BENCH_TESSDATA_BEST"}
# 2 x 2 inches: a 600 x 600 pixel image (1/23 of a letter page), so scale runs measure bookkeeping;
# the smallest page imaged at its own size (smaller ones are enlarged with a warning per page).
TINY_PAGE = (144.0, 144.0)


def scale_sizes() -> tuple[int, ...]:
    raw = os.environ.get(SCALE_ENV, DEFAULT_SCALE)
    return tuple(int(part) for part in raw.replace("_", "").split(",") if part.strip())


RATIO_VARIANTS = (
    "peer_ghostscript_all_cores",
    "ours_e2e_tiff_all_cores",
    "peer_ghostscript",
    "ours_tiff_1proc",
    "peer_tesseract_cli",
    "ours_tesserocr",
    "ours_tesserocr_fast",
    "ours_tesserocr_best",
)
VARIANTS = RATIO_VARIANTS + tuple(f"scale_{pages}" for pages in scale_sizes())


# --- data ----------------------------------------------------------------------------------------


def _tiny_text_pdf(rng, title: str, pages: int, *_, **__):
    """A text PDF of `pages` 2 x 2 inch pages, one short line each (stands in for demo text_pdf)."""
    import io

    from reportlab.pdfgen import canvas

    from demo.documents import MadePdf

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1, pagesize=TINY_PAGE)
    texts = []
    for number in range(1, pages + 1):
        line = f"p{number} {rng.randint(100, 999)}"
        c.setFont("Helvetica", 8)
        c.drawString(12, 68, line)
        c.showPage()
        texts.append(line)
    c.save()
    return MadePdf(buf.getvalue(), pages, texts)


def prepare_tiny(pages: int) -> dict:
    """A text-only case of `pages` tiny pages with a TIFF manifest (export 1), made once and reused."""
    import shutil
    import sqlite3
    import zipfile
    from unittest import mock

    from bench.cases import DATA_DIR
    from demo import documents
    from demo.generate import CaseSpec, generate
    from resources.settings import load_settings

    home = DATA_DIR / f"production-tiny-2in-{pages}"
    marker = home / "ready.json"
    if not marker.exists():
        shutil.rmtree(home, ignore_errors=True)
        settings = load_settings({"NP_HOME": str(home)})
        start = time.perf_counter()
        # The demo's own case builder, with its page maker swapped for tiny pages.
        with mock.patch.object(documents, "text_pdf", _tiny_text_pdf):
            spec = CaseSpec(production.PRODUCTION_CASE, "bench", 1, pages, "BM", text_only=True)
            summary = generate(settings, [spec])[0]
        case_dir = settings.object_store_root / f"case_{production.PRODUCTION_CASE}"
        manifest = case_dir / "exports/export_1/manifest.zip"
        work = home / "m1.sqlite"
        work.write_bytes(zipfile.ZipFile(manifest).read("manifest.sqlite"))
        db = sqlite3.connect(work)
        # TIFF, OCR only where a page has no text, every page imaged (no slip sheets): as `production`.
        db.execute("UPDATE export SET image_format = 'tiff', text_mode = 'extracted_then_ocr'")
        db.execute("UPDATE exhibits_for_export SET withheld = 0, produce_native = 0")
        db.commit()
        db.close()
        with zipfile.ZipFile(manifest, "w") as archive:
            archive.write(work, "manifest.sqlite")
        facts = {
            "documents": summary.documents,
            "pages": summary.pages,
            "generate_s": round(time.perf_counter() - start, 1),
        }
        marker.write_text(json.dumps(facts))
    return {"home": str(home), **json.loads(marker.read_text())}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare(size: dict) -> dict:
    fixture = production.prepare_production(size)
    fixture.update(ocr_speed.prepare(size))  # ocr_folder, tessdata (the installed data)
    for kind, env in TESSDATA_ENV.items():
        fixture[f"tessdata_{kind}"] = os.environ.get(env, "")
    fixture["scale"] = {str(pages): prepare_tiny(pages) for pages in scale_sizes()}
    return fixture


# --- peak memory of a process tree -----------------------------------------------------------------


class PeakMemory:
    """Peak summed memory of this process and all its descendants (volume workers, 7-Zip), sampled.

    PSS shares pages common to several processes among them, so its sum is the tree's real
    footprint; summed RSS counts shared library pages once per process (an upper bound)."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.peak_pss = self.peak_rss = self.peak_self_pss = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _tree() -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # gone since the listing
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        tree, todo = [], [os.getpid()]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, ()))
        return tree

    @staticmethod
    def _memory(pid: int) -> tuple[int, int]:
        pss = rss = 0
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
        except (OSError, ValueError):
            pass  # the process ended between listing and reading
        return pss, rss

    def sample(self) -> None:
        tree = self._tree()
        figures = [self._memory(pid) for pid in tree]
        self.peak_pss = max(self.peak_pss, sum(f[0] for f in figures))
        self.peak_self_pss = max(self.peak_self_pss, figures[0][0])  # the run process (tree[0])
        self.peak_rss = max(self.peak_rss, sum(f[1] for f in figures))
        self.peak_processes = max(self.peak_processes, len(tree))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)


# --- variants --------------------------------------------------------------------------------------


def _skipped(reason: str) -> dict:
    from bench.cases import _result

    return _result(0, "pages", 0.0, check=True, split={"skipped": reason})


def _ours_tesserocr_with(kind: str):
    def run(args: dict) -> dict:
        folder = args.get(f"tessdata_{kind}") or ""
        data = Path(folder) / "eng.traineddata"
        if not folder or not data.is_file():
            return _skipped(f"{TESSDATA_ENV[kind]} names no directory with eng.traineddata")
        installed = Path(args["tessdata"]) / "eng.traineddata"
        if installed.is_file() and _sha256(installed) == _sha256(data):
            # The same bytes as the installed data: its figures are ours_tesserocr's.
            return _skipped(f"same eng.traineddata as installed (sha256 {_sha256(data)[:12]})")
        result = ocr_speed.ours_tesserocr({**args, "tessdata": folder})
        result["split"]["sha256"] = _sha256(data)[:12]
        return {**result, "check": True}  # its speed is not comparable to the CLI on other data

    return run


def _scale(pages: int):
    def run(args: dict) -> dict:
        case = args["scale"][str(pages)]
        with PeakMemory() as memory:
            result = production._ours_end_to_end({**args, "home": case["home"]}, 1)
        memory.sample()
        steps = result.get("steps", {})
        manifest_s = steps.get("export_manifest")
        result["split"] = {
            "documents": case["documents"],
            "peak_pss_mib": round(memory.peak_pss / 2**20),
            "peak_rss_sum_mib": round(memory.peak_rss / 2**20),
            "peak_run_process_pss_mib": round(memory.peak_self_pss / 2**20),
            "processes": memory.peak_processes,
            "manifest_s": manifest_s,
            "manifest_ms_per_doc": (
                round(manifest_s * 1000 / case["documents"], 2) if manifest_s and case["documents"] else None
            ),
        }
        return {**result, "check": True}

    return run


def _with_peer(function, peer: str):
    def run(args: dict) -> dict:
        return {**function(args), "vs": peer}

    return run


def variant(name: str):
    """The function measuring one variant (each runs in its own process, see bench/cases.py)."""
    cores = os.cpu_count() or 1
    table = {
        "peer_ghostscript_all_cores": lambda a: production.peer_ghostscript({**a, "workers": cores}),
        "ours_e2e_tiff_all_cores": _with_peer(
            production.ours_e2e_tiff_all_cores, "peer_ghostscript_all_cores"
        ),
        "peer_ghostscript": production.peer_ghostscript,
        "ours_tiff_1proc": _with_peer(production.ours_tiff_1proc, "peer_ghostscript"),
        "peer_tesseract_cli": ocr_speed.peer_tesseract_cli,
        "ours_tesserocr": _with_peer(ocr_speed.ours_tesserocr, "peer_tesseract_cli"),
        "ours_tesserocr_fast": _ours_tesserocr_with("fast"),
        "ours_tesserocr_best": _ours_tesserocr_with("best"),
    }
    if name.startswith("scale_"):
        return _scale(int(name.removeprefix("scale_")))
    return table[name]


# --- summary ---------------------------------------------------------------------------------------


def _ratio(rows: dict, ours: str, peer: str) -> str:
    a, b = rows.get(ours), rows.get(peer)
    if not a or not b or "error" in a or "error" in b or not b["per_second"]:
        return "not measured (see the errors above)"
    return (
        f"ours {a['per_second']:.1f} pages/s / {b['per_second']:.1f} pages/s = "
        f"{a['per_second'] / b['per_second']:.2f}x"
    )


def _steps(steps: dict[str, float]) -> str:
    """Step seconds of a run, the volume steps summed (they are many at scale)."""
    volumes = sum(v for k, v in steps.items() if "export_volume[" in k)
    count = sum(1 for k in steps if "export_volume[" in k)
    rest = [f"{k.removeprefix('export_')}={v}" for k, v in steps.items() if "export_volume" not in k]
    return f"volumes={volumes:.2f} ({count} steps) " + " ".join(rest) if steps else "-"


def summary(measured: list[dict]) -> str:
    rows = {m["variant"]: m for m in measured}
    cores = os.cpu_count() or 1
    lines = [
        f"1. whole job (TIFF, OCR off, manifest -> archive -> all checks, {cores} processes) vs "
        f"Ghostscript tiffg4 -r300 in {cores} processes: "
        + _ratio(rows, "ours_e2e_tiff_all_cores", "peer_ghostscript_all_cores")
        + "  [target >= 0.80x]",
        "   its steps (s): " + _steps(rows.get("ours_e2e_tiff_all_cores", {}).get("steps", {})),
        "2. one process, render + encode (ours_tiff_1proc) vs Ghostscript in 1 process: "
        + _ratio(rows, "ours_tiff_1proc", "peer_ghostscript")
        + "  [target >= 0.90x]",
        "3. OCR per core vs the tesseract CLI (same images, data, --psm 3, 1 thread): "
        + _ratio(rows, "ours_tesserocr", "peer_tesseract_cli")
        + "  [target within 1.1x: >= 0.91x]",
    ]
    for name, label in (
        ("ours_tesserocr", "installed"),
        ("ours_tesserocr_fast", "tessdata_fast"),
        ("ours_tesserocr_best", "tessdata_best"),
    ):
        row = rows.get(name, {})
        split = row.get("split", {})
        if "error" in row:
            figure = "ERROR " + row["error"]
        elif "skipped" in split:
            figure = "skipped: " + split["skipped"]
        else:
            figure = f"word recall {split.get('word_recall')}, {row.get('per_second', 0):.2f} pages/s"
        lines.append(f"   eng {label}: {figure}")
    lines.append(
        "4. scale: generated cases of 2 x 2 inch pages (cheap renders: the figures are the bookkeeping "
        "- manifest, plan, load files, archive, QC, events), whole job, every core"
    )
    lines.append(
        f"   {'pages':>8} {'documents':>9} {'wall s':>8} {'pages/s':>8} {'peak PSS MiB':>12} "
        f"{'RSS sum MiB':>11} {'run proc PSS':>12} {'manifest s':>10} {'ms/doc':>7} {'marginal ms/doc':>15}"
    )
    previous = None  # (documents, manifest seconds) of the size before: the slope tells linear
    for pages in scale_sizes():
        row = rows.get(f"scale_{pages}")
        if not row or "error" in row:
            lines.append(f"   {pages:>8} ERROR {row.get('error') if row else 'not run'}")
            continue
        s = row["split"]
        marginal = ""
        if previous and s["manifest_s"] is not None and s["documents"] > previous[0]:
            marginal = f"{(s['manifest_s'] - previous[1]) * 1000 / (s['documents'] - previous[0]):.2f}"
        lines.append(
            f"   {row['units']:>8,} {s['documents']:>9,} {row['seconds']:>8.1f} {row['per_second']:>8.1f} "
            f"{s['peak_pss_mib']:>12,} {s['peak_rss_sum_mib']:>11,} {s['peak_run_process_pss_mib']:>12,} "
            f"{s['manifest_s']!s:>10} {s['manifest_ms_per_doc']!s:>7} {marginal:>15}"
        )
        lines.append("            steps (s): " + _steps(row.get("steps", {})))
        if s["manifest_s"] is not None:
            previous = (s["documents"], s["manifest_s"])
    lines.append(
        "   peak PSS: the run process and every descendant (volume workers, 7-Zip), shared pages split; "
        "RSS sum counts shared pages per process; run proc PSS: the run process alone (Dagster, "
        "manifest, load files, archive, QC)"
    )
    return "\n".join(lines)
