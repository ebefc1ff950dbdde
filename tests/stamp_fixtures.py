"""A small case built for stamping tests: real PDFs in the object store, rows as the contract's columns."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

import pikepdf
from reportlab.pdfgen import canvas
from sqlalchemy import insert

from domain import schema
from resources.dagster_resources import DatabaseResource
from resources.databases import Databases
from resources.object_store import CaseStore, build_object_store

CODES = [("CONFIDENTIAL", 1), ("HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY", 2)]


@dataclass
class Doc:
    id: int
    pages: int = 2
    parent: int | None = None
    page_count: int | None = -1  # -1: the real count; None: unknown
    rotation: int = 0
    status: int = 0
    encrypted: bool = False
    links: bool = False  # a pre-existing link annotation on page 1


@dataclass
class StampCase:
    case_id: int
    databases: Databases
    store: CaseStore
    docs: dict[int, Doc] = field(default_factory=dict)

    @property
    def engine(self):
        return self.databases.case_writer(self.case_id)


def make_pdf(doc: Doc) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(612, 792))
    for number in range(1, doc.pages + 1):
        if doc.rotation:
            c.setPageRotation(doc.rotation)
        c.setFont("Helvetica", 12)
        # Ink right up to the edges: a stamp over content would cover some of it.
        c.rect(1, 1, 610, 790, fill=0)
        c.drawString(40, 760, f"Exhibit {doc.id} page {number}")
        c.drawString(400, 8, "footer text at the very bottom")
        c.showPage()
    c.save()
    data = buf.getvalue()
    if doc.links or doc.encrypted:
        pdf = pikepdf.open(io.BytesIO(data))
        if doc.links:
            pdf.pages[0].obj.Annots = pdf.make_indirect(
                pikepdf.Array(
                    [
                        pdf.make_indirect(
                            pikepdf.Dictionary(
                                Type=pikepdf.Name.Annot,
                                Subtype=pikepdf.Name.Link,
                                Rect=[40, 740, 200, 775],
                                Border=[0, 0, 0],
                            )
                        )
                    ]
                )
            )
        out = io.BytesIO()
        encryption = pikepdf.Encryption(user="secret-user", owner="secret-owner") if doc.encrypted else None
        pdf.save(out, encryption=encryption or False)
        data = out.getvalue()
    return data


def build_case(
    settings, case_id: int, docs: list[Doc], patterns: list[tuple[str, str, int, int]] | None = None
) -> StampCase:
    """A case database with one document, PDF rendition and exhibit per Doc (ids shared)."""
    databases = DatabaseResource.from_settings(settings).databases()
    store = CaseStore(build_object_store(settings), case_id)
    if databases.case_exists(case_id):
        databases.drop_database(databases.case_db_name(case_id))
    engine = databases.create_case_database(case_id)
    now = datetime(2026, 1, 1)
    with engine.begin() as conn:
        for code, bit in CODES:
            conn.execute(insert(schema.confidentiality_codes).values(code=code, bit=bit))
        for prefix, suffix, padding, next_number in patterns or [("ACME", "", 7, 1)]:
            conn.execute(
                insert(schema.bates_patterns).values(
                    prefix=prefix, suffix=suffix, padding=padding, next_number=next_number
                )
            )
        for doc in docs:
            data = make_pdf(doc)
            key = f"documents/{doc.id}/rendition.pdf"
            store.put_bytes(key, data, "application/pdf")
            conn.execute(
                insert(schema.documents).values(
                    id=doc.id,
                    batch_id=1,
                    filename=f"doc{doc.id}.pdf",
                    file_extension="pdf",
                    created_at=now,
                    updated_at=now,
                )
            )
            conn.execute(
                insert(schema.document_variants).values(
                    document_id=doc.id, kind="pdf", object_key=key, bytes=len(data)
                )
            )
            conn.execute(
                insert(schema.exhibits).values(
                    id=doc.id,
                    document_id=doc.id,
                    parent_exhibit_id=doc.parent,
                    control_number=f"CTRL-{doc.id:04d}",
                    title=f"Document {doc.id}",
                    page_count=doc.pages if doc.page_count == -1 else doc.page_count,
                    confidentiality_status=doc.status,
                    created_at=now,
                    updated_at=now,
                )
            )
    return StampCase(case_id, databases, store, {d.id: d for d in docs})


def request(event_id: str, case_id: int, type_: str, action: str, exhibit_ids: list[int], **extra) -> dict:
    return {
        "event_type": "STAMP_REQUESTED",
        "event_id": event_id,
        "case_id": case_id,
        "occurred_at": "2026-11-24T10:00:00Z",
        "type": type_,
        "action": action,
        "exhibit_ids": exhibit_ids,
        **extra,
    }
