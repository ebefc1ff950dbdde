"""Review markup to brand into a document: redactions, highlights, notes and stickers, by page.

Markup comes from the source case's annotations and is untrusted: `markups_by_page` keeps what can
be branded and names the rest (unknown kind, a page the document does not have, a rectangle that
is not finite, a sticker without its image) as problems. Rectangles are PDF user space (origin
bottom-left, before /Rotate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

REDACTION, HIGHLIGHT, NOTE, STICKER = "redaction", "highlight", "note", "sticker"
DRAWN = (HIGHLIGHT, NOTE, STICKER)  # drawn after redactions, in this order
KINDS = (REDACTION, *DRAWN)


@dataclass(frozen=True)
class Markup:
    kind: str  # 'redaction' | 'highlight' | 'note' | 'sticker'
    page_number: int  # 1-based
    rect: tuple[float, float, float, float]  # x0, y0, x1, y1 in PDF points, user space (before /Rotate)
    content: str | None = None  # note text; redaction reason label (may be None)
    image: bytes | None = None  # sticker image (PNG/JPEG); None when the image is missing


def markups_by_page(markups: Sequence[Markup], count: int, problems: list[str]) -> dict[int, list[Markup]]:
    """The markup of a document of `count` pages by page number; what cannot be branded goes to
    `problems`."""
    by_page: dict[int, list[Markup]] = {}
    for markup in markups:
        problem = _markup_problem(markup, count)
        if problem:
            problems.append(f"page {markup.page_number}: {problem}; not branded")
        else:
            by_page.setdefault(markup.page_number, []).append(markup)
    return by_page


def _markup_problem(markup: Markup, count: int) -> str | None:
    if markup.kind not in KINDS:
        return f"unknown markup kind {markup.kind!r}"
    if not 1 <= markup.page_number <= count:
        return f"a {markup.kind} is on page {markup.page_number} but the document has {count} pages"
    if len(markup.rect) != 4 or not all(math.isfinite(v) for v in markup.rect):
        return f"a {markup.kind} has an invalid rectangle {markup.rect!r}"
    if markup.kind == STICKER and not markup.image:
        return "a sticker has no image"
    return None
