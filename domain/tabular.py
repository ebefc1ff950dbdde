"""Streaming tabular output: rows go to disk as they arrive, memory stays flat."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any


def cell(value: Any) -> Any:
    """Dates as UTC ISO 8601 to the second, everything else exactly as stored."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        # isoformat is C-fast; strftime costs twice as much on a million-row report.
        return (value.replace(microsecond=0) if value.microsecond else value).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


@dataclass
class WriteSummary:
    rows: int = 0
    preview: list[list[Any]] = field(default_factory=list)


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    preview_rows: int = 10,
    kinds: Sequence[str] | None = None,
) -> WriteSummary:
    """RFC 4180 CSV, UTF-8 with BOM (Excel reads the encoding right), CRLF line ends.

    With `kinds` (a report's column kinds) only the date and datetime columns are
    converted, which keeps the per-row cost to what csv.writer itself does; None is
    written as an empty field by csv.writer.
    """
    summary = WriteSummary()
    iterator = iter(rows)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("\ufeff")  # the BOM; the utf-8-sig codec would add a Python call to every write
        writer = csv.writer(handle, dialect="excel", lineterminator="\r\n")
        writer.writerow(header)
        for row in iterator:
            values = [cell(v) for v in row]
            writer.writerow(values)
            summary.preview.append(values)
            summary.rows += 1
            if summary.rows >= preview_rows:
                break
        if kinds is None:
            converted = ([cell(v) for v in row] for row in iterator)
        else:
            dated = [i for i, kind in enumerate(kinds) if kind in ("datetime", "date")]
            converted = _convert_dates(iterator, dated) if dated else iterator
        write = writer.writerow
        count = 0
        for row in converted:
            write(row)
            count += 1
        summary.rows += count
    return summary


def _convert_dates(rows: Iterable[Sequence[Any]], columns: list[int]):
    for row in rows:
        if type(row) is not list:
            row = list(row)
        for i in columns:
            value = row[i]
            if type(value) is datetime and value.tzinfo is None and not value.microsecond:
                row[i] = value.isoformat() + "Z"  # the common case, without cell()'s checks
            elif value is not None and not isinstance(value, str):
                row[i] = cell(value)
        yield row


# --- XLSX -------------------------------------------------------------------------------------

XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included
XLSX_MAX_CELL = 32_767  # Excel's limit of characters per cell
WIDTH_SAMPLE = 200


@dataclass
class XlsxSummary(WriteSummary):
    sheets: int = 1
    truncated_cells: int = 0
    escaped_cells: int = 0


def _widths(header: Sequence[str], kinds: Sequence[str], sample: list[Sequence[Any]]) -> list[float]:
    widths = []
    for i, name in enumerate(header):
        kind = kinds[i] if i < len(kinds) else "text"
        longest = max([len(str(name))] + [len(str(cell(r[i])).split("\n")[0]) for r in sample if i < len(r)])
        floor = {"datetime": 20, "date": 12}.get(kind, 8)
        widths.append(min(60, max(floor, longest + 2)))
    return widths


def write_xlsx(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    kinds: Sequence[str] = (),
    preview_rows: int = 10,
    sheet_title: str = "Report",
    rows_per_sheet: int = XLSX_MAX_ROWS - 1,
) -> XlsxSummary:
    """A real workbook, streamed (openpyxl write-only): frozen header, widths, typed cells.

    Past Excel's 1,048,576 rows the report goes on in another sheet with the same header.
    Text that Excel cannot hold is changed visibly, never silently: control characters
    become their OOXML escapes (_x0001_) and cells over 32,767 characters are cut; both
    are counted in the summary.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter

    summary = XlsxSummary(sheets=0)
    workbook = Workbook(write_only=True)
    iterator = iter(rows)
    sample = [row for _, row in zip(range(WIDTH_SAMPLE), iterator, strict=False)]
    widths = _widths(header, kinds, sample)
    bold = None
    sheet = None
    in_sheet = rows_per_sheet

    def new_sheet():
        nonlocal sheet, in_sheet, bold
        summary.sheets += 1
        title = sheet_title if summary.sheets == 1 else f"{sheet_title} ({summary.sheets})"
        sheet = workbook.create_sheet(title=title[:31])
        sheet.freeze_panes = "A2"
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        if bold is None:
            from openpyxl.styles import Font

            bold = Font(bold=True)
        head = []
        for name in header:
            c = WriteOnlyCell(sheet, value=_text(str(name), summary, ILLEGAL_CHARACTERS_RE))
            c.data_type = "s"
            c.font = bold
            head.append(c)
        sheet.append(head)
        in_sheet = 0

    def typed(values: Sequence[Any]) -> list[Any]:
        out = []
        for value in values:
            if isinstance(value, str):
                text = _text(value, summary, ILLEGAL_CHARACTERS_RE)
                if text[:1] == "=":  # a string, never a formula
                    c = WriteOnlyCell(sheet, value=text)
                    c.data_type = "s"
                    out.append(c)
                else:
                    out.append(text)
            elif isinstance(value, datetime) and value.tzinfo is not None:
                # Excel has no time zones: UTC, as everywhere else. openpyxl gives dates their format.
                out.append(value.astimezone(UTC).replace(tzinfo=None))
            else:
                out.append(value)
        return out

    def all_rows():
        yield from sample
        yield from iterator

    for values in all_rows():
        if in_sheet >= rows_per_sheet:
            new_sheet()
        sheet.append(typed(values))
        in_sheet += 1
        if summary.rows < preview_rows:
            summary.preview.append([cell(v) for v in values])
        summary.rows += 1
    if sheet is None:
        new_sheet()
    workbook.save(path)
    return summary


def _text(value: str, summary: XlsxSummary, illegal) -> str:
    if illegal.search(value):
        value = illegal.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value)
        summary.escaped_cells += 1
    if len(value) > XLSX_MAX_CELL:
        value = value[:XLSX_MAX_CELL]
        summary.truncated_cells += 1
    return value
