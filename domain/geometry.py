"""Page geometry: PDF user space (origin bottom-left, before /Rotate) to what a reader sees.

Display space is the page as shown, after /Rotate (clockwise), in points with
origin top-left; pixel space is display space times dpi/72.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class PageGeometry:
    left: float
    bottom: float
    right: float
    top: float
    rotation: int = 0  # 0, 90, 180, 270 clockwise

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom

    @property
    def display_size(self) -> tuple[float, float]:
        return (self.height, self.width) if self.rotation in (90, 270) else (self.width, self.height)

    def to_display(self, x: float, y: float) -> tuple[float, float]:
        u, v = x - self.left, self.top - y
        if self.rotation == 90:
            return self.height - v, u
        if self.rotation == 180:
            return self.width - u, self.height - v
        if self.rotation == 270:
            return v, self.width - u
        return u, v

    def rect_to_pixels(self, rect: tuple[float, float, float, float], dpi: int) -> tuple[int, int, int, int]:
        """A user-space rectangle as the pixel box (x0, y0, x1, y1) covering it on the rendered page."""
        scale = dpi / 72.0
        (ax, ay), (bx, by) = self.to_display(rect[0], rect[1]), self.to_display(rect[2], rect[3])
        x0, x1 = sorted((ax, bx))
        y0, y1 = sorted((ay, by))
        # Round outwards: a redaction box never shrinks.
        return math.floor(x0 * scale), math.floor(y0 * scale), math.ceil(x1 * scale), math.ceil(y1 * scale)

    def display_matrix(self) -> tuple[float, float, float, float, float, float]:
        """The `cm` matrix that maps display space (origin bottom-left, upright) to user space."""
        left, bottom, right, top = self.left, self.bottom, self.right, self.top
        if self.rotation == 90:
            return 0, 1, -1, 0, right, bottom
        if self.rotation == 180:
            return -1, 0, 0, -1, right, top
        if self.rotation == 270:
            return 0, -1, 1, 0, left, top
        return 1, 0, 0, 1, left, bottom

    def extended(self, top: float, bottom: float) -> PageGeometry:
        """The page grown by `top` above and `bottom` below as displayed (a stamp band)."""
        left, low, right, high = self.left, self.bottom, self.right, self.top
        if self.rotation == 90:  # the displayed top is the user-space left edge
            return PageGeometry(left - top, low, right + bottom, high, 90)
        if self.rotation == 180:
            return PageGeometry(left, low - top, right, high + bottom, 180)
        if self.rotation == 270:
            return PageGeometry(left - bottom, low, right + top, high, 270)
        return PageGeometry(left, low - bottom, right, high + top, 0)

    def display_rect_to_user(
        self, x: float, y: float, width: float, height: float
    ) -> tuple[float, float, float, float]:
        """A display-space box (origin top-left) as the user-space rectangle that shows it."""
        a, b, c, d, e, f = self.display_matrix()
        _, display_height = self.display_size
        corners = [(x, display_height - y), (x + width, display_height - y - height)]
        xs, ys = zip(*[(a * u + c * v + e, b * u + d * v + f) for u, v in corners], strict=True)
        return min(xs), min(ys), max(xs), max(ys)
