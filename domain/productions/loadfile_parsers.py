"""Parsers of the load files a production writes (domain/productions/loadfiles.py), strict about
their format: QC reads every load file back with these, and a file that does not parse is a
production defect (ValueError naming the line), not something to work around.

Paths inside load files are relative to the load file's folder with backslashes: `resolve` turns
one into a local path, `referenced_paths` lists every one a load file names.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from domain.productions.loadfiles import BOM, CRLF, DAT_QUOTE, DAT_SEPARATOR


def _read(path: Path, encoding: str = "utf-8") -> str:
    """The file's text with its line ends as written (no newline translation)."""
    with open(path, encoding=encoding, newline="") as handle:
        return handle.read()


def _read_with_bom(path: Path) -> str:
    text = _read(path)
    if not text.startswith(BOM):
        raise ValueError(f"{path.name} has no UTF-8 BOM")
    return text[1:]


def read_dat(path: Path) -> tuple[list[str], list[list[str]]]:
    text = _read_with_bom(path)
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


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    text = _read_with_bom(path)
    if text and not text.endswith(CRLF):
        raise ValueError(f"{path.name} does not end with CRLF")
    table = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    if not table:
        raise ValueError(f"{path.name} has no header")
    for n, row in enumerate(table[1:], start=2):
        if len(row) != len(table[0]):
            raise ValueError(f"{path.name} record {n} has {len(row)} fields, the header {len(table[0])}")
    return table[0], table[1:]


def read_table(path: Path, kind: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a DAT (`kind` 'dat') or a CSV load file."""
    return read_dat(path) if kind == "dat" else read_csv(path)


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
    """Rows of [IM, key, flag, offset, volume, folder, file, file type, rotation]."""
    text = _read(path)
    if text and not text.endswith(CRLF):
        raise ValueError(f"{path.name} does not end with CRLF")
    rows = []
    for n, line in enumerate(text.split(CRLF), start=1):
        if not line:
            continue
        head = line.split(",", 4)
        if len(head) != 5 or head[0] != "IM" or not head[4].startswith("@"):
            raise ValueError(f"LFP line {n} is not an IM record")
        location, _, rotation = head[4][1:].rpartition(",")
        parts = location.split(";")
        if len(parts) != 4 or not rotation.isdigit() or not parts[3].isdigit():
            raise ValueError(f"LFP line {n} does not hold @volume;folder;file;type,rotation")
        rows.append(head[:4] + parts + [rotation])
    return rows


def read_dii(path: Path) -> list[dict[str, Any]]:
    """Records of {begin, end, pages, fulltext, edoc, folder, files, images}: `folder` is the first
    @D folder, `images` every file as folder\\name (a document may span image folders)."""
    records: list[dict[str, Any]] = []
    for n, line in enumerate(_read(path).split(CRLF), start=1):
        if not line:
            continue
        if line.startswith("@T "):
            records.append(
                {
                    "begin": line[3:],
                    "files": [],
                    "images": [],
                    "fulltext": False,
                    "edoc": None,
                    "folder": None,
                    "current": None,
                }
            )
        elif not records:
            raise ValueError(f"DII line {n} comes before any @T")
        elif line.startswith("@C ENDDOC "):
            records[-1]["end"] = line[10:]
        elif line.startswith("@C PGCOUNT "):
            records[-1]["pages"] = int(line[11:])
        elif line == "@FULLTEXT DOC":
            records[-1]["fulltext"] = True
        elif line.startswith("@EDOC "):
            records[-1]["edoc"] = line[6:]
        elif line.startswith("@D @I"):
            records[-1]["current"] = line[5:].strip("\\")
            records[-1]["folder"] = records[-1]["folder"] or records[-1]["current"]
        elif line.startswith("@"):
            raise ValueError(f"DII line {n} is a token this platform does not write")
        elif records[-1]["current"] is None:
            raise ValueError(f"DII line {n} names an image before any @D")
        else:
            records[-1]["files"].append(line)
            records[-1]["images"].append(f"{records[-1]['current']}\\{line}")
    for record in records:
        del record["current"]
    return records


def resolve(folder: Path, windows_relative: str) -> Path:
    """A load file's backslash path, resolved from the load file's own folder."""
    return folder.joinpath(*[p for p in windows_relative.split("\\") if p])


def referenced_paths(folder: Path, kind: str, name: str) -> list[str]:
    """Every path the load file {name}.{kind} names, relative to its folder, backslash separated."""
    path = folder / f"{name}.{kind}"
    if kind in ("dat", "csv"):
        header, rows = read_table(path, kind)
        columns = [header.index(f) for f in ("NATIVELINK", "TEXTLINK") if f in header]
        return [row[c] for row in rows for c in columns if row[c]]
    if kind in ("opt", "log"):
        return [row[2] for row in read_opt(path, "," if kind == "opt" else "\t")]
    if kind == "lfp":
        return [f"{row[4]}\\{row[5]}\\{row[6]}" for row in read_lfp(path)]
    if kind == "dii":
        paths = []
        for record in read_dii(path):
            paths += record["images"]
            if record["edoc"]:
                paths.append(record["edoc"].lstrip("\\"))
            if record["fulltext"] and record["images"]:
                paths.append(f"{record['images'][0].rsplit('.', 1)[0]}.txt")
        return paths
    return []
