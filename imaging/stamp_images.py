"""Stamps burned into page images (the legacy path): the same layout as the PDFs, in pixels."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

from domain.stamp_layout import PageLayout, plan_page
from imaging.raster import font, measure
from imaging.stamp_pdf import MARGIN, PAD, Stamp


def stamp_image(
    image: Image.Image, stamps: Sequence[Stamp], dpi: int, mode: str = "band"
) -> tuple[Image.Image, PageLayout]:
    """The page image (upright, as displayed) with its stamps; in band mode a taller image."""
    scale = dpi / 72
    placed = plan_page(
        image.width,
        image.height,
        [(s.position, s.text, s.font_size * scale) for s in stamps],
        10 * scale,
        MARGIN * scale,
        measure,
        mode,
    )
    white = 255 if image.mode in ("L", "1") else (255, 255, 255)
    if placed.band_top or placed.band_bottom:
        grown = Image.new(image.mode, (image.width, round(placed.height)), white)
        grown.paste(image, (0, round(placed.band_top)))
        image = grown
    draw = ImageDraw.Draw(image)
    black = 0 if image.mode in ("L", "1") else (0, 0, 0)
    pad = PAD * scale
    for box in placed.boxes:
        if mode == "overlay":
            draw.rectangle(
                (box.x - pad, box.y - pad, box.x + box.width + pad, box.y + box.height + pad), fill=white
            )
        for index, line in enumerate(box.lines):
            draw.text(
                (box.x, box.y + index * box.line_height),
                line,
                fill=black,
                font=font(max(1, round(box.font_size))),
            )
    return image, placed
