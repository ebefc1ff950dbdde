"""The export manifest of a built demo case (the tables of docs/interfaces/export_manifest.sql),
zipped as the backend uploads it: case_{id}/exports/export_1/manifest.zip."""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, insert

from demo import documents as docs
from domain import schema

if TYPE_CHECKING:
    from demo.case_builder import CaseBuilder


def manifest_zip(case: CaseBuilder) -> bytes:
    """An export manifest zip (manifest.sqlite) for export 1 of a built case."""
    roots = [e for e in case.exhibits if e.parent_id is None]
    volumes = 2 if len(roots) > 6 else 1
    split_at = roots[len(roots) // 2].id if volumes == 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "manifest.sqlite"
        conn = sqlite3.connect(path)
        engine = create_engine(f"sqlite:///{path}")
        schema.manifest_metadata.create_all(engine)
        with engine.begin() as db:
            db.execute(
                insert(schema.manifest_export),
                [
                    {
                        "export_id": 1,
                        "case_id": case.spec.case_id,
                        "name": f"{case.spec.bates_prefix}_PROD001",
                        "image_format": "tiff",
                        "color_mode": "auto",
                        "native_inclusion": "spreadsheets",
                        "text_mode": "extracted_then_ocr",
                        "numbering": "bates",
                        "bates_prefix": f"{case.spec.bates_prefix}",
                        "bates_start": 1,
                        "bates_padding": 7,
                        "endorse_bates": "bottom_right",
                        "endorse_confidentiality": "bottom_left",
                        "volume_prefix": "VOL",
                        "images_per_folder": 1000 if case.spec.text_only else 50,
                        "loadfiles": "dat,opt,lfp,dii,log,csv",
                        "dat_fields": None,
                        "split_bytes": 21474836480 if case.spec.text_only else 2 * 1024 * 1024,
                        "expansive_pdf": 0 if case.spec.text_only else 1,
                    }
                ],
            )
            db.execute(
                insert(schema.manifest_exhibits),
                [
                    {
                        "id": e.id,
                        "document_id": e.document_id,
                        "parent_exhibit_id": e.parent_id,
                        "control_number": e.control_number,
                        "filename": e.filename,
                        "file_extension": e.ext,
                        "md5": e.md5,
                        "title": e.title,
                        "author": e.author,
                        "custodian": e.custodian,
                        "date_sent": e.date_sent.strftime("%Y-%m-%dT%H:%M:%SZ") if e.date_sent else None,
                        "page_count": e.db_page_count,
                        "pdf_key": e.pdf_key,
                        "native_key": e.native_key,
                        "text_key": e.text_key,
                        "confidentiality": _code(case, e.status),
                    }
                    for e in case.exhibits
                ],
            )
            volume = 1
            rows = []
            for position, e in enumerate(case.exhibits, start=1):
                if split_at is not None and e.id == split_at:
                    volume = 2
                rows.append(
                    {
                        "position": position,
                        "exhibit_id": e.id,
                        "volume": volume,
                        "bates_begin": None,
                        "produce_native": 1 if e.ext in ("xlsx", "csv") else 0,
                        "withheld": 1 if (e.id in case.privileged or e.parent_id in case.privileged) else 0,
                    }
                )
            db.execute(insert(schema.manifest_exhibits_for_export), rows)
            redactions = [
                {
                    "exhibit_id": e.id,
                    "page_number": s.page_number,
                    "rect": json.dumps(list(s.rect)),
                    "label": "REDACTED - PII",
                }
                for e in case.exhibits
                for s in e.secrets
            ]
            if redactions:
                db.execute(insert(schema.manifest_redactions), redactions)
        engine.dispose()
        conn.close()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            info = zipfile.ZipInfo("manifest.sqlite", docs.FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
        return out.getvalue()


def _code(case: CaseBuilder, status: int) -> str | None:
    for bit in sorted(case.code_by_bit, reverse=True):
        if status & bit:
            return case.code_by_bit[bit]
    return None
