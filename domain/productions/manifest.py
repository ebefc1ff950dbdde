"""Validate an export manifest (its tables: docs/interfaces/export_manifest.sql).

Everything in a manifest is untrusted. Export-level faults reject the whole
manifest (`ManifestRejected`, naming the field); row-level faults become
`Problem`s naming the exhibit, and that row is left out while the rest of the
production goes on. A document whose redactions cannot be read is never
produced: producing it unredacted would leak what the redaction hides.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from domain.errors import InvalidKeyError, PermanentError
from domain.families import family_root
from domain.keys import clean_relative_key
from domain.productions.export_settings import ExportSettings, InvalidExportSettings, read_export_settings

SPREADSHEET_EXTENSIONS = {"xls", "xlsx", "xlsm", "xlsb", "csv", "ods", "numbers", "tsv"}


class ManifestRejected(PermanentError):
    default_message = "The export manifest is invalid."


@dataclass
class Problem:
    code: str
    message: str
    exhibit_id: int | None = None
    volume: int | None = None
    severity: str = "error"  # 'error': the document is not (fully) produced; 'warning': produced, with a note

    def line(self) -> str:
        where = f"exhibit {self.exhibit_id}: " if self.exhibit_id is not None else ""
        return f"[{self.severity.upper()}] {where}{self.code}: {self.message}"


@dataclass
class Exhibit:
    id: int
    document_id: int
    parent_exhibit_id: int | None
    control_number: str | None
    filename: str
    file_extension: str | None
    md5: str | None
    title: str | None
    author: str | None
    custodian: str | None
    date_sent: str | None
    page_count: int | None
    pdf_key: str | None
    native_key: str | None
    text_key: str | None
    confidentiality: str | None


@dataclass
class ExportRow:
    position: int
    exhibit_id: int
    volume: int
    bates_begin: str | None
    produce_native: bool
    withheld: bool


@dataclass
class Redaction:
    exhibit_id: int
    page_number: int
    rect: tuple[float, float, float, float]
    label: str | None


@dataclass
class ValidatedManifest:
    export: ExportSettings
    exhibits: dict[int, Exhibit]
    rows: list[ExportRow]
    redactions: dict[int, list[Redaction]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "export": asdict(self.export),
            "exhibits": [asdict(e) for e in self.exhibits.values()],
            "rows": [asdict(r) for r in self.rows],
            "redactions": [asdict(r) for rs in self.redactions.values() for r in rs],
            "problems": [asdict(p) for p in self.problems],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ValidatedManifest:
        export = data["export"]
        export = ExportSettings(
            **{**export, "loadfiles": tuple(export["loadfiles"]), "dat_fields": tuple(export["dat_fields"])}
        )
        redactions: dict[int, list[Redaction]] = {}
        for r in data["redactions"]:
            redactions.setdefault(r["exhibit_id"], []).append(Redaction(**{**r, "rect": tuple(r["rect"])}))
        return cls(
            export=export,
            exhibits={e["id"]: Exhibit(**e) for e in data["exhibits"]},
            rows=[ExportRow(**r) for r in data["rows"]],
            redactions=redactions,
            problems=[Problem(**p) for p in data["problems"]],
        )


def _reject(message: str, **context: Any) -> ManifestRejected:
    return ManifestRejected(f"The export manifest is invalid: {message}", **context)


def sent_date_time(value: Any) -> tuple[str, str]:
    """The DATESENT and TIMESENT cells of an ISO 8601 `date_sent`: ('MM/DD/YYYY', 'HH:MM:SS') in UTC.

    Concordance date fields take at most 8 digits with slashes, so the time goes
    to its own field. A timestamp with an offset is converted to UTC, its date
    too, so the two cells name one instant; one without an offset is taken as
    UTC (the backend stores UTC). A date alone gives an empty TIMESENT rather
    than an invented midnight. Fractions of a second are dropped. Empty gives
    ('', ''); anything else that is not ISO 8601 raises ValueError.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return "", ""
    if not isinstance(value, str):
        raise ValueError(f"date_sent must be ISO 8601 text, not {type(value).__name__}")
    text = value.strip()
    try:
        if "T" not in text.upper() and " " not in text:
            day = date.fromisoformat(text)
            return f"{day.month:02d}/{day.day:02d}/{day.year:04d}", ""
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"date_sent {text[:60]!r} is not an ISO 8601 date or timestamp") from None
    return (
        f"{moment.month:02d}/{moment.day:02d}/{moment.year:04d}",
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}",
    )


def _date_problems(
    export: ExportSettings, exhibits: dict[int, Exhibit], rows: list[ExportRow]
) -> list[Problem]:
    """A date_sent the load files cannot carry is a warning by exhibit: the document is produced
    with DATESENT and TIMESENT empty (an unparsed value would mis-load as a date)."""
    if not {"dat", "csv"} & set(export.loadfiles) or not {"DATESENT", "TIMESENT"} & set(export.dat_fields):
        return []
    problems = []
    for row in rows:
        try:
            sent_date_time(exhibits[row.exhibit_id].date_sent)
        except ValueError as exc:
            problems.append(
                Problem(
                    "bad_date_sent",
                    f"{exc}; DATESENT and TIMESENT are left empty",
                    row.exhibit_id,
                    row.volume,
                    "warning",
                )
            )
    return problems


def _key(value: Any) -> str | None:
    if value in (None, ""):
        return None
    return clean_relative_key(str(value))


def _exhibit(row: dict[str, Any]) -> Exhibit:
    page_count = row.get("page_count")
    if page_count is not None and (
        isinstance(page_count, bool) or not isinstance(page_count, int) or page_count < 0
    ):
        raise ValueError(f"page_count must be a whole number of pages, not {page_count!r}")
    filename = row.get("filename")
    if not isinstance(filename, str) or not filename:
        raise ValueError("filename is empty")
    return Exhibit(
        id=int(row["id"]),
        document_id=int(row["document_id"]),
        parent_exhibit_id=int(row["parent_exhibit_id"]) if row.get("parent_exhibit_id") is not None else None,
        control_number=row.get("control_number"),
        filename=filename,
        file_extension=row.get("file_extension"),
        md5=row.get("md5"),
        title=row.get("title"),
        author=row.get("author"),
        custodian=row.get("custodian"),
        date_sent=row.get("date_sent"),
        page_count=page_count,
        pdf_key=_key(row.get("pdf_key")),
        native_key=_key(row.get("native_key")),
        text_key=_key(row.get("text_key")),
        confidentiality=row.get("confidentiality"),
    )


def _rect(raw: Any) -> tuple[float, float, float, float]:
    values = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(values, list) or len(values) != 4:
        raise ValueError("rect must be a JSON list [x0, y0, x1, y1]")
    x0, y0, x1, y1 = (float(v) for v in values)
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x1 <= x0 or y1 <= y0:
        raise ValueError(f"rect {values} is not a box with x0 < x1 and y0 < y1")
    return x0, y0, x1, y1


def validate_manifest(
    tables: dict[str, list[dict[str, Any]]], case_id: int, export_id: int
) -> ValidatedManifest:
    """Check every table and row; see the module doc for what rejects and what is left out."""
    for table in ("export", "exhibits", "exhibits_for_export", "redactions"):
        if table not in tables:
            raise _reject(f"the table {table} is missing")
    try:
        export = read_export_settings(tables["export"], case_id, export_id)
    except InvalidExportSettings as exc:
        raise _reject(str(exc)) from None
    problems: list[Problem] = []

    exhibits: dict[int, Exhibit] = {}
    bad_rows: set[int] = set()
    for raw in tables["exhibits"]:
        try:
            exhibit = _exhibit(raw)
        except (ValueError, TypeError, KeyError, InvalidKeyError) as exc:
            problems.append(Problem("bad_exhibit_row", str(exc), exhibit_id=raw.get("id")))
            if isinstance(raw.get("id"), int):
                bad_rows.add(raw["id"])
            continue
        exhibits[exhibit.id] = exhibit

    redactions: dict[int, list[Redaction]] = {}
    unreadable_redactions: set[int] = set()
    for raw in tables["redactions"]:
        exhibit_id = raw.get("exhibit_id")
        try:
            page = raw.get("page_number")
            if isinstance(page, bool) or not isinstance(page, int) or page < 1:
                raise ValueError(f"page_number must be 1 or more, not {page!r}")
            redactions.setdefault(int(exhibit_id), []).append(
                Redaction(int(exhibit_id), page, _rect(raw.get("rect")), raw.get("label"))
            )
        except (ValueError, TypeError) as exc:
            if isinstance(exhibit_id, int):
                unreadable_redactions.add(exhibit_id)
            problems.append(
                Problem("bad_redaction", f"{exc}; the document is not produced", exhibit_id=exhibit_id)
            )

    rows = _order(tables["exhibits_for_export"], exhibits, unreadable_redactions | bad_rows, problems)
    problems.extend(_date_problems(export, exhibits, rows))
    return ValidatedManifest(export, exhibits, rows, redactions, problems)


def _order(raw_rows, exhibits, unreadable_redactions, problems) -> list[ExportRow]:
    """Production order, keeping only rows that agree with each other."""
    rows: list[ExportRow] = []
    seen: set[int] = set()
    parents = exhibit_parents(exhibits)
    for raw in sorted(
        raw_rows, key=lambda r: r.get("position") if isinstance(r.get("position"), int) else 1 << 62
    ):
        exhibit_id = raw.get("exhibit_id")
        try:
            row = ExportRow(
                position=int(raw["position"]),
                exhibit_id=int(exhibit_id),
                volume=int(raw["volume"]),
                bates_begin=(str(raw["bates_begin"]).strip() or None)
                if raw.get("bates_begin") is not None
                else None,
                produce_native=bool(int(raw.get("produce_native") or 0)),
                withheld=bool(int(raw.get("withheld") or 0)),
            )
            if row.volume < 1 or row.volume > 999:
                raise ValueError(f"volume must be 1 to 999, not {row.volume}")
        except (ValueError, TypeError, KeyError) as exc:
            problems.append(
                Problem("bad_order_row", f"position {raw.get('position')}: {exc}", exhibit_id=exhibit_id)
            )
            continue
        if row.exhibit_id in unreadable_redactions:
            continue  # already reported: a bad exhibit row or an unreadable redaction
        if row.exhibit_id not in exhibits:
            problems.append(
                Problem(
                    "unknown_exhibit",
                    f"position {row.position} names an exhibit the manifest does not describe",
                    exhibit_id=row.exhibit_id,
                )
            )
            continue
        if row.exhibit_id in seen:
            problems.append(
                Problem(
                    "duplicate_exhibit",
                    f"position {row.position} lists the exhibit a second time; the first is kept",
                    exhibit_id=row.exhibit_id,
                )
            )
            continue
        if rows and row.volume < rows[-1].volume:
            problems.append(
                Problem(
                    "volume_order",
                    f"position {row.position} is in volume {row.volume} after volume {rows[-1].volume}",
                    exhibit_id=row.exhibit_id,
                    volume=row.volume,
                )
            )
            continue
        if not _joins_family(row, rows, exhibits, parents, problems):
            continue
        seen.add(row.exhibit_id)
        rows.append(row)
    return rows


def exhibit_parents(exhibits: dict[int, Exhibit]) -> dict[int, int | None]:
    """Each exhibit's parent for `family_root`; a parent the manifest does not describe is none (the
    attachment is produced as its own family)."""
    return {e.id: e.parent_exhibit_id if e.parent_exhibit_id in exhibits else None for e in exhibits.values()}


def _joins_family(
    row: ExportRow,
    rows: list[ExportRow],
    exhibits: dict[int, Exhibit],
    parents: dict[int, int | None],
    problems: list[Problem],
) -> bool:
    """A family member must follow its family, in the same volume: families are contiguous."""
    exhibit = exhibits[row.exhibit_id]
    if exhibit.parent_exhibit_id is None:
        return True
    if exhibit.parent_exhibit_id not in exhibits:
        problems.append(
            Problem(
                "unknown_parent",
                f"parent exhibit {exhibit.parent_exhibit_id} is not in the manifest; "
                "produced as its own family",
                exhibit_id=row.exhibit_id,
                severity="warning",
            )
        )
        return True
    root = family_root(row.exhibit_id, parents)
    produced_members = [r for r in rows if family_root(r.exhibit_id, parents) == root]
    if not produced_members:
        return True  # the parent is not produced: the attachment starts its own range
    last = rows[-1]
    if family_root(last.exhibit_id, parents) != root:
        problems.append(
            Problem(
                "family_not_contiguous",
                f"position {row.position} is separated from its family (root exhibit {root})",
                exhibit_id=row.exhibit_id,
            )
        )
        return False
    if last.volume != row.volume:
        problems.append(
            Problem(
                "family_split_across_volumes",
                f"position {row.position} is in volume {row.volume}, its family in volume {last.volume}",
                exhibit_id=row.exhibit_id,
                volume=row.volume,
            )
        )
        return False
    return True


def produces_native(row: ExportRow, exhibit: Exhibit, inclusion: str) -> bool:
    """Whether the native file is produced (with a placeholder page) instead of page images."""
    if row.withheld or not exhibit.native_key:
        return False
    if row.produce_native or inclusion in ("all", "natives_only"):
        return True
    if inclusion == "spreadsheets":
        ext = (exhibit.file_extension or exhibit.filename.rsplit(".", 1)[-1]).lower().lstrip(".")
        return ext in SPREADSHEET_EXTENSIONS
    return False
