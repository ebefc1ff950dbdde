"""Streaming tabular output: rows go to disk as they arrive, memory stays flat."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any


def cell(value: Any) -> Any:
    """Dates as UTC ISO 8601, everything else exactly as stored."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value.tzinfo is None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


@dataclass
class WriteSummary:
    rows: int = 0
    preview: list[list[Any]] = field(default_factory=list)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], preview_rows: int = 10) -> WriteSummary:
    """RFC 4180 CSV, UTF-8 with BOM (Excel reads the encoding right), CRLF line ends."""
    summary = WriteSummary()
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, dialect="excel", lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            values = [cell(v) for v in row]
            writer.writerow(values)
            if summary.rows < preview_rows:
                summary.preview.append(values)
            summary.rows += 1
    return summary
