"""The text of each marked-content sequence (MCID) of a page, read with pdfium.

A tagged PDF's structure tree points at page content by marked-content id; the glyphs themselves are
decoded here by pdfium's text page (fonts, encodings, ToUnicode), never by hand. Each character is
traced to its text object and the object to its MCID. pdfium inserts "generated" characters where it
sees a line break or a gap between words (and a space it finds between glyph objects belongs to no
object): inside one MCID they become a space; between two MCIDs a single space is kept at the end of
the first, so that pieces joined later do not run together.

pdfium gives right-to-left scripts drawn glyph by glyph (Chromium's Arabic) in visual order, words
reversed; Hebrew drawn as whole runs reads correctly. Bidi reordering is not done here yet.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field

import pypdfium2.raw as raw

from domain.geometry import PageGeometry

ARTIFACT = b"Artifact"


@dataclass
class PageText:
    """What a page's text layer holds, per marked-content id."""

    by_mcid: dict[int, str] = field(default_factory=dict)
    chars_by_mcid: dict[int, int] = field(default_factory=dict)  # non-blank characters per MCID
    untagged_chars: int = 0  # non-blank characters in no MCID and not marked as an artifact
    # where each MCID's images and drawings are (display space: points, origin top-left): a Figure's box
    boxes: dict[int, tuple[float, float, float, float]] = field(default_factory=dict)


def _is_artifact(obj) -> bool:
    """Whether a page object sits inside an /Artifact marked-content sequence (running heads, page
    numbers): not part of the document, so it does not count against the tag tree's coverage."""
    for index in range(raw.FPDFPageObj_CountMarks(obj)):
        mark = raw.FPDFPageObj_GetMark(obj, index)
        if not mark:
            continue
        length = ctypes.c_ulong(0)
        raw.FPDFPageObjMark_GetName(mark, None, 0, ctypes.byref(length))
        if length.value <= 2:
            continue
        buffer = (ctypes.c_ushort * (length.value // 2))()
        raw.FPDFPageObjMark_GetName(mark, buffer, length.value, ctypes.byref(length))
        if bytes(buffer)[: length.value - 2].decode("utf-16-le", "replace").encode() == ARTIFACT:
            return True
    return False


def page_text(page) -> PageText:
    """The text of every MCID on a pypdfium2 `PdfPage`, in content order."""
    result = PageText()
    textpage = page.get_textpage()
    try:
        pieces: dict[int, list[str]] = {}
        owner: dict[int | None, int] = {}  # text object address -> MCID (-1: none, -2: artifact)
        previous = -1  # MCID of the last real character
        gap = False  # generated characters since the last real one
        for index in range(raw.FPDFText_CountChars(textpage.raw)):
            code = raw.FPDFText_GetUnicode(textpage.raw, index)
            char = chr(code) if 0 < code < 0x110000 and not 0xD800 <= code <= 0xDFFF else ""
            obj = raw.FPDFText_GetTextObject(textpage.raw, index)
            if raw.FPDFText_IsGenerated(textpage.raw, index) or (not obj and not char.strip()):
                gap = True  # pdfium's inferred break, or a space it saw between glyph objects
                continue
            address = ctypes.cast(obj, ctypes.c_void_p).value if obj else None
            mcid = owner.get(address)
            if mcid is None:
                mcid = raw.FPDFPageObj_GetMarkedContentID(obj) if obj else -1
                if mcid < 0 and obj and _is_artifact(obj):
                    mcid = -2
                owner[address] = mcid
            if gap and previous >= 0:
                # a break pdfium inferred: a space inside one sequence, or at the end of the last one
                target = pieces[previous]
                if target and not target[-1][-1:].isspace():
                    target.append(" ")
            gap = False
            previous = mcid
            if mcid >= 0:
                pieces.setdefault(mcid, []).append(char)
                if char.strip():
                    result.chars_by_mcid[mcid] = result.chars_by_mcid.get(mcid, 0) + 1
            elif mcid == -1 and char.strip():
                result.untagged_chars += 1
        result.by_mcid = {mcid: "".join(chars) for mcid, chars in pieces.items()}
    finally:
        textpage.close()
    result.boxes = _drawing_boxes(page)
    return result


def _drawing_boxes(page) -> dict[int, tuple[float, float, float, float]]:
    """The display-space box of the images, paths and forms of each MCID on the page."""
    left, bottom, right, top = page.get_cropbox()
    geometry = PageGeometry(left, bottom, right, top, page.get_rotation() % 360)
    width, height = geometry.display_size
    boxes: dict[int, tuple[float, float, float, float]] = {}
    for obj in page.get_objects(max_depth=1):  # a form's own objects are in its space: the form's box
        if obj.type == raw.FPDF_PAGEOBJ_TEXT:
            continue
        mcid = raw.FPDFPageObj_GetMarkedContentID(obj.raw)
        if mcid < 0:
            continue
        x0, y0, x1, y1 = obj.get_bounds()
        (ax, ay), (bx, by) = geometry.to_display(x0, y0), geometry.to_display(x1, y1)
        box = (
            max(0.0, min(ax, bx)),
            max(0.0, min(ay, by)),
            min(width, max(ax, bx)),
            min(height, max(ay, by)),
        )
        if box[2] <= box[0] or box[3] <= box[1]:
            continue  # off the page
        if mcid in boxes:
            old = boxes[mcid]
            box = (min(old[0], box[0]), min(old[1], box[1]), max(old[2], box[2]), max(old[3], box[3]))
        boxes[mcid] = box
    return boxes
