"""`pdf_text` documents: draw a `Doc` as a real PDF with reportlab (tables in columns), read its
text back with pdfium page by page, and find each annotation in what was read.

An annotation is kept only when its value occurs in the extracted text exactly as often as it
was written; a document with any other annotation is rejected (the generator draws another), so
the extracted text never holds a personal value nobody annotated.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from bench.pii_eval.doc import Ann, Doc, _text, wrap
from imaging.engine import LocalDocumentEngine

FONT, SIZE, LEAD, MARGIN = "Helvetica", 9.0, 12.0, 50.0


def draw(doc: Doc) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=1)
    width, height = letter
    y = height - MARGIN

    def newline(step: float = LEAD) -> None:
        nonlocal y
        y -= step
        if y < MARGIN:
            pdf.showPage()
            y = height - MARGIN

    def text_at(x: float, s: str, size: float = SIZE) -> None:
        pdf.setFont(FONT, size)
        pdf.drawString(x, y, s)

    for b in doc.blocks:
        if b[0] == "para":
            for line in wrap(b[1], 100):
                text_at(MARGIN, _text(line))
                newline()
        elif b[0] == "kv" and b[2] == "\n":
            text_at(MARGIN, b[1], SIZE - 2)  # a form box: small label above the value
            newline(SIZE)
            text_at(MARGIN + 4, _text(b[3]))
            newline()
        elif b[0] == "kv":
            label = (b[1] + b[2]).replace("\t", " ")  # the standard fonts have no tab glyph
            text_at(MARGIN, label)
            # Forms put the value in its own column after the label.
            text_at(MARGIN + max(110.0, stringWidth(label, FONT, SIZE) + 8), _text(b[3]))
            newline()
        elif b[0] == "table":
            header, rows = b[1], b[2]
            texts = [header] + [[_text(cell) for cell in row] for row in rows]
            size = SIZE
            while size > 5:
                widths = [max(stringWidth(t[i], FONT, size) for t in texts) + 10 for i in range(len(header))]
                if sum(widths) <= width - 2 * MARGIN:
                    break
                size -= 0.5
            for k, row in enumerate(texts):
                x = MARGIN
                for i, cell in enumerate(row):
                    pdf.setFont("Helvetica-Bold" if k == 0 else FONT, size)
                    pdf.drawString(x, y, cell)
                    x += widths[i]
                newline(size + 4)
        elif b[0] == "blank":
            newline()
        elif b[0] == "page":
            pdf.showPage()
            y = height - MARGIN
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


_ENGINE = LocalDocumentEngine()


def extract(pdf_bytes: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf_bytes)
        pages = _ENGINE.page_texts(path)
    while pages and not pages[-1].strip():
        pages.pop()
    return "\f".join(pages)


def occurrences(text: str, value: str) -> list[int]:
    found, start = [], text.find(value)
    while start >= 0:
        found.append(start)
        start = text.find(value, start + 1)
    return found


def locate(text: str, anns: list[Ann]) -> list[tuple[Ann, int, int]] | None:
    """Spans for every annotation, or None when any cannot be placed unambiguously. Longer values
    are placed first, so a first name inside an already placed full name is not counted."""
    by_value: dict[str, list[Ann]] = {}
    for a in anns:
        by_value.setdefault(a.value, []).append(a)
    spans: list[tuple[Ann, int, int]] = []
    taken: list[tuple[int, int]] = []
    for value in sorted(by_value, key=len, reverse=True):
        group = by_value[value]
        where = [
            start
            for start in occurrences(text, value)
            if not any(start < end and s < start + len(value) for s, end in taken)
        ]
        if len(where) != len(group) or len({(a.kind, a.type, a.form) for a in group}) != 1:
            return None
        for a, start in zip(group, where, strict=True):
            spans.append((a, start, start + len(value)))
            taken.append((start, start + len(value)))
    spans.sort(key=lambda s: s[1])
    for (_, _, end), (_, start, _) in zip(spans, spans[1:], strict=False):
        if start < end:
            return None
    return spans


def render_pdf_text(doc: Doc) -> tuple[str, list[tuple[Ann, int, int]]] | None:
    text = extract(draw(doc))
    spans = locate(text, doc.annotations())
    return None if spans is None else (text, spans)
