"""Validate an export manifest (../shared/contracts/export_manifest.sql).

Everything in a manifest is untrusted. Export-level faults reject the whole
manifest (`ManifestRejected`, naming the field); row-level faults become
`Problem`s naming the exhibit, and that row is left out while the rest of the
production goes on. A document whose redactions cannot be read is never
produced: producing it unredacted would leak what the redaction hides.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from domain.errors import InvalidKeyError, PermanentError
from domain.keys import clean_relative_key
from domain.productions.naming import safe_name

IMAGE_FORMATS = ("tiff", "jpeg", "pdf", "none")
COLOR_MODES = ("auto", "bw", "color")
NATIVE_INCLUSION = ("none", "spreadsheets", "all", "natives_only")
TEXT_MODES = ("extracted_then_ocr", "ocr", "none")
NUMBERING = ("bates", "control_number")
POSITIONS = ("top_left", "top_center", "top_right", "bottom_left", "bottom_center", "bottom_right")
LOADFILES = ("dat", "opt", "lfp", "dii", "log", "csv")
DEFAULT_DAT_FIELDS = (
    "BEGBATES",
    "ENDBATES",
    "BEGATTACH",
    "ENDATTACH",
    "PGCOUNT",
    "CUSTODIAN",
    "FILENAME",
    "FILEEXT",
    "TITLE",
    "AUTHOR",
    "DATESENT",
    "TIMESENT",
    "MD5HASH",
    "CONFIDENTIALITY",
    "NATIVELINK",
    "TEXTLINK",
)
EXHIBIT_COLUMNS = (
    "id",
    "document_id",
    "parent_exhibit_id",
    "control_number",
    "filename",
    "file_extension",
    "md5",
    "title",
    "author",
    "custodian",
    "date_sent",
    "page_count",
    "confidentiality",
)
SPREADSHEET_EXTENSIONS = {"xls", "xlsx", "xlsm", "xlsb", "csv", "ods", "numbers", "tsv"}
MIN_SPLIT_BYTES = 1024 * 1024


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


@dataclass(frozen=True)
class ExportSettings:
    export_id: int
    case_id: int
    name: str
    safe_name: str
    image_format: str
    color_mode: str
    native_inclusion: str
    text_mode: str
    numbering: str
    bates_prefix: str | None
    bates_start: int
    bates_padding: int
    endorse_bates: str | None
    endorse_confidentiality: str | None
    volume_prefix: str
    images_per_folder: int
    loadfiles: tuple[str, ...]
    dat_fields: tuple[str, ...]
    split_bytes: int
    expansive_pdf: bool
    require_complete: bool = False


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


BATES_PREFIX = re.compile(r"^[A-Za-z0-9_.-]{0,32}$")


def _default(row: dict[str, Any], name: str, default: Any) -> Any:
    return default if row.get(name) is None else row[name]


def _reject(message: str, **context: Any) -> ManifestRejected:
    return ManifestRejected(f"The export manifest is invalid: {message}", **context)


def _int(value: Any, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        else:
            raise _reject(f"export.{name} must be a whole number, not {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise _reject(f"export.{name} must be between {minimum} and {maximum}, not {value}")
    return value


def _choice(value: Any, name: str, choices: tuple[str, ...], nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if value not in choices:
        raise _reject(f"export.{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _export_settings(rows: list[dict[str, Any]], case_id: int, export_id: int) -> ExportSettings:
    if len(rows) != 1:
        raise _reject(f"the export table must hold exactly one row, it holds {len(rows)}")
    row = rows[0]
    if _int(row.get("case_id"), "case_id") != case_id:
        raise _reject(f"export.case_id is {row.get('case_id')}, but this export belongs to case {case_id}")
    if _int(row.get("export_id"), "export_id") != export_id:
        raise _reject(f"export.export_id is {row.get('export_id')}, but this is export {export_id}")
    name = row.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _reject("export.name is empty")
    loadfiles = tuple(
        dict.fromkeys(x.strip().lower() for x in (row.get("loadfiles") or "dat,opt").split(",") if x.strip())
    )
    unknown = [x for x in loadfiles if x not in LOADFILES]
    if unknown:
        raise _reject(f"export.loadfiles names unknown load files: {', '.join(unknown)}")
    dat_fields = _dat_fields(row.get("dat_fields"))
    volume_prefix = row.get("volume_prefix") or "VOL"
    if safe_name(volume_prefix, fallback="VOL") != volume_prefix or len(volume_prefix) > 16:
        raise _reject(f"export.volume_prefix must be plain letters and digits, not {volume_prefix!r}")
    prefix = row.get("bates_prefix")
    if prefix is not None and (not isinstance(prefix, str) or not BATES_PREFIX.match(prefix)):
        raise _reject(f"export.bates_prefix must be up to 32 letters, digits, '_', '-' or '.': {prefix!r}")
    return ExportSettings(
        export_id=export_id,
        case_id=case_id,
        name=name,
        safe_name=safe_name(name),
        image_format=_choice(row.get("image_format"), "image_format", IMAGE_FORMATS),
        color_mode=_choice(row.get("color_mode") or "auto", "color_mode", COLOR_MODES),
        native_inclusion=_choice(row.get("native_inclusion") or "none", "native_inclusion", NATIVE_INCLUSION),
        text_mode=_choice(row.get("text_mode") or "extracted_then_ocr", "text_mode", TEXT_MODES),
        numbering=_choice(row.get("numbering") or "bates", "numbering", NUMBERING),
        bates_prefix=prefix,
        bates_start=_int(
            row.get("bates_start") if row.get("bates_start") is not None else 1, "bates_start", 0, 10**15
        ),
        bates_padding=_int(
            row.get("bates_padding") if row.get("bates_padding") is not None else 7, "bates_padding", 1, 15
        ),
        endorse_bates=_choice(row.get("endorse_bates"), "endorse_bates", POSITIONS, nullable=True),
        endorse_confidentiality=_choice(
            row.get("endorse_confidentiality"), "endorse_confidentiality", POSITIONS, nullable=True
        ),
        volume_prefix=volume_prefix,
        images_per_folder=_int(_default(row, "images_per_folder", 1000), "images_per_folder", 1, 100_000),
        loadfiles=loadfiles,
        dat_fields=dat_fields,
        split_bytes=_int(_default(row, "split_bytes", 21474836480), "split_bytes", MIN_SPLIT_BYTES, 2**50),
        expansive_pdf=bool(_int(_default(row, "expansive_pdf", 0), "expansive_pdf", 0, 1)),
        require_complete=bool(row.get("require_complete") or 0),
    )


def _dat_fields(raw: Any) -> tuple[str, ...]:
    if raw in (None, ""):
        return DEFAULT_DAT_FIELDS
    try:
        fields = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise _reject("export.dat_fields is not a JSON list") from None
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        raise _reject("export.dat_fields must be a non-empty JSON list of field names")
    known = {f.lower(): f for f in DEFAULT_DAT_FIELDS} | {c: c.upper() for c in EXHIBIT_COLUMNS}
    unknown = [f for f in fields if f.lower() not in known]
    if unknown:
        raise _reject(f"export.dat_fields names unknown fields: {', '.join(unknown)}")
    return tuple(known[f.lower()] for f in fields)


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
    export = _export_settings(tables["export"], case_id, export_id)
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
        if not _joins_family(row, rows, exhibits, problems):
            continue
        seen.add(row.exhibit_id)
        rows.append(row)
    return rows


def _root(exhibit_id: int, exhibits: dict[int, Exhibit]) -> int:
    seen = set()
    current = exhibit_id
    while exhibits[current].parent_exhibit_id in exhibits and current not in seen:
        seen.add(current)
        current = exhibits[current].parent_exhibit_id
    return current


def _joins_family(
    row: ExportRow, rows: list[ExportRow], exhibits: dict[int, Exhibit], problems: list[Problem]
) -> bool:
    """A family member must follow its family, in the same volume: families are contiguous."""
    exhibit = exhibits[row.exhibit_id]
    if exhibit.parent_exhibit_id is None:
        return True
    if exhibit.parent_exhibit_id not in exhibits:
        problems.append(
            Problem(
                "unknown_parent",
                f"parent exhibit {exhibit.parent_exhibit_id} is not in the manifest; produced as its own family",
                exhibit_id=row.exhibit_id,
                severity="warning",
            )
        )
        return True
    root = _root(row.exhibit_id, exhibits)
    produced_members = [r for r in rows if _root(r.exhibit_id, exhibits) == root]
    if not produced_members:
        return True  # the parent is not produced: the attachment starts its own range
    last = rows[-1]
    if _root(last.exhibit_id, exhibits) != root:
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


def family_root(exhibit_id: int, exhibits: dict[int, Exhibit]) -> int:
    return _root(exhibit_id, exhibits)


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
