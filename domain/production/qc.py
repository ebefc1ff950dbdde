"""Quality control of a finished production, read back from the files themselves.

Each check re-derives its facts from what was written (load files parsed back,
images opened, the archive listed), not from the plan that produced them, so a
bug in production cannot also hide itself from QC.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from PIL import Image

from domain.production import loadfiles
from domain.production.loadfiles import ProducedDocument
from domain.production.manifest import ExportSettings
from domain.production.naming import parse_bates
from domain.production.plan import PlannedDocument
from domain.production.render import redaction_tokens, token_hash


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    description: str
    details: list[str] = field(default_factory=list)


def _outcome(name: str, description: str, failures: list[str]) -> CheckOutcome:
    return CheckOutcome(name, not failures, description, failures[:50] + ([f"... {len(failures) - 50} more"] if len(failures) > 50 else []))


def _image_files(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/IMAGES/*/*") if p.is_file())


def check_counts(root: Path, export: ExportSettings, docs: list[PlannedDocument]) -> CheckOutcome:
    failures = []
    expected = sum(d.pages for d in docs)
    data = root / "DATA"
    name = export.safe_name
    if export.image_format in ("tiff", "jpeg"):
        images = len(_image_files(root))
        if images != expected:
            failures.append(f"{images} image files, but the documents have {expected} pages")
    elif export.image_format == "pdf":
        pages = 0
        for path in sorted(root.glob("*/PDF/*/*.pdf")):
            with pikepdf.open(path) as pdf:
                pages += len(pdf.pages)
        if pages != expected:
            failures.append(f"the document PDFs hold {pages} pages, but the documents have {expected}")
    if "opt" in export.loadfiles and export.image_format != "none":
        lines = len(loadfiles.read_opt(data / f"{name}.opt"))
        if lines != expected:
            failures.append(f"{lines} OPT lines for {expected} pages")
    if "lfp" in export.loadfiles and export.image_format != "none":
        lines = len(loadfiles.read_lfp(data / f"{name}.lfp"))
        if lines != expected:
            failures.append(f"{lines} LFP lines for {expected} pages")
    if "dat" in export.loadfiles and "PGCOUNT" in export.dat_fields:
        header, rows = loadfiles.read_dat(data / f"{name}.dat")
        total = sum(int(r[header.index("PGCOUNT")]) for r in rows)
        if total != expected:
            failures.append(f"the DAT's PGCOUNT adds up to {total}, not {expected}")
    return _outcome("counts_agree", "image files = OPT lines = LFP lines = sum of PGCOUNT = pages", failures)


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
    return _outcome("bates_sequence", "page numbers run without gap or duplicate across all volumes", failures)


def check_documents(root: Path, export: ExportSettings, docs: list[PlannedDocument], produced: dict[int, ProducedDocument]) -> CheckOutcome:
    failures = []
    if export.text_mode != "none":
        for doc in docs:
            text = produced[doc.exhibit_id].text_path
            if not text or not (root / text).is_file():
                failures.append(f"{doc.begin} (exhibit {doc.exhibit_id}) has no text file")
    if "dat" in export.loadfiles and {"BEGATTACH", "ENDATTACH"} <= set(export.dat_fields):
        header, rows = loadfiles.read_dat(root / "DATA" / f"{export.safe_name}.dat")
        families = [(r[header.index("BEGATTACH")], r[header.index("ENDATTACH")]) for r in rows]
        closed: set[tuple[str, str]] = set()
        for index, family in enumerate(families):
            if family in closed:
                failures.append(f"family {family[0]}-{family[1]} is not contiguous (DAT row {index + 2})")
            if index + 1 < len(families) and families[index + 1] != family:
                closed.add(family)
    return _outcome("documents_complete", "every document has its text file and families are contiguous", failures)


def check_loadfiles_parse(root: Path, export: ExportSettings, docs: list[PlannedDocument]) -> CheckOutcome:
    failures = []
    data = root / "DATA"
    name = export.safe_name
    for kind in export.loadfiles:
        path = data / f"{name}.{kind}"
        try:
            if kind == "dat":
                header, rows = loadfiles.read_dat(path)
                if list(header) != list(export.dat_fields) or len(rows) != len(docs):
                    failures.append(f"{path.name}: {len(rows)} rows for {len(docs)} documents")
            elif kind == "csv":
                with open(path, encoding="utf-8", newline="") as handle:
                    rows = list(csv.reader(handle))
                if len(rows) - 1 != len(docs):
                    failures.append(f"{path.name}: {len(rows) - 1} rows for {len(docs)} documents")
            elif kind == "opt":
                loadfiles.read_opt(path)
            elif kind == "log":
                loadfiles.read_opt(path, "\t")
            elif kind == "lfp":
                loadfiles.read_lfp(path)
            elif kind == "dii":
                records = loadfiles.read_dii(path)
                if len(records) != len(docs) or [r["begin"] for r in records] != [d.begin for d in docs]:
                    failures.append(f"{path.name}: records do not match the documents")
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            failures.append(f"{path.name}: {exc}")
    return _outcome("loadfiles_parse", "every load file parses back", failures)


def check_images(root: Path, export: ExportSettings) -> CheckOutcome:
    failures = []
    for path in _image_files(root):
        try:
            with Image.open(path) as image:
                image.load()
                dpi = tuple(round(float(v)) for v in image.info.get("dpi", (0, 0)))
                if dpi != (300, 300):
                    failures.append(f"{path.relative_to(root)} is {dpi} dpi, not 300")
                if path.suffix == ".tif" and (image.mode != "1" or image.info.get("compression") != "group4"):
                    failures.append(f"{path.relative_to(root)} is not a bilevel CCITT G4 TIFF")
        except Exception as exc:  # noqa: BLE001 - any decoder error is the finding
            failures.append(f"{path.relative_to(root)} does not open: {exc}")
    for path in sorted(root.glob("*/PDF/*/*.pdf")) + sorted(root.glob("*.pdf")):
        try:
            with pikepdf.open(path) as pdf:
                len(pdf.pages)
        except pikepdf.PdfError as exc:
            failures.append(f"{path.relative_to(root)} does not open: {exc}")
    return _outcome("images_valid", "every image opens and is 300 dpi; every PDF opens", failures)


def check_archive(root: Path, listed: list[str], test_output: str) -> CheckOutcome:
    failures = []
    if "Everything is Ok" not in test_output:
        failures.append("the archive test did not report Everything is Ok")
    on_disk = sorted(p.relative_to(root.parent).as_posix() for p in root.rglob("*") if p.is_file())
    if sorted(x.replace("\\", "/") for x in listed) != on_disk:
        missing = set(on_disk) - {x.replace("\\", "/") for x in listed}
        failures.append(f"the archive does not hold exactly the production's files ({len(missing)} missing)")
    return _outcome("archive_tests_clean", "the archive tests clean and holds every file", failures)


def check_redactions(
    root: Path,
    export: ExportSettings,
    docs: list[PlannedDocument],
    produced: dict[int, ProducedDocument],
    redacted_hashes: dict[int, list[str]],
    redacted_pages: dict[int, list[int]],
    ocr: Callable[[Image.Image], str] | None,
    pdf_text: Callable[[Path], list[str]],
) -> CheckOutcome:
    """No word hidden by a redaction survives in that document's text, PDF, images or load file rows."""
    failures = []
    dat_rows: dict[str, str] = {}
    for kind in ("dat", "csv"):
        path = root / "DATA" / f"{export.safe_name}.{kind}"
        if kind in export.loadfiles and path.exists():
            text = path.read_text(encoding="utf-8-sig")
            for line in text.splitlines():
                key = line.strip("\ufeff").split(loadfiles.DAT_SEPARATOR if kind == "dat" else ",")[0].strip(loadfiles.DAT_QUOTE + '"')
                dat_rows[key] = dat_rows.get(key, "") + line
    for doc in docs:
        hidden = set(redacted_hashes.get(doc.exhibit_id, []))
        if not hidden:
            continue
        out = produced[doc.exhibit_id]
        sources: list[tuple[str, str]] = []
        if out.text_path:
            sources.append((out.text_path, (root / out.text_path).read_text(encoding="utf-8")))
        if out.pdf_path:
            sources.append((out.pdf_path, "\n".join(pdf_text(root / out.pdf_path))))
        sources.append(("load file row", dat_rows.get(doc.begin, "")))
        if ocr is not None:
            for number in redacted_pages.get(doc.exhibit_id, []):
                page = out.pages[number - 1] if number - 1 < len(out.pages) else None
                if page is not None and page.file_type in ("tif", "jpg"):
                    with Image.open(root / page.path) as image:
                        sources.append((page.path, ocr(image.convert("L"))))
        for where, text in sources:
            leaked = {token_hash(t) for t in redaction_tokens(text)} & hidden
            if leaked:
                failures.append(f"{doc.begin}: {len(leaked)} redacted word(s) found in {where}")
    return _outcome("no_redacted_text", "no redacted word survives in any produced file", failures)
