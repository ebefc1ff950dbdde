"""Tagged PDFs read through their structure tree (imaging/renditions/tagged.py), the answer keys of
the structure-fidelity measurement (bench/renditions_corpus.py) and its scoring (domain/renditions/
fidelity.py).

The PDFs are real: HTML written from a seed, printed to tagged PDFs by the system Chromium
(Playwright, no browser download). What the HTML declares is the truth, and reading the PDF back
must give exactly that structure. Tests that need Chromium are skipped only when it is absent.
"""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest

from bench.renditions_corpus import Printed, chromium, print_pdfs, source, strip_tags
from domain.errors import DocumentEncrypted, DocumentError
from domain.renditions.fidelity import combine, compare, kendall_tau, normalise
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
from imaging.renditions import tagged as tagged_module
from imaging.renditions.tagged import NotTagged, TaggedInfo, read_tagged, read_tagged_blocks

needs_chromium = pytest.mark.skipif(chromium() is None, reason="no system Chromium (apt package `chromium`)")

FEATURES = """<!doctype html><html lang="fr-CA"><head><meta charset="utf-8"><title>Feature sheet</title>
<style>.columns { column-count: 2 } p { break-inside: avoid }</style></head><body>
<h1>Feature sheet</h1>
<p>Opening words with <a href="https://example.org/terms?a=1&amp;b=2">the terms</a> in the middle.</p>
<h2>Lists</h2>
<ul><li>Alpha item</li>
<li>Beta item<ol><li>Beta first</li><li>Beta second</li></ol></li><li>Gamma item</li></ul>
<h3>Numbered</h3>
<ol><li>First step</li><li>Second step</li></ol>
<h4>Table</h4>
<table><caption>Quarterly figures</caption>
<thead><tr><th scope="col">Region</th><th scope="col">Sales</th></tr></thead>
<tbody><tr><th scope="row">North</th><td>1,200</td></tr>
<tr><th scope="row">South</th><td>980</td></tr></tbody>
<tfoot><tr><td colspan="2">Total 2,180</td></tr></tfoot>
</table>
<figure><img alt="A blue bar chart" width="60" height="30"
 src="@BLUE@">
<figcaption>Sales by region</figcaption></figure>
<figure><img width="30" height="30"
 src="@RED@"></figure>
<div class="columns"><p>Left column paragraph text.</p><p>Right column paragraph text.</p></div>
</body></html>"""


def _svg(colour: str, width: int, height: int) -> str:
    svg = f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'>"
    svg += f"<rect width='{width}' height='{height}' fill='{colour}'/></svg>"
    return "data:image/svg+xml," + svg.replace("<", "%3C").replace(">", "%3E")


FEATURES = FEATURES.replace("@BLUE@", _svg("blue", 60, 30)).replace("@RED@", _svg("red", 30, 30))


def outline(document: Document) -> list[tuple]:
    """A document's structure, comparable with ==: block kinds, levels, texts (white space folded),
    links, list numbering and depths, cells with header and scope, figure alt texts and captions."""

    def text(inlines: list[Inline]) -> tuple:
        runs = [(re.sub(r"\s+", " ", i.text), i.href) for i in inlines]
        merged: list[list] = []
        for run, href in runs:
            if merged and merged[-1][1] == href:
                merged[-1][0] += run
            else:
                merged.append([run, href])
        return tuple((run.strip() if href else run, href) for run, href in merged if run.strip())

    out: list[tuple] = []
    for block in document.blocks:
        if isinstance(block, Heading):
            out.append(("h", block.level, text(block.inlines)))
        elif isinstance(block, Paragraph):
            out.append(("p", text(block.inlines)))
        elif isinstance(block, ListBlock):
            depths = block.depths or [0] * len(block.items)
            out.append(("list", block.ordered, tuple(zip(depths, map(text, block.items), strict=True))))
        elif isinstance(block, Table):
            rows = tuple(
                tuple((text(c.inlines), c.header, c.scope, c.colspan, c.rowspan) for c in row)
                for row in block.rows
            )
            out.append(("table", block.caption, rows))
        elif isinstance(block, Figure):
            out.append(("figure", block.alt, block.caption))
    return out


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, Printed]:
    """Two seeded answer keys (one long, with running heads) and the feature sheet, printed once."""
    if chromium() is None:
        pytest.skip("no system Chromium (apt package `chromium`)")
    features = source(21, 1)
    features.name, features.html, features.running_header = "features", FEATURES, False
    sources = [source(21, 0), source(21, 2), features]
    return {p.source.name: p for p in print_pdfs(sources, tmp_path_factory.mktemp("tagged"))}


def _page_count(pdf: Path) -> int:
    document = pdfium.PdfDocument(str(pdf))
    try:
        return len(document)
    finally:
        document.close()


@needs_chromium
def test_feature_sheet_reads_back_as_written(printed):
    found = read_tagged(printed["features"].tagged)
    assert (found.source, found.lang, found.title) == ("tagged", "fr-CA", "Feature sheet")
    assert outline(found) == [
        ("h", 1, (("Feature sheet", None),)),
        (
            "p",
            (
                ("Opening words with ", None),
                ("the terms", "https://example.org/terms?a=1&b=2"),
                (" in the middle.", None),
            ),
        ),
        ("h", 2, (("Lists", None),)),
        (
            "list",
            False,
            (
                (0, (("Alpha item", None),)),
                (0, (("Beta item", None),)),
                (1, (("Beta first", None),)),
                (1, (("Beta second", None),)),
                (0, (("Gamma item", None),)),
            ),
        ),
        ("h", 3, (("Numbered", None),)),
        ("list", True, ((0, (("First step", None),)), (0, (("Second step", None),)))),
        ("h", 4, (("Table", None),)),
        (
            "table",
            "Quarterly figures",
            (
                (((("Region", None),), True, "col", 1, 1), ((("Sales", None),), True, "col", 1, 1)),
                (((("North", None),), True, "row", 1, 1), ((("1,200", None),), False, None, 1, 1)),
                (((("South", None),), True, "row", 1, 1), ((("980", None),), False, None, 1, 1)),
                (((("Total 2,180", None),), False, None, 2, 1),),
            ),
        ),
        ("figure", "A blue bar chart", "Sales by region"),
        ("figure", None, None),  # no alt in the HTML: None, so the manifest asks a person
        ("p", (("Left column paragraph text.", None),)),
        ("p", (("Right column paragraph text.", None),)),
    ]


@needs_chromium
@pytest.mark.parametrize("name", ["doc-21-000", "doc-21-002"])
def test_seeded_answer_keys_read_back_exactly(printed, name):
    item = printed[name]
    found = read_tagged(item.tagged)
    truth = item.source.truth
    assert outline(found) == outline(truth)
    assert (found.lang, found.title) == (truth.lang, truth.title)
    figures = compare(found, truth).figures()
    assert figures == dict.fromkeys(figures, 1.0)
    # every page keeps an anchor, in page order, with nothing else in between the anchors' numbers
    pages = [block.page for block in found.blocks if isinstance(block, PageStart)]
    assert pages == list(range(1, _page_count(item.tagged) + 1))
    assert found.blocks[0] == PageStart(page=1)
    # each figure is located where it is drawn: its box is the image's CSS size (1 px = 0.75 pt)
    drawn = [b for b in found.blocks if isinstance(b, Figure)]
    written = [b for b in truth.blocks if isinstance(b, Figure)]
    assert drawn and len(drawn) == len(written)
    for figure, source_figure in zip(drawn, written, strict=True):
        x0, y0, x1, y1 = figure.box
        assert (x1 - x0, y1 - y0) == (
            pytest.approx(source_figure.width * 0.75, abs=0.6),
            pytest.approx(source_figure.height * 0.75, abs=0.6),
        )
        on_page = [b.page for b in found.blocks[: found.blocks.index(figure)] if isinstance(b, PageStart)]
        assert figure.page == on_page[-1]  # after its page's anchor


@needs_chromium
def test_long_answer_key_spans_pages_with_running_heads_outside_the_tree(printed):
    item = printed["doc-21-000"]
    assert item.source.running_header and _page_count(item.tagged) >= 5
    found = read_tagged(item.tagged)
    text = " ".join(i.text for b in found.blocks if isinstance(b, Paragraph) for i in b.inlines)
    assert not re.search(r"\bPage \d+\b", text)  # the footer's page numbers are artifacts, not content


@needs_chromium
def test_blocks_come_one_at_a_time_and_pages_are_not_all_held(printed, monkeypatch):
    item = printed["doc-21-000"]
    whole = read_tagged(item.tagged)
    seen: list = []
    info = read_tagged_blocks(item.tagged, seen.append, begin=seen.append)
    assert seen[0] == info and isinstance(info, TaggedInfo) and seen[1:] == whole.blocks
    assert info.lang == whole.lang
    # Holding one page's text at a time (pages read again when the walk comes back to them) changes
    # nothing, nor does the coverage check count a page read twice twice.
    reads: list[int] = []
    real = tagged_module.page_text
    monkeypatch.setattr(tagged_module, "HELD_PAGES", 1)
    monkeypatch.setattr(tagged_module, "page_text", lambda page: reads.append(1) or real(page))
    assert outline(read_tagged(item.tagged)) == outline(whole)
    assert len(reads) >= _page_count(item.tagged)


@needs_chromium
def test_reopening_the_pdf_mid_walk_reads_the_same_document(printed, monkeypatch):
    """qpdf keeps what it parsed until the PDF is closed, so a long walk reopens it: here every few
    elements, which must change nothing (a handle of the closed PDF used after would fail)."""
    normal = {name: read_tagged(item.tagged) for name, item in printed.items()}
    opened: list[int] = []
    real = tagged_module._Reader.may_reopen

    def may_reopen(reader) -> None:
        real(reader)
        opened.append(reader.opened)

    monkeypatch.setattr(tagged_module, "REOPEN_AFTER", 3)
    monkeypatch.setattr(tagged_module._Reader, "may_reopen", may_reopen)
    for name, item in printed.items():
        again = read_tagged(item.tagged)
        assert again.blocks == normal[name].blocks and again.title == normal[name].title, name
    assert max(opened) > 10


@needs_chromium
def test_a_failure_of_the_caller_is_its_own_not_a_broken_tree(printed):
    def add(block) -> None:
        raise KeyError("the caller's own bug")

    with pytest.raises(KeyError, match="the caller's own bug"):
        read_tagged_blocks(printed["features"].tagged, add)


@needs_chromium
def test_untagged_copy_is_the_fallback_signal(printed, tmp_path):
    item = printed["features"]
    with pytest.raises(NotTagged, match="StructTreeRoot"):
        read_tagged(item.untagged)
    with pikepdf.open(item.untagged) as pdf:
        assert "/StructTreeRoot" not in pdf.Root and "/MarkInfo" not in pdf.Root
        operators = {str(op) for page in pdf.pages for _, op in pikepdf.parse_content_stream(page)}
        assert not operators & {"BDC", "BMC", "EMC"} and operators & {"Tj", "TJ"}
    # the text itself survives the stripping
    document = pdfium.PdfDocument(str(item.untagged))
    try:
        text = " ".join(document[0].get_textpage().get_text_range().split())
        assert "Quarterly figures" in text and "Right column paragraph text." in text
    finally:
        document.close()


def _edited(pdf: Path, out: Path, edit) -> Path:
    with pikepdf.open(pdf) as document:
        edit(document)
        document.save(out)
    return out


def _elements(document: pikepdf.Pdf, role: str):
    found, todo = [], [document.Root.StructTreeRoot]
    while todo:
        node = todo.pop()
        kids = node.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") not in ("/MCR", "/OBJR"):
                if kid.get("/S") == pikepdf.Name("/" + role):
                    found.append(kid)
                todo.append(kid)
    return found


@needs_chromium
def test_marked_false_and_a_tree_that_reaches_little_text_fall_back(printed, tmp_path):
    tagged = printed["doc-21-002"].tagged

    def unmark(document):
        document.Root.MarkInfo.Marked = False

    with pytest.raises(NotTagged, match="Marked"):
        read_tagged(_edited(tagged, tmp_path / "unmarked.pdf", unmark))

    def prune(document):  # keep only the title: the tree now reaches a sliver of the text
        document.Root.StructTreeRoot.K.K = pikepdf.Array([_elements(document, "H1")[0]])

    with pytest.raises(NotTagged, match="reaches"):
        read_tagged(_edited(tagged, tmp_path / "pruned.pdf", prune))


@needs_chromium
def test_custom_roles_actual_text_and_a_cyclic_tree(printed, tmp_path):
    item = printed["features"]

    def customise(document):
        tree = document.Root.StructTreeRoot
        tree.RoleMap = pikepdf.Dictionary({"/Para": pikepdf.Name("/Body"), "/Body": pikepdf.Name("/P")})
        for element in _elements(document, "P"):
            element.S = pikepdf.Name("/Para")
        for element in _elements(document, "H4"):
            element.S = pikepdf.Name("/Heading4")  # unmapped: its text still reads, as a paragraph
        _elements(document, "H3")[0].ActualText = pikepdf.String("Numbered, as said aloud")
        h2 = _elements(document, "H2")[0]
        h2.K = pikepdf.Array([h2.K, document.Root.StructTreeRoot.K])  # a cycle back to the top

    found = read_tagged(_edited(item.tagged, tmp_path / "custom.pdf", customise))
    expected = [
        ("h", 3, (("Numbered, as said aloud", None),)) if row[:2] == ("h", 3) else row
        for row in outline(read_tagged(item.tagged))
    ]
    expected = [("p", (("Table", None),)) if row == ("h", 4, (("Table", None),)) else row for row in expected]
    assert outline(found) == expected


@needs_chromium
def test_list_text_marked_straight_in_the_item_body_is_read(printed, tmp_path):
    """Word and Acrobat put an item's marked content straight in its LBody (no element around it)."""
    item = printed["features"]

    moved = []

    def bodies(document):
        for li in _elements(document, "LI"):
            kids = []
            for kid in li.K:
                if kid.get("/S") == pikepdf.Name.NonStruct and isinstance(kid.get("/K"), int):
                    kid = pikepdf.Dictionary(
                        Type=pikepdf.Name.StructElem, S=pikepdf.Name.LBody, K=kid.K, Pg=kid.Pg
                    )
                    moved.append(li)
                kids.append(kid)
            li.K = pikepdf.Array(kids)

    found = read_tagged(_edited(item.tagged, tmp_path / "bodies.pdf", bodies))
    assert len(moved) == 7  # every item of the sheet's three lists
    assert outline(found) == outline(read_tagged(item.tagged))
    assert ("list", True, ((0, (("First step", None),)), (0, (("Second step", None),)))) in outline(found)


@needs_chromium
def test_an_absurdly_deep_tree_is_cut_not_a_crash(printed, tmp_path):
    def bury(document):  # the whole document under 3,000 nested Divs
        tree = document.Root.StructTreeRoot
        inner = tree.K
        for _ in range(3000):
            inner = document.make_indirect(
                pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Div, K=inner)
            )
        tree.K = inner

    with pytest.raises(NotTagged, match="reaches 0 of"):
        read_tagged(_edited(printed["features"].tagged, tmp_path / "deep.pdf", bury))


REAL = Path(__file__).parent / "corpus"  # real-world PDFs of many producers (tests/corpus/SOURCES.md)
REAL_OUTCOMES = {  # the test's own list: every other file has no tree and is the fallback signal
    "chromium-hebrew-arabic.pdf": "tagged",
    "libreoffice-user-password.pdf": "DocumentEncrypted",
    "qpdf-user-password-aes256.pdf": "DocumentEncrypted",
    "damaged-truncated.pdf": "DocumentUnreadable",
    "zero-bytes.pdf": "DocumentUnreadable",
    "not-a-pdf.pdf": "DocumentUnreadable",
}


@pytest.mark.parametrize("pdf", sorted(REAL.glob("*.pdf")), ids=lambda path: path.name)
def test_real_world_pdfs_read_fall_back_or_fail_typed(pdf):
    try:
        outcome = read_tagged(pdf).source
    except NotTagged:
        outcome = "NotTagged"
    except DocumentError as exc:
        outcome = type(exc).__name__
    assert outcome == REAL_OUTCOMES.get(pdf.name, "NotTagged")


def test_right_to_left_text_and_its_language_come_through():
    found = read_tagged(REAL / "chromium-hebrew-arabic.pdf")
    assert found.lang == "he"
    assert outline(found)[:2] == [
        ("h", 1, (("מכתב ללקוח", None),)),
        ("p", (("שלום רב, מצורף החוזה החתום לעיונך. נא לאשר את קבלתו עד יום חמישי.", None),)),
    ]
    assert outline(found)[-1] == ("p", (("Contract 2291 - signed copy", None),))


def test_encrypted_pdf_is_a_typed_error(tmp_path):
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(tmp_path / "locked.pdf", encryption=pikepdf.Encryption(user="secret", owner="owner"))
    with pytest.raises(DocumentEncrypted):
        read_tagged(tmp_path / "locked.pdf")


def test_a_pdf_without_a_tree_is_not_tagged(tmp_path):
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(tmp_path / "blank.pdf")
    with pytest.raises(NotTagged):
        read_tagged(tmp_path / "blank.pdf")


def test_answer_keys_are_deterministic_and_varied():
    assert source(21, 3).html == source(21, 3).html
    assert source(21, 3).html != source(22, 3).html
    kinds = {type(b).__name__ for i in range(8) for b in source(21, i).truth.blocks}
    assert kinds == {"Heading", "Paragraph", "ListBlock", "Table", "Figure"}
    levels = {b.level for i in range(8) for b in source(21, i).truth.blocks if isinstance(b, Heading)}
    assert levels == {1, 2, 3, 4}
    html = "".join(source(21, i).html for i in range(8))
    for needle in ('scope="col"', 'scope="row"', "<a href=", 'class="columns"', "<ol>", "<ul>", " alt="):
        assert needle in html


@needs_chromium
def test_strip_tags_is_repeatable(printed, tmp_path):
    tagged = printed["features"].tagged
    strip_tags(tagged, tmp_path / "a.pdf")
    strip_tags(tagged, tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


# --- fidelity: pure scoring -------------------------------------------------------------------------


def _doc(*blocks) -> Document:
    return Document(title="t", blocks=list(blocks))


def _p(text: str) -> Paragraph:
    return Paragraph([Inline(text)])


def _h(level: int, text: str) -> Heading:
    return Heading(level, [Inline(text)])


TRUTH = _doc(
    _h(1, "Title"),
    _p("One fish"),
    _h(2, "Part A"),
    _p("Two fish"),
    ListBlock(False, [[Inline("red")], [Inline("blue")]]),
    Table([[Cell([Inline("Name")], True, "col")], [Cell([Inline("Ann")])]]),
    _h(3, "Part A.1"),
    _p("Three fish"),
    _p("Four fish"),
)


def test_a_perfect_copy_scores_one():
    fidelity = compare(TRUTH, TRUTH)
    assert fidelity.figures() == dict.fromkeys(fidelity.figures(), 1.0)
    assert fidelity.order_pairs == 4


def test_reversed_paragraphs_give_tau_minus_one():
    reversed_doc = _doc(*[b for b in TRUTH.blocks if not isinstance(b, Paragraph)])
    reversed_doc.blocks += [_p(t) for t in ("Four fish", "Three fish", "Two fish", "One fish")]
    fidelity = compare(reversed_doc, TRUTH)
    assert fidelity.reading_order == -1.0
    assert fidelity.paragraphs.recall == 1.0


def test_a_missing_heading_lowers_recall():
    missing = _doc(*[b for b in TRUTH.blocks if b is not TRUTH.blocks[2]])
    fidelity = compare(missing, TRUTH)
    assert (fidelity.heading_text.recall, fidelity.heading_text.precision) == (pytest.approx(2 / 3), 1.0)
    # with its whole level gone, the levels left (1 and 3) rank 1 and 2: "Part A.1" is a level too high
    assert (fidelity.headings.recall, fidelity.headings.precision) == (pytest.approx(1 / 3), 0.5)
    assert fidelity.list_items.recall == fidelity.paragraphs.recall == 1.0


def test_headings_match_by_relative_level_and_text_is_normalised():
    shifted = _doc(
        *[
            _h(b.level + 1, b.inlines[0].text.upper() + " ") if isinstance(b, Heading) else b
            for b in TRUTH.blocks
        ]
    )
    assert compare(shifted, TRUTH).headings.recall == 1.0  # h2/h3/h4 rank as h1/h2/h3
    flattened = _doc(*[_h(2, b.inlines[0].text) if isinstance(b, Heading) else b for b in TRUTH.blocks])
    fidelity = compare(flattened, TRUTH)
    assert fidelity.heading_text.recall == 1.0 and fidelity.headings.recall == pytest.approx(1 / 3)
    assert normalise("Ef\ufb01cient  re-use,\n") == normalise("efficient reuse")


def test_extra_cells_and_items_lower_precision():
    extra = _doc(
        ListBlock(False, [[Inline("red")], [Inline("blue")], [Inline("green")]]),
        Table([[Cell([Inline("Name")])], [Cell([Inline("Ann")]), Cell([Inline("Bob")])]]),
    )
    fidelity = compare(extra, TRUTH)
    assert (fidelity.list_items.recall, fidelity.list_items.precision) == (1.0, pytest.approx(2 / 3))
    assert (fidelity.table_cells.recall, fidelity.table_cells.precision) == (1.0, pytest.approx(2 / 3))
    assert fidelity.header_cells.recall == 0.0  # "Name" lost its header status


def _tau_by_pairs(sequence: list[int]) -> float:
    pairs = list(itertools.combinations(sequence, 2))
    return sum(1 if a < b else -1 for a, b in pairs) / len(pairs)


def test_kendall_tau_agrees_with_counting_every_pair():
    rng = random.Random(7)
    for n in (2, 3, 10, 57):
        for _ in range(20):
            sequence = rng.sample(range(1000), n)
            assert kendall_tau(sequence) == pytest.approx(_tau_by_pairs(sequence))
    assert kendall_tau([]) == kendall_tau([5]) == 1.0


def test_combined_figures_are_summed_over_documents():
    worse = _doc(*TRUTH.blocks[:2])  # only the title and the first paragraph
    total = combine([compare(TRUTH, TRUTH), compare(worse, TRUTH)])
    assert total.headings.expected == 6 and total.headings.matched == 4
    assert total.paragraphs.recall == pytest.approx(5 / 8)
    assert total.reading_order == 1.0


def test_labels_typed_into_list_items_are_taken_out_and_number_the_list():
    """LibreOffice tags no /Lbl: an ordered item's LBody reads "1. Section ...". The writer numbers the
    list itself, so the label leaves the text and the list is ordered; bullet lists lose their bullet."""
    producers = Path(__file__).parent.parent / "bench" / "renditions_tagged"
    lists = [b for b in read_tagged(producers / "libreoffice-3.pdf").blocks if isinstance(b, ListBlock)]
    ordered = [b for b in lists if b.ordered]
    assert ordered, "the numbered lists are ordered"
    texts = ["".join(i.text for i in item) for b in lists for item in b.items]
    assert texts and not any(re.match(r"\s*(\d+[.)]|•)\s", t) for t in texts), texts[:5]
    assert texts[0].startswith("Section license")
