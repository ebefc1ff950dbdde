"""What a document's HTML rendition is made of, whichever way its structure was found.

Readers of a PDF (imaging/renditions/: its tag tree, layout analysis of its text, OCR of a scanned
page) produce a `Document` of blocks in reading order; domain/renditions/html.py writes it as
accessible HTML. Nothing here knows about PDFs or HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A run of text on a page, as layout analysis sees it: PDF points, origin top-left."""

    page: int  # 1-based
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float  # font size in points
    bold: bool = False
    italic: bool = False
    font: str = ""
    link: str | None = None  # the URI of a link annotation over this text


@dataclass
class Inline:
    """Text inside a block; a link keeps its target."""

    text: str
    href: str | None = None
    bold: bool = False
    italic: bool = False


@dataclass
class Heading:
    level: int  # 1..6 as found; the writer makes the outline valid (one h1, no skipped level)
    inlines: list[Inline]


@dataclass
class Paragraph:
    inlines: list[Inline]


@dataclass
class ListBlock:
    ordered: bool
    items: list[list[Inline]]
    # each item's nesting depth (0 = top level; a nested list's items follow the item they belong to,
    # one deeper); empty means every item is top level. A writer that ignores it writes a flat list.
    depths: list[int] = field(default_factory=list)


@dataclass
class Cell:
    inlines: list[Inline]
    header: bool = False
    scope: str | None = None  # 'col' | 'row' for a header cell
    colspan: int = 1
    rowspan: int = 1


@dataclass
class Table:
    rows: list[list[Cell]]
    caption: str | None = None


@dataclass
class Figure:
    """An image: `alt` from the PDF (tag /Alt) or None when no one has described it yet (the
    writer then writes alt="" and the manifest asks a person for a description)."""

    asset: str | None  # file name of the image under the rendition's folder, None when not extracted
    alt: str | None
    width: int = 0
    height: int = 0
    caption: str | None = None
    # where it is drawn, when the reader knows (a tag tree's Figure): 1-based page and display-space
    # points (origin top-left), so the caller can extract or render that region as its asset
    page: int = 0
    box: tuple[float, float, float, float] | None = None


@dataclass
class PageStart:
    """Where a page begins: an anchor a reader can jump to, named by its Bates number if it has one."""

    page: int
    label: str | None = None  # e.g. the Bates number of the page


Block = Heading | Paragraph | ListBlock | Table | Figure | PageStart


@dataclass
class Document:
    title: str
    lang: str = "en"
    blocks: list[Block] = field(default_factory=list)
    source: str = "layout"  # 'tagged' | 'layout' | 'ocr' | 'mixed': how the structure was found
    notes: list[str] = field(default_factory=list)  # what needs a person (missing alt text ...)
