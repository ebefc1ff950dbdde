"""Load files and text files of a production: DAT, OPT, LOG, LFP, DII and CSV (docs/productions.md).

Load files sit at the production root ({NAME}/) and every path inside them is
relative to that folder, with backslashes, because review platforms resolve
paths from the load file's own folder. Every writer takes the same produced
documents, so counts agree by construction: OPT lines = LFP lines = image
files = sum of PGCOUNT. QC parses them back with domain/productions/loadfile_parsers.py.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from domain.productions.export_settings import DEFAULT_DAT_FIELDS, ExportSettings
from domain.productions.manifest import Exhibit, sent_date_time
from domain.productions.plan import PlannedDocument

DAT_SEPARATOR = "\x14"
DAT_QUOTE = "\u00fe"
DAT_NEWLINE = "\u00ae"
CRLF = "\r\n"
BOM = "\ufeff"
LFP_FILE_TYPES = {"tif": 2, "jpg": 4, "pdf": 7}
LFP_ROTATION = "0"  # degrees; pages are written upright
# Summation wants a CRLF within a text file's first 80 characters: the first line holds at most 78.
FIRST_LINE_LIMIT = 78
# Withheld documents disclose no content: these fields stay empty for them.
WITHHELD_BLANK = {"TITLE", "FILENAME", "FILEEXT", "MD5HASH", "NATIVELINK"}


@dataclass(slots=True)  # one per produced page: a 1M-page production holds a million
class ProducedPage:
    key: str
    path: str  # relative to the export root, '/' separated
    file_type: str  # 'tif' | 'jpg' | 'pdf'
    offset: int = 0  # page number inside a multi-page file (PDF); 0 for single-page images


@dataclass
class ProducedDocument:
    exhibit_id: int
    pages: list[ProducedPage] = field(default_factory=list)
    text_path: str | None = None
    native_path: str | None = None
    pdf_path: str | None = None
    # With a DII asked: the same text beside the first image, named after it (Summation's @FULLTEXT DOC).
    fulltext_path: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProducedDocument:
        return cls(**{**data, "pages": [ProducedPage(**p) for p in data["pages"]]})


def windows_path(path: str | None) -> str:
    return (path or "").replace("/", "\\")


def fulltext_copy_path(first_image_path: str) -> str:
    """Where the DII's text copy goes: beside the first image, the image's name with .txt."""
    folder, _, filename = first_image_path.rpartition("/")
    stem = filename.rsplit(".", 1)[0]
    return f"{folder}/{stem}.txt" if folder else f"{stem}.txt"


def text_file_bytes(text: str) -> bytes:
    """A text file as review tools load it: UTF-8 with BOM, CRLF line ends, ending with CRLF.

    Bare LF and CR become CRLF. A first line longer than FIRST_LINE_LIMIT is broken at
    its last space or tab within the limit (the blank becomes the line break, so no
    word changes), or at the limit when it has none; later lines are left as they are.
    Every file, even an empty one, ends with CRLF, so each has a CRLF within its first
    80 characters.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "" and len(lines) > 1:
        lines.pop()  # the text already ends with a line break
    first = lines[0]
    if len(first) > FIRST_LINE_LIMIT:
        head = first[: FIRST_LINE_LIMIT + 1]
        cut = max(head.rfind(" "), head.rfind("\t"))
        lines[0:1] = (
            [first[:cut], first[cut + 1 :]]
            if cut >= 0
            else [first[:FIRST_LINE_LIMIT], first[FIRST_LINE_LIMIT:]]
        )
    return (BOM + CRLF.join(lines) + CRLF).encode("utf-8")


def text_file_problem(data: bytes) -> str | None:
    """Why bytes are not a text file as text_file_bytes writes them, or None."""
    if not data.startswith(BOM.encode("utf-8")):
        return "has no UTF-8 BOM"
    try:
        text = data.decode("utf-8")[1:]
    except UnicodeDecodeError as exc:
        return f"is not UTF-8 ({exc.reason} at byte {exc.start})"
    if "\r" in text.replace(CRLF, "") or "\n" in text.replace(CRLF, ""):
        return "has a line end that is not CRLF"
    if CRLF not in text[:80]:
        return "has no CRLF within its first 80 characters"
    return None


def dat_value(value: Any) -> str:
    """A DAT cell: newlines become ®; the qualifier and separator cannot be escaped, so they are replaced."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", DAT_NEWLINE)
    return text.replace(DAT_SEPARATOR, " ").replace(DAT_QUOTE, "\u00de")


def _sent(exhibit: Exhibit) -> tuple[str, str]:
    try:
        return sent_date_time(exhibit.date_sent)
    except ValueError:
        return "", ""  # reported by exhibit when the manifest was validated


def field_values(
    fields: Iterable[str], doc: PlannedDocument, produced: ProducedDocument, exhibit: Exhibit
) -> list[str]:
    date_sent, time_sent = _sent(exhibit)
    standard = {
        "BEGBATES": doc.begin,
        "ENDBATES": doc.end,
        "BEGATTACH": doc.beg_attach,
        "ENDATTACH": doc.end_attach,
        "PGCOUNT": str(doc.pages),
        "CUSTODIAN": exhibit.custodian,
        "FILENAME": exhibit.filename,
        "FILEEXT": exhibit.file_extension,
        "TITLE": exhibit.title,
        "AUTHOR": exhibit.author,
        "DATESENT": date_sent,
        "TIMESENT": time_sent,
        "MD5HASH": exhibit.md5,
        "CONFIDENTIALITY": exhibit.confidentiality,
        "NATIVELINK": windows_path(produced.native_path),
        "TEXTLINK": windows_path(produced.text_path),
    }
    values = []
    for name in fields:
        if doc.kind == "withheld" and name in WITHHELD_BLANK:
            values.append("")
        elif name in standard:
            values.append("" if standard[name] is None else str(standard[name]))
        else:
            raw = getattr(exhibit, name.lower(), None)
            values.append("" if raw is None else str(raw))
    return values


def _rows(docs, produced, exhibits, fields):
    for doc in docs:
        yield field_values(fields, doc, produced[doc.exhibit_id], exhibits[doc.exhibit_id])


def write_dat(path: Path, fields, docs, produced, exhibits) -> int:
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        out.write(DAT_SEPARATOR.join(f"{DAT_QUOTE}{f}{DAT_QUOTE}" for f in fields) + CRLF)
        for values in _rows(docs, produced, exhibits, fields):
            out.write(DAT_SEPARATOR.join(f"{DAT_QUOTE}{dat_value(v)}{DAT_QUOTE}" for v in values) + CRLF)
            count += 1
    return count


def write_csv(path: Path, fields, docs, produced, exhibits) -> int:
    count = 0
    # RFC 4180 (quotes doubled, CRLF records) with a BOM: Excel reads BOM-less UTF-8 as ANSI.
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator=CRLF)
        writer.writerow(fields)
        for values in _rows(docs, produced, exhibits, fields):
            writer.writerow(values)
            count += 1
    return count


def _image_records(docs: list[PlannedDocument], produced: dict[int, ProducedDocument]):
    """(document, page index, page, volume) for every produced page image, in order."""
    for doc in docs:
        for index, page in enumerate(produced[doc.exhibit_id].pages):
            yield doc, index, page


def write_opt(path: Path, docs, produced, separator: str = ",") -> int:
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        for doc, index, page in _image_records(docs, produced):
            first = index == 0
            out.write(
                separator.join(
                    [
                        page.key,
                        doc.volume_label,
                        windows_path(page.path),
                        "Y" if first else "",
                        "",
                        "",
                        str(doc.pages) if first else "",
                    ]
                )
                + CRLF
            )
            count += 1
    return count


def _volume_relative(doc: PlannedDocument, page_path: str) -> tuple[str, str]:
    """(folder, file name) of a page inside its volume's folder, backslash separated."""
    prefix = doc.volume_label + "/"
    if not page_path.startswith(prefix):
        raise ValueError(f"page {page_path} is not inside volume {doc.volume_label}")
    folder, _, filename = windows_path(page_path[len(prefix) :]).rpartition("\\")
    return folder, filename


def write_lfp(path: Path, docs, produced) -> int:
    """IPRO: the volume label maps to the volume's folder, so the path after it is volume-relative."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        for doc, index, page in _image_records(docs, produced):
            flag = ("C" if doc.family_child else "D") if index == 0 else ""
            folder, filename = _volume_relative(doc, page.path)
            out.write(
                f"IM,{page.key},{flag},{page.offset},@{doc.volume_label};{folder};{filename};"
                f"{LFP_FILE_TYPES[page.file_type]},{LFP_ROTATION}{CRLF}"
            )
            count += 1
    return count


def write_dii(path: Path, docs, produced) -> int:
    """Summation: per document @T, ENDDOC, PGCOUNT, @FULLTEXT DOC (text beside the first image),
    @EDOC (the produced native), then the image folder and file names."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        for number, doc in enumerate(docs):
            if number:
                out.write(CRLF)
            result = produced[doc.exhibit_id]
            out.write(f"@T {doc.begin}{CRLF}@C ENDDOC {doc.end}{CRLF}@C PGCOUNT {doc.pages}{CRLF}")
            if result.fulltext_path:
                out.write(f"@FULLTEXT DOC{CRLF}")
            if result.native_path:
                out.write(f"@EDOC \\{windows_path(result.native_path)}{CRLF}")
            current_folder = None
            seen_files = set()
            for page in result.pages:
                folder, _, filename = windows_path(page.path).rpartition("\\")
                if folder != current_folder:
                    out.write(f"@D @I\\{folder}\\{CRLF}")
                    current_folder = folder
                if (folder, filename) not in seen_files:  # a multi-page PDF is listed once
                    out.write(filename + CRLF)
                    seen_files.add((folder, filename))
    return len(docs)


def write_all(folder: Path, export: ExportSettings, docs, produced, exhibits) -> dict[str, dict[str, Any]]:
    """Write the load files the export asks for; returns {kind: {path, records}}."""
    folder.mkdir(parents=True, exist_ok=True)
    name = export.safe_name
    fields = export.dat_fields or DEFAULT_DAT_FIELDS
    written: dict[str, dict[str, Any]] = {}
    for kind in export.loadfiles:
        path = folder / f"{name}.{kind}"
        if kind == "dat":
            records = write_dat(path, fields, docs, produced, exhibits)
        elif kind == "csv":
            records = write_csv(path, fields, docs, produced, exhibits)
        elif kind == "opt":
            records = write_opt(path, docs, produced)
        elif kind == "log":
            records = write_opt(path, docs, produced, separator="\t")
        elif kind == "lfp":
            records = write_lfp(path, docs, produced)
        elif kind == "dii":
            records = write_dii(path, docs, produced)
        else:  # validated away earlier
            continue
        written[kind] = {"path": path, "records": records}
    return written
