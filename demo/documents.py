"""Real demo documents: PDFs (text, scanned, colour, odd sizes, rotated) and natives.

Everything is deterministic for a given random generator: reportlab runs in
invariant mode and zip-based natives get fixed timestamps, so the same seed
gives the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

WORDS = [
    "agreement",
    "shipment",
    "invoice",
    "contract",
    "delivery",
    "warehouse",
    "payment",
    "schedule",
    "meeting",
    "counsel",
    "review",
    "draft",
    "revised",
    "quarterly",
    "forecast",
    "supplier",
    "pricing",
    "discount",
    "margin",
    "inventory",
    "audit",
    "compliance",
    "memo",
    "regarding",
    "attached",
    "please",
    "confirm",
    "deadline",
    "board",
    "approval",
    "merger",
    "widget",
    "component",
    "defect",
    "warranty",
    "claim",
    "settlement",
    "negotiation",
    "terms",
    "escrow",
    "license",
    "patent",
    "royalty",
]

LETTER = (612.0, 792.0)
LEGAL = (612.0, 1008.0)
A4 = (595.28, 841.89)
LANDSCAPE = (792.0, 612.0)

FONT_SIZE = 11
LINE_HEIGHT = 15


@dataclass
class Secret:
    """Text planted on a page at a known place, so a redaction can cover it exactly."""

    page_number: int
    text: str
    rect: tuple[float, float, float, float]  # PDF points, origin bottom-left


@dataclass
class MadePdf:
    data: bytes
    pages: int
    text_by_page: list[str]
    secrets: list[Secret] = field(default_factory=list)


def sentence(rng: random.Random, words: int = 10) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _canvas(buf: io.BytesIO, title: str) -> canvas.Canvas:
    c = canvas.Canvas(buf, invariant=1, pagesize=LETTER)
    c.setTitle(title)
    c.setAuthor("Nextpoint demo generator")
    return c


def text_pdf(
    rng: random.Random,
    title: str,
    pages: int,
    page_size: tuple[float, float] = LETTER,
    rotate: int = 0,
    secret_pages: tuple[int, ...] = (),
    color: bool = False,
) -> MadePdf:
    """A born-digital PDF with a text layer; `secret_pages` carry a redactable SSN line."""
    buf = io.BytesIO()
    c = _canvas(buf, title)
    texts: list[str] = []
    secrets: list[Secret] = []
    width, height = page_size
    for number in range(1, pages + 1):
        c.setPageSize(page_size)
        if rotate:
            c.setPageRotation(rotate)
        lines = [f"{title} - page {number} of {pages}"]
        y = height - 72
        c.setFont("Helvetica-Bold", FONT_SIZE + 3)
        c.drawString(72, y, lines[0])
        c.setFont("Helvetica", FONT_SIZE)
        if color:
            _colour_chart(c, rng, width, height)
        if number in secret_pages:
            y -= 2 * LINE_HEIGHT
            secret = (
                f"SSN {rng.randint(100, 899):03d}-{rng.randint(10, 99):02d}-{rng.randint(1000, 9999):04d}"
            )
            line = f"Employee record {secret}"
            c.drawString(72, y, line)
            x0 = 72 + c.stringWidth("Employee record ", "Helvetica", FONT_SIZE)
            x1 = x0 + c.stringWidth(secret, "Helvetica", FONT_SIZE)
            secrets.append(
                Secret(
                    number,
                    secret,
                    (round(x0 - 2, 2), round(y - 4, 2), round(x1 + 2, 2), round(y + FONT_SIZE + 2, 2)),
                )
            )
            lines.append(line)
        body_lines = int((y - (260 if color else 72)) // LINE_HEIGHT) - 1
        for _ in range(max(body_lines, 3)):
            y -= LINE_HEIGHT
            line = sentence(rng, rng.randint(6, 11))
            c.drawString(72, y, line)
            lines.append(line)
        c.showPage()
        texts.append("\n".join(lines))
    c.save()
    return MadePdf(buf.getvalue(), pages, texts, secrets)


def _colour_chart(c: canvas.Canvas, rng: random.Random, width: float, height: float) -> None:
    palette = [(0.85, 0.1, 0.1), (0.1, 0.5, 0.85), (0.1, 0.7, 0.2), (0.95, 0.7, 0.1)]
    base_x, base_y = 90, 100
    for i, colour in enumerate(palette):
        c.setFillColorRGB(*colour)
        bar = rng.randint(40, 140)
        c.rect(base_x + i * 70, base_y, 50, bar, fill=1, stroke=0)
    c.setFillColorRGB(0, 0, 0)


def scanned_pdf(rng: random.Random, title: str, pages: int, dpi: int = 150) -> MadePdf:
    """Image-only pages that look scanned: no text layer, slight skew, speckle, one page upside down."""
    buf = io.BytesIO()
    c = _canvas(buf, title)
    texts = []
    font = ImageFont.load_default(size=int(FONT_SIZE * dpi / 72 * 1.1))
    w_px, h_px = int(LETTER[0] * dpi / 72), int(LETTER[1] * dpi / 72)
    for number in range(1, pages + 1):
        image = Image.new("L", (w_px, h_px), 255)
        draw = ImageDraw.Draw(image)
        lines = [f"{title} page {number}"] + [sentence(rng, rng.randint(5, 8)) for _ in range(18)]
        y = int(70 * dpi / 72)
        for line in lines:
            draw.text((int(72 * dpi / 72), y), line, fill=0, font=font)
            y += int(LINE_HEIGHT * 1.5 * dpi / 72)
        for _ in range(400):
            draw.point((rng.randrange(w_px), rng.randrange(h_px)), fill=rng.randint(0, 160))
        image = image.rotate(rng.uniform(-0.8, 0.8), fillcolor=255, resample=Image.BILINEAR)
        if pages > 1 and number == pages:
            image = image.rotate(180)  # fed upside down into the scanner
        image = image.filter(ImageFilter.SMOOTH)
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=False)
        c.setPageSize(LETTER)
        c.drawImage(ImageReader(io.BytesIO(out.getvalue())), 0, 0, width=LETTER[0], height=LETTER[1])
        c.showPage()
        texts.append("\n".join(lines))
    c.save()
    return MadePdf(buf.getvalue(), pages, texts)


def placeholder_pdf(title: str, lines: list[str]) -> MadePdf:
    """A rendition of a native (an email, a spreadsheet) as the review platform shows it."""
    buf = io.BytesIO()
    c = _canvas(buf, title)
    y = LETTER[1] - 72
    c.setFont("Helvetica", FONT_SIZE)
    for line in lines:
        c.drawString(72, y, line[:110])
        y -= LINE_HEIGHT
    c.showPage()
    c.save()
    return MadePdf(buf.getvalue(), 1, ["\n".join(lines)])


FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip (xlsx, docx) with fixed entry times so the bytes are reproducible."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", content)
            target.writestr(fixed, content)
    return out.getvalue()


def xlsx_native(rng: random.Random, title: str, rows: int = 12) -> tuple[bytes, list[list[str]]]:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    table = [["Item", "Quantity", "Unit price", "Region"]]
    for i in range(rows):
        table.append(
            [
                f"{rng.choice(WORDS)}-{i}",
                str(rng.randint(1, 500)),
                f"{rng.uniform(1, 99):.2f}",
                rng.choice(["North", "South", "Zürich"]),
            ]
        )
    for row in table:
        ws.append(row)
    fixed = datetime(2024, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.title = title
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip(buf.getvalue()), table


def csv_native(rng: random.Random, rows: int = 10) -> tuple[bytes, list[list[str]]]:
    table = [["date", "account", "amount", "memo"]]
    for i in range(rows):
        table.append(
            [
                f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                f"ACC-{rng.randint(1000, 9999)}",
                f"{rng.uniform(-500, 5000):.2f}",
                f'line {i}, "quoted" note',
            ]
        )
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(table)
    return buf.getvalue().encode("utf-8"), table


def eml_native(
    sender: str, to: str, subject: str, body: str, sent: datetime, attachments: list[tuple[str, bytes, str]]
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(sent.replace(tzinfo=UTC))
    digest = hashlib.sha1(f"{sender}|{subject}|{sent.isoformat()}".encode()).hexdigest()[:16]
    message["Message-ID"] = f"<{digest}@demo.nextpoint.local>"
    message.set_content(body)
    for name, data, mime in attachments:
        maintype, _, subtype = mime.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    if attachments:
        message.set_boundary(f"=====np-demo-{digest}=====")
    return bytes(message)
