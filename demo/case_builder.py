"""One demo case built in memory: reference data, documents (real PDFs and natives written
straight to the object store), exhibit rows and depositions. Review work and the export
manifest are made from the built case by demo/review_work.py and demo/manifest.py."""

from __future__ import annotations

import hashlib
import io
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw

from demo import documents as docs
from demo.review_work import add_review_work
from resources.object_store import CaseStore

if TYPE_CHECKING:
    from demo.generate import CaseSpec

BASE_TIME = datetime(2024, 3, 1, 9, 0, 0)
CUSTODIANS = ("Alice Johnson", "Bob Smith", "José Müller", "O'Brien, Patrick")
HOSTILE_NAMES = (
    "../../../etc/passwd.pdf",
    "Q3 Résumé “final” — 日本語, v2.pdf",
    ("very long name " * 20).strip() + ".pdf",
)


@dataclass
class DemoExhibit:
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
        self.exhibits: list[DemoExhibit] = []
        self.pages = 0
        self.hostile = list(HOSTILE_NAMES)
        self.privileged: set[int] = set()  # exhibits withheld as privileged (demo/review_work.py)

    # ids, time and rows (also used by demo/review_work.py) -------------------
    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def random_time(self) -> datetime:
        return BASE_TIME + timedelta(minutes=self.rng.randint(0, 60 * 24 * 300))

    def add_row(self, table: str, **row) -> int:
        if "id" not in row:
            row["id"] = self.next_id(table)
        self.rows[table].append(row)
        return row["id"]

    # reference data -------------------------------------------------------
    def reference_data(self) -> None:
        for name in CUSTODIANS:
            self.add_row("custodians", name=name)
        codes = [("CONFIDENTIAL", "Confidential"), ("HIGHLY CONFIDENTIAL - AEO", "Attorneys' eyes only")]
        bits = (2, 1) if self.spec.swap_codes else (1, 2)
        for (code, description), bit in zip(codes, bits, strict=True):
            self.add_row("confidentiality_codes", code=code, description=description, bit=bit)
        self.code_by_bit = {bit: code for (code, _), bit in zip(codes, bits, strict=True)}
        for name in ("Hot", "Privileged", "Responsive", "Deposition Designations", "Key Witness"):
            self.add_row("label_categories", name=name)
        correspondence = self.add_row("folder_tags", name="Correspondence", parent_id=None)
        self.add_row("folder_tags", name="Email", parent_id=correspondence)
        self.add_row("folder_tags", name="Finance", parent_id=None)
        self.add_row("folder_tags", name="Contracts", parent_id=None)
        for name, kind in (
            ("Issue", "choice"),
            ("Review Score", "number"),
            ("Received", "date"),
            ("Reviewer Notes", "text"),
        ):
            self.add_row("custom_fields", name=name, field_type=kind)
        self.add_row("bates_patterns", prefix=self.spec.bates_prefix, suffix="", padding=7, next_number=1)
        self.add_row(
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
        self.add_row(
            "document_variants", document_id=doc_id, kind="pdf", object_key=pdf_key, bytes=len(pdf.data)
        )
        native_key = None
        if native is not None:
            data, ext = native
            native_key = f"documents/{doc_id}/native.{ext}"
            self.store.put_bytes(native_key, data)
            self.add_row(
                "document_variants", document_id=doc_id, kind="native", object_key=native_key, bytes=len(data)
            )
        text_key = None
        if with_text:
            text = "\f".join(pdf.text_by_page).encode("utf-8")
            text_key = f"documents/{doc_id}/extracted.txt"
            self.store.put_bytes(text_key, text, "text/plain; charset=utf-8")
            self.add_row(
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
        parent: DemoExhibit | None = None,
        date_sent: datetime | None = None,
    ) -> DemoExhibit:
        doc_id = self.next_id("documents")
        ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        pdf_key, native_key, text_key = self._store_document(doc_id, pdf, native, with_text)
        md5 = hashlib.md5(native[0] if native else pdf.data).hexdigest()
        created = self.random_time()
        self.add_row(
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
        exhibit_id = self.next_id("exhibits")
        custodian = parent.custodian if parent else self.rng.choice(CUSTODIANS)
        status = self.rng.choice((0, 0, 0, 1, 2, 3))
        exhibit = DemoExhibit(
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

    def memo(self, pages: int | None = None, secret: bool | None = None) -> DemoExhibit:
        n = pages or self.rng.randint(1, 6)
        title = f"Memo regarding {self.rng.choice(docs.WORDS)} {self.rng.choice(docs.WORDS)}"
        has_secret = self.rng.random() < 0.3 if secret is None else secret
        pdf = docs.text_pdf(self.rng, title, n, secret_pages=(1,) if has_secret else ())
        return self.add_document(self._name(f"memo_{self.ids['documents'] + 1:05d}.pdf"), title, pdf)

    def contract(self) -> DemoExhibit:
        n = self.rng.randint(10, 25)
        title = f"Supply agreement {self.rng.randint(100, 999)}"
        return self.add_document(
            f"contract_{self.ids['documents'] + 1:05d}.pdf", title, docs.text_pdf(self.rng, title, n)
        )

    def scan(self) -> DemoExhibit:
        n = self.rng.randint(1, 3)
        title = f"Scanned letter {self.rng.randint(1, 999)}"
        pdf = docs.scanned_pdf(self.rng, title, n)
        return self.add_document(f"scan_{self.ids['documents'] + 1:05d}.pdf", title, pdf, with_text=False)

    def chart(self) -> DemoExhibit:
        title = f"Quarterly chart {self.rng.randint(1, 4)}"
        pdf = docs.text_pdf(self.rng, title, self.rng.randint(1, 2), color=True)
        return self.add_document(f"chart_{self.ids['documents'] + 1:05d}.pdf", title, pdf)

    ODD_PAGES = (
        (docs.LEGAL, 0, "legal"),
        (docs.A4, 0, "a4"),
        (docs.LANDSCAPE, 0, "landscape"),
        (docs.LETTER, 90, "rotated"),
    )

    def odd_size(self, variant: int | None = None) -> DemoExhibit:
        size, rotate, label = (
            self.ODD_PAGES[variant] if variant is not None else self.rng.choice(self.ODD_PAGES)
        )
        title = f"Schedule ({label})"
        pdf = docs.text_pdf(self.rng, title, self.rng.randint(1, 2), page_size=size, rotate=rotate)
        return self.add_document(f"schedule_{label}_{self.ids['documents'] + 1:05d}.pdf", title, pdf)

    def email_family(self) -> DemoExhibit:
        sent = self.random_time()
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

    # exhibit rows ------------------------------------------------------------
    def exhibit_rows(self) -> None:
        for e in self.exhibits:
            created = self.random_time()
            self.add_row(
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
            self.add_row(
                "custodian_exhibits", custodian_id=CUSTODIANS.index(e.custodian) + 1, exhibit_id=e.id
            )
            if e.status:
                self.add_row(
                    "confidentiality_logs",
                    exhibit_id=e.id,
                    user_id=1,
                    old_status=0,
                    new_status=e.status,
                    created_at=created,
                )

    def depositions(self) -> None:
        if self.spec.text_only:
            return
        for name, deponent in (
            ("Deposition of Alice Johnson", "Alice Johnson"),
            ("Deposition of José Müller", "José Müller"),
        ):
            taken = self.random_time().date()
            dep_id = self.add_row("depositions", name=name, deponent=deponent, taken_on=taken)
            for volume in (1, 2) if deponent == "Alice Johnson" else (1,):
                pdf = docs.text_pdf(self.rng, f"{name} vol. {volume}", 5)
                key = f"depositions/{dep_id}/volume_{volume}.pdf"
                self.store.put_bytes(key, pdf.data, "application/pdf")
                self.add_row(
                    "deposition_volumes",
                    deposition_id=dep_id,
                    volume_number=volume,
                    page_count=pdf.pages,
                    court_reporter="Riley Court Reporting",
                    transcript_key=key,
                    taken_on=taken + timedelta(days=volume - 1),
                )
            for start in (3, 12):
                self.add_row(
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
        add_review_work(self)
        self.depositions()
