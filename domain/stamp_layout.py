"""Where stamps go on a page: six positions, margins, wrapping, stacking.

Units are whatever the caller measures in (points for PDF stamping, pixels for
images); coordinates have their origin top-left of the page as displayed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

POSITIONS = ("top_left", "top_center", "top_right", "bottom_left", "bottom_center", "bottom_right")


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


def _wrap(text: str, width: float, size: float, measure: Callable[[str, float], float]) -> list[str] | None:
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


def layout(
    page_width: float,
    page_height: float,
    stamps: Sequence[tuple[str, str]],
    font_size: float,
    margin: float,
    measure: Callable[[str, float], float],
    min_font_size: float | None = None,
    line_spacing: float = 1.2,
) -> list[StampBox]:
    """Boxes for (position, text) stamps; stamps sharing a position stack away from the edge.

    Each of the three columns gets a third of the width inside the margins; text
    wraps at word boundaries and the font shrinks (down to min_font_size) until
    the longest word fits.
    """
    column = (page_width - 2 * margin) / 3
    minimum = min_font_size or font_size / 2
    boxes: list[StampBox] = []
    offsets = dict.fromkeys(POSITIONS, 0.0)
    for position, text in stamps:
        if position not in POSITIONS:
            raise ValueError(f"unknown stamp position {position!r}")
        size = font_size
        lines = _wrap(text, column, size, measure)
        while lines is None and size > minimum:
            size = max(minimum, size * 0.9)
            lines = _wrap(text, column, size, measure)
        if lines is None:  # still too wide at the smallest size: hard-wrap characters
            lines = [text[i:i + max(1, int(len(text) * column / max(measure(text, size), 1)))] for i in range(0, len(text), max(1, int(len(text) * column / max(measure(text, size), 1))))]
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
