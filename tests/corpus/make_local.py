"""How the corpus files marked "made here" in SOURCES.md were made (run once; the outputs are committed).

Not run by the tests or CI: it needs Ghostscript, groff, Chromium's headless shell and
pycairo (Debian: ghostscript groff chromium-headless-shell python3-cairo fonts-dejavu-core),
which the test machines do not install. The damaged files are cut from the public files
beside them, the way real files get damaged (a download cut short, an xref offset off by
an edit, a mail gateway's trailer, an empty upload, a web page saved as .pdf).

    .venv/bin/python tests/corpus/make_local.py
"""

from __future__ import annotations

import io
import random
import re
import subprocess
import tempfile
from pathlib import Path

import img2pdf
import pikepdf
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

HERE = Path(__file__).parent
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
# Fixed dates and ids: the same bytes on every run of this script.
SOURCE_DATE = "D:20260101000000Z"


def _ghostscript(postscript: str, target: Path, *extra: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.ps"
        source.write_text(postscript)
        subprocess.run(
            [
                "gs",
                "-q",
                "-dNOPAUSE",
                "-dBATCH",
                "-dSAFER",
                "-sDEVICE=pdfwrite",
                *extra,
                f"-sOutputFile={target}",
                str(source),
            ],
            check=True,
        )


def poster_200_inches() -> None:
    """A 200 x 200 inch page (the largest a PDF page may be without UserUnit): a site plan."""
    size = 200 * 72
    _ghostscript(
        f"""%!PS
<< /PageSize [{size} {size}] >> setpagedevice
/Helvetica findfont 400 scalefont setfont
0.5 0.1 0.1 setrgbcolor
600 {size - 1200} moveto (SITE PLAN - 200 x 200 inch poster) show
0 0 0 setrgbcolor 20 setlinewidth
1000 1000 {size - 2000} {size - 4000} rectstroke
/Helvetica findfont 200 scalefont setfont
1500 3000 moveto (North gate) show
{size - 5000} 3000 moveto (Loading dock) show
showpage
""",
        HERE / "gs-poster-200in.pdf",
    )


def a0_cmyk_poster() -> None:
    """An A0 poster drawn in CMYK (print shops' colour model), rotated 90 degrees in /Rotate."""
    _ghostscript(
        """%!PS
<< /PageSize [2384 3370] >> setpagedevice
/Helvetica findfont 120 scalefont setfont
0 0.9 0.9 0 setcmykcolor 200 3000 moveto (A0 CMYK POSTER) show
0.9 0.1 0 0 setcmykcolor 200 200 1984 1200 rectfill
0 0 0 1 setcmykcolor 200 1600 moveto (Quarterly results, printed large) show
showpage
""",
        HERE / "gs-a0-cmyk-poster.pdf",
        "-dProcessColorModel=/DeviceCMYK",
        "-sColorConversionStrategy=CMYK",
    )
    with pikepdf.open(HERE / "gs-a0-cmyk-poster.pdf", allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj.Rotate = 90
        pdf.save(HERE / "gs-a0-cmyk-poster.pdf", deterministic_id=True)


def reportlab_tiny_pages() -> None:
    """A business card (3.5 x 2 in), a 1 x 1 inch label and a half-inch square sticker."""
    path = HERE / "reportlab-tiny-pages.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(3.5 * inch, 2 * inch), invariant=1)
    pdf.setFont("Helvetica", 10)
    pdf.drawString(12, 100, "Alice Johnson, Counsel")
    pdf.drawString(12, 86, "Records department")
    pdf.showPage()
    pdf.setPageSize((1 * inch, 1 * inch))
    pdf.setFont("Helvetica", 8)
    pdf.drawString(6, 32, "LABEL 1in")
    pdf.showPage()
    pdf.setPageSize((0.5 * inch, 0.5 * inch))
    pdf.setFont("Helvetica", 5)
    pdf.drawString(3, 16, "0.5in")
    pdf.showPage()
    pdf.save()


def _scan_image(mode: str, lines: list[str], size=(1275, 1650)) -> Image.Image:
    """A page as a scanner sees it: 150 dpi letter, slightly grey paper, a little noise."""
    rng = random.Random(16)
    page = Image.new("L", size, 235)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 34)
    for n, line in enumerate(lines):
        draw.text((120, 160 + n * 60), line, fill=20, font=font)
    for _ in range(3000):
        draw.point((rng.randrange(size[0]), rng.randrange(size[1])), fill=rng.randrange(150, 255))
    return page.convert(mode) if mode != "L" else page


def img2pdf_scans() -> None:
    """Scanner-style image-only PDFs (no text layer: the production must OCR them)."""
    lines = [
        "MEMORANDUM",
        "To: Records department",
        "Re: Invoice 4471 for the Harbor project",
        "Please file the attached invoice with the other",
        "papers of the Harbor project.",
    ]
    cmyk = _scan_image("CMYK", lines)
    buffer = io.BytesIO()
    cmyk.save(buffer, format="JPEG", quality=60, dpi=(150, 150))
    (HERE / "img2pdf-cmyk-scan.pdf").write_bytes(
        img2pdf.convert(buffer.getvalue(), creationdate=None, moddate=None, nodate=True)
    )
    bilevel = _scan_image("L", lines).point(lambda v: 0 if v < 128 else 255).convert("1")
    buffer = io.BytesIO()
    bilevel.save(buffer, format="TIFF", compression="group4", dpi=(150, 150))
    (HERE / "img2pdf-g4-scan.pdf").write_bytes(img2pdf.convert(buffer.getvalue(), nodate=True))


def pillow_greyscale() -> None:
    """Pillow's own PDF writer: one greyscale JPEG page, landscape."""
    page = _scan_image("L", ["Greyscale photo page", "Pillow wrote this PDF"], size=(1100, 850))
    page.save(HERE / "pillow-greyscale.pdf", format="PDF", resolution=100.0)


def cairo_document() -> None:
    """cairo's PDF surface (as GTK applications and Inkscape print): pages in portrait and landscape."""
    script = f"""
import cairo
surface = cairo.PDFSurface("{HERE / "cairo-mixed-orientation.pdf"}", 612, 792)
surface.set_metadata(cairo.PDFMetadata.CREATE_DATE, "2026-01-01T00:00:00Z")
ctx = cairo.Context(surface)
ctx.select_font_face("DejaVu Sans")
ctx.set_font_size(18)
ctx.move_to(72, 100); ctx.show_text("Portrait page drawn with cairo")
ctx.set_source_rgb(0.1, 0.3, 0.8); ctx.rectangle(72, 140, 300, 120); ctx.fill()
ctx.show_page()
surface.set_size(792, 612)
ctx.set_source_rgb(0, 0, 0)
ctx.move_to(72, 100); ctx.show_text("Landscape page drawn with cairo")
ctx.show_page()
surface.finish()
"""
    subprocess.run(["/usr/bin/python3", "-c", script], check=True)


def groff_memo() -> None:
    """groff's PDF driver (gropdf): man pages and Unix memos."""
    source = (
        ".TL\nProduction memo\n.AU\nRecords team\n.PP\nThis memo was typeset by groff with the ms macros.\n"
        * 1
    )
    result = subprocess.run(["groff", "-ms", "-Tpdf"], input=source.encode(), capture_output=True, check=True)
    (HERE / "groff-memo.pdf").write_bytes(result.stdout)


def chromium_rtl() -> None:
    """Chromium's print to PDF (what users of a browser save): Hebrew and Arabic, right to left."""
    html = """<!doctype html><html dir="rtl" lang="he"><meta charset="utf-8">
<style>body{font-family:'DejaVu Sans';font-size:18pt;margin:1in} h1{font-size:24pt}</style>
<h1>מכתב ללקוח</h1><p>שלום רב, מצורף החוזה החתום לעיונך. נא לאשר את קבלתו עד יום חמישי.</p>
<p lang="ar">مرحبا، نرفق لكم العقد الموقع. يرجى تأكيد الاستلام.</p>
<p dir="ltr">Contract 2291 - signed copy</p></html>"""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "letter.html"
        source.write_text(html, encoding="utf-8")
        subprocess.run(
            [
                "chromium-headless-shell",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                f"--print-to-pdf={HERE / 'chromium-hebrew-arabic.pdf'}",
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
        )


def encrypted_variants() -> None:
    """qpdf (through pikepdf) encrypting a real file: owner password only (opens freely, printing
    allowed), and a user password (cannot be opened without it)."""
    source = HERE / "pdflatex-4-pages.pdf"
    with pikepdf.open(source) as pdf:
        permissions = pikepdf.Permissions(extract=False, modify_other=False)
        pdf.save(
            HERE / "qpdf-owner-password-only.pdf",
            encryption=pikepdf.Encryption(owner="owner-only-made-up", user="", R=6, allow=permissions),
        )
        pdf.save(
            HERE / "qpdf-user-password-aes256.pdf",
            encryption=pikepdf.Encryption(owner="owner-made-up", user="user-made-up", R=6),
        )


def damaged() -> None:
    """Real files damaged the way files get damaged on the way to a review platform."""
    good = (HERE / "libreoffice-writer.pdf").read_bytes()
    # A download cut short: the last tenth is gone with the xref; pdfium refuses it, qpdf rebuilds it.
    docs = (HERE / "google-docs-skia.pdf").read_bytes()
    (HERE / "damaged-truncated-repairable.pdf").write_bytes(docs[: int(len(docs) * 0.9)])
    # Cut short earlier (the trailer is gone too): nothing can rebuild it.
    (HERE / "damaged-truncated.pdf").write_bytes(good[: int(len(good) * 0.55)])
    # `curl -i` saved the HTTP response headers in front of %PDF (more than the 1024 bytes readers skip).
    headers = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Security-Policy: default-src 'self'; "
        + "; ".join(f"script-src-elem https://cdn{n}.example.com" for n in range(30))
        + "\r\n"
        "Set-Cookie: session=made-up-session-value; Path=/; Secure; HttpOnly\r\n\r\n"
    )
    (HERE / "damaged-http-headers-in-front.pdf").write_bytes(
        headers.encode() + (HERE / "pdftex-minimal.pdf").read_bytes()
    )
    # An edit that shifted bytes without fixing the xref: startxref points to the wrong place.
    start = good.rindex(b"startxref")
    offset = int(re.search(rb"startxref\s+(\d+)", good[start:]).group(1))
    (HERE / "damaged-broken-xref.pdf").write_bytes(
        good[:start] + b"startxref\n" + str(offset - 97).encode() + b"\n%%EOF\n"
    )
    # A file whose end marker is gone (an uploader that trims the last line).
    (HERE / "damaged-no-eof.pdf").write_bytes(good[: good.rindex(b"%%EOF")])
    # A mail gateway appended its footer after %%EOF.
    rng = random.Random(16)
    garbage = b"\r\n--\r\nScanned by MailGuard\r\n" + bytes(rng.randrange(256) for _ in range(2048))
    (HERE / "damaged-garbage-appended.pdf").write_bytes(good + garbage)
    (HERE / "zero-bytes.pdf").write_bytes(b"")
    # A web page saved under a .pdf name (a portal's "session expired" page).
    (HERE / "not-a-pdf.pdf").write_bytes(
        b"<!DOCTYPE html>\n<html><head><title>Session expired</title></head>"
        b"<body><p>Your session has expired. Please sign in again.</p></body></html>\n"
    )


def main() -> None:
    for make in (
        poster_200_inches,
        a0_cmyk_poster,
        reportlab_tiny_pages,
        img2pdf_scans,
        pillow_greyscale,
        cairo_document,
        groff_memo,
        chromium_rtl,
        encrypted_variants,
        damaged,
    ):
        make()


if __name__ == "__main__":
    main()
