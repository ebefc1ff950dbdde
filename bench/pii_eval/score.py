"""Score a detector on the independent PII evaluation set.

    .venv/bin/python -m bench.pii_eval.score --stats      # what the set holds, no detector

`score(records, find)` takes `find(record) -> [(type, start, end, value), ...]` (start/end None
for xlsx) and returns recall and precision per type, recall per (type, form), and the false
alarms per negative form; `table(result)` prints them as markdown.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

DATA = Path(__file__).resolve().parent / "data" / "pii_eval.jsonl.gz"
TYPES = [
    "US_SSN",
    "CREDIT_CARD",
    "IBAN_CODE",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "US_BANK_ROUTING",
    "DATE_OF_BIRTH",
]

Finding = tuple[str, int | None, int | None, str]


def load(path: Path = DATA, split: str | None = None) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    return [rec for rec in records if split in (None, "all") or rec["split"] == split]


def write_xlsx(record: dict, path: Path | BinaryIO) -> Path | BinaryIO:
    """Write an `xlsx` record's sheets as a real workbook; every cell is a string (leading zeros
    and separators kept, as a spreadsheet that stored them as text shows them)."""
    from openpyxl import Workbook  # only the benchmark that reads natives needs it

    book = Workbook()
    book.remove(book.active)
    for k, rows in enumerate(record["rows"]):
        sheet = book.create_sheet(f"Sheet{k + 1}")
        for row in rows:
            sheet.append(list(row))  # str values stay text cells (openpyxl does not coerce them)
    book.save(path)
    return path


def normalize(value: str) -> str:
    """Casefolded, with separators and spaces removed (how xlsx findings are matched)."""
    return "".join(ch for ch in value.casefold() if ch.isalnum())


def _overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start is not None and b_start is not None and a_start < b_end and b_start < a_end


def _same(finding: Finding, item: dict) -> bool:
    """Text formats match by overlapping spans. Without spans (xlsx), by normalized value: equal,
    or one inside the other (the cell-text analogue of overlapping spans, so a phone found without
    its extension still counts as it does in text)."""
    _, start, end, value = finding
    if start is None or item["start"] is None:
        found, planted = normalize(value), normalize(item["value"])
        if found == planted:
            return True
        shorter, longer = sorted((found, planted), key=len)
        return len(shorter) >= 4 and shorter in longer
    return _overlaps(start, end, item["start"], item["end"])


def score(records: Iterable[dict], find: Callable[[dict], list[Finding]]) -> dict:
    planted = Counter()
    found = Counter()
    findings_by_type = Counter()
    true_pos = Counter()
    false_pos = Counter()
    form_total: Counter = Counter()
    form_found: Counter = Counter()
    format_total: Counter = Counter()
    format_found: Counter = Counter()
    neg_total = Counter()
    neg_alarmed = Counter()
    neg_by_type: dict[str, Counter] = defaultdict(Counter)
    fp_where: dict[str, Counter] = defaultdict(Counter)
    documents = 0
    for rec in records:
        documents += 1
        plants = rec["planted"]
        negatives = rec["negatives"]
        matched = [False] * len(plants)
        alarmed = [False] * len(negatives)
        for item in plants:
            planted[item["type"]] += 1
            form_total[(item["type"], item["form"])] += 1
            format_total[(item["type"], rec["format"])] += 1
        for item in negatives:
            neg_total[item["form"]] += 1
        for finding in find(rec):
            ftype = finding[0]
            findings_by_type[ftype] += 1
            candidates = [k for k, p in enumerate(plants) if p["type"] == ftype and _same(finding, p)]
            if candidates:
                true_pos[ftype] += 1
                free = [k for k in candidates if not matched[k]]
                if free:
                    matched[free[0]] = True
                continue
            false_pos[ftype] += 1
            hits = [k for k, n in enumerate(negatives) if _same(finding, n)]
            if hits:
                for k in hits:
                    neg_by_type[negatives[k]["form"]][ftype] += 1
                    alarmed[k] = True
                fp_where[ftype][negatives[hits[0]]["form"]] += 1
                continue
            other = [p["type"] for p in plants if _same(finding, p)]
            fp_where[ftype][f"other_type:{other[0]}" if other else "unlabelled"] += 1
        for k, hit in enumerate(matched):
            if hit:
                found[plants[k]["type"]] += 1
                form_found[(plants[k]["type"], plants[k]["form"])] += 1
                format_found[(plants[k]["type"], rec["format"])] += 1
        for k, hit in enumerate(alarmed):
            if hit:
                neg_alarmed[negatives[k]["form"]] += 1
    types = [t for t in TYPES + ["PERSON"] if planted[t] or findings_by_type[t]]
    types += sorted(t for t in set(planted) | set(findings_by_type) if t not in types)
    per_type = {
        t: {
            "planted": planted[t],
            "found": found[t],
            "findings": findings_by_type[t],
            "false_positives": false_pos[t],
            "recall": round(found[t] / planted[t], 4) if planted[t] else None,
            "precision": round(true_pos[t] / findings_by_type[t], 4) if findings_by_type[t] else None,
            "false_positives_on": dict(fp_where[t].most_common()),
        }
        for t in types
    }
    per_form = {
        f"{t}/{form}": {
            "type": t,
            "form": form,
            "count": n,
            "found": form_found[(t, form)],
            "recall": round(form_found[(t, form)] / n, 4),
        }
        for (t, form), n in sorted(form_total.items())
    }
    per_format = {
        f"{t}/{fmt}": {"type": t, "format": fmt, "count": n, "recall": round(format_found[(t, fmt)] / n, 4)}
        for (t, fmt), n in sorted(format_total.items())
    }
    per_negative = {
        form: {"count": n, "false_alarms": neg_alarmed[form], "by_type": dict(neg_by_type[form])}
        for form, n in sorted(neg_total.items())
    }
    return {
        "documents": documents,
        "types": per_type,
        "forms": per_form,
        "formats": per_format,
        "negatives": per_negative,
    }


def _f(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def table(result: dict) -> str:
    lines = [
        f"{result['documents']} documents",
        "",
        "| type | recall | precision | planted | found | false positives |",
        "|---|---|---|---|---|---|",
    ]
    for t, row in result["types"].items():
        lines.append(
            f"| {t} | {_f(row['recall'])} | {_f(row['precision'])} | {row['planted']} | {row['found']} | "
            f"{row['false_positives']} |"
        )
    lines += ["", "| type | form | recall | count |", "|---|---|---|---|"]
    for row in result["forms"].values():
        lines.append(f"| {row['type']} | {row['form']} | {_f(row['recall'])} | {row['count']} |")
    formats = sorted({row["format"] for row in result["formats"].values()})
    lines += [
        "",
        "| type | " + " | ".join(f"recall {f}" for f in formats) + " |",
        "|---|" + "---|" * len(formats),
    ]
    for t in result["types"]:
        cells = [result["formats"].get(f"{t}/{f}") for f in formats]
        lines.append(f"| {t} | " + " | ".join(_f(cell["recall"]) if cell else "-" for cell in cells) + " |")
    lines += ["", "| type | false positives on |", "|---|---|"]
    for t, row in result["types"].items():
        if row["false_positives_on"]:
            where = ", ".join(f"{form} {n}" for form, n in row["false_positives_on"].items())
            lines.append(f"| {t} | {where} |")
    lines += ["", "| negative form | count | false alarms | reported as |", "|---|---|---|---|"]
    for form, row in result["negatives"].items():
        by = ", ".join(f"{t} {n}" for t, n in sorted(row["by_type"].items())) or "-"
        lines.append(f"| {form} | {row['count']} | {row['false_alarms']} | {by} |")
    return "\n".join(lines)


def stats(records: list[dict]) -> str:
    """Counts per type, form, format, genre and split (no detector involved)."""
    out = [f"documents: {len(records)}"]
    for key in ("split", "format", "genre", "locale"):
        counts = Counter(rec[key] for rec in records)
        out.append(f"{key}: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    out.append("ocr-noise text documents: " + str(sum(1 for rec in records if rec.get("ocr_noise"))))
    planted = Counter(p["type"] for rec in records for p in rec["planted"])
    negatives = sum(len(rec["negatives"]) for rec in records)
    pii = sum(n for t, n in planted.items() if t != "PERSON")
    out.append(f"planted (7 types): {pii}; PERSON: {planted['PERSON']}; negatives: {negatives}")
    by_split = Counter((rec["split"], p["type"]) for rec in records for p in rec["planted"])
    out += ["", "| type | planted | dev | test | forms |", "|---|---|---|---|---|"]
    forms = defaultdict(Counter)
    for rec in records:
        for p in rec["planted"]:
            forms[p["type"]][p["form"]] += 1
    for t in TYPES + ["PERSON"]:
        out.append(
            f"| {t} | {planted[t]} | {by_split[('dev', t)]} | {by_split[('test', t)]} | {len(forms[t])} |"
        )
    out += ["", "| type | form | count |", "|---|---|---|"]
    for t in TYPES:
        for form, n in sorted(forms[t].items()):
            out.append(f"| {t} | {form} | {n} |")
    by_format = Counter((rec["format"], p["type"]) for rec in records for p in rec["planted"])
    fmts = sorted({rec["format"] for rec in records})
    out += ["", "| type | " + " | ".join(fmts) + " |", "|---|" + "---|" * len(fmts)]
    for t in TYPES:
        out.append(f"| {t} | " + " | ".join(str(by_format[(f, t)]) for f in fmts) + " |")
    negs = Counter((n["form"], n["looks_like"]) for rec in records for n in rec["negatives"])
    out += ["", "| negative form | looks like | count |", "|---|---|---|"]
    for (form, looks), n in sorted(negs.items()):
        out.append(f"| {form} | {looks} | {n} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stats", action="store_true", help="print what the set holds")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all")
    args = parser.parse_args(argv)
    records = load(args.data, args.split)
    if args.stats:
        print(stats(records))
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
