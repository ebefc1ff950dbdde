"""Load files (../shared/contracts/production_layout.md): DAT, OPT, LOG, LFP, DII and CSV.

Every writer takes the same produced documents, so counts agree by construction:
OPT lines = LFP lines = image files = sum of PGCOUNT.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from domain.production.manifest import DEFAULT_DAT_FIELDS, Exhibit, ExportSettings
from domain.production.plan import PlannedDocument

DAT_SEPARATOR = "\x14"
DAT_QUOTE = "\u00fe"
DAT_NEWLINE = "\u00ae"
CRLF = "\r\n"
LFP_FILE_TYPES = {"tif": 2, "jpg": 4, "pdf": 7}
# Withheld documents disclose no content: these fields stay empty for them.
WITHHELD_BLANK = {"TITLE", "FILENAME", "FILEEXT", "MD5HASH", "NATIVELINK"}


@dataclass
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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProducedDocument:
        return cls(**{**data, "pages": [ProducedPage(**p) for p in data["pages"]]})


def windows_path(path: str | None) -> str:
    return (path or "").replace("/", "\\")


def dat_value(value: Any) -> str:
    """A DAT cell: newlines become ®; the qualifier and separator cannot be escaped, so they are replaced."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", DAT_NEWLINE)
    return text.replace(DAT_SEPARATOR, " ").replace(DAT_QUOTE, "\u00de")


def field_values(fields: Iterable[str], doc: PlannedDocument, produced: ProducedDocument, exhibit: Exhibit) -> list[str]:
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
        "DATESENT": exhibit.date_sent,
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
    with open(path, "w", encoding="utf-8", newline="") as out:
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
            out.write(separator.join([
                page.key, doc.volume_label, windows_path(page.path), "Y" if first else "", "", "", str(doc.pages) if first else "",
            ]) + CRLF)
            count += 1
    return count


def write_lfp(path: Path, docs, produced) -> int:
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        for doc, index, page in _image_records(docs, produced):
            flag = ("C" if doc.family_child else "D") if index == 0 else ""
            folder, _, filename = windows_path(page.path).rpartition("\\")
            out.write(f"IM,{page.key},{flag},{page.offset},@{doc.volume_label};{folder};{filename};{LFP_FILE_TYPES[page.file_type]}{CRLF}")
            count += 1
    return count


def write_dii(path: Path, docs, produced) -> int:
    with open(path, "w", encoding="utf-8", newline="") as out:
        for number, doc in enumerate(docs):
            if number:
                out.write(CRLF)
            out.write(f"@T {doc.begin}{CRLF}@C ENDDOC {doc.end}{CRLF}@C PGCOUNT {doc.pages}{CRLF}")
            current_folder = None
            seen_files = set()
            for page in produced[doc.exhibit_id].pages:
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


# Parsers: QC reads every load file back with these.

def _read(path: Path, encoding: str = "utf-8") -> str:
    """The file's text with its line ends as written (no newline translation)."""
    with open(path, encoding=encoding, newline="") as handle:
        return handle.read()


def read_dat(path: Path) -> tuple[list[str], list[list[str]]]:
    text = _read(path, "utf-8-sig")
    if not text.endswith(CRLF):
        raise ValueError("the DAT does not end with CRLF")
    lines = text[:-2].split(CRLF)

    def cells(line: str, number: int) -> list[str]:
        parts = line.split(DAT_SEPARATOR)
        if not all(len(p) >= 2 and p.startswith(DAT_QUOTE) and p.endswith(DAT_QUOTE) for p in parts):
            raise ValueError(f"DAT line {number} has a value without its þ qualifiers")
        return [p[1:-1] for p in parts]

    header = cells(lines[0], 1)
    rows = [cells(line, n) for n, line in enumerate(lines[1:], start=2)]
    for n, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise ValueError(f"DAT line {n} has {len(row)} fields, the header {len(header)}")
    return header, rows


def read_opt(path: Path, separator: str = ",") -> list[list[str]]:
    text = _read(path)
    if text and not text.endswith(CRLF):
        raise ValueError(f"{path.name} does not end with CRLF")
    rows = [line.split(separator) for line in text.split(CRLF) if line]
    for n, row in enumerate(rows, start=1):
        if len(row) != 7:
            raise ValueError(f"{path.name} line {n} has {len(row)} fields, not 7")
    return rows


def read_lfp(path: Path) -> list[list[str]]:
    rows = []
    for n, line in enumerate(_read(path).split(CRLF), start=1):
        if not line:
            continue
        head = line.split(",", 4)
        if len(head) != 5 or head[0] != "IM" or not head[4].startswith("@") or len(head[4][1:].split(";")) != 4:
            raise ValueError(f"LFP line {n} is not an IM record")
        rows.append(head[:4] + head[4][1:].split(";"))
    return rows


def read_dii(path: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for n, line in enumerate(_read(path).split(CRLF), start=1):
        if not line:
            continue
        if line.startswith("@T "):
            records.append({"begin": line[3:], "files": []})
        elif not records:
            raise ValueError(f"DII line {n} comes before any @T")
        elif line.startswith("@C ENDDOC "):
            records[-1]["end"] = line[10:]
        elif line.startswith("@C PGCOUNT "):
            records[-1]["pages"] = int(line[11:])
        elif line.startswith("@D "):
            records[-1]["folder"] = line[3:]
        else:
            records[-1]["files"].append(line)
    return records
