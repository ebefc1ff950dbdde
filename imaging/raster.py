"""Page images for productions: colour detection, bilevel conversion, redaction boxes,
endorsements, slip sheets and native placeholders, and encoding (G4 TIFF, JPEG)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from domain.stamp_layout import layout
from imaging.g4 import write_g4

DPI = 300
LETTER_PX = (int(8.5 * DPI), int(11 * DPI))
BW_THRESHOLD = 160
JPEG_QUALITY = 85
ENDORSEMENT_POINTS = 10
MARGIN_POINTS = 18
# The most pixels one page image may have: 20 x 20 inches (about A2) at 300 dpi. A larger page
# (an A0 poster, a 200-inch site plan) is drawn smaller to fit, still labelled 300 dpi, as imaging
# tools fit oversized pages to a maximum image size: a 200-inch page at 300 dpi would be 3.6
# gigapixels (10 GB in colour) for one image nobody can open.
MAX_PAGE_PIXELS = 36_000_000
# A page narrower than this (a label, a 4-point image page) is drawn larger to reach it, so its
# Bates number fits and reads; imaging a 1/18-inch page at 300 dpi gives 16 pixels.
MIN_PAGE_INCHES = 2


@lru_cache(maxsize=16)
def font(size_px: int) -> ImageFont.FreeTypeFont:
    # Pillow's bundled font: no system font needed, the same glyphs everywhere.
    return ImageFont.load_default(size=size_px)


def render_dpi(
    width_points: float,
    height_points: float,
    dpi: float = DPI,
    max_pixels: int = MAX_PAGE_PIXELS,
    min_inches: float = MIN_PAGE_INCHES,
) -> float:
    """The resolution to draw a page at: `dpi`; more for a page whose shorter side is under
    `min_inches`; less when that would exceed `max_pixels`."""
    shorter = min(width_points, height_points) / 72
    if 0 < shorter < min_inches:
        dpi = dpi * min_inches / shorter
    pixels = (width_points * dpi / 72) * (height_points * dpi / 72)
    if pixels <= max_pixels:
        return dpi
    return dpi * (max_pixels / pixels) ** 0.5


def measure(text: str, size: float) -> float:
    return font(max(1, round(size))).getlength(text)


def is_colour(thumbnail: Image.Image, tolerance: int = 40, share: float = 0.001) -> bool:
    """A page is colour when more than `share` of its pixels are clearly not grey."""
    rgb = np.asarray(thumbnail.convert("RGB"), dtype=np.int16)
    spread = rgb.max(axis=2) - rgb.min(axis=2)
    return bool((spread > tolerance).mean() > share)


def black_mask(gray: Image.Image) -> np.ndarray:
    """Bilevel by a fixed threshold: crisp text at 300 dpi and 6x cheaper than dithering."""
    return np.asarray(gray.convert("L")) < BW_THRESHOLD


def _label_fit(box: tuple[int, int, int, int], label: str | None) -> tuple[int, float, float] | None:
    """(font size, x, y) of a redaction label inside its box, or None when it does not fit."""
    if not label:
        return None
    x0, y0, x1, y1 = box
    size = max(8, min(int((y1 - y0) * 0.6), int(ENDORSEMENT_POINTS * DPI / 72)))
    if measure(label, size) > (x1 - x0) - 4:
        return None
    return size, x0 + 2, y0 + (y1 - y0 - size) / 2


def _endorsement_boxes(width: int, height: int, stamps: list[tuple[str, str]], dpi: int):
    scale = dpi / 72
    return layout(
        width, height, stamps, ENDORSEMENT_POINTS * scale, MARGIN_POINTS * scale, measure
    ), 2 * scale


def burn_redactions(
    image: Image.Image, boxes: list[tuple[tuple[int, int, int, int], str | None]], labels: bool = True
) -> None:
    """Solid black boxes (pixels replaced, nothing underneath survives), label in white when it fits.

    OCR runs on the boxes without labels (a white-on-black label only reads as noise);
    the labels are drawn afterwards by calling again with labels=True.
    """
    draw = ImageDraw.Draw(image)
    black = 0 if image.mode in ("L", "1") else (0, 0, 0)
    white = 255 if image.mode in ("L", "1") else (255, 255, 255)
    for (x0, y0, x1, y1), label in boxes:
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=black)
        fit = _label_fit((x0, y0, x1, y1), label) if labels else None
        if fit:
            size, x, y = fit
            draw.text((x, y), label, fill=white, font=font(size))


def burn_endorsements(image: Image.Image, stamps: list[tuple[str, str]], dpi: int = DPI) -> None:
    """Bates number and confidentiality code at their positions, on a white ground so they read."""
    if not stamps:
        return
    boxes, pad = _endorsement_boxes(image.width, image.height, stamps, dpi)
    draw = ImageDraw.Draw(image)
    black = 0 if image.mode == "L" else (0, 0, 0)
    white = 255 if image.mode == "L" else (255, 255, 255)
    for box in boxes:
        draw.rectangle(
            (box.x - pad, box.y - pad, box.x + box.width + pad, box.y + box.height + pad), fill=white
        )
        for index, line in enumerate(box.lines):
            draw.text(
                (box.x, box.y + index * box.line_height), line, fill=black, font=font(round(box.font_size))
            )


@lru_cache(maxsize=1024)
def text_mask(text: str, size_px: int) -> np.ndarray:
    """Ink of a line of text as a boolean array (True = ink), drawn as the PIL path draws it."""
    width = max(1, int(np.ceil(font(size_px).getlength(text))) + 2)
    height = max(1, int(size_px * 1.3))
    image = Image.new("L", (width, height), 0)
    ImageDraw.Draw(image).text((0, 0), text, fill=255, font=font(size_px))
    mask = np.asarray(image) > 127
    mask.setflags(write=False)
    return mask


def _ink_and_paper(page: np.ndarray) -> tuple:
    """What ink and paper are in a page array: True/False in a bilevel page, 0/255 in a grey page
    about to be thresholded (drawing either gives the same black-and-white page)."""
    return (True, False) if page.dtype == np.bool_ else (0, 255)


def _paste(black: np.ndarray, mask: np.ndarray, x: float, y: float, ink: bool) -> None:
    x0, y0 = int(round(x)), int(round(y))
    h, w = mask.shape
    top, left = max(0, y0), max(0, x0)
    bottom, right = min(black.shape[0], y0 + h), min(black.shape[1], x0 + w)
    if bottom <= top or right <= left:
        return
    part = mask[top - y0 : bottom - y0, left - x0 : right - x0]
    if black.dtype != np.bool_:
        black[top:bottom, left:right][part] = _ink_and_paper(black)[0 if ink else 1]
    elif ink:
        black[top:bottom, left:right] |= part
    else:
        black[top:bottom, left:right] &= ~part


def redact_array(gray: np.ndarray, boxes: list[tuple[tuple[int, int, int, int], str | None]]) -> None:
    """Black boxes straight into a grey page array (pixels replaced)."""
    for (x0, y0, x1, y1), _ in boxes:
        gray[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = 0


def label_redactions_bilevel(black: np.ndarray, boxes) -> None:
    """Redaction labels, white on the black boxes, into a bilevel or grey page (see _ink_and_paper)."""
    for box, label in boxes:
        fit = _label_fit(box, label)
        if fit:
            size, x, y = fit
            _paste(black, text_mask(label, size), x, y, ink=False)


def endorse_bilevel(black: np.ndarray, stamps: list[tuple[str, str]], dpi: int = DPI) -> None:
    """The same endorsements as burn_endorsements, drawn into a bilevel page (True = black) or a grey
    page about to be thresholded (see _ink_and_paper)."""
    if not stamps:
        return
    height, width = black.shape
    boxes, pad = _endorsement_boxes(width, height, stamps, dpi)
    for box in boxes:
        top, bottom = int(max(0, box.y - pad)), int(min(height, box.y + box.height + pad + 1))
        left, right = int(max(0, box.x - pad)), int(min(width, box.x + box.width + pad + 1))
        black[top:bottom, left:right] = _ink_and_paper(black)[1]
        for index, line in enumerate(box.lines):
            _paste(
                black, text_mask(line, round(box.font_size)), box.x, box.y + index * box.line_height, ink=True
            )


def text_page(lines: list[str], size: tuple[int, int] = LETTER_PX) -> Image.Image:
    """A white page with centred lines: slip sheets and native placeholders."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    px = int(14 * DPI / 72)
    y = size[1] * 0.4
    for line in lines:
        shown = (
            line
            if measure(line, px) <= size[0] * 0.85
            else line[: int(len(line) * size[0] * 0.85 / measure(line, px))] + "…"
        )
        draw.text(((size[0] - measure(shown, px)) / 2, y), shown, fill=0, font=font(px))
        y += px * 1.6
    return image


def save_bilevel(black: np.ndarray, path_without_suffix: Path) -> str:
    path_without_suffix.parent.mkdir(parents=True, exist_ok=True)
    write_g4(path_without_suffix.with_suffix(".tif"), black, DPI)
    return "tif"


def save_page(image: Image.Image, path_without_suffix: Path, image_format: str, colour: bool) -> str:
    """Encode a page; returns the file type written ('tif' or 'jpg')."""
    path_without_suffix.parent.mkdir(parents=True, exist_ok=True)
    if image_format == "tiff" and not colour:
        write_g4(path_without_suffix.with_suffix(".tif"), black_mask(image), DPI)
        return "tif"
    target = path_without_suffix.with_suffix(".jpg")
    mode = "RGB" if colour else "L"
    image.convert(mode).save(target, format="JPEG", quality=JPEG_QUALITY, dpi=(DPI, DPI))
    return "jpg"
