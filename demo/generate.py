"""Deterministic demo data: a core database, case databases, real documents and export manifests.

    python -m demo.generate                       # the demo: cases 101 and 202
    python -m demo.generate --case 301 --pages 100000 --text-only   # a benchmark case

The same seed always gives the same rows and the same bytes. Cases follow
../shared/contracts/case_db.sql and core_db.sql; each case also gets an export
manifest zip per export_manifest.sql at case_{id}/exports/export_1/manifest.zip.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import sqlite3
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import delete, insert

from demo import documents as docs
from domain import schema
from domain.log import configure_logging, get_logger
from resources.databases import DatabaseConfig, Databases
from resources.object_store import CaseStore, build_object_store
from resources.settings import Settings, get_settings

log = get_logger("demo")

BASE_TIME = datetime(2024, 3, 1, 9, 0, 0)


@dataclass(frozen=True)
class CaseSpec:
    case_id: int
    name: str
    account_id: int
    pages: int
    bates_prefix: str
    text_only: bool = False
    swap_codes: bool = False  # the same code carries another bit in another case


DEFAULT_CASES = (
    CaseSpec(101, "Acme Corp. v. Globex Inc.", 1, 160, "ACME"),
    CaseSpec(202, "Globex Inc. v. Initech LLC — Zürich matter", 2, 70, "GLBX", swap_codes=True),
)

ACCOUNTS = ((1, "Hooper & Lane LLP"), (2, "Marsh, Whitaker & Ibáñez PC"))
USERS = (
    (1, 1, "ava.hooper@hooperlane.example", "Ava Hooper"),
    (2, 1, "ben.okafor@hooperlane.example", "Ben Okafor"),
    (3, 1, "chloe.ng@hooperlane.example", "Chloé Ng"),
    (4, 2, "dmitri.volkov@marshwhitaker.example", "Dmitri Volkov"),
    (5, 2, "erin.marsh@marshwhitaker.example", "Erin Marsh"),
    (55, 2, "analyst@marshwhitaker.example", "Report Analyst"),
)
CUSTODIANS = ("Alice Johnson", "Bob Smith", "José Müller", "O'Brien, Patrick")
ACTIONS = ("login", "view_exhibit", "search", "download", "export", "annotate")
HOSTILE_NAMES = (
    "../../../etc/passwd.pdf",
    "Q3 Résumé “final” — 日本語, v2.pdf",
    ("very long name " * 20).strip() + ".pdf",
)


@dataclass
class CaseSummary:
    case_id: int
    documents: int = 0
    exhibits: int = 0
    pages: int = 0
    redactions: int = 0
    manifest_key: str = ""


@dataclass
class _Exhibit:
    id: int
    document_id: int
    parent_id: int | None
    control_number: str
    filename: str
    ext: str
    md5: str
    title: str
    author: str
    custodian: str
    date_sent: datetime | None
    pages: int
    db_page_count: int
    pdf_key: str
    native_key: str | None
    text_key: str | None
    status: int
    secrets: list[docs.Secret] = field(default_factory=list)


class CaseBuilder:
    """Builds one case: rows in memory, files straight to the object store."""

    def __init__(self, spec: CaseSpec, seed: int, store: CaseStore) -> None:
        self.spec = spec
        self.rng = random.Random(f"{seed}-{spec.case_id}")
        self.store = store
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.ids: dict[str, int] = defaultdict(int)
        self.exhibits: list[_Exhibit] = []
        self.pages = 0
        self.hostile = list(HOSTILE_NAMES)

    # ids and time -------------------------------------------------------
    def _next(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def _time(self) -> datetime:
        return BASE_TIME + timedelta(minutes=self.rng.randint(0, 60 * 24 * 300))

    def _add(self, table: str, **row) -> int:
        if "id" not in row:
            row["id"] = self._next(table)
        self.rows[table].append(row)
        return row["id"]

    # reference data -------------------------------------------------------
    def reference_data(self) -> None:
        for name in CUSTODIANS:
            self._add("custodians", name=name)
        codes = [("CONFIDENTIAL", "Confidential"), ("HIGHLY CONFIDENTIAL - AEO", "Attorneys' eyes only")]
        bits = (2, 1) if self.spec.swap_codes else (1, 2)
        for (code, description), bit in zip(codes, bits, strict=True):
            self._add("confidentiality_codes", code=code, description=description, bit=bit)
        self.code_by_bit = {bit: code for (code, _), bit in zip(codes, bits, strict=True)}
        for name in ("Hot", "Privileged", "Responsive", "Deposition Designations", "Key Witness"):
            self._add("label_categories", name=name)
        correspondence = self._add("folder_tags", name="Correspondence", parent_id=None)
        self._add("folder_tags", name="Email", parent_id=correspondence)
        self._add("folder_tags", name="Finance", parent_id=None)
        self._add("folder_tags", name="Contracts", parent_id=None)
        for name, kind in (
            ("Issue", "choice"),
            ("Review Score", "number"),
            ("Received", "date"),
            ("Reviewer Notes", "text"),
        ):
            self._add("custom_fields", name=name, field_type=kind)
        self._add("bates_patterns", prefix=self.spec.bates_prefix, suffix="", padding=7, next_number=1)
        self._add(
            "bates_patterns", prefix=f"{self.spec.bates_prefix}-CONF", suffix="-C", padding=6, next_number=1
        )
        sticker = io.BytesIO()
        image = Image.new("RGB", (120, 40), (250, 220, 60))
        ImageDraw.Draw(image).text((10, 12), "APPROVED", fill=(0, 0, 0))
        image.save(sticker, format="PNG")
        # Annotation image keys are relative to the case prefix, like every key in the case database.
        self.sticker_key = "annotations/stickers/approved.png"
        self.store.put_bytes(self.sticker_key, sticker.getvalue(), "image/png")

    # documents ------------------------------------------------------------
    def _store_document(
        self, doc_id: int, pdf: docs.MadePdf, native: tuple[bytes, str] | None, with_text: bool
    ):
        pdf_key = f"documents/{doc_id}/rendition.pdf"
        self.store.put_bytes(pdf_key, pdf.data, "application/pdf")
        self._add(
            "document_variants", document_id=doc_id, kind="pdf", object_key=pdf_key, bytes=len(pdf.data)
        )
        native_key = None
        if native is not None:
            data, ext = native
            native_key = f"documents/{doc_id}/native.{ext}"
            self.store.put_bytes(native_key, data)
            self._add(
                "document_variants", document_id=doc_id, kind="native", object_key=native_key, bytes=len(data)
            )
        text_key = None
        if with_text:
            text = "\f".join(pdf.text_by_page).encode("utf-8")
            text_key = f"documents/{doc_id}/extracted.txt"
            self.store.put_bytes(text_key, text, "text/plain; charset=utf-8")
            self._add(
                "document_variants", document_id=doc_id, kind="text", object_key=text_key, bytes=len(text)
            )
        return pdf_key, native_key, text_key

    def add_document(
        self,
        filename: str,
        title: str,
        pdf: docs.MadePdf,
        native: tuple[bytes, str] | None = None,
        with_text: bool = True,
        parent: _Exhibit | None = None,
        date_sent: datetime | None = None,
    ) -> _Exhibit:
        doc_id = self._next("documents")
        ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        pdf_key, native_key, text_key = self._store_document(doc_id, pdf, native, with_text)
        md5 = hashlib.md5(native[0] if native else pdf.data).hexdigest()
        created = self._time()
        self._add(
            "documents",
            id=doc_id,
            batch_id=1 + doc_id // 50,
            filename=filename,
            file_extension=ext,
            md5=md5,
            document_properties=json.dumps({"source": "demo", "pages": pdf.pages}),
            created_at=created,
            updated_at=created,
        )
        exhibit_id = self._next("exhibits")
        custodian = parent.custodian if parent else self.rng.choice(CUSTODIANS)
        status = self.rng.choice((0, 0, 0, 1, 2, 3))
        exhibit = _Exhibit(
            id=exhibit_id,
            document_id=doc_id,
            parent_id=parent.id if parent else None,
            control_number=f"{self.spec.bates_prefix}-CTRL-{exhibit_id:06d}",
            filename=filename,
            ext=ext,
            md5=md5,
            title=title,
            author=custodian,
            custodian=custodian,
            date_sent=date_sent or (parent.date_sent if parent else None),
            pages=pdf.pages,
            db_page_count=pdf.pages,
            pdf_key=pdf_key,
            native_key=native_key,
            text_key=text_key,
            status=status,
            secrets=list(pdf.secrets),
        )
        self.exhibits.append(exhibit)
        self.pages += pdf.pages
        return exhibit

    def _name(self, default: str) -> str:
        if self.hostile and self.rng.random() < 0.25:
            return self.hostile.pop(0)
        return default

    def memo(self, pages: int | None = None, secret: bool | None = None) -> _Exhibit:
        n = pages or self.rng.randint(1, 6)
        title = f"Memo regarding {self.rng.choice(docs.WORDS)} {self.rng.choice(docs.WORDS)}"
        has_secret = self.rng.random() < 0.3 if secret is None else secret
        pdf = docs.text_pdf(self.rng, title, n, secret_pages=(1,) if has_secret else ())
        return self.add_document(self._name(f"memo_{self.ids['documents'] + 1:05d}.pdf"), title, pdf)

    def contract(self) -> _Exhibit:
        n = self.rng.randint(10, 25)
        title = f"Supply agreement {self.rng.randint(100, 999)}"
        return self.add_document(
            f"contract_{self.ids['documents'] + 1:05d}.pdf", title, docs.text_pdf(self.rng, title, n)
        )

    def scan(self) -> _Exhibit:
        n = self.rng.randint(1, 3)
        title = f"Scanned letter {self.rng.randint(1, 999)}"
        pdf = docs.scanned_pdf(self.rng, title, n)
        return self.add_document(f"scan_{self.ids['documents'] + 1:05d}.pdf", title, pdf, with_text=False)

    def chart(self) -> _Exhibit:
        title = f"Quarterly chart {self.rng.randint(1, 4)}"
        pdf = docs.text_pdf(self.rng, title, self.rng.randint(1, 2), color=True)
        return self.add_document(f"chart_{self.ids['documents'] + 1:05d}.pdf", title, pdf)

    ODD_PAGES = (
        (docs.LEGAL, 0, "legal"),
        (docs.A4, 0, "a4"),
        (docs.LANDSCAPE, 0, "landscape"),
        (docs.LETTER, 90, "rotated"),
    )

    def odd_size(self, variant: int | None = None) -> _Exhibit:
        size, rotate, label = (
            self.ODD_PAGES[variant] if variant is not None else self.rng.choice(self.ODD_PAGES)
        )
        title = f"Schedule ({label})"
        pdf = docs.text_pdf(self.rng, title, self.rng.randint(1, 2), page_size=size, rotate=rotate)
        return self.add_document(f"schedule_{label}_{self.ids['documents'] + 1:05d}.pdf", title, pdf)

    def email_family(self) -> _Exhibit:
        sent = self._time()
        subject = f"RE: {self.rng.choice(docs.WORDS)} {self.rng.choice(docs.WORDS)} update"
        xlsx, xlsx_table = docs.xlsx_native(self.rng, "Pricing")
        csv_data, csv_table = docs.csv_native(self.rng)
        body = "\n".join(docs.sentence(self.rng) for _ in range(5))
        eml = docs.eml_native(
            "alice.johnson@acme.example",
            "bob.smith@globex.example",
            subject,
            body,
            sent,
            [
                ("pricing.xlsx", xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                ("ledger.csv", csv_data, "text/csv"),
            ],
        )
        email_pdf = docs.placeholder_pdf(
            subject, ["From: alice.johnson@acme.example", f"Subject: {subject}", *body.splitlines()]
        )
        parent = self.add_document(
            f"{subject[:40]}.eml", subject, email_pdf, native=(eml, "eml"), date_sent=sent
        )
        sheet_pdf = docs.placeholder_pdf("pricing.xlsx", [", ".join(r) for r in xlsx_table])
        self.add_document("pricing.xlsx", "Pricing workbook", sheet_pdf, native=(xlsx, "xlsx"), parent=parent)
        ledger_pdf = docs.placeholder_pdf("ledger.csv", [", ".join(r) for r in csv_table])
        self.add_document("ledger.csv", "Ledger export", ledger_pdf, native=(csv_data, "csv"), parent=parent)
        return parent

    def documents(self) -> None:
        if self.spec.text_only:
            while self.pages < self.spec.pages:
                self.contract() if self.rng.random() < 0.35 else self.memo(secret=False)
            return
        # Every kind at least once, then a weighted mix up to the page target.
        for make in (self.email_family, self.memo, self.scan, self.chart, self.contract):
            make()
        for variant in range(len(self.ODD_PAGES)):
            self.odd_size(variant)
        self.memo(secret=True)
        self.always_privileged = self.memo(secret=False).id
        kinds = (
            [self.memo] * 5 + [self.email_family] * 2 + [self.scan, self.chart, self.odd_size, self.contract]
        )
        while self.pages < self.spec.pages:
            self.rng.choice(kinds)()
        while self.hostile:
            self.memo()
        # The verified count may disagree with the PDF: one exhibit claims more pages than it has.
        text_exhibits = [e for e in self.exhibits if e.parent_id is None and e.ext == "pdf"]
        text_exhibits[len(text_exhibits) // 2].db_page_count += 2

    # exhibit rows and review work ------------------------------------------
    def exhibit_rows(self) -> None:
        for e in self.exhibits:
            created = self._time()
            self._add(
                "exhibits",
                id=e.id,
                document_id=e.document_id,
                parent_exhibit_id=e.parent_id,
                control_number=e.control_number,
                title=e.title,
                author=e.author,
                date_sent=e.date_sent,
                page_count=e.db_page_count,
                bates_begin=None,
                bates_end=None,
                confidentiality_status=e.status,
                number=None,
                created_at=created,
                updated_at=created,
            )
            self._add("custodian_exhibits", custodian_id=CUSTODIANS.index(e.custodian) + 1, exhibit_id=e.id)
            if e.status:
                self._add(
                    "confidentiality_logs",
                    exhibit_id=e.id,
                    user_id=1,
                    old_status=0,
                    new_status=e.status,
                    created_at=created,
                )

    def review_work(self) -> None:
        rng = self.rng
        self.privileged: set[int] = set()
        for e in self.exhibits:
            if rng.random() < 0.7:
                note = rng.choice(
                    (None, 'Key doc, see "pricing" thread', "Relevant; follow up,\nwith counsel", "Vérifié ✓")
                )
                self._add(
                    "relevancy_logs",
                    exhibit_id=e.id,
                    user_id=rng.choice((1, 2, 3)),
                    relevancy=rng.choice(("relevant", "not_relevant", "hot", "needs_review")),
                    note=note,
                    created_at=self._time(),
                )
            if e.parent_id is None and (
                rng.random() < 0.1 or e.id == getattr(self, "always_privileged", None)
            ):
                self.privileged.add(e.id)
                self._add(
                    "privilege_logs",
                    exhibit_id=e.id,
                    user_id=2,
                    privilege_type=rng.choice(("attorney_client", "work_product")),
                    basis="Communication with outside counsel",
                    description=f"Legal advice regarding {e.title}",
                    created_at=self._time(),
                )
            if rng.random() < 0.5:
                self._add("label_category_labels", label_category_id=3, exhibit_id=e.id)
            if e.id in self.privileged:
                self._add("label_category_labels", label_category_id=2, exhibit_id=e.id)
            if rng.random() < 0.1:
                self._add("label_category_labels", label_category_id=1, exhibit_id=e.id)
            if rng.random() < 0.4:
                self._add("folder_taggings", folder_tag_id=rng.randint(1, 4), exhibit_id=e.id)
            if rng.random() < 0.5:
                self._add(
                    "custom_field_values",
                    custom_field_id=1,
                    exhibit_id=e.id,
                    value=rng.choice(("Pricing", "Breach", "Damages")),
                )
                self._add(
                    "custom_field_values", custom_field_id=2, exhibit_id=e.id, value=str(rng.randint(1, 10))
                )
                self._add(
                    "custom_field_values",
                    custom_field_id=3,
                    exhibit_id=e.id,
                    value=self._time().date().isoformat(),
                )
                self._add(
                    "custom_field_values",
                    custom_field_id=4,
                    exhibit_id=e.id,
                    value='Reviewed, "looks fine"\nsecond line — ok',
                )
            self._annotations(e, every_kind=e is self.exhibits[0])

    def _annotations(self, e: _Exhibit, every_kind: bool = False) -> None:
        """Review markup; the first exhibit carries one of every kind so each case has them all."""
        rng = self.rng
        chance = (lambda p: True) if every_kind else (lambda p: rng.random() < p)
        for secret in e.secrets:
            self._add(
                "annotations",
                exhibit_id=e.id,
                page_number=secret.page_number,
                annotation_type="redaction",
                rect=json.dumps(list(secret.rect)),
                content="REDACTED - PII",
                image_key=None,
                parent_id=None,
                user_id=2,
                created_at=self._time(),
            )
        if chance(0.25):
            page = rng.randint(1, e.pages)
            self._add(
                "annotations",
                exhibit_id=e.id,
                page_number=page,
                annotation_type="highlight",
                rect=json.dumps([72, 600, 300, 614]),
                content=None,
                image_key=None,
                parent_id=None,
                user_id=1,
                created_at=self._time(),
            )
        if chance(0.15):
            self._add(
                "annotations",
                exhibit_id=e.id,
                page_number=1,
                annotation_type="note",
                rect=json.dumps([400, 700, 560, 760]),
                content="Check against the ledger",
                image_key=None,
                parent_id=None,
                user_id=3,
                created_at=self._time(),
            )
        if chance(0.08):
            self._add(
                "annotations",
                exhibit_id=e.id,
                page_number=1,
                annotation_type="sticker",
                rect=json.dumps([450, 40, 570, 80]),
                content=None,
                image_key=self.sticker_key,
                parent_id=None,
                user_id=1,
                created_at=self._time(),
            )
        if chance(0.1):
            root = self._add(
                "annotations",
                exhibit_id=e.id,
                page_number=1,
                annotation_type="comment",
                rect=json.dumps([72, 500, 92, 520]),
                content="Is this the signed version?",
                image_key=None,
                parent_id=None,
                user_id=1,
                created_at=self._time(),
            )
            self._add(
                "annotations",
                exhibit_id=e.id,
                page_number=1,
                annotation_type="comment",
                rect=json.dumps([72, 500, 92, 520]),
                content="Yes, signed 3/14.",
                image_key=None,
                parent_id=root,
                user_id=2,
                created_at=self._time(),
            )

    def depositions(self) -> None:
        if self.spec.text_only:
            return
        for name, deponent in (
            ("Deposition of Alice Johnson", "Alice Johnson"),
            ("Deposition of José Müller", "José Müller"),
        ):
            taken = self._time().date()
            dep_id = self._add("depositions", name=name, deponent=deponent, taken_on=taken)
            for volume in (1, 2) if deponent == "Alice Johnson" else (1,):
                pdf = docs.text_pdf(self.rng, f"{name} vol. {volume}", 5)
                key = f"depositions/{dep_id}/volume_{volume}.pdf"
                self.store.put_bytes(key, pdf.data, "application/pdf")
                self._add(
                    "deposition_volumes",
                    deposition_id=dep_id,
                    volume_number=volume,
                    page_count=pdf.pages,
                    court_reporter="Riley Court Reporting",
                    transcript_key=key,
                    taken_on=taken + timedelta(days=volume - 1),
                )
            for start in (3, 12):
                self._add(
                    "deposition_designations",
                    deposition_id=dep_id,
                    label_category_id=4,
                    page_start=start,
                    line_start=1,
                    page_end=start + 1,
                    line_end=25,
                )

    def build(self) -> None:
        self.reference_data()
        self.documents()
        self.exhibit_rows()
        self.review_work()
        self.depositions()

    # export manifest ------------------------------------------------------------
    def manifest(self) -> bytes:
        """An export manifest zip (manifest.sqlite) for export 1 of this case."""
        roots = [e for e in self.exhibits if e.parent_id is None]
        volumes = 2 if len(roots) > 6 else 1
        split_at = roots[len(roots) // 2].id if volumes == 2 else None
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "manifest.sqlite"
            conn = sqlite3.connect(path)
            from sqlalchemy import create_engine

            engine = create_engine(f"sqlite:///{path}")
            schema.manifest_metadata.create_all(engine)
            with engine.begin() as db:
                db.execute(
                    insert(schema.manifest_export),
                    [
                        {
                            "export_id": 1,
                            "case_id": self.spec.case_id,
                            "name": f"{self.spec.bates_prefix}_PROD001",
                            "image_format": "tiff",
                            "color_mode": "auto",
                            "native_inclusion": "spreadsheets",
                            "text_mode": "extracted_then_ocr",
                            "numbering": "bates",
                            "bates_prefix": f"{self.spec.bates_prefix}",
                            "bates_start": 1,
                            "bates_padding": 7,
                            "endorse_bates": "bottom_right",
                            "endorse_confidentiality": "bottom_left",
                            "volume_prefix": "VOL",
                            "images_per_folder": 1000 if self.spec.text_only else 50,
                            "loadfiles": "dat,opt,lfp,dii,log,csv",
                            "dat_fields": None,
                            "split_bytes": 21474836480 if self.spec.text_only else 2 * 1024 * 1024,
                            "expansive_pdf": 0 if self.spec.text_only else 1,
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
                            "confidentiality": self._code(e.status),
                        }
                        for e in self.exhibits
                    ],
                )
                volume = 1
                rows = []
                for position, e in enumerate(self.exhibits, start=1):
                    if split_at is not None and e.id == split_at:
                        volume = 2
                    rows.append(
                        {
                            "position": position,
                            "exhibit_id": e.id,
                            "volume": volume,
                            "bates_begin": None,
                            "produce_native": 1 if e.ext in ("xlsx", "csv") else 0,
                            "withheld": 1
                            if (e.id in self.privileged or e.parent_id in self.privileged)
                            else 0,
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
                    for e in self.exhibits
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

    def _code(self, status: int) -> str | None:
        for bit in sorted(self.code_by_bit, reverse=True):
            if status & bit:
                return self.code_by_bit[bit]
        return None


def _write_rows(engine, metadata, rows: dict[str, list[dict]]) -> None:
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            batch = rows.get(table.name)
            for start in range(0, len(batch or []), 5000):
                conn.execute(insert(table), batch[start : start + 5000])


def generate_case(spec: CaseSpec, seed: int, databases: Databases, store) -> CaseSummary:
    case_store = CaseStore(store, spec.case_id)
    for key in list(case_store.list("documents/")):
        case_store.delete(key)
    builder = CaseBuilder(spec, seed, case_store)
    builder.build()
    databases.drop_database(databases.case_db_name(spec.case_id))
    engine = databases.create_case_database(spec.case_id)
    _write_rows(engine, schema.case_metadata, builder.rows)
    manifest_key = case_store.put_bytes(
        "exports/export_1/manifest.zip", builder.manifest(), "application/zip"
    )
    # The parties' business mail domains are expected in an email production, not personal data (docs/pii.md).
    case_store.put_bytes(
        "pii/allowlist.txt",
        b"# business addresses of the parties\n@acme.example\n@globex.example\n",
        "text/plain; charset=utf-8",
    )
    return CaseSummary(
        case_id=spec.case_id,
        documents=len(builder.rows["documents"]),
        exhibits=len(builder.exhibits),
        pages=builder.pages,
        redactions=sum(len(e.secrets) for e in builder.exhibits),
        manifest_key=manifest_key,
    )


def generate_core(specs: list[CaseSpec], seed: int, databases: Databases) -> None:
    """Create the core database if needed and upsert the accounts, users and these cases."""
    engine = (
        databases.core_writer()
        if databases.exists(databases.core_db_name)
        else databases.create_core_database()
    )
    rng = random.Random(f"{seed}-core")
    case_ids = [s.case_id for s in specs]
    with engine.begin() as conn:
        conn.execute(delete(schema.accounts).where(schema.accounts.c.id.in_([a[0] for a in ACCOUNTS])))
        conn.execute(insert(schema.accounts), [{"id": i, "name": n} for i, n in ACCOUNTS])
        conn.execute(delete(schema.users).where(schema.users.c.id.in_([u[0] for u in USERS])))
        conn.execute(
            insert(schema.users), [{"id": i, "account_id": a, "email": e, "name": n} for i, a, e, n in USERS]
        )
        conn.execute(delete(schema.npcases).where(schema.npcases.c.id.in_([*case_ids, 909])))
        conn.execute(
            insert(schema.npcases),
            [
                {
                    "id": s.case_id,
                    "account_id": s.account_id,
                    "name": s.name,
                    "status": "active",
                    "region": "c2",
                    "created_at": BASE_TIME,
                }
                for s in specs
            ]
            + [
                {
                    "id": 909,
                    "account_id": 1,
                    "name": "Closed matter (deleted)",
                    "status": "deleted",
                    "region": "c2",
                    "created_at": BASE_TIME,
                }
            ],
        )
        conn.execute(delete(schema.user_activities).where(schema.user_activities.c.npcase_id.in_(case_ids)))
        activities = []
        for spec in specs:
            users = [u for u in USERS if u[1] == spec.account_id]
            for _ in range(60):
                user = rng.choice(users)
                activities.append(
                    {
                        "user_id": user[0],
                        "npcase_id": spec.case_id,
                        "action": rng.choice(ACTIONS),
                        "occurred_at": BASE_TIME + timedelta(minutes=rng.randint(0, 60 * 24 * 200)),
                        "details": json.dumps({"ip": f"10.0.{rng.randint(0, 9)}.{rng.randint(1, 254)}"}),
                    }
                )
        conn.execute(insert(schema.user_activities), activities)


def generate(
    settings: Settings, specs: list[CaseSpec] | tuple[CaseSpec, ...] = DEFAULT_CASES, seed: int = 7
) -> list[CaseSummary]:
    databases = Databases(DatabaseConfig.from_settings(settings))
    store = build_object_store(settings)
    try:
        generate_core(list(specs), seed, databases)
        summaries = []
        for spec in specs:
            summary = generate_case(spec, seed, databases, store)
            log.info(
                f"case {spec.case_id}: {summary.exhibits} exhibits, {summary.pages} pages, {summary.redactions} redactions"
            )
            summaries.append(summary)
        return summaries
    finally:
        databases.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--case", type=int, help="make one case with this id instead of the demo cases")
    parser.add_argument("--pages", type=int, help="page target of that case (or scales the demo cases)")
    parser.add_argument(
        "--text-only", action="store_true", help="only born-digital text documents (benchmarks)"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    if args.case:
        specs = [
            CaseSpec(
                args.case,
                f"Benchmark case {args.case}",
                1,
                args.pages or 1000,
                f"BM{args.case}",
                text_only=args.text_only,
            )
        ]
    else:
        specs = [
            CaseSpec(
                s.case_id,
                s.name,
                s.account_id,
                args.pages or s.pages,
                s.bates_prefix,
                args.text_only,
                s.swap_codes,
            )
            for s in DEFAULT_CASES
        ]
    for summary in generate(settings, specs, args.seed):
        print(
            f"case {summary.case_id}: {summary.documents} documents, {summary.exhibits} exhibits, {summary.pages} pages, manifest {summary.manifest_key}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
