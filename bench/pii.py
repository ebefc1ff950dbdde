"""PII scan benchmark: pages per second on the demo case's text, recall and precision on planted PII.

`prepare` makes (once, under $NP_BENCH_DATA) the text-only demo case of `--pages` pages (the
production benchmark's case 301) and writes each document's text layer as a text file, as a
production's TEXT/ holds it; and a planted corpus (demo/pii_corpus.py, 2,000 pages, another seed than
the tests') with the place of every planted value.

- `ours_scanner`: domain/pii's Scanner over every page (one process), then over the planted corpus:
  recall per kind, precision overall.
- `ours_run_scan`: the scan step itself (nextpoint_assets/pii/scanning.run_scan): texts read from the
  object store, findings and the CSV report written, the scan recorded in the platform database.
- `peer_regex_only`: the usual first attempt, one regular expression per kind, no checksum, no
  context: as fast as it gets, and what its precision costs.

`ours_scanner` and `peer_regex_only` are also scored on the independent set (bench/pii_eval: made
without the recognizers in view, tuned on its `dev` half, reported on its `test` half): recall and
precision per type, recall per form, false alarms per look-alike; the table is printed after the
timing table.
"""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path

PLANTED_PAGES = 2_000
KINDS = ("US_SSN", "CREDIT_CARD", "IBAN_CODE", "EMAIL_ADDRESS", "PHONE_NUMBER", "DATE_OF_BIRTH")
TARGET_KINDS = ("US_SSN", "CREDIT_CARD", "IBAN_CODE", "EMAIL_ADDRESS")


def prepare_pii(size: dict) -> dict:
    from bench.cases import DATA_DIR
    from bench.production import PRODUCTION_CASE, prepare_production
    from demo.pii_corpus import document
    from imaging.engine import LocalDocumentEngine

    pages = size.get("pages") or 10_000
    production = prepare_production({"pages": pages})
    folder = DATA_DIR / f"pii-{pages}"
    texts = folder / "texts"
    if not (folder / "ready").exists():
        texts.mkdir(parents=True, exist_ok=True)
        engine = LocalDocumentEngine()
        for number, pdf in enumerate(production["pdfs"], start=1):
            (texts / f"{number:06d}.txt").write_text(
                "\f".join(engine.page_texts(Path(pdf))), encoding="utf-8"
            )
        rng = random.Random(4242)
        corpus = []
        for number in range(PLANTED_PAGES // 10):
            text, planted = document(rng, 10, plants_per_page=0.6)
            corpus.append({"document_id": number, "text": text, "planted": [p.__dict__ for p in planted]})
        (folder / "planted.json").write_text(json.dumps(corpus))
        (folder / "ready").write_text("ok")
    return {
        "texts": str(texts),
        "planted": str(folder / "planted.json"),
        "case_home": production["home"],
        "case_id": PRODUCTION_CASE,
    }


def _texts(args: dict) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(Path(args["texts"]).glob("*.txt"))]


def _score(find, corpus: list[dict]) -> dict:
    """Recall per kind and precision overall: a finding counts when it overlaps a planted value of its
    kind."""
    found = dict.fromkeys(KINDS, 0)
    total = dict.fromkeys(KINDS, 0)
    true = false = 0
    for doc in corpus:
        findings = find(doc["text"])  # (page, start, end, type)
        planted = doc["planted"]
        for p in planted:
            total[p["type"]] += 1
            found[p["type"]] += any(
                f[0] == p["page"] and f[3] == p["type"] and f[1] < p["end"] and p["start"] < f[2]
                for f in findings
            )
        for f in findings:
            hit = any(
                f[0] == p["page"] and f[3] == p["type"] and f[1] < p["end"] and p["start"] < f[2]
                for p in planted
            )
            true += hit
            false += not hit
    recall = {k: round(found[k] / total[k], 4) for k in KINDS if total[k]}
    precision = round(true / (true + false), 4) if true + false else 1.0
    return {
        "recall": recall,
        "precision": precision,
        "planted": sum(total.values()),
        "false_positives": false,
        "target_met": all(recall.get(k, 0) >= 0.98 for k in TARGET_KINDS) and precision >= 0.95,
    }


def ours_scanner(args: dict) -> dict:
    from bench.cases import _result
    from domain.pii.scan import Scanner

    scanner = Scanner()
    texts = _texts(args)
    pages = sum(t.count("\f") + 1 for t in texts)
    started = time.perf_counter()
    findings = sum(len(list(scanner.scan_document(i, t))) for i, t in enumerate(texts))
    seconds = time.perf_counter() - started

    def find(text):
        return [(f.page, f.start, f.end, f.type) for f in scanner.scan_document(0, text)]

    quality = _score(find, json.loads(Path(args["planted"]).read_text()))
    independent = _independent(
        lambda page: [(m.type, m.start, m.end, m.value) for m in scanner.matches(page)]
    )
    return _result(pages, "pages", seconds, findings_on_demo_case=findings, **quality, **independent)


def _independent(matches) -> dict:
    """Scores on the independent set's test half (and dev half): `matches(page) -> [(type, start,
    end, value)]`. Spreadsheets go through the same reader as a production's natives; their findings
    are matched by value, since the reader's text is not the record's."""
    import io

    from bench.pii_eval.score import load, score, table, write_xlsx
    from domain.pii.spreadsheets import spreadsheet_text

    def find(record: dict) -> list[tuple]:
        if record["format"] in ("csv", "xlsx"):
            if record["format"] == "csv":
                data = record["text"].encode("utf-8")
            else:
                data = write_xlsx(record, io.BytesIO()).getvalue()
            text = spreadsheet_text(data, record["format"])
            return [(t, None, None, v) for page in text.split("\f") for t, _, _, v in matches(page)]
        out, offset = [], 0
        for page in record["text"].split("\f"):
            out += [(t, s + offset, e + offset, v) for t, s, e, v in matches(page)]
            offset += len(page) + 1
        return out

    test, dev = score(load(split="test"), find), score(load(split="dev"), find)
    brief = {t: (row["recall"], row["precision"]) for t, row in test["types"].items()}
    return {"independent_test": brief, "independent": {"test": test, "dev": dev}, "report": table(test)}


def ours_run_scan(args: dict) -> dict:
    """The scan step without Dagster: store reads, findings file, CSV report, platform database row."""
    import shutil
    import tempfile

    from bench.cases import _result
    from nextpoint_assets.pii.scanning import ScanText, run_scan
    from resources.dagster_resources import DatabaseResource
    from resources.event_bus import LocalEventBus
    from resources.object_store import CaseStore, build_object_store
    from resources.settings import load_settings

    home = Path(tempfile.mkdtemp(prefix="np-bench-pii-"))
    try:
        settings = load_settings({"NP_HOME": str(home)})
        store = CaseStore(build_object_store(settings), args["case_id"])
        texts = []
        for number, path in enumerate(sorted(Path(args["texts"]).glob("*.txt")), start=1):
            key = f"exports/export_9/production/BENCH/VOL001/TEXT/0001/{number:06d}.txt"
            store.put_bytes(key, path.read_bytes())
            texts.append(ScanText(number, f"BM{number:07d}", key))
        platform = DatabaseResource.from_settings(settings).databases().platform()
        started = time.perf_counter()
        outcome = run_scan(
            subject="export",
            subject_key=f"{args['case_id']}-9",
            case_id=args["case_id"],
            store=store,
            texts=texts,
            findings_prefix="exports/export_9/pii/",
            threshold=settings.pii_threshold,
            settings=settings,
            platform=platform,
            bus=LocalEventBus(settings.events_file),
            extra_event={"export_id": 9},
        )
        seconds = time.perf_counter() - started
        return _result(
            outcome.row["pages"],
            "pages",
            seconds,
            documents=outcome.row["documents"],
            findings=outcome.findings,
            status=outcome.row["status"],
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)


_NAIVE = {
    "US_SSN": re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    "CREDIT_CARD": re.compile(r"\b(?:\d[ -]?){13,19}\b"),
    "IBAN_CODE": re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,4})?\b"),
    "EMAIL_ADDRESS": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    "PHONE_NUMBER": re.compile(r"(?:\+1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}\b"),
    "DATE_OF_BIRTH": re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b|\b\d{4}-\d{2}-\d{2}\b"),
}


def _naive(text: str) -> list[tuple[int, int, int, str]]:
    out = []
    for page_number, page in enumerate(text.split("\f"), start=1):
        taken: list[tuple[int, int]] = []
        for kind, pattern in _NAIVE.items():
            for m in pattern.finditer(page):
                if not any(m.start() < e and s < m.end() for s, e in taken):
                    taken.append((m.start(), m.end()))
                    out.append((page_number, m.start(), m.end(), kind))
    return out


def peer_regex_only(args: dict) -> dict:
    from bench.cases import _result

    texts = _texts(args)
    pages = sum(t.count("\f") + 1 for t in texts)
    started = time.perf_counter()
    findings = sum(len(_naive(t)) for t in texts)
    seconds = time.perf_counter() - started
    quality = _score(_naive, json.loads(Path(args["planted"]).read_text()))
    independent = _independent(lambda page: [(k, s, e, page[s:e]) for _, s, e, k in _naive(page)])
    return _result(
        pages, "pages", seconds, peer=True, findings_on_demo_case=findings, **quality, **independent
    )


VARIANTS = ("peer_regex_only", "ours_scanner", "ours_run_scan")
