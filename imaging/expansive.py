"""Expansive PDF: one PDF per volume of every produced page, split every 1000 pages,
bookmarked per document (attachments under their parent), with a summary cover page."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import img2pdf
import pikepdf
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from domain.batches import batched
from domain.productions.export_settings import ExportSettings
from domain.productions.loadfiles import ProducedDocument
from domain.productions.manifest import Exhibit
from domain.productions.plan import PlannedDocument

SPLIT_PAGES = 1000


@dataclass
class CoverFacts:
    name: str
    volumes: list[str]
    documents: int
    pages: int
    first_bates: str
    last_bates: str


def cover_page(facts: CoverFacts, volume_label: str) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=1)
    c.setFont("Helvetica-Bold", 20)
    c.drawString(72, 700, "Production summary")
    c.setFont("Helvetica", 12)
    lines = [
        f"Production: {facts.name}",
        f"This file: volume {volume_label}",
        f"Volumes: {', '.join(facts.volumes)}",
        f"Documents: {facts.documents:,}",
        f"Pages: {facts.pages:,}",
        f"Bates range: {facts.first_bates} - {facts.last_bates}",
    ]
    for index, line in enumerate(lines):
        c.drawString(72, 660 - index * 22, line.encode("cp1252", "replace").decode("cp1252"))
    c.showPage()
    c.save()
    return buf.getvalue()


def part_names(name: str, volume_label: str, parts: int) -> list[str]:
    """{NAME}_VOL001.pdf, then {NAME}_VOL001_002.pdf ... for further 1000-page parts."""
    return [
        f"{name}_{volume_label}.pdf" if i == 0 else f"{name}_{volume_label}_{i + 1:03d}.pdf"
        for i in range(parts)
    ]


def _bookmark_title(doc: PlannedDocument, exhibit: Exhibit) -> str:
    if doc.kind == "withheld":
        return f"{doc.begin} - WITHHELD"
    label = exhibit.title or exhibit.filename
    return f"{doc.begin} - {label}"[:200]


def build(
    root: Path,
    export: ExportSettings,
    volume_label: str,
    docs: list[PlannedDocument],
    produced: dict[int, ProducedDocument],
    exhibits: dict[int, Exhibit],
    facts: CoverFacts,
) -> list[Path]:
    """Write the volume's expansive PDF parts under root/ and return their paths."""
    pages: list[tuple[PlannedDocument, int]] = [
        (d, i) for d in docs for i in range(len(produced[d.exhibit_id].pages))
    ]
    chunks = list(batched(pages, SPLIT_PAGES)) or [()]
    names = part_names(export.safe_name, volume_label, len(chunks))
    written = []
    for part, (chunk, name) in enumerate(zip(chunks, names, strict=True)):
        sources: list[pikepdf.Pdf] = []
        with pikepdf.new() as out:
            if part == 0:
                cover = pikepdf.open(io.BytesIO(cover_page(facts, volume_label)))
                sources.append(cover)
                out.pages.extend(cover.pages)
            starts: list[tuple[PlannedDocument, int]] = []
            run: list[str] = []

            def flush_images(run: list[str] = run, sources: list[pikepdf.Pdf] = sources) -> None:
                if run:
                    images = pikepdf.open(io.BytesIO(img2pdf.convert(run)))
                    sources.append(images)
                    out.pages.extend(images.pages)
                    run.clear()

            open_pdfs: dict[str, pikepdf.Pdf] = {}
            for doc, index in chunk:
                page = produced[doc.exhibit_id].pages[index]
                if index == 0 or not starts:
                    starts.append((doc, len(out.pages) + len(run)))
                if page.file_type in ("tif", "jpg"):
                    run.append(str(root / page.path))
                else:
                    flush_images()
                    source = open_pdfs.get(page.path)
                    if source is None:
                        source = open_pdfs[page.path] = pikepdf.open(root / page.path)
                        sources.append(source)
                    out.pages.append(source.pages[page.offset - 1])
            flush_images()
            with out.open_outline() as outline:
                parents: dict[int, pikepdf.OutlineItem] = {}
                for doc, page_index in starts:
                    item = pikepdf.OutlineItem(_bookmark_title(doc, exhibits[doc.exhibit_id]), page_index)
                    if doc.family_child and doc.family_root in parents:
                        parents[doc.family_root].children.append(item)
                    else:
                        outline.root.append(item)
                        parents[doc.family_root] = item
            target = root / name
            out.save(target, deterministic_id=True)
            written.append(target)
        for source in sources:
            source.close()
    return written
