"""Readers of review-platform load files, written for the tests from the public format descriptions.

Deliberately independent of the platform's own writer and reader code
(domain/productions/loadfiles.py): a misreading of a format there must not be
repeated here. Each reader is strict where the receiving tools are strict and
returns plain values; path resolution is from the load file's own folder, the
way Relativity, Concordance, Summation and IPRO loaders resolve relative paths.

- Concordance DAT: one record per line, CRLF; every field wrapped in the text
  qualifier þ (U+00FE), fields separated by DC4 (0x14); a newline inside a value
  is written as ® (U+00AE); the first record names the fields.
- Opticon OPT: one line per page, 7 comma-separated fields: image key, volume,
  image path, document break (Y), folder break, box break, page count.
- IPRO LFP: one IM line per page: IM,key,break (D/C/empty),offset,
  @volume;path;file name;file type,rotation; the volume label stands for a folder
  the loader maps, and the path is inside that folder.
- Summation DII: records of tokens; @T starts one, @C NAME value sets a field,
  @FULLTEXT DOC says one text file per document named after the first image,
  @EDOC names the electronic (native) file, @D @I\\path\\ the image folder,
  after which plain lines are image file names; lines starting with ; are comments.
- CSV: RFC 4180 (fields with comma, quote or line break quoted; quotes doubled;
  records end with CRLF).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

UTF8_BOM = b"\xef\xbb\xbf"
CRLF = "\r\n"
THORN = "\u00fe"
DC4 = "\x14"


class LoadFileError(ValueError):
    """The file breaks its format; the message names the file and line."""


def _text(path: Path, bom: bool) -> str:
    raw = path.read_bytes()
    if bom:
        if not raw.startswith(UTF8_BOM):
            raise LoadFileError(f"{path.name}: no UTF-8 byte order mark")
        raw = raw[len(UTF8_BOM) :]
    elif raw.startswith(UTF8_BOM):
        raise LoadFileError(f"{path.name}: unexpected byte order mark")
    text = raw.decode("utf-8")
    if text and not text.endswith(CRLF):
        raise LoadFileError(f"{path.name}: the last record does not end with CRLF")
    return text


def _lines(path: Path, text: str) -> list[str]:
    """Lines split on CRLF; a CR or LF on its own is a broken line end."""
    lines = text[:-2].split(CRLF) if text else []
    for number, line in enumerate(lines, start=1):
        if "\r" in line or "\n" in line:
            raise LoadFileError(f"{path.name} line {number}: a line end that is not CRLF")
    return lines


def windows_path(folder: Path, relative: str) -> Path:
    """A backslash path relative to `folder`; absolute paths and drive letters are refused."""
    if relative.startswith("\\\\") or (len(relative) > 1 and relative[1] == ":") or "/" in relative:
        raise LoadFileError(f"{relative!r} is not a relative Windows path")
    parts = [p for p in relative.split("\\") if p]
    if any(p in (".", "..") for p in parts):
        raise LoadFileError(f"{relative!r} climbs out of the load file's folder")
    return folder.joinpath(*parts)


# Concordance DAT ------------------------------------------------------------------------------


@dataclass
class Table:
    header: list[str]
    rows: list[dict[str, str]]


def read_concordance_dat(path: Path) -> Table:
    lines = _lines(path, _text(path, bom=True))
    if not lines:
        raise LoadFileError(f"{path.name}: empty")

    def fields(line: str, number: int) -> list[str]:
        values, i = [], 0
        while True:
            if i >= len(line) or line[i] != THORN:
                raise LoadFileError(
                    f"{path.name} line {number}: field {len(values) + 1} does not open with þ"
                )
            end = line.find(THORN, i + 1)
            if end < 0:
                raise LoadFileError(f"{path.name} line {number}: field {len(values) + 1} is not closed")
            values.append(line[i + 1 : end].replace("\u00ae", "\n"))
            i = end + 1
            if i == len(line):
                return values
            if line[i] != DC4:
                raise LoadFileError(f"{path.name} line {number}: no DC4 after field {len(values)}")
            i += 1

    header = fields(lines[0], 1)
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        values = fields(line, number)
        if len(values) != len(header):
            raise LoadFileError(
                f"{path.name} line {number}: {len(values)} fields, the header has {len(header)}"
            )
        rows.append(dict(zip(header, values, strict=True)))
    return Table(header, rows)


# RFC 4180 CSV ---------------------------------------------------------------------------------


def read_rfc4180_csv(path: Path) -> Table:
    """A strict RFC 4180 reader (with a BOM). Python's csv module also takes bare LF as a record
    end, which RFC 4180 does not, so the grammar is followed here by hand."""
    text = _text(path, bom=True)
    records: list[list[str]] = []
    record: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == '"':
            value, i = [], i + 1
            while True:
                j = text.find('"', i)
                if j < 0:
                    raise LoadFileError(f"{path.name}: a quoted field is not closed")
                value.append(text[i:j])
                if text[j + 1 : j + 2] == '"':
                    value.append('"')
                    i = j + 2
                    continue
                i = j + 1
                break
            record.append("".join(value))
        else:
            j = i
            while j < len(text) and text[j] not in ',\r\n"':
                j += 1
            if j < len(text) and text[j] == '"':
                raise LoadFileError(f"{path.name}: a quote inside an unquoted field")
            record.append(text[i:j])
            i = j
        if text.startswith(",", i):
            i += 1
        elif text.startswith(CRLF, i):
            records.append(record)
            record, i = [], i + 2
        else:
            raise LoadFileError(
                f"{path.name}: record {len(records) + 1} has a bare CR or LF, or text after a quoted field"
            )
    if not records:
        raise LoadFileError(f"{path.name}: empty")
    header = records[0]
    for number, values in enumerate(records[1:], start=2):
        if len(values) != len(header):
            raise LoadFileError(
                f"{path.name} record {number}: {len(values)} fields, the header has {len(header)}"
            )
    return Table(header, [dict(zip(header, r, strict=True)) for r in records[1:]])


# Opticon OPT ----------------------------------------------------------------------------------


@dataclass
class OpticonPage:
    key: str
    volume: str
    path: str
    document_break: bool
    page_count: int | None


def read_opticon(path: Path, separator: str = ",") -> list[OpticonPage]:
    pages = []
    for number, line in enumerate(_lines(path, _text(path, bom=False)), start=1):
        values = line.split(separator)
        if len(values) != 7:
            raise LoadFileError(f"{path.name} line {number}: {len(values)} fields, not 7")
        key, volume, image, doc_break, folder_break, box_break, count = values
        if doc_break not in ("Y", "") or folder_break not in ("Y", "") or box_break not in ("Y", ""):
            raise LoadFileError(f"{path.name} line {number}: break flags must be Y or empty")
        if (doc_break == "Y") != (count != ""):
            raise LoadFileError(
                f"{path.name} line {number}: the page count belongs on the document's first page"
            )
        pages.append(OpticonPage(key, volume, image, doc_break == "Y", int(count) if count else None))
    if pages and not pages[0].document_break:
        raise LoadFileError(f"{path.name}: the first page does not start a document")
    return pages


# IPRO LFP -------------------------------------------------------------------------------------


@dataclass
class IproPage:
    key: str
    flag: str
    offset: int
    volume: str
    path: str
    filename: str
    file_type: int
    rotation: int

    def resolve(self, volume_folders: dict[str, Path]) -> Path:
        return windows_path(volume_folders[self.volume], f"{self.path}\\{self.filename}")


IPRO_FILE_TYPES = {2: (".tif",), 4: (".jpg", ".jpeg"), 7: (".pdf",)}


def read_ipro_lfp(path: Path) -> list[IproPage]:
    pages = []
    for number, line in enumerate(_lines(path, _text(path, bom=False)), start=1):
        values = line.split(",")
        if len(values) != 6 or values[0] != "IM":
            raise LoadFileError(
                f"{path.name} line {number}: not IM,key,break,offset,@volume;path;file;type,rotation"
            )
        _, key, flag, offset, location, rotation = values
        if flag not in ("D", "C", ""):
            raise LoadFileError(f"{path.name} line {number}: break flag {flag!r}")
        if not location.startswith("@") or location.count(";") != 3:
            raise LoadFileError(
                f"{path.name} line {number}: the image location is not @volume;path;file;type"
            )
        volume, folder, filename, file_type = location[1:].split(";")
        if not (offset.isdigit() and file_type.isdigit() and rotation in ("0", "90", "180", "270")):
            raise LoadFileError(f"{path.name} line {number}: offset, file type or rotation is not a number")
        if not filename.lower().endswith(IPRO_FILE_TYPES.get(int(file_type), ("?",))):
            raise LoadFileError(f"{path.name} line {number}: file type {file_type} does not match {filename}")
        pages.append(
            IproPage(key, flag, int(offset), volume, folder, filename, int(file_type), int(rotation))
        )
    return pages


# Summation DII --------------------------------------------------------------------------------


@dataclass
class SummationRecord:
    tag: str
    fields: dict[str, str] = field(default_factory=dict)
    fulltext: str | None = None
    edoc: str | None = None
    image_folder: str | None = None  # the folder of the latest @D: image names that follow live there
    images: list[tuple[str, str]] = field(
        default_factory=list
    )  # (folder, file name); a record may span folders

    def image_paths(self, folder: Path) -> list[Path]:
        return [windows_path(folder, f"{where}\\{name}") for where, name in self.images]

    def text_path(self, folder: Path) -> Path | None:
        """@FULLTEXT DOC: one text file per document, named after the first image, beside it."""
        if self.fulltext != "DOC" or not self.images:
            return None
        where, name = self.images[0]
        return windows_path(folder, f"{where}\\{name.rsplit('.', 1)[0]}.txt")

    def edoc_path(self, folder: Path) -> Path | None:
        return windows_path(folder, self.edoc.lstrip("\\")) if self.edoc else None


def read_summation_dii(path: Path) -> list[SummationRecord]:
    records: list[SummationRecord] = []
    global_fulltext = None
    for number, line in enumerate(_lines(path, _text(path, bom=False)), start=1):
        if not line.strip() or line.startswith(";"):
            continue
        if line.startswith("@T "):
            records.append(SummationRecord(line[3:].strip(), fulltext=global_fulltext))
            continue
        if line.startswith("@FULLTEXT "):
            mode = line[10:].strip()
            if mode not in ("DOC", "PAGE"):
                raise LoadFileError(f"{path.name} line {number}: @FULLTEXT {mode}")
            if records:
                records[-1].fulltext = mode
            else:
                global_fulltext = mode  # before any @T it applies to every record
            continue
        if not records:
            raise LoadFileError(f"{path.name} line {number}: {line[:20]!r} before the first @T")
        record = records[-1]
        if line.startswith("@C "):
            name, _, value = line[3:].partition(" ")
            record.fields[name] = value
        elif line.startswith("@EDOC "):
            record.edoc = line[6:].strip()
        elif line.startswith("@D "):
            target = line[3:].strip()
            if not target.startswith("@I"):
                raise LoadFileError(
                    f"{path.name} line {number}: only @I (relative) image folders are expected"
                )
            record.image_folder = target[2:].strip("\\")
        elif line.startswith("@"):
            raise LoadFileError(f"{path.name} line {number}: unknown token {line.split()[0]}")
        else:
            if record.image_folder is None:
                raise LoadFileError(f"{path.name} line {number}: an image name before @D")
            record.images.append((record.image_folder, line))
    return records


# Text files -----------------------------------------------------------------------------------


def text_file_faults(data: bytes) -> list[str]:
    """What review tools would trip on: no BOM (encoding guessed), line ends other than CRLF,
    no CRLF within the first 80 characters (Summation)."""
    faults = []
    if not data.startswith(UTF8_BOM):
        faults.append("no UTF-8 BOM")
    text = (
        data[len(UTF8_BOM) :].decode("utf-8")
        if data.startswith(UTF8_BOM)
        else data.decode("utf-8", "replace")
    )
    if "\r" in text.replace(CRLF, "") or "\n" in text.replace(CRLF, ""):
        faults.append("a line end other than CRLF")
    if CRLF not in text[:80]:
        faults.append("no CRLF within the first 80 characters")
    return faults
