"""Structure fidelity of HTML renditions (issue 21): what layout analysis finds in an untagged PDF,
against what the tag tree (and the HTML it was printed from) says.

    .venv/bin/python -m bench.renditions_fidelity                 # 24 answer keys, seed 21
    .venv/bin/python -m bench.renditions_fidelity --docs 8 --seed 5
    .venv/bin/python -m bench.renditions_fidelity --docs 0 --tagged DIR --per-document

For each answer key of bench/renditions_corpus.py (HTML written from a seed, printed to a tagged PDF
by the system Chromium, then stripped of its tags) three readings are scored against the source
HTML's structure with domain/renditions/fidelity.py, per producer:

- `tagged`: the tagged PDF through its structure tree (imaging/renditions/tagged.py): the check
  that the answer key and the tree agree (every figure should be 1.0);
- `layout`: the untagged copy through layout analysis (imaging/renditions/spans.py and
  domain/renditions/layout.py): the figure the issue asks for (>= 0.9 each);
- `layout-tagged`: the tagged PDF through layout analysis (the tags ignored), to show stripping
  changed nothing layout analysis sees.

Other producers: every PDF in bench/renditions_tagged/ (tagged PDFs made once by LibreOffice, LuaLaTeX
with tagpdf, Typst and WeasyPrint; SOURCES.md there), and in any folder given with `--tagged`, is
scored the same way with its own tag tree as the truth (read_tagged's Document): the tags are
stripped (bench/renditions_corpus.py's `strip_tags`), the copy goes through layout analysis, and the
figures are printed per producer, named from the file's /Producer and /Creator ("Microsoft Word",
"LibreOffice", "pdfTeX/LuaTeX", "Adobe InDesign" ...), under the Chromium rows, with a total over
every producer. A file whose tree read_tagged will not trust (NotTagged) is skipped and named.

The exit status judges the Chromium answer keys only (their truth is exact); other producers' rows
are printed to be read: their truth is whatever their tagging says, and a tag tree can be thin
(Word's style names mapped to P, a table tagged as paragraphs). Under the table, a line per producer
counts what kind of error dominates (headings found at another level, missed or invented; list items
and table cells missed or invented; paragraphs not matched); `--per-document` adds a row per PDF.
Printed and stripped PDFs are kept under $NP_BENCH_DATA (default /tmp/np-bench)/renditions_fidelity.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.renditions_corpus import PRODUCER, Printed, corpus, strip_tags
from domain.renditions.fidelity import Fidelity, combine, compare
from domain.renditions.model import Document
from imaging.engine import LocalDocumentEngine
from imaging.renditions.tagged import NotTagged, read_tagged

TARGET = 0.9
TAGGED = Path(__file__).parent / "renditions_tagged"
TOTAL = "all producers"
# /Creator names the authoring program better than /Producer (Word through Acrobat's PDFMaker:
# Producer "Acrobat Distiller", Creator "PDFMaker for Word"; InDesign: Producer "Adobe PDF Library"),
# so both are searched, the authoring programs first and the PDF libraries behind them last.
PRODUCERS = (
    (r"\bword\b", "Microsoft Word"),
    (r"\bexcel\b", "Microsoft Excel"),
    (r"powerpoint", "Microsoft PowerPoint"),
    (r"libreoffice|openoffice", "LibreOffice"),
    (r"google docs", "Google Docs"),
    (r"indesign", "Adobe InDesign"),
    (r"framemaker", "Adobe FrameMaker"),
    (r"livecycle", "Adobe LiveCycle"),
    (r"pdftex|luatex|luahbtex|xetex|latex", "pdfTeX/LuaTeX"),
    (r"typst", "Typst"),
    (r"weasyprint", "WeasyPrint"),
    (r"skia/pdf|chromium|chrome", "Chromium"),
    (r"acrobat|distiller|adobe", "Adobe Acrobat"),
)
FIGURES = (
    ("headings", "headings"),
    ("list items", "list_items"),
    ("table cells", "table_cells"),
    ("header cells", "header_cells"),
    ("paragraphs", "paragraphs"),
)


def layout_document(pdf: Path, engine: LocalDocumentEngine) -> Document:
    """The document as layout analysis reads it, tags or none."""
    from domain.renditions.layout import analyse
    from imaging.renditions.spans import read_pages

    return analyse([page.layout_page() for page in read_pages(engine, pdf, images=False)])


@dataclass
class TaggedKey:
    """A tagged PDF from a producer other than the answer keys' Chromium: its tree is the truth."""

    pdf: Path
    untagged: Path
    producer: str
    truth: Document


def producer_name(producer: str, creator: str) -> str:
    """The program a PDF came from, normalised for the table ("Microsoft Word", "LibreOffice" ...);
    an unknown one is named by the first word of its /Producer (or /Creator)."""
    text = f"{creator} {producer}".casefold()
    for pattern, name in PRODUCERS:
        if re.search(pattern, text):
            return name
    words = (producer or creator).split()
    return words[0] if words else "unknown"


def _info(pdf: Path) -> tuple[str, str]:
    import pikepdf

    with pikepdf.open(pdf) as document:
        info = document.docinfo if "/Info" in document.trailer else {}
        return str(info.get("/Producer", "")), str(info.get("/Creator", ""))


def tagged_keys(
    folders: list[Path], work: Path, engine: LocalDocumentEngine
) -> tuple[list[TaggedKey], list[str]]:
    """Every tagged PDF under `folders` with its tree as the truth and an untagged copy under `work`;
    and a line for each PDF skipped (its tree not trusted by read_tagged, or unreadable)."""
    work.mkdir(parents=True, exist_ok=True)
    keys: list[TaggedKey] = []
    skipped: list[str] = []
    for number, folder in enumerate(folders):
        for pdf in sorted(folder.glob("*.pdf")):
            try:
                truth = read_tagged(pdf, engine=engine)
            except NotTagged as error:
                skipped.append(f"{pdf.name}: not read as tagged ({error.reason})")
                continue
            except Exception as error:  # a hostile or broken file: named, not fatal
                skipped.append(f"{pdf.name}: unreadable ({type(error).__name__})")
                continue
            untagged = work / f"{number}-{pdf.stem}.untagged.pdf"
            strip_tags(pdf, untagged)
            keys.append(TaggedKey(pdf, untagged, producer_name(*_info(pdf)), truth))
    return keys, skipped


def measure_tagged(
    keys: list[TaggedKey], engine: LocalDocumentEngine
) -> tuple[dict[tuple[str, str], Fidelity], list[tuple[str, Fidelity]]]:
    """(producer, "layout") -> the figures over that producer's PDFs, and each PDF's own figures."""
    each = [
        (f"{key.producer}: {key.pdf.name}", compare(layout_document(key.untagged, engine), key.truth))
        for key in keys
    ]
    scored: dict[tuple[str, str], list[Fidelity]] = {}
    for key, (_, fidelity) in zip(keys, each, strict=True):
        scored.setdefault((key.producer, "layout"), []).append(fidelity)
    return {name: combine(results) for name, results in scored.items()}, each


def measure(printed: list[Printed]) -> dict[tuple[str, str], Fidelity]:
    """(producer, reading) -> the figures combined over that producer's documents."""
    engine = LocalDocumentEngine()
    scored: dict[tuple[str, str], list[Fidelity]] = {}
    for item in printed:
        truth = item.source.truth
        readings = {
            "tagged": lambda item=item: read_tagged(item.tagged, engine=engine),
            "layout": lambda item=item: layout_document(item.untagged, engine),
            "layout-tagged": lambda item=item: layout_document(item.tagged, engine),
        }
        for reading, read in readings.items():
            scored.setdefault((item.producer, reading), []).append(compare(read(), truth))
    return {key: combine(results) for key, results in scored.items()}


def _row(producer: str, reading: str, fidelity: Fidelity) -> list[str]:
    row = [producer, reading]
    for _, field in FIGURES:
        score = getattr(fidelity, field)
        flag = "*" if min(score.recall, score.precision) < TARGET else ""
        row.append(f"{score.recall:.3f} / {score.precision:.3f}{flag} (n={score.expected})")
    flag = "*" if fidelity.reading_order < TARGET else ""
    row.append(f"{fidelity.reading_order:.3f}{flag} (n={fidelity.order_pairs})")
    return row


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=True)]
    lines = [
        "  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
        for line in [headers, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def misses(fidelity: Fidelity) -> str:
    """What kind of error dominates, in counts: a heading found at another level (its text matched),
    a heading missed (its text not a heading at all), a heading invented; list items and table cells
    missed and invented. Only the non-zero ones."""
    wrong_level = fidelity.heading_text.matched - fidelity.headings.matched
    parts = {
        "heading at another level": wrong_level,
        "heading missed": fidelity.heading_text.expected - fidelity.heading_text.matched,
        "heading invented": fidelity.heading_text.found - fidelity.heading_text.matched,
        "list item missed": fidelity.list_items.expected - fidelity.list_items.matched,
        "list item invented": fidelity.list_items.found - fidelity.list_items.matched,
        "table cell missed": fidelity.table_cells.expected - fidelity.table_cells.matched,
        "table cell invented": fidelity.table_cells.found - fidelity.table_cells.matched,
        "paragraph not matched": fidelity.paragraphs.expected - fidelity.paragraphs.matched,
    }
    shown = [f"{name} {count}" for name, count in sorted(parts.items(), key=lambda kv: -kv[1]) if count]
    return ", ".join(shown) or "none"


def report(
    results: dict[tuple[str, str], Fidelity],
    documents: int,
    others: dict[tuple[str, str], Fidelity] | None = None,
    tagged_documents: int = 0,
) -> str:
    """A table: recall / precision per structure and Kendall's tau, a star on figures under target;
    the answer keys' rows first, then other producers' (truth: their tag trees) and a total."""
    headers = ["producer", "reading", *(name for name, _ in FIGURES), "order (tau)"]
    rows = [_row(producer, reading, fidelity) for (producer, reading), fidelity in sorted(results.items())]
    others = others or {}
    rows += [_row(producer, reading, fidelity) for (producer, reading), fidelity in sorted(others.items())]
    layout = [f for (_, reading), f in [*results.items(), *others.items()] if reading == "layout"]
    if others and layout:
        rows.append(_row(TOTAL, "layout", combine(layout)))
    lines = _table(headers, rows)
    lines.append(
        f"\n{documents} answer-key documents (truth: the HTML they were printed from)"
        + (
            f", {tagged_documents} tagged PDFs of other producers (truth: their own tag trees)"
            if others
            else ""
        )
        + f"; recall / precision (n = in the truth); * under {TARGET}."
        + " Headings match by text and relative level."
    )
    if others:
        lines.append("\nWhat the layout reading gets wrong, per producer (counts over its tagged PDFs):")
        lines += [f"  {producer}: {misses(fidelity)}" for (producer, _), fidelity in sorted(others.items())]
    return "\n".join(lines)


def per_document(each: list[tuple[str, Fidelity]]) -> str:
    """One row per tagged PDF of another producer (layout reading), with its misses."""
    headers = ["document", *(name for name, _ in FIGURES), "order (tau)", "misses"]
    rows = [[name, *_row("", "", fidelity)[2:], misses(fidelity)] for name, fidelity in each]
    return "\n".join(_table(headers, rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=24, help="answer keys to print and score")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--tagged",
        type=Path,
        action="append",
        help=f"a folder of tagged PDFs of other producers to score (default: {TAGGED.name}/ beside "
        "this file); may be given more than once",
    )
    parser.add_argument("--no-tagged", action="store_true", help="score the Chromium answer keys only")
    parser.add_argument("--per-document", action="store_true", help="also print each tagged PDF's figures")
    args = parser.parse_args(argv)
    folder = Path(os.environ.get("NP_BENCH_DATA", "/tmp/np-bench")) / "renditions_fidelity"
    printed = corpus(folder / f"seed-{args.seed}", count=args.docs, seed=args.seed) if args.docs > 0 else []
    results = measure(printed)
    others: dict[tuple[str, str], Fidelity] = {}
    keys: list[TaggedKey] = []
    if not args.no_tagged:
        engine = LocalDocumentEngine()
        keys, skipped = tagged_keys(args.tagged or [TAGGED], folder / "tagged", engine)
        others, each = measure_tagged(keys, engine)
    print(report(results, len(printed), others, len(keys)))
    if not args.no_tagged:
        for line in skipped:
            print(f"skipped {line}")
        if args.per_document and each:
            print("\n" + per_document(each))
    if args.json:
        figures = {f"{p}/{r}": fidelity.figures() for (p, r), fidelity in [*results.items(), *others.items()]}
        args.json.write_text(json.dumps(figures, indent=2, sort_keys=True), encoding="utf-8")
    # judged: the answer keys only (exact truth); other producers' rows are there to be read
    layout = [f for (producer, reading), f in results.items() if reading == "layout" and producer == PRODUCER]
    return 0 if all(meets_target(f) for f in layout) else 1


def meets_target(fidelity: Fidelity) -> bool:
    """The issue's bar: heading, list and table recall and precision, and reading order, >= 0.9
    (header cells and paragraph matches are printed to explain a miss, not judged)."""
    scores = [fidelity.headings, fidelity.list_items, fidelity.table_cells]
    return fidelity.reading_order >= TARGET and all(min(s.recall, s.precision) >= TARGET for s in scores)


if __name__ == "__main__":
    sys.exit(main())
