"""axe-core's WCAG 2.1 A and AA rules over HTML renditions, in a real browser: 0 violations.

Playwright drives the system Chromium (apt package `chromium`, installed by the README's test
command; Playwright's browser download is never used), launched as tests/test_ui_browser.py does.
axe-core is the `axe.min.js` that the PyPI package axe-playwright-python bundles (pinned in uv.lock),
injected into each page. Each rendition is written to disk with its images and opened by file URL,
as a reviewer would open it from the rendition folder; it is checked at a desktop width and at
320 CSS px, where it must reflow without horizontal scrolling (WCAG 1.4.10).

The renditions are hand-built `Document`s that together use every block type, hostile text and
the shapes the writer must repair (skipped heading levels, layout "tables", figures without alt).
"""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from domain.renditions.html import write_html
from domain.renditions.model import (
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

pytestmark = pytest.mark.timeout(300)

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORTS = {"desktop": (1280, 800), "phone": (320, 640)}


def _chromium() -> str | None:
    return next((path for path in CHROMIUM if os.access(path, os.X_OK)), None)


def _text(*parts: str | tuple[str, str]) -> list[Inline]:
    """Inlines from plain strings and (text, href) pairs."""
    return [Inline(p) if isinstance(p, str) else Inline(p[0], href=p[1]) for p in parts]


def _cells(*texts: str, header: bool = False, scope: str | None = None) -> list[Cell]:
    return [Cell(_text(t), header=header, scope=scope) for t in texts]


def every_block() -> Document:
    """Every block type, with the outline, tables and figures the writer has to repair."""
    long_url = "https://example.com/" + "very-long-path-segment-" * 12
    wide = [_cells(*(f"Column heading {n}" for n in range(1, 13)), header=True)]
    wide += [_cells(*(f"value {r}.{n} with some words" for n in range(1, 13))) for r in range(1, 4)]
    return Document(
        title="Deposition of J. Smith, volume 2",
        lang="en-US",
        source="tagged",
        blocks=[
            PageStart(1, "NEX0000101"),
            Heading(1, _text("Deposition of J. Smith, volume 2")),  # repeats the title: dropped
            Paragraph(_text("Taken at ", ("the courthouse", "https://example.com/court"), ", 3 May.")),
            Heading(1, _text("Appearances")),
            Heading(3, _text("For the plaintiff")),  # skipped level: written as h3
            ListBlock(False, [_text("A. Lawyer, Esq."), _text("B. Counsel"), _text("   ")]),
            Heading(3, _text("For the defendant")),
            ListBlock(
                True, [_text("C. Advocate"), _text("write to ", ("c@example.com", "mailto:c@example.com"))]
            ),
            Heading(1, _text("Exhibits")),
            Table(
                rows=[
                    _cells("Exhibit", "Description", "Pages", header=True, scope="col"),
                    [Cell(_text("1"), header=True, scope="row"), *_cells("Contract", "12")],
                    [Cell(_text("2"), header=True), *_cells("Letter of 4 June", "3")],
                ],
                caption="Exhibits marked",
            ),
            Table(rows=wide),  # wider than any phone: scrolls inside its region
            Table(rows=[[Cell(_text("Row header"), header=True), *_cells("a", "b")], _cells("c", "d", "e")]),
            Table(rows=[_cells("a lone row", "of cells")]),  # layout: paragraphs
            Table(rows=[_cells("one"), _cells("column")], caption="not a table"),
            PageStart(2, "NEX0000102"),
            Heading(2, _text("Photographs")),
            Figure("figure-1.png", "The intersection, looking north", 640, 360, caption="Exhibit 7"),
            Figure("figure-2.png", None, 300, 300),  # undescribed: alt="", a note in the manifest
            Figure(None, "A chart that was not extracted"),
            Figure("figure-3.png", "", 200, 100),  # decorative, said so by the PDF
            Heading(5, _text("A deep heading")),
            Paragraph(_text("An unbroken reference: ", (long_url, long_url), " and NEX" + "0" * 80 + "1.")),
            Paragraph([Inline("bold", bold=True), Inline(" and "), Inline("italic", italic=True)]),
            Paragraph(_text(("not a link", "javascript:alert(1)"), " ", ("nor this", "file:///etc/passwd"))),
            PageStart(3),
            Paragraph(_text("The last page has no Bates number.")),
        ],
    )


def hostile() -> Document:
    """Text that tries to be markup, control characters, lone surrogates, bad language and paths."""
    evil = "</title><script>alert('x')</script>\"' onmouseover=\"alert(1)\" \x00\x07\x1b\ud800\udfff\ufffe"
    return Document(
        title=evil,
        lang="'><script>",
        blocks=[
            PageStart(1, evil),
            PageStart(1, "again"),  # a repeated page keeps its first anchor
            Heading(4, _text(evil)),
            Heading(2, _text("  ")),  # empty: dropped
            Paragraph(_text(evil, (evil, "https://example.com/?q=" + evil), ("x", "data:text/html,<b>"))),
            Paragraph(_text(("", "https://example.com/blank"))),  # a link with no text is named by its target
            ListBlock(False, [_text(evil)]),
            Table(rows=[_cells(evil, evil, header=True), _cells(evil, evil)], caption=evil),
            Figure("../../etc/passwd", evil),
            Figure("javascript:alert(1)", None),
            Figure("figure-1.png", evil, caption=evil),
            PageStart(2, evil),
            Paragraph(_text("end")),
        ],
    )


def odd_tables() -> Document:
    """Tables a reader may produce: all headers, ragged rows, empty header cells, spans."""
    group = [Cell(_text("Group"), header=True, colspan=2), Cell(_text("Single"), header=True)]
    return Document(
        title="Odd tables",
        blocks=[
            Table([_cells("a", "b", header=True), _cells("c", "d", header=True)]),
            Table(
                [_cells("a", "b", "c", "d", header=True), _cells("1", "2"), [Cell(_text("r"), header=True)]]
            ),
            Table([_cells("", "b", header=True), _cells("1", "2")]),
            Table([[Cell(_text("h"), header=True)], [Cell(_text("h2"), header=True), *_cells("x")]]),
            Table([group, _cells("1", "2", "3"), [Cell(_text("x"), rowspan=3), *_cells("a", "b")]]),
        ],
    )


def bare() -> Document:
    """No title, no blocks: still a titled page with a main landmark."""
    return Document(title="  ", lang="")


def many_pages() -> Document:
    blocks = []
    for page in range(1, 61):
        blocks += [PageStart(page, f"ABC{page:07d}"), Paragraph(_text(f"Text of page {page}."))]
    return Document(title="Sixty pages", lang="fr", blocks=blocks)


SAMPLES: dict[str, Callable[[], Document]] = {
    "every_block": every_block,
    "hostile": hostile,
    "odd_tables": odd_tables,
    "bare": bare,
    "many_pages": many_pages,
}


def _write_rendition(folder: Path, doc: Document) -> Path:
    folder.mkdir(parents=True)
    for n, size in enumerate([(640, 360), (300, 300), (200, 100)], start=1):
        Image.new("RGB", size, (40 * n, 90, 160)).save(folder / f"figure-{n}.png")
    page = folder / "index.html"
    page.write_text(write_html(doc), encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    chromium = _chromium()
    if chromium is None:
        pytest.skip("no system Chromium (/usr/bin/chromium): `scripts/setup.sh base test` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # --no-sandbox: Chromium refuses to start its sandbox as root (CI containers).
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def axe_script() -> str:
    return (
        importlib.resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    )


def axe_violations(browser, axe_script: str, url: str, width: int, height: int) -> tuple[list[dict], int]:
    """axe-core's WCAG 2.1 A/AA violations on the page at `url`, and the page's scroll width."""
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(url)
        page.add_script_tag(content=axe_script)
        results = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        return results["violations"], page.evaluate("document.documentElement.scrollWidth")
    finally:
        page.close()


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} {v['helpUrl']}")
        lines += [f"    {node['target']}: {node['html'][:200]}" for node in v["nodes"]]
    return "\n".join(lines)


def assert_accessible(browser, axe_script: str, page: Path, name: str) -> None:
    """No WCAG 2.1 A/AA violation at any of VIEWPORTS, and no horizontal page scroll at any of them
    (WCAG 1.4.10 Reflow: at 320 CSS px only a table's own region scrolls sideways). For any rendition
    folder's HTML file, hand-built here or made from a real PDF."""
    failures = []
    for viewport, (width, height) in sorted(VIEWPORTS.items()):
        violations, scroll_width = axe_violations(browser, axe_script, page.as_uri(), width, height)
        if violations:
            failures.append(f"{name} at {width} px ({viewport}):\n{_describe(violations)}")
        if scroll_width > width:
            failures.append(f"{name}: the page is {scroll_width} px wide at a {width} px viewport")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_rendition_has_no_wcag_21_aa_violations_and_reflows(browser, axe_script, tmp_path, name):
    assert_accessible(browser, axe_script, _write_rendition(tmp_path / name, SAMPLES[name]()), name)


def test_axe_finds_what_it_is_meant_to_find(browser, axe_script, tmp_path):
    """The check can fail: a page with the faults the writer avoids has violations, and a wide one scrolls."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><title>t</title></head><body><main><img src="x.png">'
        '<p style="color:#aaa">faint</p><a href="#"></a>'
        '<div style="width:900px">wide</div></main></body></html>',
        encoding="utf-8",
    )
    violations, scroll_width = axe_violations(browser, axe_script, page.as_uri(), 320, 640)
    assert {"html-has-lang", "image-alt", "color-contrast", "link-name"} <= {v["id"] for v in violations}
    assert scroll_width > 320
