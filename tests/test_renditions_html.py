"""The accessible HTML writer (domain/renditions/html.py) and the rendition manifest, on hand-built
Documents. The writer's output is parsed back with lxml and checked as a tree, not as strings."""

from __future__ import annotations

import json
import random

import lxml.html
import pytest

from domain.renditions.html import clean_text, write_html
from domain.renditions.manifest import (
    DAMAGED,
    ENCRYPTED,
    DocumentProblem,
    ManifestError,
    RenditionEntry,
    RunManifest,
    entry_for,
    needs_person,
)
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

HOSTILE = (
    "</title><script>alert('x')</script>\"' onmouseover=\"alert(1)\" &amp; "
    "\x00\x07\x1b\x85 \ud800 \udfff\ufffe end"  # controls, lone surrogates, a noncharacter
)


def _tree(doc: Document, **kwargs):
    return lxml.html.document_fromstring(write_html(doc, **kwargs).encode("utf-8"))


def _text(text: str, href: str | None = None) -> list[Inline]:
    return [Inline(text, href=href)]


def _headings(tree) -> list[tuple[int, str]]:
    return [(int(h.tag[1]), h.text_content()) for h in tree.iter("h1", "h2", "h3", "h4", "h5", "h6")]


def _cells(*texts: str, header: bool = False, scope: str | None = None) -> list[Cell]:
    return [Cell(_text(t), header=header, scope=scope) for t in texts]


# Outline ----------------------------------------------------------------------------------------


def test_the_title_is_the_one_h1_and_found_levels_are_relevelled_without_skips():
    levels = [1, 2, 4, 2, 3, 1, 6, 5]
    doc = Document("Report", blocks=[Heading(level, _text(f"h{n}")) for n, level in enumerate(levels)])
    assert _headings(_tree(doc)) == [
        (1, "Report"),
        (2, "h0"),
        (3, "h1"),
        (4, "h2"),  # found 4 after 2: one level down, not two
        (3, "h3"),
        (4, "h4"),
        (2, "h5"),
        (3, "h6"),  # found 6 right under a 1
        (3, "h7"),  # found 5 is above the 6 it follows: a sibling of it
    ]


def test_a_first_heading_repeating_the_title_and_empty_headings_are_dropped():
    doc = Document(
        "Deposition  of J. Smith",
        blocks=[
            PageStart(1),
            Heading(1, _text("deposition of\nJ. SMITH")),
            Heading(2, _text("   ")),
            Paragraph(_text("Body.")),
            Heading(1, _text("Deposition of J. Smith")),  # after content: a real heading, kept
        ],
    )
    assert _headings(_tree(doc)) == [(1, "Deposition of J. Smith"), (2, "Deposition of J. Smith")]


def test_any_sequence_of_found_levels_gives_one_h1_and_no_skipped_level():
    rng = random.Random(21)
    for _ in range(300):
        found = [rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9]) for _ in range(rng.randint(1, 25))]
        doc = Document("T", blocks=[Heading(level, _text(f"x{n}")) for n, level in enumerate(found)])
        written = [level for level, _ in _headings(_tree(doc))]
        assert written[0] == 1 and written.count(1) == 1 and len(written) == len(found) + 1
        assert all(2 <= b <= a + 1 and b <= 6 for a, b in zip(written, written[1:], strict=False)), (
            found,
            written,
        )


# Escaping ---------------------------------------------------------------------------------------


def test_hostile_text_is_text_everywhere_and_the_page_encodes_as_utf8():
    doc = Document(
        HOSTILE,
        lang='en"><script>',
        blocks=[
            PageStart(1, HOSTILE),
            PageStart(2, HOSTILE),
            Paragraph(_text(HOSTILE)),
            Heading(2, _text(HOSTILE)),
            ListBlock(False, [_text(HOSTILE)]),
            Table([_cells(HOSTILE, HOSTILE, header=True), _cells(HOSTILE, HOSTILE)], caption=HOSTILE),
            Figure("figure-1.png", HOSTILE, caption=HOSTILE),
            Paragraph(_text("link", 'https://example.com/?q="><script>alert(1)</script>')),
        ],
    )
    page = write_html(doc)
    page.encode("utf-8")  # strict: no lone surrogate survived
    assert not any(0xD800 <= ord(ch) <= 0xDFFF or ch in "\x00\x07\x1b\x85\ufffe" for ch in page)
    tree = lxml.html.document_fromstring(page.encode("utf-8"))
    assert [e.tag for e in tree.iter("script")] == []
    assert not [attr for e in tree.iter() for attr in e.attrib if attr.startswith("on")]
    assert tree.get("lang") == "en"  # an invalid language tag falls back
    cleaned = " ".join(clean_text(HOSTILE).split())
    assert tree.find(".//title").text == cleaned == tree.find(".//h1").text
    assert " ".join(tree.xpath("//main/p[not(@class)]")[0].text_content().split()) == cleaned
    assert tree.find(".//img").get("alt") == clean_text(HOSTILE).strip()
    assert tree.find(".//main//a").get("href") == 'https://example.com/?q="><script>alert(1)</script>'
    assert "\ufffd" in cleaned and "alert('x')" in cleaned


# Tables -----------------------------------------------------------------------------------------


def test_header_cells_get_their_scope_and_tables_scroll_in_a_labelled_focusable_region():
    doc = Document(
        "T",
        blocks=[
            Table(
                [
                    _cells("Exhibit", "Pages", header=True),
                    [Cell(_text("1"), header=True), *_cells("12")],
                    [Cell(_text("2"), header=True, scope="row"), *_cells("3")],
                ],
                caption="Exhibits",
            ),
            Table([_cells("a", "b"), _cells("c", "d")]),  # no header cells: none are invented
        ],
    )
    tree = _tree(doc)
    first, second = tree.findall(".//main/div")
    assert (first.get("role"), first.get("tabindex"), first.get("aria-label")) == (
        "region",
        "0",
        "Table 1: Exhibits",
    )
    assert first.find("table/caption").text == "Exhibits"
    assert [(th.get("scope"), th.text) for th in first.iter("th")] == [
        ("col", "Exhibit"),
        ("col", "Pages"),
        ("row", "1"),
        ("row", "2"),
    ]
    assert [th.text for th in first.findall("table/thead/tr/th")] == ["Exhibit", "Pages"]
    assert second.get("aria-label") == "Table 2" and second.find("table/thead") is None
    assert list(second.iter("th")) == [] and [td.text for td in second.iter("td")] == ["a", "b", "c", "d"]


def test_a_single_row_or_single_column_table_is_layout_and_becomes_paragraphs():
    doc = Document(
        "T",
        blocks=[
            Table([_cells("one", "row", header=True)], caption="Cap"),
            Table([_cells("one"), _cells(""), _cells("column")]),
            Table([[Cell(_text("spans"), colspan=2)], _cells("a", "b")]),  # two columns by its span: data
        ],
    )
    tree = _tree(doc)
    assert [p.text for p in tree.findall(".//main/p")] == ["Cap", "one", "row", "one", "column"]
    assert len(tree.findall(".//table")) == 1 and tree.find(".//td").get("colspan") == "2"
    assert tree.find(".//div[@role='region']").get("aria-label") == "Table 1"


# Figures ----------------------------------------------------------------------------------------


def test_a_figure_without_alt_text_is_decorative_with_a_note_asking_a_person():
    doc = Document(
        "T",
        blocks=[
            PageStart(1),
            Figure("figure-1.png", "A signed contract", 640, 480, caption="Exhibit 4"),
            PageStart(2),
            Figure("figure-2.png", None),
            Figure("../secret.png", "escapes the folder"),
            Figure("img/a b.png", ""),
            Figure(None, None),
        ],
    )
    tree = _tree(doc)
    images = [(i.get("src"), i.get("alt")) for i in tree.iter("img")]
    assert images == [("figure-1.png", "A signed contract"), ("figure-2.png", ""), ("img/a%20b.png", "")]
    first = tree.find(".//figure")
    assert (first.find("img").get("width"), first.find("figcaption").text) == ("640", "Exhibit 4")
    assert tree.find(".//p[@class='noimg']").text == "[Image not available: escapes the folder]"
    assert 'alt=""' in write_html(doc)  # present and empty, not missing
    assert needs_person(doc) == (
        "figure 2 on page 2 has no alternate text",
        "figure 5 on page 2 could not be extracted",
        "figure 5 on page 2 has no alternate text",
    )


# Links ------------------------------------------------------------------------------------------


def test_only_http_https_and_mailto_stay_links_and_a_split_link_is_one_link():
    hrefs = {
        "web": "https://example.com/a?b=1&c=2",
        "plain": "HTTP://example.com",
        "mail": "mailto:someone@example.com",
        "script": "javascript:alert(1)",
        "script2": " JaVaScRiPt:alert(1)",
        "data": "data:text/html,<b>x</b>",
        "file": "file:///etc/passwd",
        "relative": "../other.html",
        "fragment": "#page-2",
        "hostless": "https:///nohost",
        "bare mailto": "mailto:",
        "spaces": "https://example.com/a b",
    }
    doc = Document("T", blocks=[Paragraph([Inline(f"[{name}]", href=h) for name, h in hrefs.items()])])
    tree = _tree(doc)
    links = [(a.text_content(), a.get("href")) for a in tree.findall(".//main//a")]
    assert links == [(f"[{n}]", hrefs[n]) for n in ("web", "plain", "mail")]
    assert tree.find(".//main/p").text_content() == "".join(f"[{name}]" for name in hrefs)

    split = [
        Inline("see ", href="https://x.org"),
        Inline("here", href="https://x.org", bold=True),
        Inline("."),
    ]
    blank = [Inline("Go: "), Inline(" ", href="https://y.org")]
    tree = _tree(Document("T", blocks=[Paragraph(split), Paragraph(blank)]))
    first, second = tree.findall(".//main//a")
    assert (first.text_content(), first.find("strong").text) == ("see here", "here")
    assert (second.get("href"), second.text_content()) == ("https://y.org", "https://y.org")


# Pages ------------------------------------------------------------------------------------------


def test_every_page_has_one_findable_anchor_with_its_bates_number_listed_in_a_pages_nav():
    doc = Document(
        "T",
        blocks=[
            PageStart(1, "NEX0000101"),
            Paragraph(_text("one")),
            PageStart(1, "duplicate"),
            PageStart(2, "NEX0000102"),
            PageStart(3),
        ],
    )
    tree = _tree(doc, page_label_prefix="Seite")
    anchors = [(p.get("id"), p.text) for p in tree.findall(".//main/p[@class='page']")]
    assert anchors == [
        ("page-1", "Seite 1 (NEX0000101)"),
        ("page-2", "Seite 2 (NEX0000102)"),
        ("page-3", "Seite 3"),
    ]
    nav = tree.find(".//nav")
    assert nav.get("aria-label") == "Pages"
    assert [(a.get("href"), a.text) for a in nav.iter("a")] == [("#" + i, t) for i, t in anchors]
    ids = [e.get("id") for e in tree.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    assert tree.find(".//a[@class='skip']").get("href") == "#content" == "#" + tree.find(".//main").get("id")

    single = _tree(Document("T", blocks=[PageStart(1, "X1"), Paragraph(_text("only"))]))
    assert single.find(".//nav") is None and single.find(".//a[@class='skip']") is None
    assert single.find(".//p[@id='page-1']").text == "Page 1 (X1)"


# The page ---------------------------------------------------------------------------------------


def test_the_page_has_landmarks_lang_a_title_and_only_inline_css():
    tree = _tree(
        Document("", lang="", blocks=[ListBlock(True, [_text("a"), _text(" ")]), ListBlock(False, [])])
    )
    assert tree.get("lang") == "en" and tree.find(".//title").text == "Untitled document"
    assert [e.tag for e in tree.find("body")] == ["header", "main"]
    assert [li.text for li in tree.findall(".//main/ol/li")] == ["a"] and tree.find(".//ul") is None
    assert len(tree.findall(".//style")) == 1 and tree.find(".//link") is None
    css = tree.find(".//style").text
    assert "img{max-width:100%;height:auto}" in css and ":focus-visible" in css and "overflow-x:auto" in css
    assert _tree(Document("T", lang="pt-BR")).get("lang") == "pt-BR"


def test_the_same_document_gives_the_same_bytes():
    def build() -> Document:
        return Document(
            "Same",
            lang="de",
            blocks=[
                PageStart(1, "B1"),
                Heading(3, _text("H")),
                Paragraph([Inline("x", href="https://a.b", bold=True, italic=True)]),
                Table([_cells("a", "b", header=True), _cells("c", "d")]),
                Figure("f.png", None, 10, 10),
                PageStart(2, "B2"),
                ListBlock(True, [_text("i")]),
            ],
        )

    doc = build()
    assert write_html(doc) == write_html(doc) == write_html(build())
    assert write_html(doc).endswith("</html>\n") and write_html(doc).startswith("<!DOCTYPE html>\n")


# Manifest ---------------------------------------------------------------------------------------


def _entry(document_id: int, **kw) -> RenditionEntry:
    doc = Document("T", source="tagged", blocks=[PageStart(1), Figure("figure-1.png", None)])
    values = dict(document_id=document_id, exhibit_ids=[9, 7, 9], source_sha256="ab" * 32, pages=3)
    values |= (
        dict(html_key=f"case_7/renditions/html/{document_id}/index.html", assets=["b.png", "a.png"]) | kw
    )
    return entry_for(doc, write_html(doc), **values)


def test_a_manifest_has_a_stable_json_form_whatever_order_documents_finished_in():
    problem = DocumentProblem(5, (50,), ENCRYPTED, "the PDF needs a password", "cd" * 32)
    one = RunManifest(7, (_entry(3), _entry(1)), (problem,))
    two = RunManifest(7, (_entry(1), _entry(3)), (problem,))
    assert one.to_json() == two.to_json() and one.to_json().endswith("}\n")
    assert RunManifest.from_json(one.to_json()) == one
    data = json.loads(one.to_json())
    assert [e["document_id"] for e in data["made"]] == [1, 3]
    entry = data["made"][0]
    assert (
        entry["exhibit_ids"] == [7, 9]
        and entry["assets"] == ["a.png", "b.png"]
        and entry["source"] == "tagged"
    )
    assert entry["needs_person"] == ["figure 1 on page 1 has no alternate text"]
    assert len(entry["html_sha256"]) == 64
    summary = one.summary()
    assert summary["documents_made"] == 2 and summary["pages_made"] == 6 and summary["needs_person"] == 2
    assert summary["problems"] == ["document 5 (exhibits 50): encrypted: the PDF needs a password"]


def test_a_partial_rerun_replaces_only_the_documents_it_redid():
    before = RunManifest(7, (_entry(1), _entry(2)), (DocumentProblem(3, (), DAMAGED, "no xref"),))
    after = before.merged(
        RunManifest(7, (_entry(3, pages=9),), (DocumentProblem(2, (2,), DAMAGED, "now broken"),))
    )
    assert [e.document_id for e in after.made] == [1, 3] and after.made[1].pages == 9
    assert [(p.document_id, p.detail) for p in after.problems] == [(2, "now broken")]
    with pytest.raises(ManifestError):
        before.merged(RunManifest(8))


def test_a_manifest_refuses_what_it_does_not_write():
    with pytest.raises(ManifestError):
        DocumentProblem(1, (), "on fire", "")
    with pytest.raises(ManifestError):
        RenditionEntry(1, (), "", 1, "guessed", "k", "h")
    with pytest.raises(ManifestError):
        RunManifest.from_json('{"schema": 99}')
    with pytest.raises(ManifestError):
        RunManifest.from_json('{"schema": 1, "case_id": 7}')
    with pytest.raises(ManifestError):
        RunManifest.from_json("[1, 2]")
