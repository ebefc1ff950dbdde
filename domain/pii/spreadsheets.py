"""A spreadsheet native (CSV, TSV, XLSX, XLSM) as text the PII scan reads: a table, as it is.

A production or an exchange that ships a spreadsheet's native ships every cell of it, hidden sheets and
columns included, whatever its text rendition left out. The scan reads the native itself, in one layout
the recognizers know: each sheet is a page (pages joined by form feeds, as in a production's TEXT/), each
row a line, header first, cells separated by one TAB. A tab, line break or form feed inside a cell
becomes a space, so a cell never spills into the next column, row or sheet. Values are written as people
read them: a date as YYYY-MM-DD (a birth date stored as an Excel date is still a date), a whole number
without `.0` or an exponent (an SSN or a card number stored as a number keeps its digits).

Every file is hostile: at most MAX_CELLS cells, MAX_TEXT_CHARS characters of text and (for a workbook)
MAX_UNZIPPED_BYTES declared in its zip are read; beyond that, or when the file is corrupt or encrypted,
a typed permanent error says why (the scan reports the document as unscanned).
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from domain.errors import DocumentEncrypted, DocumentError, DocumentUnreadable, PlatformError, without_paths

SPREADSHEET_EXTENSIONS = frozenset({"csv", "tsv", "xlsx", "xlsm"})
MAX_CELLS = 2_000_000  # cells (and rows) read from one document
MAX_TEXT_CHARS = 64 * 1024 * 1024  # characters of text made from one document
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024  # what a workbook's zip may say it holds (a zip bomb says more)
SNIFF_CHARS = 8 * 1024  # how much of a CSV the delimiter is guessed from (the sniffer is quadratic)
DELIMITERS = ",;\t|"
# What would end a line, a cell or a page in the text made: str.splitlines' separators and the TAB.
_BREAKS = re.compile(r"[\t\n\r\f\v\x1c\x1d\x1e\x85\u2028\u2029]")
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE compound file: an encrypted workbook, or an .xls


class SpreadsheetTooLarge(DocumentError):
    default_message = "The spreadsheet is too large to scan."


def spreadsheet_text(data: bytes, extension: str) -> str:
    """The native's text: one page per sheet, one line per row, cells joined by TABs.

    Raises DocumentUnreadable, DocumentEncrypted or SpreadsheetTooLarge (permanent errors)."""
    ext = extension.lower().lstrip(".")
    if ext not in SPREADSHEET_EXTENSIONS:
        raise DocumentUnreadable(f"a .{ext} file is not a spreadsheet the scan reads")
    budget = _Budget()
    if ext in ("csv", "tsv"):
        return _lines(_csv_rows(data, ext), budget)
    return "\f".join(_lines(rows, budget) for rows in _sheets(data))


class _Budget:
    """Counts cells and characters over the whole document; raises when either runs out."""

    def __init__(self) -> None:
        self.cells = 0
        self.chars = 0

    def spend(self, cells: int, chars: int) -> None:
        self.cells += max(cells, 1)  # an empty row costs something too: a file can claim a million
        self.chars += chars + 1
        if self.cells > MAX_CELLS:
            raise SpreadsheetTooLarge(
                f"the spreadsheet has more than {MAX_CELLS:,} cells; it was not scanned"
            )
        if self.chars > MAX_TEXT_CHARS:
            raise SpreadsheetTooLarge(
                f"the spreadsheet holds more than {MAX_TEXT_CHARS // (1024 * 1024)} MiB of text; "
                "it was not scanned"
            )


def _lines(rows: Iterable[Iterable[object]], budget: _Budget) -> str:
    lines = []
    for row in rows:
        cells = [cell_text(value) for value in row]
        budget.spend(len(cells), sum(len(c) for c in cells))
        while cells and not cells[-1]:
            cells.pop()
        lines.append("\t".join(cells))
    return "\n".join(lines)


def cell_text(value: object) -> str:
    """One cell as people read it, on one line."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        # A date typed into Excel is a datetime at midnight; a time of day is kept when there is one.
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    return _BREAKS.sub(" ", str(value).replace("\x00", ""))


def _number(value: float) -> str:
    """A float without `.0` and without an exponent (123456789.0 is an SSN's nine digits)."""
    if not math.isfinite(value):
        return str(value)
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")  # the shortest digits that are this float, positionally


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv_rows(data: bytes, ext: str) -> Iterator[list[str]]:
    if len(data) > MAX_TEXT_CHARS:
        raise SpreadsheetTooLarge(
            f"the file holds more than {MAX_TEXT_CHARS // (1024 * 1024)} MiB of text; it was not scanned"
        )
    text = _decode(data).replace("\x00", "")
    delimiter = "\t" if ext == "tsv" else _delimiter(text)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:  # a field over the csv module's limit: an unclosed quote, or a hostile file
        raise DocumentUnreadable(f"the {ext.upper()} file could not be read: {exc}") from None


def _delimiter(text: str) -> str:
    sample = text[:SNIFF_CHARS]
    if len(text) > SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # whole rows only
    # The header line settles it when the sniffer's guess is not in it (a few rows with a quoted line
    # break or tab mislead the sniffer; a header rarely has either).
    header = sample.split("\n", 1)[0]
    in_header = max(DELIMITERS, key=header.count)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:  # one column, or nothing to tell by
        sniffed = ","
    return sniffed if sniffed in header or not header.count(in_header) else in_header


def _sheets(data: bytes) -> Iterator[Iterator[tuple]]:
    """Each worksheet's rows (values, formulas' cached results), hidden ones included."""
    if data.startswith(_CFB_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise DocumentEncrypted("the workbook is password-protected; it cannot be scanned")
        raise DocumentUnreadable("the file is an old binary Excel workbook (.xls), not an XLSX")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise DocumentUnreadable(f"the workbook is corrupt: {_why(exc)}") from None
    if declared > MAX_UNZIPPED_BYTES:
        raise SpreadsheetTooLarge(
            f"the workbook unpacks to {declared:,} bytes, more than {MAX_UNZIPPED_BYTES:,}; "
            "it was not scanned"
        )
    from openpyxl import load_workbook  # only when a workbook is read: the scan of texts does not need it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except PlatformError:
        raise
    except Exception as exc:  # openpyxl raises what its parsers raise: any of them means a corrupt file
        raise DocumentUnreadable(f"the workbook is corrupt: {_why(exc)}") from None
    try:
        for sheet in workbook.worksheets:
            # A sheet's stated dimensions may lie (A1:XFD1048576): rows are read as they are stored.
            sheet.reset_dimensions()
            yield _guarded(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def _guarded(rows: Iterator[tuple]) -> Iterator[tuple]:
    try:
        yield from rows
    except PlatformError:
        raise
    except Exception as exc:
        raise DocumentUnreadable(f"the workbook is corrupt: {_why(exc)}") from None


def _why(exc: Exception) -> str:
    message = without_paths(str(exc)) or type(exc).__name__
    return message if len(message) <= 200 else message[:200] + "…"
