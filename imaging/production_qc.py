"""Quality control of a finished production, read back from the files themselves.

Each check re-derives its facts from what was written (load files parsed back,
text files and PDFs read), not from the plan that produced them, so a bug in
production cannot also hide itself from QC. Where a step already verified a file
as it wrote it, QC checks that step's proof against the file instead of redoing
the work: page images (imaging/image_qc.py: SHA-256 and header, a decoded sample)
and the archive (imaging/archive_qc.py: the one 7-Zip test, tied to the stored
parts by SHA-256).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from PIL import Image

from domain.productions import leaks, loadfile_parsers, loadfiles
from domain.productions.export_settings import ExportSettings
from domain.productions.loadfiles import ProducedDocument
from domain.productions.naming import parse_bates
from domain.productions.plan import PlannedDocument


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    description: str
    details: list[str] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)  # what was counted, opened, parsed, read


def _outcome(name: str, description: str, failures: list[str], **figures: int) -> CheckOutcome:
    return CheckOutcome(
        name,
        not failures,
        description,
        failures[:50] + ([f"... {len(failures) - 50} more"] if len(failures) > 50 else []),
        {**figures, "failures_found": len(failures)},
    )


def _image_files(root: Path) -> list[Path]:
    """Page images; the DII's text copies (.txt beside the first image) are not pages."""
    return sorted(p for p in root.glob("*/IMAGES/*/*") if p.is_file() and p.suffix.lower() != ".txt")


def check_counts(root: Path, export: ExportSettings, docs: list[PlannedDocument]) -> CheckOutcome:
    failures = []
    expected = sum(d.pages for d in docs)
    name = export.safe_name
    figures = {"pages_expected": expected, "documents": len(docs)}
    if export.image_format in ("tiff", "jpeg"):
        images = figures["image_files"] = len(_image_files(root))
        if images != expected:
            failures.append(f"{images} image files, but the documents have {expected} pages")
    elif export.image_format == "pdf":
        pages = 0
        for path in sorted(root.glob("*/PDF/*/*.pdf")):
            with pikepdf.open(path) as pdf:
                pages += len(pdf.pages)
        figures["pdf_pages_counted"] = pages
        if pages != expected:
            failures.append(f"the document PDFs hold {pages} pages, but the documents have {expected}")
    if export.image_format != "none":
        for kind, separator in (("opt", ","), ("log", "\t")):
            if kind in export.loadfiles:
                lines = figures[f"{kind}_lines"] = len(
                    loadfile_parsers.read_opt(root / f"{name}.{kind}", separator)
                )
                if lines != expected:
                    failures.append(f"{lines} {kind.upper()} lines for {expected} pages")
    if "lfp" in export.loadfiles and export.image_format != "none":
        lines = figures["lfp_lines"] = len(loadfile_parsers.read_lfp(root / f"{name}.lfp"))
        if lines != expected:
            failures.append(f"{lines} LFP lines for {expected} pages")
    if "dat" in export.loadfiles and "PGCOUNT" in export.dat_fields:
        header, rows = loadfile_parsers.read_dat(root / f"{name}.dat")
        total = figures["dat_pgcount_sum"] = sum(int(r[header.index("PGCOUNT")]) for r in rows)
        if total != expected:
            failures.append(f"the DAT's PGCOUNT adds up to {total}, not {expected}")
    if "dii" in export.loadfiles:
        total = figures["dii_pgcount_sum"] = sum(
            r.get("pages", 0) for r in loadfile_parsers.read_dii(root / f"{name}.dii")
        )
        if total != expected:
            failures.append(f"the DII's PGCOUNT adds up to {total}, not {expected}")
    return _outcome(
        "counts_agree",
        "image files = OPT/LOG lines = LFP lines = sum of PGCOUNT (DAT, DII) = pages",
        failures,
        **figures,
    )


def check_numbering(export: ExportSettings, docs: list[PlannedDocument]) -> CheckOutcome:
    failures = []
    keys = [k for d in docs for k in d.page_keys]
    seen: set[str] = set()
    for key in keys:
        if key.lower() in seen:
            failures.append(f"{key} is used twice")
        seen.add(key.lower())
    if export.numbering == "bates":
        previous = None
        for key in keys:
            parsed = parse_bates(key)
            if parsed is None:
                failures.append(f"{key} is not a Bates number")
                continue
            if previous is not None and (parsed[0] != previous[0] or parsed[1] != previous[1] + 1):
                failures.append(f"{key} does not follow {previous[0]}{previous[1]:0{previous[2]}d}")
            previous = parsed
    return _outcome(
        "bates_sequence",
        "page numbers run without gap or duplicate across all volumes",
        failures,
        page_numbers_checked=len(keys),
        documents=len(docs),
    )


def check_documents(
    root: Path, export: ExportSettings, docs: list[PlannedDocument], produced: dict[int, ProducedDocument]
) -> CheckOutcome:
    failures = []
    text_files = families = 0
    if export.text_mode != "none":
        for doc in docs:
            text_files += 1
            out = produced[doc.exhibit_id]
            where = f"{doc.begin} (exhibit {doc.exhibit_id})"
            if not out.text_path or not (root / out.text_path).is_file():
                failures.append(f"{where} has no text file")
                continue
            data = (root / out.text_path).read_bytes()
            problem = loadfiles.text_file_problem(data)
            if problem:
                failures.append(f"{where}: its text file {problem}")
            if "dii" in export.loadfiles and out.pages:
                copy = root / loadfiles.fulltext_copy_path(out.pages[0].path)
                if not copy.is_file() or copy.read_bytes() != data:
                    failures.append(
                        f"{where} has no copy of its text beside its first image (DII @FULLTEXT DOC)"
                    )
    if "dat" in export.loadfiles and {"BEGATTACH", "ENDATTACH"} <= set(export.dat_fields):
        header, rows = loadfile_parsers.read_dat(root / f"{export.safe_name}.dat")
        spans = [(r[header.index("BEGATTACH")], r[header.index("ENDATTACH")]) for r in rows]
        families = len(set(spans))
        closed: set[tuple[str, str]] = set()
        for index, family in enumerate(spans):
            if family in closed:
                failures.append(f"family {family[0]}-{family[1]} is not contiguous (DAT row {index + 2})")
            if index + 1 < len(spans) and spans[index + 1] != family:
                closed.add(family)
    return _outcome(
        "documents_complete",
        "every document has its text file (BOM, CRLF; beside its first image with a DII) "
        "and families are contiguous",
        failures,
        documents=len(docs),
        text_files_checked=text_files,
        families_checked=families,
    )


def check_loadfiles_parse(root: Path, export: ExportSettings, docs: list[PlannedDocument]) -> CheckOutcome:
    """Every load file parses back, agrees with the documents, and every path in it resolves
    from the load file's own folder (the production root)."""
    failures = []
    name = export.safe_name
    begins = [d.begin for d in docs]
    figures = {"load_files": len(export.loadfiles), "load_files_parsed": 0, "paths_resolved": 0}
    for kind in export.loadfiles:
        path = root / f"{name}.{kind}"
        try:
            if kind in ("dat", "csv"):
                header, rows = loadfile_parsers.read_table(path, kind)
                figures[f"{kind}_rows"] = len(rows)
                if list(header) != list(export.dat_fields) or len(rows) != len(docs):
                    failures.append(
                        f"{path.name}: {len(rows)} rows for {len(docs)} documents, fields {header}"
                    )
            elif kind == "dii":
                records = loadfile_parsers.read_dii(path)
                figures["dii_records"] = len(records)
                if [r["begin"] for r in records] != begins:
                    failures.append(f"{path.name}: records do not match the documents")
            referenced = list(loadfile_parsers.referenced_paths(root, kind, name))
            unresolved = [p for p in referenced if not loadfile_parsers.resolve(root, p).is_file()]
            figures["load_files_parsed"] += 1
            figures["paths_resolved"] += len(referenced) - len(unresolved)
            if unresolved:
                failures.append(
                    f"{path.name}: {len(unresolved)} path(s) do not resolve from its folder, "
                    f"e.g. {unresolved[0]}"
                )
        except (OSError, ValueError, UnicodeDecodeError, csv.Error) as exc:
            failures.append(f"{path.name}: {exc}")
    return _outcome(
        "loadfiles_parse",
        "every load file parses back and every path in it resolves from its folder",
        failures,
        **figures,
    )


_LINK_FIELDS = {"NATIVELINK", "TEXTLINK"}


def _load_file_rows(root: Path, export: ExportSettings) -> tuple[dict[str, dict[str, list[str]]], list[str]]:
    """Per kind (DAT, CSV), each document's row as its field values, keyed by its first Bates
    number; the link fields are left out (paths the platform makes, not document content)."""
    rows: dict[str, dict[str, list[str]]] = {}
    failures: list[str] = []
    for kind in ("dat", "csv"):
        path = root / f"{export.safe_name}.{kind}"
        if kind not in export.loadfiles:
            continue
        try:
            header, table = loadfile_parsers.read_table(path, kind)
        except (OSError, ValueError, UnicodeDecodeError, csv.Error) as exc:
            failures.append(f"{path.name} could not be read, so its rows were not checked ({str(exc)[:120]})")
            continue
        begin = header.index("BEGBATES") if "BEGBATES" in header else 0
        keep = [i for i, name in enumerate(header) if name not in _LINK_FIELDS]
        rows[kind] = {row[begin]: [row[i] for i in keep] for row in table if row}
    return rows, failures


def check_redactions(
    root: Path,
    export: ExportSettings,
    docs: list[PlannedDocument],
    produced: dict[int, ProducedDocument],
    profiles: dict[int, tuple[bytes | None, dict]],
    redacted_pages: dict[int, list[int]],
    ocr: Callable[[Image.Image], str] | None,
    pdf_text: Callable[[Path], list[str]],
    render_pdf_page: Callable[[Path, int], Image.Image] | None = None,
    handed_over: dict[int, dict[str, dict]] | None = None,
) -> CheckOutcome:
    """No word or phrase hidden by a redaction survives in that document's produced content.

    Per piece of content (text file, each page of the PDF text layer, the OCR of each
    produced image of a redacted page, the DAT and CSV row), a hidden token or bigram
    leaks when it occurs there more often than it is visible in the source
    (`leaks.find_leaks`). Messages name the document and the file, never the word.

    A redacted page image the volume step already OCRed is not OCRed again: `handed_over` holds,
    per exhibit and page number, that reading's keyed counts (`leaks.reading`) and the SHA-256 of
    the file holding the page; QC hashes the file it has and uses the counts only when they match
    (a different file is a failure), and OCRs the image itself when no reading was handed over."""
    failures: list[str] = []
    rows: dict[str, dict[str, list[str]]] = {}
    if profiles:
        rows, failures = _load_file_rows(root, export)
    checked = {
        "redacted_documents": 0,
        "pieces_checked": 0,
        "pages_ocr_read": 0,
        "pages_ocr_handed_over": 0,
        "words_checked": 0,
    }
    hashes: dict[str, str] = {}
    for doc in docs:
        if doc.exhibit_id not in profiles:
            continue
        checked["redacted_documents"] += 1
        key, profile = profiles[doc.exhibit_id]
        name = f"{doc.begin} (exhibit {doc.exhibit_id})"
        if not key:
            failures.append(f"{name}: the key of its leak profile is missing, so it could not be checked")
            continue
        out = produced[doc.exhibit_id]
        # (where, texts, page): one page's texts are held against that page, others against the document.
        pieces: list[tuple[str, list[str], int | None]] = []
        for path in dict.fromkeys(p for p in (out.text_path, out.fulltext_path) if p):  # the DII copy too
            if (root / path).is_file():
                pieces.extend(
                    _per_page(path, (root / path).read_text(encoding="utf-8-sig").split("\f"), doc.pages)
                )
        if out.pdf_path and (root / out.pdf_path).is_file():
            pieces.extend(_per_page(out.pdf_path, pdf_text(root / out.pdf_path), doc.pages))
        counted: list[tuple[str, dict, int]] = []  # (where, keyed counts, page) handed over
        readings = (handed_over or {}).get(doc.exhibit_id, {})
        if ocr is not None:
            for number in redacted_pages.get(doc.exhibit_id, []):
                page = out.pages[number - 1] if number - 1 < len(out.pages) else None
                reading = readings.get(str(number))
                if page is not None and reading is not None and (root / page.path).is_file():
                    if page.path not in hashes:
                        hashes[page.path] = hashlib.sha256((root / page.path).read_bytes()).hexdigest()
                    where = _image_name(page)
                    if hashes[page.path] != reading.get("sha256"):
                        failures.append(f"{name}: {where} is not the file the volume step read (its hash)")
                    else:
                        counted.append((where, reading, number))
                elif page is not None and page.file_type in ("tif", "jpg"):
                    with Image.open(root / page.path) as image:
                        pieces.append((page.path, [ocr(image.convert("L"))], number))
                elif page is not None and page.file_type == "pdf" and render_pdf_page is not None:
                    # The page image inside the document's PDF, as a viewer shows it.
                    image = render_pdf_page(root / page.path, page.offset - 1)
                    pieces.append(
                        (f"{page.path} (page {page.offset} image)", [ocr(image.convert("L"))], number)
                    )
        for kind, by_begin in rows.items():
            pieces.append((f"{kind.upper()} row", by_begin.get(doc.begin, []), None))
        checked["pieces_checked"] += len(pieces) + len(counted)
        checked["pages_ocr_handed_over"] += len(counted)
        checked["pages_ocr_read"] += sum(
            1 for where, _, _ in pieces if where.endswith((".tif", ".jpg", " image)"))
        )
        checked["words_checked"] += sum(len(t.split()) for _, texts, _ in pieces for t in texts)
        for where, texts, page in pieces:
            found = leaks.find_leaks(profile, key, texts, page)
            if found:
                page_note = (
                    f" (page {page})"
                    if page is not None and not where.endswith((".tif", ".jpg", " image)"))
                    else ""
                )
                failures.append(f"{name}: {found.describe()} found in {where}{page_note}")
        for where, reading, page in counted:
            found = leaks.leaks_in_reading(profile, reading, page)
            if found:
                failures.append(f"{name}: {found.describe()} found in {where}")
    return _outcome(
        "no_redacted_text",
        "no redacted word or phrase occurs in produced content more often than it is visible in the source",
        failures,
        **checked,
    )


def _image_name(page) -> str:
    return f"{page.path} (page {page.offset} image)" if page.file_type == "pdf" else page.path


def _per_page(where: str, texts: list[str], pages: int) -> list[tuple[str, list[str], int | None]]:
    """Content with one text per page is held page by page; otherwise as a whole."""
    if len(texts) == pages:
        return [(where, [text], number) for number, text in enumerate(texts, start=1)]
    return [(where, texts, None)]
