"""Answer keys for the structure-fidelity measurement (issue 21): HTML we write, printed by Chromium.

Each document is drawn from a seed: headings h1-h4, paragraphs with links, nested lists, tables with
`th scope=col` (and sometimes `scope=row`), figures with and without alt text, a two-column CSS
section, running headers and page numbers, long ones over many pages. The `Document` built beside
the HTML is the truth: the HTML is written from it, so what the HTML says is what the key says.
Chromium (the system `/usr/bin/chromium`, driven by Playwright as tests/test_ui_browser.py does; no
browser download) prints each to a tagged PDF (`page.pdf(tagged=True)`); `strip_tags` makes the
untagged copy (no /StructTreeRoot, /MarkInfo, marked-content operators or struct parents).
"""

from __future__ import annotations

import html
import os
import random
from dataclasses import dataclass
from pathlib import Path

from domain.renditions.model import Cell, Document, Figure, Heading, Inline, ListBlock, Paragraph, Table

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
PRODUCER = "chromium"
VOCABULARY = (
    "account agreement amount analysis answer approval archive audit balance board budget business "
    "capital case claim client clause committee company contract counsel court credit custody damages "
    "deadline debtor decision delivery deposition director discovery dispute document draft employee "
    "estate evidence exhibit expense filing finance fund grant hearing holder income inquiry invoice "
    "issue judgment jury lease ledger letter liability license loan manager matter meeting memo merger "
    "motion notice office order owner partner party payment period policy premium price privilege "
    "process project property proposal purchase quarter record region report request review risk "
    "schedule section service settlement share statement status subject supplier tax tenant term "
    "transfer trust value vendor version witness"
)
WORDS = tuple(VOCABULARY.split())
CSS = """
body { font-family: "DejaVu Serif", serif; font-size: 11pt; line-height: 1.35; margin: 0; }
p, li, tr, figure, table { break-inside: avoid; }
h1, h2, h3, h4 { break-after: avoid; }
.columns { column-count: 2; column-gap: 24pt; }
table { border-collapse: collapse; margin: 8pt 0; }
th, td { border: 1px solid #555; padding: 2pt 6pt; text-align: left; }
figure { margin: 8pt 0; }
"""


@dataclass
class Source:
    """One answer key: the HTML to print and the structure it declares."""

    name: str
    html: str
    truth: Document
    running_header: bool


@dataclass
class Printed:
    source: Source
    tagged: Path
    untagged: Path
    producer: str = PRODUCER


def chromium() -> str | None:
    """The system Chromium, or None when this machine has none."""
    return next((path for path in CHROMIUM if os.access(path, os.X_OK)), None)


class _Writer:
    """Draws a document from a random generator, keeping the HTML and the truth side by side."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.html: list[str] = []
        self.blocks: list = []
        self.used: set[str] = set()
        self.links = 0

    def words(self, low: int, high: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(low, high)))

    def unique(self, low: int, high: int, capital: bool = True) -> str:
        """A phrase no other block of the document has (blocks are matched by their text)."""
        while True:
            text = self.words(low, high)
            text = text[:1].upper() + text[1:] if capital else text
            if text not in self.used:
                self.used.add(text)
                return text

    def heading(self, level: int) -> None:
        text = self.unique(2, 6)
        self.html.append(f"<h{level}>{html.escape(text)}</h{level}>")
        self.blocks.append(Heading(level=level, inlines=[Inline(text)]))

    def paragraph(self) -> None:
        sentence = self.unique(12, 60) + "."
        inlines = [Inline(sentence)]
        markup = html.escape(sentence)
        if self.rng.random() < 0.3:  # a link in the middle of the paragraph
            self.links += 1
            label = self.words(1, 3)
            href = f"https://example.org/{label.replace(' ', '-')}/{self.links}"
            tail = " " + self.words(3, 10) + "."
            inlines = [Inline(sentence + " See "), Inline(label, href=href), Inline(tail)]
            markup += f' See <a href="{html.escape(href)}">{html.escape(label)}</a>{html.escape(tail)}'
        self.html.append(f"<p>{markup}</p>")
        self.blocks.append(Paragraph(inlines=inlines))

    def list(self) -> None:
        ordered = self.rng.random() < 0.4
        items: list[list[Inline]] = []
        depths: list[int] = []
        self.html.append(self._list(ordered, 0, items, depths))
        block = ListBlock(ordered=ordered, items=items)
        if any(depths):
            block.depths = depths
        self.blocks.append(block)

    def _list(self, ordered: bool, depth: int, items: list, depths: list) -> str:
        tag = "ol" if ordered else "ul"
        parts = [f"<{tag}>"]
        for _ in range(self.rng.randint(2, 5)):
            text = self.unique(2, 9)
            items.append([Inline(text)])
            depths.append(depth)
            nested = ""
            if depth < 2 and self.rng.random() < 0.2:
                nested = self._list(self.rng.random() < 0.4, depth + 1, items, depths)
            parts.append(f"<li>{html.escape(text)}{nested}</li>")
        parts.append(f"</{tag}>")
        return "".join(parts)

    def table(self) -> None:
        columns, rows = self.rng.randint(2, 5), self.rng.randint(2, 8)
        row_headers = self.rng.random() < 0.4
        caption = self.unique(2, 5) if self.rng.random() < 0.5 else None
        head = [self.unique(1, 2) for _ in range(columns)]
        truth_rows = [[Cell([Inline(text)], header=True, scope="col") for text in head]]
        markup = ["<table>"]
        if caption:
            markup.append(f"<caption>{html.escape(caption)}</caption>")
        markup.append(
            "<thead><tr>" + "".join(f'<th scope="col">{html.escape(t)}</th>' for t in head) + "</tr></thead>"
        )
        markup.append("<tbody>")
        for _ in range(rows):
            cells, row = [], []
            for column in range(columns):
                text = self.unique(1, 2) if column == 0 and row_headers else self._value()
                if column == 0 and row_headers:
                    cells.append(f'<th scope="row">{html.escape(text)}</th>')
                    row.append(Cell([Inline(text)], header=True, scope="row"))
                else:
                    cells.append(f"<td>{html.escape(text)}</td>")
                    row.append(Cell([Inline(text)]))
            markup.append("<tr>" + "".join(cells) + "</tr>")
            truth_rows.append(row)
        markup.append("</tbody></table>")
        self.html.append("".join(markup))
        self.blocks.append(Table(rows=truth_rows, caption=caption))

    def _value(self) -> str:
        if self.rng.random() < 0.5:
            return f"{self.rng.randint(1, 99_999):,}.{self.rng.randint(0, 99):02d}"
        return self.words(1, 3)

    def figure(self) -> None:
        colour = self.rng.choice(["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b"])
        width, height = self.rng.randint(80, 260), self.rng.randint(40, 140)
        svg = (
            f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'>"
            f"<rect width='{width}' height='{height}' fill='{colour}'/></svg>"
        )
        src = "data:image/svg+xml," + svg.replace("<", "%3C").replace(">", "%3E").replace("#", "%23")
        alt = self.unique(3, 8) if self.rng.random() < 0.75 else None  # some nobody described
        caption = self.unique(3, 7) if self.rng.random() < 0.5 else None
        img = f'<img src="{src}" width="{width}" height="{height}"'
        img += f' alt="{html.escape(alt)}">' if alt is not None else ">"
        if caption:
            img = f"<figure>{img}<figcaption>{html.escape(caption)}</figcaption></figure>"
        else:
            img = f"<figure>{img}</figure>"
        self.html.append(img)
        self.blocks.append(Figure(asset=None, alt=alt, width=width, height=height, caption=caption))

    def section_body(self, level: int) -> None:
        for _ in range(self.rng.randint(1, 3)):
            self.paragraph()
        for kind in self.rng.sample(["list", "table", "figure", "columns", "none"], 2):
            if kind == "columns":  # two columns: reading order is down the left column, then the right
                self.html.append('<div class="columns">')
                for _ in range(self.rng.randint(3, 6)):
                    self.paragraph()
                self.html.append("</div>")
            elif kind != "none":
                getattr(self, kind)()
        if level < 4 and self.rng.random() < 0.5:
            for _ in range(self.rng.randint(1, 2)):
                self.heading(level + 1)
                self.section_body(level + 1)


def source(seed: int, index: int) -> Source:
    """The `index`th answer key of `seed`: the same HTML and truth on every run."""
    rng = random.Random(f"renditions-corpus:{seed}:{index}")
    writer = _Writer(rng)
    sections = rng.choice([1, 2, 3]) if index % 4 else rng.randint(8, 14)  # every 4th is long
    title = writer.unique(3, 6)
    writer.html.append(f"<h1>{html.escape(title)}</h1>")
    writer.blocks.append(Heading(level=1, inlines=[Inline(title)]))
    for _ in range(rng.randint(1, 2)):
        writer.paragraph()
    for _ in range(sections):
        writer.heading(2)
        writer.section_body(2)
    lang = rng.choice(["en", "en", "en-GB", "en-US"])
    body = "\n".join(writer.html)
    page = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n{body}\n</body></html>"
    )
    truth = Document(title=title, lang=lang, blocks=writer.blocks, source="truth")
    return Source(name=f"doc-{seed}-{index:03d}", html=page, truth=truth, running_header=index % 3 == 0)


def print_pdfs(sources: list[Source], folder: Path) -> list[Printed]:
    """Print each source to `folder/<name>.tagged.pdf` with Chromium, and its untagged copy."""
    from playwright.sync_api import sync_playwright

    executable = chromium()
    if executable is None:
        raise RuntimeError("no system Chromium (apt package `chromium`)")
    folder.mkdir(parents=True, exist_ok=True)
    printed: list[Printed] = []
    with sync_playwright() as playwright:
        # --no-sandbox: Chromium refuses to start its sandbox as root (CI containers).
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            for item in sources:
                page.set_content(item.html, wait_until="load")
                options: dict = {"format": "Letter", "tagged": True, "print_background": True}
                options["margin"] = {"top": "0.8in", "bottom": "0.8in", "left": "0.7in", "right": "0.7in"}
                if item.running_header:  # running heads and page numbers the layout reader must drop
                    options["display_header_footer"] = True
                    options["header_template"] = (
                        f'<div style="font-size:8pt;margin-left:0.7in">{html.escape(item.truth.title)}</div>'
                    )
                    options["footer_template"] = (
                        '<div style="font-size:8pt;margin:0 auto">Page <span class="pageNumber"></span></div>'
                    )
                tagged = folder / f"{item.name}.tagged.pdf"
                tagged.write_bytes(page.pdf(**options))
                untagged = folder / f"{item.name}.untagged.pdf"
                strip_tags(tagged, untagged)
                printed.append(Printed(source=item, tagged=tagged, untagged=untagged))
        finally:
            browser.close()
    return printed


def strip_tags(tagged: Path, untagged: Path) -> None:
    """A copy with no tags at all: the tree, /MarkInfo, the pages' and annotations' struct parents
    and every marked-content operator (BMC, BDC, EMC) of the page content."""
    import pikepdf

    with pikepdf.open(tagged) as pdf:
        for key in ("/StructTreeRoot", "/MarkInfo"):
            if key in pdf.Root:
                del pdf.Root[key]
        for page in pdf.pages:
            if "/StructParents" in page.obj:
                del page.obj["/StructParents"]
            for annotation in page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    del annotation["/StructParent"]
            kept = [
                (operands, operator)
                for operands, operator in pikepdf.parse_content_stream(page)
                if str(operator) not in {"BMC", "BDC", "EMC"}
            ]
            page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(kept))
        pdf.save(untagged, deterministic_id=True)


def corpus(folder: Path, count: int = 12, seed: int = 21) -> list[Printed]:
    """`count` answer keys printed under `folder`."""
    return print_pdfs([source(seed, index) for index in range(count)], folder)
