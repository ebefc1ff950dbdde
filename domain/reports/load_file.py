"""Reading an uploaded load file (Concordance DAT or CSV) for a coding overlay.

Hostile input: the file is decoded and split line by line, and the first thing
wrong (bad encoding, a broken qualifier, a wrong field count, a repeated or
empty header) rejects the whole file with its line number, before any change.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from domain.errors import PermanentError
from domain.productions.loadfiles import DAT_NEWLINE, DAT_QUOTE, DAT_SEPARATOR

MAX_COLUMNS = 500
MAX_VALUE = 1_000_000


class MalformedLoadFile(PermanentError):
    default_message = "The load file is malformed."


@dataclass(frozen=True)
class Record:
    line: int  # where the record starts in the file (1-based; the header is line 1)
    values: tuple[str, ...]


def _encoding(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Decoded lines with their numbers; line ends (CRLF or LF) removed."""
    with open(path, "rb") as raw:
        encoding = _encoding(raw.read(4))
    if encoding == "utf-16":  # rare: decoded whole, since its bytes cannot be split at b"\n"
        with open(path, encoding=encoding, newline="") as handle:
            for number, line in enumerate(handle.read().split("\n"), start=1):
                yield number, line.rstrip("\r")
        return
    with open(path, "rb") as raw:
        # Line by line from bytes, so a bad byte is reported on its own line.
        for number, data in enumerate(raw, start=1):
            try:
                line = data.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise MalformedLoadFile(f"Line {number} of the load file is not valid UTF-8 text.") from None
            yield number, line.rstrip("\n").rstrip("\r")


def sniff(path: Path) -> str:
    """'dat' when the first line uses the Concordance separator or qualifier, else 'csv'."""
    for _, line in _lines(path):
        return "dat" if (DAT_SEPARATOR in line or line.startswith(DAT_QUOTE)) else "csv"
    raise MalformedLoadFile("The load file is empty.")


def _dat_records(path: Path) -> Iterator[Record]:
    pending: list[str] = []
    start = 0
    for number, line in _lines(path):
        if not pending and not line.strip():
            continue  # blank lines between records carry nothing
        if not pending:
            start = number
        pending.append(line)
        text = "\n".join(pending)
        if text.count(DAT_QUOTE) % 2:
            continue  # a qualified value goes on over a raw line break
        pending = []
        values = []
        for part in text.split(DAT_SEPARATOR):
            if part == "":
                values.append("")
            elif (
                len(part) >= 2
                and part[0] == DAT_QUOTE
                and part[-1] == DAT_QUOTE
                and DAT_QUOTE not in part[1:-1]
            ):
                values.append(part[1:-1].replace(DAT_NEWLINE, "\n"))
            else:
                raise MalformedLoadFile(
                    f"Line {start} of the DAT has a value without its þ qualifiers: {part[:40]!r}."
                )
        yield Record(start, tuple(values))
    if pending:
        raise MalformedLoadFile(f"Line {start} of the DAT opens a þ qualifier that is never closed.")


def _csv_records(path: Path) -> Iterator[Record]:
    lines = ((line + "\n") for _, line in _lines(path))
    reader = csv.reader(lines, strict=True)  # line_num counts the physical lines read so far
    start = 1
    try:
        for values in reader:
            if values:
                yield Record(start, tuple(values))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise MalformedLoadFile(f"Line {reader.line_num} of the CSV is malformed: {exc}.") from None


def read_load_file(path: Path, kind: str | None = None) -> tuple[str, list[str], Iterator[Record]]:
    """(kind, header, records): records are checked against the header as they are read."""
    kind = kind or sniff(path)
    records = _dat_records(path) if kind == "dat" else _csv_records(path)
    first = next(records, None)
    if first is None:
        raise MalformedLoadFile("The load file is empty.")
    header = [h.strip() for h in first.values]
    if not any(header) or "" in header:
        raise MalformedLoadFile(f"Line {first.line} of the load file has an empty field name.")
    if len(header) > MAX_COLUMNS:
        raise MalformedLoadFile(f"The load file has {len(header)} fields; at most {MAX_COLUMNS} are read.")
    seen: set[str] = set()
    for name in header:
        if name.casefold() in seen:
            raise MalformedLoadFile(f"Line {first.line} of the load file names the field {name!r} twice.")
        seen.add(name.casefold())

    def checked() -> Iterator[Record]:
        for record in records:
            if len(record.values) != len(header):
                raise MalformedLoadFile(
                    f"Line {record.line} of the load file has {len(record.values)} fields; "
                    f"the header has {len(header)}."
                )
            if any(len(v) > MAX_VALUE for v in record.values):
                raise MalformedLoadFile(
                    f"Line {record.line} of the load file holds a value over {MAX_VALUE} characters."
                )
            yield record

    return kind, header, checked()
