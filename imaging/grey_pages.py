"""Which pages pdfium can prove grey from their page objects alone, so colour detection
(`color_mode=auto`) renders no thumbnail for them (imaging/page_images.py).

The proof is conservative: a page is grey when it has no annotations (form fields and markup are
drawn too) and every object, in form XObjects as well, is text or a path whose fill and stroke are
grey, or a DeviceGray/CalGray image (not JPX). Anything else (shadings, colour or stencil images,
Type 3 text, a colour pdfium cannot report) leaves it unknown, and the thumbnail decides as before:
a grey page's thumbnail is grey, so the verdict is the thumbnail's either way.
"""

from __future__ import annotations

import ctypes

import pypdfium2.raw as c

# Fill or stroke colours that do not prove a grey page: pdfium reports a shading-pattern fill as white
# and a coloured tiling pattern as 0xBFBFBF (cpdf_colorstate.cpp), so those two greys mean "unknown".
_PATTERN_COLOURS = {(255, 255, 255), (191, 191, 191)}


def _grey_colour(getter, obj) -> bool:
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    if not getter(obj, r, g, b, a):
        return False
    rgb = (r.value, g.value, b.value)
    return rgb[0] == rgb[1] == rgb[2] and rgb not in _PATTERN_COLOURS


def _grey_objects(page, objects, fonts: dict) -> bool:
    for obj in objects:
        kind = c.FPDFPageObj_GetType(obj)
        if kind == c.FPDF_PAGEOBJ_FORM:
            count = c.FPDFFormObj_CountObjects(obj)
            if count < 0 or not _grey_objects(
                page, (c.FPDFFormObj_GetObject(obj, i) for i in range(count)), fonts
            ):
                return False
        elif kind == c.FPDF_PAGEOBJ_IMAGE:
            # A DeviceGray or CalGray image draws grey; a stencil mask (no colour space) draws in the fill
            # colour, JPX may carry its own colours: not known.
            meta = c.FPDF_IMAGEOBJ_METADATA()
            if not c.FPDFImageObj_GetImageMetadata(obj, page, meta) or meta.colorspace not in (
                c.FPDF_COLORSPACE_DEVICEGRAY,
                c.FPDF_COLORSPACE_CALGRAY,
            ):
                return False
            for i in range(c.FPDFImageObj_GetImageFilterCount(obj)):
                name = ctypes.create_string_buffer(32)
                c.FPDFImageObj_GetImageFilter(obj, i, name, len(name))
                if name.value == b"JPXDecode":
                    return False
        elif kind in (c.FPDF_PAGEOBJ_TEXT, c.FPDF_PAGEOBJ_PATH):
            if not (
                _grey_colour(c.FPDFPageObj_GetFillColor, obj)
                and _grey_colour(c.FPDFPageObj_GetStrokeColor, obj)
            ):
                return False
            if kind == c.FPDF_PAGEOBJ_TEXT:
                # A Type 3 font's glyphs are content streams that may paint in colour; pdfium has no font
                # program for them, which is how they are told apart.
                font = c.FPDFTextObj_GetFont(obj)
                key = ctypes.cast(font, ctypes.c_void_p).value
                if key not in fonts:
                    size = ctypes.c_size_t(0)
                    fonts[key] = (
                        bool(font) and bool(c.FPDFFont_GetFontData(font, None, 0, size)) and size.value > 0
                    )
                if not fonts[key]:
                    return False
        else:  # shadings and objects pdfium cannot type
            return False
    return True


def grey_only(page) -> bool:
    """True when the page (a raw FPDF_PAGE) provably draws only grey; False when not known."""
    if c.FPDFPage_GetAnnotCount(page) != 0:  # annotations and form fields are drawn too
        return False
    count = c.FPDFPage_CountObjects(page)
    return count >= 0 and _grey_objects(page, (c.FPDFPage_GetObject(page, i) for i in range(count)), {})
