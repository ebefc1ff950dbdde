"""Stamping benchmarks: ours (numbering + layout + database writes + files) beside two peers on the
same pages.

Peers: pypdf + reportlab overlay merged per page (the usual choice), and a bare
pikepdf append of one small content stream per page (the practical limit).
"""

from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path

STAMP_CASE = 302


def _home(pages: int) -> Path:
    from bench.cases import DATA_DIR

    return DATA_DIR / f"stamping-{pages}"


def prepare_stamping(size: dict) -> dict:
    """A text-only case of `pages` pages (made once, reused); every variant stamps a fresh copy."""
    from demo.generate import CaseSpec, generate
    from resources.settings import load_settings

    home = _home(size["pages"])
    if not (home / "ready").exists():
        shutil.rmtree(home, ignore_errors=True)
        generate(
            load_settings({"NP_HOME": str(home)}),
            [CaseSpec(STAMP_CASE, "bench", 1, size["pages"], "ST", text_only=True)],
        )
        (home / "ready").write_text("ok")
    settings = load_settings({"NP_HOME": str(home)})
    pdfs = sorted(
        str(p)
        for p in (settings.object_store_root / f"case_{STAMP_CASE}" / "documents").glob("*/rendition.pdf")
    )
    return {"home": str(home), "pdfs": pdfs}


def _fresh_copy(args: dict, name: str) -> tuple[object, Path]:
    """The case copied to a scratch home, so every variant starts from no stamps."""
    from resources.settings import load_settings

    scratch = Path(args["home"]).parent / f"run-{name}-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(args["home"], scratch)
    os.environ["NP_HOME"] = str(scratch)
    return load_settings({"NP_HOME": str(scratch)}), scratch


def _exhibit_ids(engine) -> list[int]:
    from sqlalchemy import select

    from domain.schema import exhibits

    with engine.connect() as conn:
        return [r.id for r in conn.execute(select(exhibits.c.id).order_by(exhibits.c.id))]


def _ours(args: dict, output: str, workers: int) -> dict:
    """Bates numbers taken and written for every exhibit, then every page stamped and uploaded."""
    import tempfile

    from domain.stamps import service
    from domain.stamps.request import parse_request
    from imaging.pageset import PageSetSettings
    from nextpoint_assets.stamps.sync import SourceCache, sync_page_set
    from resources.dagster_resources import DatabaseResource
    from resources.object_store import CaseStore, build_object_store

    settings, scratch = _fresh_copy(args, f"{output}-{workers}")
    engine = DatabaseResource.from_settings(settings).databases().case_writer(STAMP_CASE)
    store = CaseStore(build_object_store(settings), STAMP_CASE)
    body = {
        "event_id": "bench",
        "case_id": STAMP_CASE,
        "type": "bates_stamp",
        "action": "apply",
        "exhibit_ids": _exhibit_ids(engine),
        "pattern_id": 1,
    }
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        sources = SourceCache(store, Path(tmp))
        result = service.handle(parse_request(body), engine, store, sources.count_pages)
        numbered = time.perf_counter()
        summary = sync_page_set(
            store, engine, PageSetSettings(outputs=(output,)), workers=workers, sources=sources
        )
    seconds = time.perf_counter() - start
    shutil.rmtree(scratch, ignore_errors=True)
    return {
        "units": summary.pages_stamped,
        "unit": "pages",
        "seconds": seconds,
        "per_second": summary.pages_stamped / seconds,
        "peer": False,
        "split": {
            "numbering_db": round(numbered - start, 2),
            "stamping": round(seconds - (numbered - start), 2),
            "failed_exhibits": len(result.failed),
        },
    }


def ours_annotations_1proc(args: dict) -> dict:
    return _ours(args, "annotations", 1)


def ours_annotations_all_cores(args: dict) -> dict:
    return _ours(args, "annotations", os.cpu_count() or 1)


def ours_burned_1proc(args: dict) -> dict:
    return _ours(args, "burned", 1)


def ours_burned_all_cores(args: dict) -> dict:
    return _ours(args, "burned", os.cpu_count() or 1)


def _peer(args: dict, name: str, stamp_file) -> dict:
    """Time `stamp_file(source, target, first_number) -> pages` over every PDF of the case."""
    out = Path(args["home"]).parent / f"peer-{name}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    pages = 0
    start = time.perf_counter()
    for index, path in enumerate(args["pdfs"]):
        pages += stamp_file(path, out / f"{index}.pdf", pages + 1)
    seconds = time.perf_counter() - start
    shutil.rmtree(out, ignore_errors=True)
    return {"units": pages, "unit": "pages", "seconds": seconds, "per_second": pages / seconds, "peer": True}


def peer_pypdf_reportlab_overlay(args: dict) -> dict:
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfgen import canvas

    def stamp_file(path: str, target: Path, number: int) -> int:
        reader, writer = PdfReader(path), PdfWriter()
        for offset, source_page in enumerate(reader.pages):
            page = writer.add_page(source_page)
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            buf = io.BytesIO()
            c = canvas.Canvas(buf, pagesize=(width, height))
            c.setFont("Helvetica", 10)
            c.drawRightString(width - 18, 18, f"ST{number + offset:07d}")
            c.drawString(18, 18, "CONFIDENTIAL")
            c.save()
            page.merge_page(PdfReader(io.BytesIO(buf.getvalue())).pages[0])
        with open(target, "wb") as handle:
            writer.write(handle)
        return len(reader.pages)

    return _peer(args, "pypdf", stamp_file)


def peer_pikepdf_bare_append(args: dict, **save) -> dict:
    import pikepdf

    def stamp_file(path: str, target: Path, number: int) -> int:
        with pikepdf.open(path) as pdf:
            font = pdf.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
                )
            )
            for offset, page in enumerate(pdf.pages):
                page.add_resource(font, pikepdf.Name.Font, pikepdf.Name("/FStamp"))
                page.contents_add(
                    pdf.make_stream(
                        (
                            b"BT /FStamp 10 Tf 520 18 Td (ST%07d) Tj ET "
                            b"BT /FStamp 10 Tf 18 18 Td (CONFIDENTIAL) Tj ET"
                        )
                        % (number + offset)
                    )
                )
            pdf.save(target, **save)
            return len(pdf.pages)

    return _peer(args, "pikepdf", stamp_file)


def peer_pikepdf_bare_append_no_recompress(args: dict) -> dict:
    """The same, saved as ours are (compress_streams=False): the limit for our save settings."""
    return peer_pikepdf_bare_append(args, compress_streams=False)


def _allocate_group(payload: tuple[str, list[int], int, float]) -> tuple[float, float, int]:
    import tempfile

    from domain.stamps import service
    from domain.stamps.request import parse_request
    from nextpoint_assets.stamps.sync import SourceCache
    from resources.dagster_resources import DatabaseResource
    from resources.object_store import CaseStore, build_object_store
    from resources.settings import load_settings

    home, ids, worker, go = payload
    settings = load_settings({"NP_HOME": home})
    engine = DatabaseResource.from_settings(settings).databases().case_writer(STAMP_CASE)
    store = CaseStore(build_object_store(settings), STAMP_CASE)
    body = {
        "event_id": f"alloc-{worker}",
        "case_id": STAMP_CASE,
        "type": "bates_stamp",
        "action": "apply",
        "exhibit_ids": ids,
        "pattern_id": 1,
    }
    with tempfile.TemporaryDirectory() as tmp:
        counter = SourceCache(store, Path(tmp))
        time.sleep(max(0.0, go - time.time()))  # every process starts its request at the same moment
        start = time.time()
        result = service.handle(parse_request(body), engine, store, counter.count_pages)
    return start, time.time(), result.pages


def ours_8_concurrent_requests(args: dict) -> dict:
    """8 processes each numbering ~1/8 of the case at once on one pattern; then proof of no gap, no
    duplicate."""
    import multiprocessing

    from sqlalchemy import select

    from domain.schema import exhibits, stamp_details
    from resources.dagster_resources import DatabaseResource

    settings, scratch = _fresh_copy(args, "alloc")
    engine = DatabaseResource.from_settings(settings).databases().case_writer(STAMP_CASE)
    with engine.connect() as conn:
        counted = [
            (r.id, r.page_count or 0)
            for r in conn.execute(select(exhibits.c.id, exhibits.c.page_count).order_by(exhibits.c.id))
        ]
    total = sum(p for _, p in counted)
    groups: list[list[int]] = [[] for _ in range(8)]
    running = 0
    for exhibit_id, pages in counted:  # contiguous slices of about total/8 pages each
        groups[min(7, running * 8 // max(total, 1))].append(exhibit_id)
        running += pages
    go = (
        time.time() + 8
    )  # after the interpreters have started: the wall time is the requests', not Python's start-up
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        outcomes = pool.map(_allocate_group, [(str(scratch), ids, w, go) for w, ids in enumerate(groups)])
    seconds = max(o[1] for o in outcomes) - min(o[0] for o in outcomes)
    with engine.connect() as conn:
        numbers = sorted(r[0] for r in conn.execute(select(stamp_details.c.bates_number)))
    proof = "no gap, no duplicate" if numbers == list(range(1, len(numbers) + 1)) else "GAP OR DUPLICATE"
    shutil.rmtree(scratch, ignore_errors=True)
    return {
        "units": len(numbers),
        "unit": "numbers",
        "seconds": seconds,
        "per_second": len(numbers) / seconds,
        "peer": False,
        "split": {
            "requests": 8,
            "slowest_request_s": round(max(o[1] - o[0] for o in outcomes), 2),
            "pages_per_request": round(sum(o[2] for o in outcomes) / 8),
            "check": proof.replace(" ", "_"),
        },
    }
