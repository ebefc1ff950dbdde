"""Builders of manifest tables for production tests (rows as the contract's columns)."""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert

from domain import schema


def export_row(**overrides: Any) -> dict[str, Any]:
    row = {
        "export_id": 1,
        "case_id": 101,
        "name": "ACME PROD 001",
        "image_format": "tiff",
        "color_mode": "auto",
        "native_inclusion": "none",
        "text_mode": "extracted_then_ocr",
        "numbering": "bates",
        "bates_prefix": "ACME",
        "bates_start": 1,
        "bates_padding": 7,
        "endorse_bates": "bottom_right",
        "endorse_confidentiality": "bottom_left",
        "volume_prefix": "VOL",
        "images_per_folder": 1000,
        "loadfiles": "dat,opt,lfp,dii,log,csv",
        "dat_fields": None,
        "split_bytes": 21474836480,
        "expansive_pdf": 0,
    }
    row.update(overrides)
    return row


def exhibit(id: int, **overrides: Any) -> dict[str, Any]:
    row = {
        "id": id,
        "document_id": id,
        "parent_exhibit_id": None,
        "control_number": f"CTRL-{id:04d}",
        "filename": f"doc{id}.pdf",
        "file_extension": "pdf",
        "md5": f"{id:032x}",
        "title": f"Document {id}",
        "author": "Alice",
        "custodian": "Alice Johnson",
        "date_sent": "2024-03-01T09:00:00Z",
        "page_count": 2,
        "pdf_key": f"documents/{id}/rendition.pdf",
        "native_key": None,
        "text_key": None,
        "confidentiality": None,
    }
    row.update(overrides)
    return row


def order(position: int, exhibit_id: int, volume: int = 1, **overrides: Any) -> dict[str, Any]:
    row = {
        "position": position,
        "exhibit_id": exhibit_id,
        "volume": volume,
        "bates_begin": None,
        "produce_native": 0,
        "withheld": 0,
    }
    row.update(overrides)
    return row


def tables(
    export: dict | None = None,
    exhibits: list | None = None,
    rows: list | None = None,
    redactions: list | None = None,
) -> dict:
    exhibits = exhibits if exhibits is not None else [exhibit(1), exhibit(2)]
    return {
        "export": [export or export_row()],
        "exhibits": exhibits,
        "exhibits_for_export": rows
        if rows is not None
        else [order(i + 1, e["id"]) for i, e in enumerate(exhibits)],
        "redactions": redactions or [],
    }


def manifest_zip(data: dict) -> bytes:
    """A manifest.zip holding manifest.sqlite with the contract's tables."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "manifest.sqlite"
        engine = create_engine(f"sqlite:///{path}")
        schema.manifest_metadata.create_all(engine)
        with engine.begin() as conn:
            for table, rows in (
                ("export", data["export"]),
                ("exhibits", data["exhibits"]),
                ("exhibits_for_export", data["exhibits_for_export"]),
                ("redactions", data["redactions"]),
            ):
                if rows:
                    conn.execute(insert(schema.manifest_metadata.tables[table]), rows)
        engine.dispose()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.write(path, "manifest.sqlite")
        return out.getvalue()


def read_manifest_zip(data: bytes) -> dict[str, list[dict]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.sqlite"
        path.write_bytes(zipfile.ZipFile(io.BytesIO(data)).read("manifest.sqlite"))
        conn = sqlite3.connect(path)
        conn.row_factory = sqlite3.Row
        result = {
            t: [dict(r) for r in conn.execute(f"SELECT * FROM {t}")]
            for t in ("export", "exhibits", "exhibits_for_export", "redactions")
        }
        conn.close()
        return result


def rect(x0: float, y0: float, x1: float, y1: float) -> str:
    return json.dumps([x0, y0, x1, y1])
