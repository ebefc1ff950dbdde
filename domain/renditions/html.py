"""Writes a `Document` as one self-contained, accessible HTML5 page (WCAG 2.1 AA).

The page: `<html lang>`, a `<title>`, a `<header>` whose only heading is the document's title as the
one `<h1>`, a `<nav aria-label="Pages">` linking every page anchor when there is more than one page,
and the blocks in reading order inside `<main>`. One inline `<style>` block and nothing external:
the page reads the same offline, in a review tool or from object storage.

Rules the writer enforces whatever the reader found (the readers of imaging/renditions/ may be wrong):

- Outline: the title is the only h1; document headings start at h2 and never skip a level. A
  heading nests under the nearest preceding heading whose found level is lower than its own and is
  written one level below it (capped at h6); with no such heading it is an h2. So found levels
  1,2,4,2,3 are written 2,3,4,3,4, and a jump h2 -> h4 becomes h3. A first heading that repeats the
  title (before any other content) is dropped, the h1 already says it. Empty headings are dropped.
- Tables: a data table needs at least two rows and two columns; anything smaller was layout, not
  data, and is written as paragraphs. Header cells are the ones the model marks (`Cell.header`); the
  writer never promotes a row to headers on its own. A header cell gets `scope` from the model, else
  "col" when its whole row is headers and "row" otherwise. Every table sits in a focusable, labelled
  region that scrolls sideways, so a wide table never widens the page.
- Figures: `alt` is the model's alternate text; None (no one has described it) becomes `alt=""`,
  decorative until a person says otherwise (the manifest asks for one). An asset that is not a
  plain relative file name is not linked.
- Links: only http(s) with a host and mailto stay links; any other scheme (javascript:, data:,
  file:, relative or fragment targets) is written as its text alone.
- Page anchors: each `PageStart` is a visible, quiet line "Page N (BATES)" with id `page-N`, in the
  reading flow (a screen reader reads it where the page turns) but not a heading (it would break
  the outline). A repeated page number keeps its first anchor only (ids are unique).
- Text: everything escaped; control characters (other than tab and newline) become spaces; unpaired
  surrogates and Unicode noncharacters become U+FFFD, so the output always encodes as UTF-8.

Same `Document`, same bytes: no clock, no randomness, no dependence on dict or set order.
`HtmlWriter` writes the same page block by block (a long document is never held whole).
"""

from __future__ import annotations

import html
import re
import shutil
from typing import TextIO
from urllib.parse import quote, urlsplit

from domain.renditions.model import (
    Block,
    Cell,
    Document,
    Figure,
    Heading,
    Inline,
    ListBlock,
    PageStart,
    Paragraph,
    Table,
)

UNTITLED = "Untitled document"
DEFAULT_LANG = "en"

# A language tag as BCP 47 shapes it (primary subtag, then subtags); anything else falls back to
# DEFAULT_LANG, since `lang` is required and an invalid one is worse than a plain default.
_LANG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# C0 and C1 controls except tab and newline (carriage return is folded into newline first).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Lone surrogates (only possible in a str that came from a lenient decoder) and noncharacters.
_UNENCODABLE = re.compile(r"[\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_SAFE_ASSET = re.compile(r"[A-Za-z0-9._-][A-Za-z0-9._ -]*(?:/[A-Za-z0-9._-][A-Za-z0-9._ -]*)*")

# Text on #ffffff: #1b1b1b is 17:1, #595959 is 7:1, links #0b4fa3 are 8:1 (AA asks 4.5:1);
# header cells #1b1b1b on #eef1f5 are 15:1. Widths in `ch` and `rem` so the page follows the reader's
# font size; `overflow-wrap: anywhere` lets long Bates numbers and URLs break at 320 px.
CSS = """\
:root{color-scheme:light}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;padding:0 1rem 2rem;background:#fff;color:#1b1b1b;\
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,sans-serif;\
font-size:1.0625rem;line-height:1.6;overflow-wrap:anywhere}
header,nav,main{max-width:70ch;margin:0 auto}
h1{font-size:1.75rem;line-height:1.25;margin:1.5rem 0 1rem}
h2{font-size:1.4rem}h3{font-size:1.2rem}h4,h5,h6{font-size:1.05rem}
h2,h3,h4,h5,h6{line-height:1.3;margin:1.5rem 0 .5rem}
a{color:#0b4fa3;text-decoration:underline}
a:visited{color:#5a2d91}
:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px}
.skip{position:absolute;left:-10000px;top:auto}
.skip:focus{position:static}
nav ol{list-style:none;margin:0 0 1rem;padding:0;display:flex;flex-wrap:wrap;gap:.25rem .9rem}
.page{margin:2rem 0 .75rem;padding-top:.25rem;border-top:1px solid #767676;color:#595959;font-size:.875rem}
.table{max-width:100%;overflow-x:auto;margin:1rem 0}
table{border-collapse:collapse}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid #767676;padding:.3rem .6rem;text-align:left;vertical-align:top;overflow-wrap:normal}
th{background:#eef1f5}
figure{margin:1rem 0}
img{max-width:100%;height:auto}
figcaption{font-size:.9375rem}
.noimg{font-style:italic}
"""


def clean_text(text: str) -> str:
    """Text that is safe to escape and encode: no controls, no lone surrogates, no noncharacters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNENCODABLE.sub("\ufffd", _CONTROLS.sub(" ", text))


def esc(text: str) -> str:
    """Escaped for element content and for a double- or single-quoted attribute."""
    return html.escape(clean_text(text), quote=True)


def safe_href(href: str | None) -> str | None:
    """The link target if it is one a reader may follow (http(s) with a host, or mailto), else None."""
    if not href:
        return None
    href = clean_text(href).strip()
    if any(ch.isspace() for ch in href):
        return None
    try:
        parts = urlsplit(href)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and parts.hostname:
        return href
    if scheme == "mailto" and len(href) > len("mailto:"):
        return href
    return None


def safe_asset(asset: str | None) -> str | None:
    """The image's URL relative to the HTML, or None when the name is not a plain relative path."""
    if not asset or not _SAFE_ASSET.fullmatch(asset):
        return None
    if any(part in (".", "..") for part in asset.split("/")):
        return None
    return quote(asset, safe="/")


def page_text(block: PageStart, prefix: str) -> str:
    text = f"{prefix} {block.page}"
    label = clean_text(block.label or "").strip()
    return f"{text} ({label})" if label else text


def _plain(inlines: list[Inline]) -> str:
    return " ".join("".join(clean_text(i.text) for i in inlines).split())


def _styled(inline: Inline) -> str:
    text = esc(inline.text)
    if inline.italic:
        text = f"<em>{text}</em>"
    if inline.bold:
        text = f"<strong>{text}</strong>"
    return text


def inline_html(inlines: list[Inline]) -> str:
    """Inlines in order; neighbours with the same followable target share one <a>."""
    out: list[str] = []
    index = 0
    while index < len(inlines):
        href = safe_href(inlines[index].href)
        if href is None:
            out.append(_styled(inlines[index]))
            index += 1
            continue
        end = index
        while end < len(inlines) and safe_href(inlines[end].href) == href:
            end += 1
        run = inlines[index:end]
        # A link needs a name: a run of blank text is named by its target.
        body = "".join(_styled(i) for i in run) if _plain(run) else esc(href)
        out.append(f'<a href="{esc(href)}">{body}</a>')
        index = end
    return "".join(out).strip()


class _Outline:
    """Found heading levels -> written levels (see the module docstring)."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, int]] = []  # (found level, written level)

    def level(self, found: int) -> int:
        found = min(max(found, 1), 6)
        while self._stack and self._stack[-1][0] >= found:
            self._stack.pop()
        written = min(self._stack[-1][1] + 1, 6) if self._stack else 2
        self._stack.append((found, written))
        return written


def _cell(cell: Cell, row: list[Cell]) -> str:
    attrs = ""
    if cell.colspan > 1:
        attrs += f' colspan="{int(min(cell.colspan, 1000))}"'
    if cell.rowspan > 1:
        attrs += f' rowspan="{int(min(cell.rowspan, 65534))}"'
    body = inline_html(cell.inlines)
    if not cell.header:
        return f"<td{attrs}>{body}</td>"
    scope = cell.scope if cell.scope in ("col", "row") else "col" if all(c.header for c in row) else "row"
    return f'<th scope="{scope}"{attrs}>{body}</th>'


def _row(row: list[Cell]) -> str:
    return "<tr>" + "".join(_cell(cell, row) for cell in row) + "</tr>"


def is_data_table(table: Table) -> bool:
    """At least two rows and two columns: smaller "tables" are layout and written as paragraphs."""
    rows = [row for row in table.rows if row]
    columns = max((sum(max(c.colspan, 1) for c in row) for row in rows), default=0)
    return len(rows) >= 2 and columns >= 2


def table_html(table: Table, number: int) -> list[str]:
    """A data table in its scrolling region, or a layout "table" as the paragraphs it holds."""
    rows = [row for row in table.rows if row]
    caption = clean_text(table.caption or "").strip()
    if not is_data_table(table):
        cells = [
            f"<p>{inline_html(cell.inlines)}</p>" for row in rows for cell in row if _plain(cell.inlines)
        ]
        return [f"<p>{esc(caption)}</p>"] * bool(caption) + cells
    label = f"Table {number}: {caption}" if caption else f"Table {number}"
    out = [f'<div class="table" role="region" tabindex="0" aria-label="{esc(label)}">', "<table>"]
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    head = 1 if all(cell.header for cell in rows[0]) else 0
    if head:
        out += ["<thead>", _row(rows[0]), "</thead>"]
    out += ["<tbody>", *(_row(row) for row in rows[head:]), "</tbody>", "</table>", "</div>"]
    return out


def figure_html(figure: Figure) -> list[str]:
    src = safe_asset(figure.asset)
    alt = clean_text(figure.alt or "").strip()
    caption = clean_text(figure.caption or "").strip()
    if src is None and not alt and not caption:
        return []  # nothing a reader could perceive; the manifest says the image is missing
    out = ["<figure>"]
    if src is None:
        out.append(f'<p class="noimg">[Image not available{": " + esc(alt) if alt else ""}]</p>')
    else:
        size = ""
        if figure.width > 0 and figure.height > 0:
            size = f' width="{int(figure.width)}" height="{int(figure.height)}"'
        out.append(f'<img src="{esc(src)}" alt="{esc(alt)}"{size}>')
    if caption:
        out.append(f"<figcaption>{esc(caption)}</figcaption>")
    out.append("</figure>")
    return out


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _title(raw: str) -> str:
    return " ".join(clean_text(raw).split()) or UNTITLED


class _Body:
    """The contents of <main>, block by block (one element per line), and the pages anchored so far.
    `title` None: the document's title is its first heading's text (or, with no heading, `untitled`),
    known when that heading comes; the rule that drops a first heading repeating the title needs no
    more than that."""

    def __init__(self, title: str | None, untitled: str, page_label_prefix: str) -> None:
        self.title = None if title is None else _title(title)
        self.untitled = untitled
        self.prefix = page_label_prefix
        self.pages: list[PageStart] = []  # anchored, in order: the page list of <nav>
        self._anchored: set[int] = set()
        self._outline = _Outline()
        self._tables = 0
        self._content_seen = False

    def final_title(self) -> str:
        return self.title if self.title is not None else _title(self.untitled)

    def lines(self, block: Block) -> list[str]:
        if isinstance(block, PageStart):
            if block.page in self._anchored:
                return []
            self._anchored.add(block.page)
            self.pages.append(block)
            label = esc(page_text(block, self.prefix))
            return [f'<p class="page" id="page-{int(block.page)}">{label}</p>']
        out: list[str] = []
        if isinstance(block, Heading):
            if self.title is None:  # the first heading names the document
                self.title = _title("".join(inline.text for inline in block.inlines))
            text = inline_html(block.inlines)
            if (
                not _plain(block.inlines)
                or not self._content_seen
                and _same(_plain(block.inlines), self.title)
            ):
                return []
            level = self._outline.level(block.level)
            out.append(f"<h{level}>{text}</h{level}>")
        elif isinstance(block, Paragraph):
            text = inline_html(block.inlines)
            if not _plain(block.inlines):
                return []
            out.append(f"<p>{text}</p>")
        elif isinstance(block, ListBlock):
            items = [inline_html(item) for item in block.items if _plain(item)]
            if not items:
                return []
            tag = "ol" if block.ordered else "ul"
            out += [f"<{tag}>", *(f"<li>{item}</li>" for item in items), f"</{tag}>"]
        elif isinstance(block, Table):
            if is_data_table(block):
                self._tables += 1
            out += table_html(block, self._tables)
        elif isinstance(block, Figure):
            out += figure_html(block)
        self._content_seen = True
        return out


def body_html(doc: Document, title: str, page_label_prefix: str) -> list[str]:
    """The contents of <main>, one element per line."""
    body = _Body(title, "", page_label_prefix)
    return [line for block in doc.blocks for line in body.lines(block)]


def _head(title: str, lang: str, pages: list[PageStart], page_label_prefix: str) -> list[str]:
    """Every line before <main>'s contents."""
    lang = lang if lang and _LANG.fullmatch(lang) else DEFAULT_LANG
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{esc(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        "<style>",
        CSS.rstrip("\n"),
        "</style>",
        "</head>",
        "<body>",
        "<header>",
    ]
    if len(pages) > 1:
        out.append('<a class="skip" href="#content">Skip to the document</a>')
    out += [f"<h1>{esc(title)}</h1>", "</header>"]
    if len(pages) > 1:
        out += ['<nav aria-label="Pages">', "<ol>"]
        out += [
            f'<li><a href="#page-{int(p.page)}">{esc(page_text(p, page_label_prefix))}</a></li>'
            for p in pages
        ]
        out += ["</ol>", "</nav>"]
    out.append('<main id="content">')
    return out


_TAIL = ("</main>", "</body>", "</html>")


def write_html(doc: Document, *, page_label_prefix: str = "Page") -> str:
    """The complete HTML5 page for `doc` (see the module docstring for the rules)."""
    body = _Body(doc.title, "", page_label_prefix)
    lines = [line for block in doc.blocks for line in body.lines(block)]
    head = _head(body.final_title(), doc.lang, body.pages, page_label_prefix)
    return "\n".join([*head, *lines, *_TAIL]) + "\n"


class HtmlWriter:
    """The same page as `write_html`, written block by block with memory that does not grow with the
    document (a 10,000-page rendition): <main>'s lines go to `spool`, a text file the caller gives
    (open for writing and reading), as the blocks come; `finish` then writes the whole page to `out`:
    the head (the title and the page list are known only at the end), the spooled body, the end.
    Same blocks, same title and language, same bytes as `write_html`.

    `title` None: the title is the first heading's text, or `untitled` when there is none (as the
    readers name a document whose caller and PDF give no title)."""

    def __init__(
        self, spool: TextIO, *, title: str | None, untitled: str = "", page_label_prefix: str = "Page"
    ) -> None:
        self._spool = spool
        self._body = _Body(title, untitled, page_label_prefix)
        self._prefix = page_label_prefix

    def add(self, block: Block) -> None:
        for line in self._body.lines(block):
            self._spool.write(line + "\n")

    @property
    def title(self) -> str:
        """The title as written (so far: the first heading may still name it)."""
        return self._body.final_title()

    def finish(self, out: TextIO, lang: str | None = None) -> None:
        """The page, to `out`; `lang` as `Document.lang` (invalid or None: the default)."""
        for line in _head(self.title, lang or DEFAULT_LANG, self._body.pages, self._prefix):
            out.write(line + "\n")
        self._spool.flush()
        self._spool.seek(0)
        shutil.copyfileobj(self._spool, out, 1 << 20)
        for line in _TAIL:
            out.write(line + "\n")
