"""Where stamps go on a page: six positions, margins, wrapping, stacking, margin bands.

Units are whatever the caller measures in (points for PDF stamping, pixels for
images); coordinates have their origin top-left of the page as displayed, so a
rotated or landscape page gets its stamps on the bottom the reader sees.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

POSITIONS = ("top_left", "top_center", "top_right", "bottom_left", "bottom_center", "bottom_right")
MODES = ("band", "overlay")

Measure = Callable[[str, float], float]


@dataclass(frozen=True)
class StampBox:
    position: str
    lines: tuple[str, ...]
    font_size: float
    x: float  # left of the box
    y: float  # top of the box
    width: float
    height: float
    line_height: float


@dataclass(frozen=True)
class PageLayout:
    """Boxes on the page as it will be shown, after any bands were added."""

    boxes: tuple[StampBox, ...]
    band_top: float  # added above the original page
    band_bottom: float  # added below it
    width: float
    height: float  # original height plus both bands


def _wrap(text: str, width: float, size: float, measure: Measure) -> list[str] | None:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}".strip()
            if measure(candidate, size) <= width:
                current = candidate
            elif not current:
                return None  # a single word wider than the column: needs a smaller font
            else:
                lines.append(current)
                current = word
        lines.append(current)
    return lines


def _hard_wrap(text: str, width: float, size: float, measure: Measure) -> list[str]:
    """Cut at characters: the last resort for one word too long for the column at the smallest size."""
    lines, current = [], ""
    for char in " ".join(text.split()):
        if current and measure(current + char, size) > width:
            lines.append(current)
            current = char.strip()
        else:
            current += char
    return [*lines, current]


def fit(
    text: str, column: float, font_size: float, minimum: float, measure: Measure
) -> tuple[float, list[str]]:
    """The largest size down to `minimum` at which every word fits the column, and the wrapped lines."""
    size = font_size
    lines = _wrap(text, column, size, measure)
    while lines is None and size > minimum:
        size = max(minimum, size * 0.9)
        lines = _wrap(text, column, size, measure)
    return size, lines if lines is not None else _hard_wrap(text, column, size, measure)


def layout(
    page_width: float,
    page_height: float,
    stamps: Sequence[tuple[str, str] | tuple[str, str, float]],
    font_size: float,
    margin: float,
    measure: Measure,
    min_font_size: float | None = None,
    line_spacing: float = 1.2,
) -> list[StampBox]:
    """Boxes for (position, text[, font size]) stamps; stamps sharing a position stack away from the edge.

    Each of the three columns gets a third of the width inside the margins, so
    stamps at different positions never overlap; text wraps at word boundaries
    and the font shrinks (down to half its size) until the longest word fits.
    """
    column = (page_width - 2 * margin) / 3
    boxes: list[StampBox] = []
    offsets = dict.fromkeys(POSITIONS, 0.0)
    for stamp in stamps:
        position, text = stamp[0], stamp[1]
        wanted = stamp[2] if len(stamp) > 2 else font_size
        if position not in POSITIONS:
            raise ValueError(f"unknown stamp position {position!r}")
        size, lines = fit(text, column, wanted, min_font_size or wanted / 2, measure)
        line_height = size * line_spacing
        width = max(measure(line, size) for line in lines)
        height = line_height * len(lines)
        vertical, horizontal = position.split("_")
        if horizontal == "left":
            x = margin
        elif horizontal == "center":
            x = (page_width - width) / 2
        else:
            x = page_width - margin - width
        if vertical == "top":
            y = margin + offsets[position]
        else:
            y = page_height - margin - offsets[position] - height
        offsets[position] += height + line_height * 0.25
        boxes.append(StampBox(position, tuple(lines), size, x, y, width, height, line_height))
    return boxes


def plan_page(
    page_width: float,
    page_height: float,
    stamps: Sequence[tuple[str, str] | tuple[str, str, float]],
    font_size: float,
    margin: float,
    measure: Measure,
    mode: str = "band",
) -> PageLayout:
    """Layout plus bands: in `band` mode the page grows at the top and/or bottom by what the
    stamps need, so no stamp ever covers page content; `overlay` draws on the page as it is."""
    if mode not in MODES:
        raise ValueError(f"unknown stamp mode {mode!r}")
    boxes = layout(page_width, page_height, stamps, font_size, margin, measure)
    if mode == "overlay" or not boxes:
        return PageLayout(tuple(boxes), 0.0, 0.0, page_width, page_height)
    # The band holds the tallest stack of its edge plus a margin on both sides of it.
    top = max((b.y + b.height for b in boxes if b.position.startswith("top")), default=0.0)
    bottom = max((page_height - b.y for b in boxes if b.position.startswith("bottom")), default=0.0)
    # Whole units: the page moves by whole points (or pixels), so it renders exactly as before.
    band_top = float(math.ceil(top + margin)) if top else 0.0
    band_bottom = float(math.ceil(bottom + margin)) if bottom else 0.0
    moved = tuple(
        b if b.position.startswith("top") else replace(b, y=b.y + band_top + band_bottom) for b in boxes
    )
    return PageLayout(moved, band_top, band_bottom, page_width, page_height + band_top + band_bottom)
