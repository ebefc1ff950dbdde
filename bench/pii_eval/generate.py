"""Regenerate the independent PII evaluation set (deterministic: same seed, same bytes).

    .venv/bin/python -m bench.pii_eval.generate            # writes bench/pii_eval/data/pii_eval.jsonl.gz

Documents come from the genre templates in `genres.py`, drawn as plain text (some with OCR-style
noise in the words around the values), as PDFs whose text pdfium reads back, as CSV text, or as
XLSX sheet rows. Half of every (genre, format) stratum is `dev`, half `test`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from pathlib import Path

from faker import Faker

from bench.pii_eval.doc import Ann, Doc, noisy, render_csv, render_text, render_xlsx_rows
from bench.pii_eval.genres import GENRES
from bench.pii_eval.snippets import Ctx

SEED = 20261203
DATA = Path(__file__).resolve().parent / "data" / "pii_eval.jsonl.gz"
LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "nl_NL", "it_IT"]
LOCALE_WEIGHTS = [70, 6, 6, 5, 5, 4, 4]
# Forms that cannot survive a PDF's standard fonts (no glyph for U+2011): text natives only.
NOT_IN_PDF = {"nb_hyphen", "table_column_nb_hyphen"}


def _fakers() -> dict[str, Faker]:
    return {loc: Faker(loc) for loc in LOCALES}


def _annotation(a: Ann, start: int | None, end: int | None) -> dict:
    if a.kind == "negative":
        return {"form": a.form, "looks_like": a.type, "start": start, "end": end, "value": a.value}
    return {"type": a.type, "form": a.form, "start": start, "end": end, "value": a.value}


def build(genre: str, index: int, fmt: str, fakers: dict[str, Faker]) -> dict:
    template = GENRES[genre][0]
    for attempt in range(50):
        r = random.Random(f"{SEED}:{genre}:{index}:{attempt}")
        locale = r.choices(LOCALES, LOCALE_WEIGHTS)[0]
        for k, fake in enumerate(fakers.values()):
            fake.seed_instance(r.randrange(2**31) + k)
        c = Ctx(r, fakers, locale)
        doc = template(c, fmt)
        locale = c.locale  # a template may move the document abroad (a European supplier's invoice)
        record = {
            "id": f"{genre}-{index:04d}",
            "split": None,
            "genre": genre,
            "format": fmt,
            "locale": locale,
        }
        if fmt in ("text", "pdf_text") and len(doc.blocks) > 14 and r.random() < 0.35:
            cut = r.randrange(len(doc.blocks) // 2, len(doc.blocks))
            doc = Doc(doc.blocks[:cut] + [("page",)] + doc.blocks[cut:])
        if fmt == "pdf_text":
            if any(a.form in NOT_IN_PDF for a in doc.annotations()):
                continue
            from bench.pii_eval.pdf import render_pdf_text  # reportlab/pdfium only when PDFs are made

            rendered = render_pdf_text(doc)
            if rendered is None:
                continue
            text, spans = rendered
        elif fmt == "csv":
            text, spans = render_csv(doc)
        elif fmt == "xlsx":
            rows, anns = render_xlsx_rows(doc)
            record["rows"] = rows
            spans = [(a, None, None) for a in anns]
            text = None
        else:
            noise = r.random() < 0.3
            record["ocr_noise"] = noise
            if noise:
                doc = noisy(doc, r, r.uniform(0.03, 0.09))
            width = r.choice([None, None, 72, 78]) if genre in ("email", "memo", "legal_letter") else None
            text, spans = render_text(doc, r, r.choice(["aligned", "aligned", "pipe", "tab"]), width)
        if text is not None:
            record["text"] = text
        record["planted"] = [_annotation(a, s, e) for a, s, e in spans if a.kind != "negative"]
        record["negatives"] = [_annotation(a, s, e) for a, s, e in spans if a.kind == "negative"]
        return record
    raise RuntimeError(f"{genre} {index}: no renderable document in 50 attempts")


def assign_splits(records: list[dict]) -> None:
    strata: dict[tuple[str, str], list[dict]] = {}
    for rec in records:
        strata.setdefault((rec["genre"], rec["format"]), []).append(rec)
    for key, group in sorted(strata.items()):
        order = sorted(group, key=lambda rec: rec["id"])
        random.Random(f"{SEED}:split:{key}").shuffle(order)
        for k, rec in enumerate(order):
            rec["split"] = "dev" if k % 2 == 0 else "test"


def generate() -> list[dict]:
    fakers = _fakers()
    records = []
    for genre, (_, count, formats) in GENRES.items():
        for index in range(count):
            records.append(build(genre, index, formats[index % len(formats)], fakers))
    assign_splits(records)
    return records


def write(records: list[dict], path: Path = DATA) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = "".join(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n" for rec in records)
    temp = path.with_suffix(".tmp")
    # mtime=0 and no file name in the header: the same records give the same bytes.
    with (
        open(temp, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(payload.encode("utf-8"))
    temp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args(argv)
    started = time.monotonic()
    records = generate()
    write(records, args.out)
    planted = sum(len(rec["planted"]) for rec in records)
    negatives = sum(len(rec["negatives"]) for rec in records)
    print(
        f"{len(records)} documents, {planted} planted (PERSON included), {negatives} negatives -> {args.out} "
        f"({args.out.stat().st_size / 1e6:.2f} MB, {time.monotonic() - started:.0f}s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
