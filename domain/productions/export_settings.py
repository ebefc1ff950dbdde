"""The export table of a manifest: how the production is made (formats, numbering, load files, volumes).

Read by `read_export_settings`, which checks every field and raises InvalidExportSettings naming the
first bad one; the manifest's validation (domain/productions/manifest.py) turns that into the
rejection of the whole manifest, since no document can be produced without these settings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

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
MIN_SPLIT_BYTES = 1024 * 1024
BATES_PREFIX = re.compile(r"^[A-Za-z0-9_.-]{0,32}$")


class InvalidExportSettings(ValueError):
    """The export table is wrong; the manifest's validation rejects the whole manifest with this message."""


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


def _default(row: dict[str, Any], name: str, default: Any) -> Any:
    return default if row.get(name) is None else row[name]


def _int(value: Any, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        else:
            raise InvalidExportSettings(f"export.{name} must be a whole number, not {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise InvalidExportSettings(f"export.{name} must be between {minimum} and {maximum}, not {value}")
    return value


def _choice(value: Any, name: str, choices: tuple[str, ...], nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if value not in choices:
        raise InvalidExportSettings(f"export.{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def read_export_settings(rows: list[dict[str, Any]], case_id: int, export_id: int) -> ExportSettings:
    """The one row of the manifest's `export` table, every field checked (InvalidExportSettings names it)."""
    if len(rows) != 1:
        raise InvalidExportSettings(f"the export table must hold exactly one row, it holds {len(rows)}")
    row = rows[0]
    if _int(row.get("case_id"), "case_id") != case_id:
        raise InvalidExportSettings(
            f"export.case_id is {row.get('case_id')}, but this export belongs to case {case_id}"
        )
    if _int(row.get("export_id"), "export_id") != export_id:
        raise InvalidExportSettings(
            f"export.export_id is {row.get('export_id')}, but this is export {export_id}"
        )
    name = row.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidExportSettings("export.name is empty")
    loadfiles = tuple(
        dict.fromkeys(x.strip().lower() for x in (row.get("loadfiles") or "dat,opt").split(",") if x.strip())
    )
    unknown = [x for x in loadfiles if x not in LOADFILES]
    if unknown:
        raise InvalidExportSettings(f"export.loadfiles names unknown load files: {', '.join(unknown)}")
    dat_fields = _dat_fields(row.get("dat_fields"))
    volume_prefix = row.get("volume_prefix") or "VOL"
    if safe_name(volume_prefix, fallback="VOL") != volume_prefix or len(volume_prefix) > 16:
        raise InvalidExportSettings(
            f"export.volume_prefix must be plain letters and digits, not {volume_prefix!r}"
        )
    prefix = row.get("bates_prefix")
    if prefix is not None and (not isinstance(prefix, str) or not BATES_PREFIX.match(prefix)):
        raise InvalidExportSettings(
            f"export.bates_prefix must be up to 32 letters, digits, '_', '-' or '.': {prefix!r}"
        )
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
        raise InvalidExportSettings("export.dat_fields is not a JSON list") from None
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        raise InvalidExportSettings("export.dat_fields must be a non-empty JSON list of field names")
    known = {f.lower(): f for f in DEFAULT_DAT_FIELDS} | {c: c.upper() for c in EXHIBIT_COLUMNS}
    unknown = [f for f in fields if f.lower() not in known]
    if unknown:
        raise InvalidExportSettings(f"export.dat_fields names unknown fields: {', '.join(unknown)}")
    return tuple(known[f.lower()] for f in fields)
