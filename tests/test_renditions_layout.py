"""Layout analysis of untagged PDFs (domain/renditions/layout.py) and the spans it reads
(imaging/renditions/spans.py, ocr_spans.py): synthetic spans for each heuristic, PDFs made with
reportlab whose structure the test knows, the real-world corpus (tests/corpus/) and a scan read by
the real tesseract."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    ListFlowable,
    ListItem,
    PageTemplate,
    Paragraph,
    SimpleDocTemplate,
    Table,
    TableStyle,
)
from reportlab.platypus import Image as RLImage

from domain.errors import DocumentEncrypted, DocumentUnreadable
from domain.renditions.layout import LayoutPage, PlacedImage, analyse, iter_blocks
from domain.renditions.model import Figure, Heading, ListBlock, PageStart, Span
from domain.renditions.model import Paragraph as ParagraphBlock
from domain.renditions.model import Table as TableBlock
from imaging.engine import LocalDocumentEngine
from imaging.renditions.ocr_spans import layout_pages, ocr_page
from imaging.renditions.spans import read_pages

CORPUS = Path(__file__).parent / "corpus"
STYLES = getSampleStyleSheet()


def span(text, x, y, size=10.0, bold=False, page=1, link=None, width=None) -> Span:
    """A span as a text layer would give it: about half an em per character."""
    return Span(
        page, text, x, y, x + (width or len(text) * size * 0.5), y + size * 1.15, size, bold, link=link
    )


def text_of(block) -> str:
    return "".join(i.text for i in block.inlines).strip()


def kinds(document) -> list[str]:
    return [type(b).__name__ for b in document.blocks]


def body_lines(texts, x=72.0, y=100.0, pitch=12.0, page=1) -> list[Span]:
    return [span(t, x, y + n * pitch, page=page) for n, t in enumerate(texts)]


# Synthetic spans, one heuristic at a time


def test_heading_levels_follow_distinct_sizes_and_a_bold_body_line_standing_alone():
    spans = [
        span("Report title", 72, 60, size=24, bold=True),
        span("Chapter one", 72, 100, size=16, bold=True),
        *body_lines(["Body text that is long enough to be the body size of it all."] * 3, y=130),
        span("Subsection in bold", 72, 180, bold=True),
        *body_lines(["More body text follows the bold heading line here."] * 3, y=198),
        span("Chapter two", 72, 250, size=16.3, bold=True),  # within 6 %: the same level
        *body_lines(["Body text again, plenty of characters at the body size."] * 3, y=280),
    ]
    document = analyse([LayoutPage(1, 612, 792, spans)])
    headings = [(b.level, text_of(b)) for b in document.blocks if isinstance(b, Heading)]
    assert headings == [
        (1, "Report title"),
        (2, "Chapter one"),
        (3, "Subsection in bold"),
        (2, "Chapter two"),
    ]
    assert document.title == "Report title"
    assert sum(isinstance(b, ParagraphBlock) for b in document.blocks) == 3


def test_two_columns_are_read_column_by_column_under_a_full_width_title():
    left = [f"Left column line {n} with enough words to fill it." for n in range(12)]
    right = [f"Right column line {n} with enough words to fill it." for n in range(12)]
    spans = [
        span("A title across the page above both columns of text", 72, 40, size=18),
        *body_lines(left, x=72, y=100),
        *body_lines(right, x=330, y=100),
    ]
    document = analyse([LayoutPage(1, 612, 792, spans)])
    paragraphs = [text_of(b) for b in document.blocks if isinstance(b, ParagraphBlock)]
    assert len(paragraphs) == 2
    assert paragraphs[0].startswith("Left column line 0") and paragraphs[0].endswith(
        "line 11 with enough words to fill it."
    )
    assert "Right" not in paragraphs[0]
    assert paragraphs[1].startswith("Right column line 0")
    assert isinstance(document.blocks[1], Heading)


def test_long_lines_side_by_side_without_a_header_are_read_as_columns_not_a_table():
    # Two lines a side: too few for a column gutter, but prose, not cells.
    spans = [
        span("The left column starts with this sentence and", 72, 100),
        span("The right column begins here with its own words", 330, 100),
        span("ends on its second line of prose here.", 72, 112),
        span("and closes on a second line of prose too.", 330, 112),
    ]
    document = analyse([LayoutPage(1, 612, 792, spans)])
    assert [text_of(b) for b in document.blocks if isinstance(b, ParagraphBlock)] == [
        "The left column starts with this sentence and ends on its second line of prose here.",
        "The right column begins here with its own words and closes on a second line of prose too.",
    ]


def test_aligned_rows_of_short_cells_are_a_table_not_columns():
    rows = [("Name", "Amount", "Date")] + [
        (f"Item {n}", f"{n * 10}", f"2024-01-{n + 1:02d}") for n in range(8)
    ]
    spans = [span("Intro text above the table, long enough to be body text.", 72, 60)]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            spans.append(span(value, 72 + c * 150, 90 + r * 14, bold=r == 0))
    spans.append(span("Closing text below the table, long enough to be body text.", 72, 230))
    document = analyse([LayoutPage(1, 612, 792, spans)])
    assert kinds(document) == ["PageStart", "Paragraph", "Table", "Paragraph"]
    table = document.blocks[2]
    assert isinstance(table, TableBlock)
    assert [text_of(c) for c in table.rows[0]] == ["Name", "Amount", "Date"]
    assert all(c.header and c.scope == "col" for c in table.rows[0])
    assert not any(c.header for c in table.rows[1])
    assert [text_of(c) for c in table.rows[3]] == ["Item 2", "20", "2024-01-03"]
    assert len(table.rows) == 9


def test_a_bold_first_column_is_row_headers_and_a_cell_across_two_columns_joins_them():
    spans = [span(v, x, 90, bold=True) for v, x in (("North", 160), ("South", 260), ("East", 360))]
    spans += [span("Region", 72, 104, bold=True), span("one region spanning", 160, 104, width=140)]
    spans += [
        span("Sales", 72, 118, bold=True),
        span("10", 160, 118),
        span("20", 260, 118),
        span("30", 360, 118),
    ]
    table = next(b for b in analyse([LayoutPage(1, 612, 792, spans)]).blocks if isinstance(b, TableBlock))
    assert [[text_of(c) for c in row] for row in table.rows] == [
        ["", "North South", "East"],
        ["Region", "one region spanning", ""],
        ["Sales", "10 20", "30"],
    ]
    assert [[(c.header, c.scope) for c in row][:2] for row in table.rows] == [
        [(True, "col"), (True, "col")],
        [(True, "row"), (False, None)],
        [(True, "row"), (False, None)],
    ]


def test_cells_set_at_different_heights_stay_in_their_row():
    # A browser centres cells vertically: a two-line cell sits higher and lower than its neighbours.
    spans = [span(v, x, 90, bold=True) for v, x in (("Name", 72), ("Amount", 200), ("Note", 330))]
    spans += [span("Alpha", 72, 112), span("10.00", 200, 112), span("first line", 330, 105)]
    spans += [span("second line", 330, 119)]
    spans += [span("Beta", 72, 140), span("20.00", 200, 140), span("short", 330, 140)]
    spans += body_lines(["A paragraph after the table, long enough to be the body text size."], y=170)
    document = analyse([LayoutPage(1, 612, 792, spans)])
    assert kinds(document) == ["PageStart", "Table", "Paragraph"]
    assert [[text_of(c) for c in row] for row in document.blocks[1].rows] == [
        ["Name", "Amount", "Note"],
        ["Alpha", "10.00", "first line second line"],
        ["Beta", "20.00", "short"],
    ]


def test_a_table_whose_first_row_is_like_the_rest_has_no_header():
    spans = [span(v, 72 + c * 150, 90 + r * 14) for r in range(3) for c, v in enumerate((f"a{r}", f"b{r}"))]
    table = next(b for b in analyse([LayoutPage(1, 612, 792, spans)]).blocks if isinstance(b, TableBlock))
    assert not any(c.header for row in table.rows for c in row)


def test_bullets_and_ordinals_make_lists_with_continuation_lines():
    spans = [
        *body_lines(["Things to bring on the trip, all of them, in this order:"], y=60),
        span("• Apples that are red", 72, 80),
        span("and ripe, the continuation", 84, 92),
        span("• Pears", 72, 104),
        span("1. First step", 72, 130),
        span("2) Second step", 72, 142),
        span("(iii) Third step", 72, 154),
        span("a. Fourth step", 72, 166),
        *body_lines(["A closing paragraph after the list with normal body text."], y=190),
    ]
    document = analyse([LayoutPage(1, 612, 792, spans)])
    lists = [b for b in document.blocks if isinstance(b, ListBlock)]
    assert [(lst.ordered, len(lst.items)) for lst in lists] == [(False, 2), (True, 4)]
    first = ["".join(i.text for i in item) for item in lists[0].items]
    assert first == ["Apples that are red and ripe, the continuation", "Pears"]
    assert ["".join(i.text for i in item) for item in lists[1].items][0] == "First step"
    assert kinds(document)[-1] == "Paragraph"


def test_repeated_headers_footers_and_page_numbers_are_dropped():
    pages = []
    for number in range(1, 5):
        spans = [
            span(f"ACME confidential, revision {number}", 72, 30, size=8),
            *body_lines([f"Page {number} body text that is different on every page {number * 7}."], y=300),
            span(str(number), 300, 750, size=8),
            span(f"Page {number} of 4", 480, 750, size=8),
        ]
        pages.append(LayoutPage(number, 612, 792, spans))
    pages[2].spans.append(span("A one-off note in the top band", 72, 50, size=8))
    document = analyse(pages)
    texts = [text_of(b) for b in document.blocks if isinstance(b, ParagraphBlock)]
    assert texts == [
        "Page 1 body text that is different on every page 7.",
        "Page 2 body text that is different on every page 14.",
        "A one-off note in the top band",
        "Page 3 body text that is different on every page 21.",
        "Page 4 body text that is different on every page 28.",
    ]
    assert [b.page for b in document.blocks if isinstance(b, PageStart)] == [1, 2, 3, 4]


def test_a_word_hyphenated_at_a_line_end_is_joined_and_a_real_dash_kept():
    spans = body_lines(
        ["The agreement was signed by the repre-", "sentatives of both parties, a well-", "Known firm."]
    )
    (paragraph,) = [
        b for b in analyse([LayoutPage(1, 612, 792, spans)]).blocks if isinstance(b, ParagraphBlock)
    ]
    assert (
        text_of(paragraph)
        == "The agreement was signed by the representatives of both parties, a well- Known firm."
    )


def test_paragraphs_split_at_a_wider_gap_and_at_a_first_line_indent():
    spans = [
        *body_lines(["First paragraph, line one of it.", "First paragraph, line two."], y=100),
        *body_lines(["Second paragraph after a gap.", "Second paragraph, line two."], y=140),
        span("Third paragraph starts indented.", 90, 164),
        span("Third paragraph, line two.", 72, 176),
    ]
    texts = [
        text_of(b) for b in analyse([LayoutPage(1, 612, 792, spans)]).blocks if isinstance(b, ParagraphBlock)
    ]
    assert texts == [
        "First paragraph, line one of it. First paragraph, line two.",
        "Second paragraph after a gap. Second paragraph, line two.",
        "Third paragraph starts indented. Third paragraph, line two.",
    ]


def test_links_stay_links_and_figures_take_their_place_and_backgrounds_do_not():
    spans = [
        span("See the", 72, 100, width=40),
        span("court website", 114, 100, link="https://example.org/court", width=70),
        span("for details.", 186, 100, width=60),
        span("Text below the picture.", 72, 300),
    ]
    images = [
        PlacedImage(72, 150, 272, 280, asset="img-1.png", width=400, height=260),
        PlacedImage(0, 0, 612, 792),
    ]
    document = analyse([LayoutPage(1, 612, 792, spans, images)])
    assert kinds(document) == ["PageStart", "Paragraph", "Figure", "Paragraph"]
    inlines = document.blocks[1].inlines
    assert [(i.text, i.href) for i in inlines] == [
        ("See the ", None),
        ("court website", "https://example.org/court"),
        (" for details.", None),
    ]
    figure = document.blocks[2]
    assert (figure.asset, figure.alt, figure.width) == ("img-1.png", None, 400)


def test_a_long_document_streams_with_what_its_first_pages_taught():
    pages = [
        LayoutPage(
            n,
            612,
            792,
            [
                span(f"Running head {n}", 72, 30, size=8, page=n),
                span(f"Heading {n}", 72, 100, size=16, page=n),
                *body_lines([f"Body text of page {n}, long enough to be the body size."], y=130, page=n),
            ],
        )
        for n in range(1, 31)
    ]
    streamed = list(iter_blocks(iter(pages), sample=5))
    assert streamed == analyse(pages[:5]).blocks + [
        b for p in pages[5:] for b in analyse(pages[:5] + [p]).blocks[-3:]
    ]
    assert sum(isinstance(b, Heading) for b in streamed) == 30
    assert not any("Running head" in text_of(b) for b in streamed if hasattr(b, "inlines"))
    assert list(iter_blocks(pages[:4])) == analyse(pages[:4]).blocks


def tall(text, x, y, size=10.9, bold=False, box=1.42) -> Span:
    """A span whose font box is far taller than its size (Latin Modern's: 1.42 em)."""
    return Span(1, text, x, y, x + len(text) * size * 0.5, y + box * size, size, bold)


def test_rows_closer_than_their_font_boxes_stay_rows_of_a_table():
    # LuaLaTeX: 15.5 pt boxes for 10.9 pt text, rows 14 pt apart: the boxes overlap, the text does not.
    prose = "Body text set in Latin Modern at its usual size, long enough to be the body."
    spans = [tall(prose, 57, 60 + n * 13.5) for n in range(3)]
    rows = [("Business", "Delivery", "Archive"), ("15,307.95", "capital", "54,131.99")]
    rows += [("decision", "80,370.20", "draft"), ("12.00", "partner", "52,183.08")]
    for r, row in enumerate(rows):
        spans += [tall(value, 65 + c * 140, 120 + r * 14, bold=r == 0) for c, value in enumerate(row)]
    spans += [tall(prose, 57, 200 + n * 13.5) for n in range(2)]
    document = analyse([LayoutPage(1, 612, 792, spans)])
    assert kinds(document) == ["PageStart", "Paragraph", "Table", "Paragraph"]
    table = document.blocks[2]
    assert [[text_of(c) for c in row] for row in table.rows] == [list(row) for row in rows]
    assert all(c.header for c in table.rows[0]) and not any(c.header for c in table.rows[1])


def test_a_column_set_a_little_lower_than_its_neighbour_is_still_read_column_by_column():
    # Two columns whose lines interleave (the right one 4 pt lower), too few lines for a gutter:
    # read as prose side by side. The left column's last line is under its line above but beside
    # the right column's: it belongs to that row of lines, not to a row of its own.
    spans = [
        span("The left column starts with this sentence and", 72, 100, size=11),
        span("The right column begins here with its own words", 330, 104, size=11),
        span("goes on with its second line of words and", 72, 115, size=11),
        span("and closes on a second line of prose too.", 330, 119, size=11),
        span("ends here.", 72, 130, size=11),
    ]
    document = analyse([LayoutPage(1, 612, 792, spans)])
    assert [text_of(b) for b in document.blocks if isinstance(b, ParagraphBlock)] == [
        "The left column starts with this sentence and goes on with its second line of words and ends here.",
        "The right column begins here with its own words and closes on a second line of prose too.",
    ]


def test_a_title_repeated_small_as_the_running_head_stays_the_title():
    pages = []
    for number in range(1, 4):
        spans = [span("Annual report of the board", 72, 30, size=8, page=number)]
        if number == 1:
            spans.append(span("Annual report of the board", 72, 60, size=20, bold=True))
        spans += body_lines(
            [f"Body text on page {number}, long enough to be the body size."], y=300, page=number
        )
        pages.append(LayoutPage(number, 612, 792, spans))
    document = analyse(pages)
    headings = [(b.level, text_of(b)) for b in document.blocks if isinstance(b, Heading)]
    assert headings == [(1, "Annual report of the board")]
    assert not any(
        text_of(b) == "Annual report of the board" for b in document.blocks if isinstance(b, ParagraphBlock)
    )


def test_a_size_set_only_in_bold_just_over_the_body_is_a_heading_level():
    # LaTeX: \subsubsection 12 pt bold, \paragraph 10.95 pt bold, over a 10.95 pt body.
    prose = "Body text at the body size, long enough to outweigh every heading in it."
    spans = [
        span("Section", 72, 60, size=14.3, bold=True),
        *[span(prose, 72, 90 + n * 13.5, size=10.95) for n in range(3)],
        span("Subsubsection", 72, 140, size=12, bold=True),
        *[span(prose, 72, 165 + n * 13.5, size=10.95) for n in range(3)],
        span("Paragraph heading", 72, 215, size=10.95, bold=True),
        *[span(prose, 72, 235 + n * 13.5, size=10.95) for n in range(3)],
    ]
    document = analyse([LayoutPage(1, 612, 792, spans)])
    headings = [(b.level, text_of(b)) for b in document.blocks if isinstance(b, Heading)]
    assert headings == [(1, "Section"), (2, "Subsubsection"), (3, "Paragraph heading")]


def test_latex_third_level_bullets_are_list_markers():
    spans = [
        span("∗ Finance archive", 72, 100),
        span("∗ Subject transfer", 72, 112),
        span("· Tenant trust", 72, 124),
    ]
    lists = [b for b in analyse([LayoutPage(1, 612, 792, spans)]).blocks if isinstance(b, ListBlock)]
    assert [["".join(i.text for i in item) for item in lst.items] for lst in lists] == [
        ["Finance archive", "Subject transfer", "Tenant trust"]
    ]


def test_a_heading_wrapped_with_loose_leading_is_one_heading_and_two_headings_stay_two():
    # LibreOffice: DejaVu's box is 0.98 em tall, a wrapped heading's lines 1.6 em apart
    spans = [
        tall("Grant proposal amount liability", 57, 45, size=24, bold=True, box=0.98),
        tall("damages evidence", 57, 83, size=24, bold=True, box=0.98),
        *body_lines(["Body text under the title, long enough to be the body size."] * 3, y=130),
        tall("First section", 57, 200, size=24, bold=True, box=0.98),
        tall("Second section", 57, 250, size=24, bold=True, box=0.98),  # 2.1 em: a heading of its own
        *body_lines(["Body text under the sections, long enough to be the body size."] * 3, y=300),
    ]
    document = analyse([LayoutPage(1, 612, 792, spans)])
    assert [text_of(b) for b in document.blocks if isinstance(b, Heading)] == [
        "Grant proposal amount liability damages evidence",
        "First section",
        "Second section",
    ]


def _column(side: str, lines: int) -> list[str]:
    """A paragraph's lines: a capital at its start, a full stop at its end."""
    return [f"{side} words of line {n} in the column" for n in range(lines - 1)] + [f"{side} ends here."]


def _two_columns(left: list[str], right: list[str], y=100.0, pitch=14.0) -> list[Span]:
    return [span(t, 57, y + n * pitch, size=11, width=230) for n, t in enumerate(left)] + [
        span(t, 316, y + n * pitch, size=11, width=230) for n, t in enumerate(right)
    ]


def test_a_left_column_line_reaching_into_the_gutter_is_cut_from_the_right_column_line():
    left, right = _column("Left", 10), _column("Right", 10)
    spans = _two_columns(left, right)
    # the last left line runs 8 pt into the gutter, 9.5 pt (0.86 em) short of the right column
    spans[9] = span(left[9], 57, 226, size=11, width=249.5)
    document = analyse([LayoutPage(1, 612, 792, spans)])
    paragraphs = [text_of(b) for b in document.blocks if isinstance(b, ParagraphBlock)]
    assert paragraphs == [" ".join(left), " ".join(right)]


def test_a_heading_in_one_column_beside_a_line_reaching_into_the_gutter_stays_a_heading():
    # 8 pt between the left line and an 18 pt heading: under half its em, over half the body's.
    left, right, after = _column("Left", 12), _column("Right", 4), _column("After", 6)
    spans = _two_columns(left, right)
    spans[5] = span(left[5], 57, 170, size=11, width=251)
    spans += [span("Audit audit order", 316, 166, size=18, bold=True)]
    spans += [span(t, 316, 194 + n * 14, size=11, width=230) for n, t in enumerate(after)]
    document = analyse([LayoutPage(1, 612, 792, spans)])
    assert [text_of(b) for b in document.blocks if isinstance(b, Heading)] == ["Audit audit order"]
    assert [text_of(b) for b in document.blocks if isinstance(b, ParagraphBlock)][0] == " ".join(left)


def test_columns_with_a_table_at_the_foot_of_one_are_read_as_columns_above_it():
    left, right = _column("Left", 14), _column("Right", 6)
    spans = _two_columns(left, right)
    for r in range(5):  # a table of short cells under the right column's text
        spans += [span(f"{r}{c}.00", 320 + c * 70, 200 + r * 14, size=11) for c in range(3)]
    document = analyse([LayoutPage(1, 612, 792, spans)])
    paragraphs = [text_of(b) for b in document.blocks if isinstance(b, ParagraphBlock)]
    # the stretch in columns ends as soon as what is left of it is prose on both sides: the right
    # column's text is read whole, after the left column's lines beside it
    assert paragraphs[0].startswith(" ".join(left[:8]))
    assert paragraphs[1] == " ".join(right)


def test_a_column_of_list_items_with_bullets_set_apart_is_a_column():
    # LibreOffice: the bullet is drawn 10 pt before its item's text (a segment of its own).
    left = _column("Left", 10)
    spans = [span(t, 57, 100 + n * 14, size=11, width=230) for n, t in enumerate(left)]
    items = [f"Item {n} of the list in the column" for n in range(10)]
    for n, item in enumerate(items):
        spans += [span("•", 330, 100 + n * 14, size=11, width=4), span(item, 346, 100 + n * 14, size=11)]
    document = analyse([LayoutPage(1, 612, 792, spans)])
    assert kinds(document) == ["PageStart", "Paragraph", "ListBlock"]
    assert text_of(document.blocks[1]) == " ".join(left)
    assert ["".join(i.text for i in item) for item in document.blocks[2].items] == items


def test_short_cells_between_gutters_are_no_columns_of_prose():
    spans = body_lines(["Intro text above the table, long enough to be body text here."], y=60)
    for r in range(8):
        row = ("share office", "filing case", "tax motion", "party audit", "court service")
        spans += [span(value, 57 + c * 105, 90 + r * 18) for c, value in enumerate(row)]
    document = analyse([LayoutPage(1, 612, 792, spans)])
    assert kinds(document) == ["PageStart", "Paragraph", "Table"]
    assert len(document.blocks[2].rows) == 8


def test_cells_wrapped_at_the_top_of_their_rows_join_their_row():
    # Typst: cells set at the top; a wrapped cell's next line is closer than the next row.
    def row(values, y):
        return [span(v, 57 + c * 110, y, size=11) for c, v in enumerate(values) if v]

    spans = row(("Exhibit", "Analysis", "Proposal"), 62)
    spans += row(("41,966.22", "transfer", "trust ledger"), 79.3)
    spans += row(("", "", "employee"), 93.7)
    spans += row(("76,340.55", "counsel notice", "grant"), 111)
    spans += row(("", "debtor", "settlement"), 125.4)
    spans += row(("87,880.67", "holder", "process"), 142.7)
    spans += body_lines(["A paragraph after the table, long enough to be the body size here."], y=175)
    document = analyse([LayoutPage(1, 612, 792, spans)])
    assert kinds(document) == ["PageStart", "Table", "Paragraph"]
    assert [[text_of(c) for c in r] for r in document.blocks[1].rows] == [
        ["Exhibit", "Analysis", "Proposal"],
        ["41,966.22", "transfer", "trust ledger employee"],
        ["76,340.55", "counsel notice debtor", "grant settlement"],
        ["87,880.67", "holder", "process"],
    ]


def test_a_row_whose_cells_all_wrap_at_the_top_is_one_row():
    # WeasyPrint: every cell of the last row wraps onto a second line, set closer than the rows.
    def row(values, y):
        return [span(v, 57 + c * 110, y, size=11) for c, v in enumerate(values)]

    spans = row(("Client risk", "Period", "Grant"), 161.4)
    spans += row(("Purchase", "deposition", "87,483.37"), 181.0)
    spans += row(("Trust issue", "66,365.06", "26,386.68"), 200.6)
    spans += row(("Meeting", "matter deadline", "vendor"), 220.2)
    spans += row(("meeting", "finance", "property"), 235.1)
    spans += body_lines(["A paragraph after the table, long enough to be the body size here."], y=270)
    document = analyse([LayoutPage(1, 612, 792, spans)])
    assert kinds(document) == ["PageStart", "Table", "Paragraph"]
    assert [text_of(c) for c in document.blocks[1].rows[-1]] == [
        "Meeting meeting",
        "matter deadline finance",
        "vendor property",
    ]


def test_columns_under_a_table_whose_gap_lines_up_with_their_gutter_leave_the_table_whole():
    cells = ("Deadline", "Delivery", "Audit", "Tax")
    spans = []
    for r in range(4):
        spans += [span(f"{v} {r}", 57 + c * 130, 60 + r * 18, size=11) for c, v in enumerate(cells)]
    spans += _two_columns(_column("Left", 10), _column("Right", 10), y=150)
    document = analyse([LayoutPage(1, 612, 792, spans)])
    assert kinds(document)[:2] == ["PageStart", "Table"]
    table = document.blocks[1]
    assert [text_of(c) for c in table.rows[-1]] == ["Deadline 3", "Delivery 3", "Audit 3", "Tax 3"]
    assert [text_of(b) for b in document.blocks[2:]] == [
        " ".join(_column("Left", 10)),
        " ".join(_column("Right", 10)),
    ]


def test_a_table_after_prose_side_by_side_is_a_table_of_its_own():
    spans = [
        span("The left column starts with this sentence and", 72, 100),
        span("The right column begins here with its own words", 330, 102),
        span("ends on its second line of prose here, done.", 72, 114),
        span("and closes on a second line of prose too.", 330, 116),
    ]
    for r in range(4):
        spans += [span(v, 72 + c * 150, 150 + r * 16) for c, v in enumerate((f"Item {r}", f"{r}.50"))]
    document = analyse([LayoutPage(1, 612, 792, spans)])
    assert kinds(document) == ["PageStart", "Paragraph", "Paragraph", "Table"]
    assert [[text_of(c) for c in r] for r in document.blocks[3].rows][0] == ["Item 0", "0.50"]


def test_a_first_row_of_words_over_numbers_is_the_header():
    rows = [("Credit party", "Matter", "Holder")]
    rows += [("54,178.16", "84,074.44", "partner"), ("99,142.20", "29,893.77", "17,987.29")]
    spans = [span(v, 72 + c * 150, 90 + r * 17) for r, row in enumerate(rows) for c, v in enumerate(row)]
    table = next(b for b in analyse([LayoutPage(1, 612, 792, spans)]).blocks if isinstance(b, TableBlock))
    assert [c.header for c in table.rows[0]] == [True, True, True]
    assert not any(c.header for c in table.rows[1])


def test_the_same_spans_give_the_same_blocks():
    spans = body_lines([f"line {n} of some text" for n in range(20)]) + [span("Title", 72, 40, size=20)]
    assert analyse([LayoutPage(1, 612, 792, spans)]) == analyse(
        [LayoutPage(1, 612, 792, list(reversed(spans)))]
    )


# PDFs made with reportlab


@pytest.fixture(scope="module")
def engine() -> LocalDocumentEngine:
    return LocalDocumentEngine()


def _read(engine, pdf: Path):
    pages = list(read_pages(engine, pdf))
    return pages, analyse([p.layout_page({n: f"img-{n}.png" for n in range(len(p.images))}) for p in pages])


def test_a_reportlab_document_gives_its_headings_link_lists_figure_and_table(tmp_path, engine):
    picture = tmp_path / "red.png"
    Image.new("RGB", (60, 40), (200, 30, 30)).save(picture)
    pdf = tmp_path / "report.pdf"
    body = STYLES["BodyText"]
    SimpleDocTemplate(str(pdf), pagesize=letter).build(
        [
            Paragraph("Annual Report", STYLES["Title"]),
            Paragraph("Introduction", STYLES["Heading2"]),
            Paragraph(
                "The first paragraph is long enough to wrap onto a second line so that lines are seen to "
                "join into one paragraph, with <a href='https://example.com/x'>a link</a> and words after.",
                body,
            ),
            Paragraph("A second paragraph, shorter.", body),
            ListFlowable(
                [ListItem(Paragraph("Apples", body)), ListItem(Paragraph("Pears", body))], bulletType="bullet"
            ),
            ListFlowable(
                [ListItem(Paragraph("Step one", body)), ListItem(Paragraph("Step two", body))], bulletType="1"
            ),
            Paragraph("Figures", STYLES["Heading2"]),
            RLImage(str(picture), width=120, height=80),
            Table(
                [["Name", "Amount"], ["Alpha", "10"], ["Beta", "20"]],
                style=TableStyle([("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold")]),
            ),
        ]
    )
    pages, document = _read(engine, pdf)
    assert [p.scanned for p in pages] == [False]
    saved = []
    ((page, by_ocr),) = layout_pages(engine, pdf, save_image=lambda image: saved.append(image) or "red.png")
    assert not by_ocr and [i.asset for i in page.images] == ["red.png"] and saved[0].png is None
    assert kinds(document) == [
        "PageStart",
        "Heading",
        "Heading",
        "Paragraph",
        "Paragraph",
        "ListBlock",
        "ListBlock",
        "Heading",
        "Figure",
        "Table",
    ]
    assert [(b.level, text_of(b)) for b in document.blocks if isinstance(b, Heading)] == [
        (1, "Annual Report"),
        (2, "Introduction"),
        (2, "Figures"),
    ]
    assert ("a link", "https://example.com/x") in [(i.text, i.href) for i in document.blocks[3].inlines]
    assert text_of(document.blocks[3]).endswith("and words after.")
    assert [b.ordered for b in document.blocks if isinstance(b, ListBlock)] == [False, True]
    table = document.blocks[9]
    assert [[text_of(c) for c in row] for row in table.rows] == [
        ["Name", "Amount"],
        ["Alpha", "10"],
        ["Beta", "20"],
    ]
    assert table.rows[0][0].header
    image = pages[0].images[0]
    assert (round(image.x1 - image.x0), round(image.y1 - image.y0)) == (120, 80)
    with Image.open(io.BytesIO(image.png)) as extracted:
        assert extracted.size == (60, 40)
        assert extracted.convert("RGB").getpixel((30, 20)) == (200, 30, 30)
    assert isinstance(document.blocks[8], Figure) and document.blocks[8].asset == "img-0.png"


def test_a_reportlab_two_column_document_reads_in_order_without_its_running_header(tmp_path, engine):
    pdf = tmp_path / "columns.pdf"

    def furniture(canvas, doc):
        canvas.setFont("Helvetica", 8)
        canvas.drawString(72, 760, f"ACME Corp confidential report, revision {doc.page}")
        canvas.drawCentredString(306, 30, f"Page {doc.page}")

    frames = [Frame(72, 72, 220, 650, id="left"), Frame(320, 72, 220, 650, id="right")]
    template = BaseDocTemplate(
        str(pdf), pagesize=letter, pageTemplates=[PageTemplate(frames=frames, onPage=furniture)]
    )
    story = []
    for n in range(1, 7):
        story.append(Paragraph(f"Section {n}", STYLES["Heading2"]))
        for k in range(3):
            words = "lorem ipsum dolor sit amet consectetur adipiscing elit " * 4
            story.append(Paragraph(f"Text of section {n} paragraph {k}: {words}", STYLES["BodyText"]))
    template.build(story)
    pages, document = _read(engine, pdf)
    assert len(pages) == 2
    headings = [text_of(b) for b in document.blocks if isinstance(b, Heading)]
    assert headings == [f"Section {n}" for n in range(1, 7)]
    paragraphs = [text_of(b) for b in document.blocks if isinstance(b, ParagraphBlock)]
    starts = [p.split(":")[0] for p in paragraphs if p.startswith("Text of")]
    assert starts == [f"Text of section {n} paragraph {k}" for n in range(1, 7) for k in range(3)]
    everything = " ".join(paragraphs)
    assert "ACME" not in everything and "Page 1" not in everything
    assert "lorem lorem" not in everything  # no line of the other column read in between


def test_a_scanned_page_is_flagged_and_read_by_ocr_into_the_same_structure(tmp_path, engine):
    # A page drawn with known sizes, rendered to pixels, then wrapped as an image-only PDF.
    drawn = tmp_path / "drawn.pdf"
    page = rl_canvas.Canvas(str(drawn), pagesize=letter)
    page.setFont("Helvetica-Bold", 28)
    page.drawString(inch, 10 * inch, "Quarterly Summary")
    page.setFont("Helvetica", 12)
    lines = [
        "Revenue grew in every region during the quarter",
        "and the board approved the budget for next year.",
        "Costs were lower than planned in most offices.",
    ]
    for n, line in enumerate(lines):
        page.drawString(inch, 9.3 * inch - n * 16, line)
    page.save()
    image = engine.render_page(drawn, 0, 200, grayscale=True)
    scan = tmp_path / "scan.pdf"
    image.save(scan, "PDF", resolution=200)
    pages = list(read_pages(engine, scan))
    assert pages[0].scanned and not pages[0].spans and len(pages[0].images) == 1
    read = ocr_page(engine, scan, pages[0])
    assert read.spans and read.scanned
    saved = []
    ((layout_page, by_ocr),) = layout_pages(
        engine, scan, save_image=lambda image: saved.append(image) or "x.png"
    )
    assert by_ocr and layout_page.spans == read.spans
    assert saved == []  # the scan is the page's background, not a figure to keep
    document = analyse([layout_page], source="ocr")
    assert kinds(document) == ["PageStart", "Heading", "Paragraph"], document.blocks  # the scan is no figure
    assert text_of(document.blocks[1]) == "Quarterly Summary"
    assert "board approved the budget" in text_of(document.blocks[2])
    assert 9 < read.spans[-1].size < 15


def test_an_image_inside_a_form_xobject_is_placed_where_it_is_drawn(tmp_path, engine):
    import pikepdf

    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, bytes([255, 0, 0] * 4))
    image.Type, image.Subtype, image.Width, image.Height = (
        pikepdf.Name.XObject,
        pikepdf.Name.Image,
        2,
        2,
    )
    image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
    form = pikepdf.Stream(pdf, b"q 50 0 0 40 10 10 cm /Im1 Do Q")
    form.Type, form.Subtype, form.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, 300, 300]
    form.Matrix = [2, 0, 0, 2, 0, 0]
    form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=image))
    page = pdf.add_blank_page(page_size=(612, 792))
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F1=form))
    page.Contents = pdf.make_stream(b"q 1 0 0 1 100 200 cm /F1 Do Q")
    path = tmp_path / "form.pdf"
    pdf.save(path)
    (read,) = read_pages(engine, path)
    # In the form: 10..60 x 10..50, doubled by its /Matrix, moved by (100, 200); y from the top.
    assert [(i.x0, i.y0, i.x1, i.y1) for i in read.images] == [(120, 492, 220, 572)]
    with Image.open(io.BytesIO(read.images[0].png)) as extracted:
        assert extracted.convert("RGB").getpixel((0, 0)) == (255, 0, 0)


def test_only_web_and_mail_links_are_kept(tmp_path, engine):
    pdf = tmp_path / "links.pdf"
    page = rl_canvas.Canvas(str(pdf), pagesize=letter)
    page.setFont("Helvetica", 12)
    for n, uri in enumerate(
        ["https://example.org/a", "javascript:alert(1)", "mailto:clerk@example.org", "file:///etc/passwd"]
    ):
        y = 700 - n * 30
        page.drawString(72, y, f"target {n}")
        page.linkURL(uri, (70, y - 3, 140, y + 12), relative=0)
    page.save()
    (read,) = read_pages(engine, pdf)
    assert [(s.text, s.link) for s in read.spans] == [
        ("target 0", "https://example.org/a"),
        ("target 1", None),
        ("target 2", "mailto:clerk@example.org"),
        ("target 3", None),
    ]


def test_a_chromium_printed_page_gives_its_drawn_bullets_columns_and_headings(tmp_path, engine):
    from playwright.sync_api import sync_playwright

    chromium = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).exists()), None)
    assert chromium, (
        "no system Chromium: run `scripts/setup.sh base test` (installs the apt package `chromium`)"
    )
    sentences = " ".join(f"Column sentence number {n} is here." for n in range(60))
    html = f"""<!doctype html><html lang="en"><head><style>body {{ font: 11pt sans-serif }}
    .cols {{ columns: 2; column-gap: 2em }}</style></head><body>
    <h1>Settlement agreement</h1>
    <p>This agreement is made between the parties named below on the date written at its end.</p>
    <h2>Definitions</h2><ul><li>Party means a signatory.</li><li>Court means the district court.</li></ul>
    <h2>Terms</h2><ol><li>The first payment is due in thirty days.</li><li>The second in ninety.</li></ol>
    <div class="cols"><p>{sentences}</p></div></body></html>"""
    source = tmp_path / "page.html"
    source.write_text(html)
    pdf = tmp_path / "page.pdf"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(source.as_uri())
            page.pdf(path=str(pdf))
        finally:
            browser.close()
    _, document = _read(engine, pdf)
    # The column break falls between two sentences: where one column ends a paragraph may end too.
    columns = [b for b in document.blocks if isinstance(b, ParagraphBlock)][1:]
    assert kinds(document)[: 7 + 1] == [
        "PageStart",
        "Heading",
        "Paragraph",
        "Heading",
        "ListBlock",
        "Heading",
        "ListBlock",
        "Paragraph",
    ]
    assert kinds(document)[8:] == ["Paragraph"] * (len(columns) - 1)
    lists = [b for b in document.blocks if isinstance(b, ListBlock)]
    assert [lst.ordered for lst in lists] == [False, True]  # the discs are paths, the numbers text
    assert ["".join(i.text for i in item) for item in lists[0].items] == [
        "Party means a signatory.",
        "Court means the district court.",
    ]
    assert " ".join(text_of(b) for b in columns) == sentences  # both columns, in reading order


# The real-world corpus (tests/corpus/, see SOURCES.md)

READABLE = [
    "google-docs-skia.pdf",
    "pdflatex-outline.pdf",
    "libreoffice-acroform.pdf",
    "pypdf-rotated-pages.pdf",
    "chromium-hebrew-arabic.pdf",
    "damaged-truncated-repairable.pdf",
    "wkhtmltopdf-qt.pdf",
    "groff-memo.pdf",
]


@pytest.mark.parametrize("name", READABLE)
def test_real_world_pdfs_give_text_and_structure(name, engine):
    pages, document = _read(engine, CORPUS / name)
    assert pages and all(p.width > 0 and p.height > 0 for p in pages)
    assert any(len(span.text) > 3 for p in pages for span in p.spans)
    assert all(
        0 <= s.x0 <= s.x1 <= p.width + 1 and 0 <= s.y0 <= s.y1 <= p.height + 1 for p in pages for s in p.spans
    )
    assert sum(isinstance(b, ParagraphBlock | Heading) for b in document.blocks) >= 1
    assert sum(isinstance(b, PageStart) for b in document.blocks) == len(pages)


def test_a_real_scan_is_flagged_for_ocr(engine):
    pages = list(read_pages(engine, CORPUS / "img2pdf-g4-scan.pdf", images=False))
    assert [p.scanned for p in pages] == [True]
    assert pages[0].images and pages[0].images[0].png is None


@pytest.mark.parametrize(
    "name,error",
    [
        ("libreoffice-user-password.pdf", DocumentEncrypted),
        ("qpdf-user-password-aes256.pdf", DocumentEncrypted),
        ("damaged-truncated.pdf", DocumentUnreadable),
        ("zero-bytes.pdf", DocumentUnreadable),
        ("not-a-pdf.pdf", DocumentUnreadable),
    ],
)
def test_encrypted_and_damaged_pdfs_raise_typed_errors_naming_no_path(name, error, engine):
    with pytest.raises(error) as raised:
        list(read_pages(engine, CORPUS / name))
    assert str(CORPUS) not in str(raised.value)


def test_a_pdf_without_pages_is_unreadable(tmp_path, engine):
    import pikepdf

    empty = tmp_path / "empty.pdf"
    pikepdf.new().save(empty)
    with pytest.raises(DocumentUnreadable):
        list(read_pages(engine, empty))


def test_a_cell_gap_just_under_a_font_size_still_splits_the_spans(tmp_path, engine):
    """Typst sets table cells 10 pt apart in 11 pt type: the text layer's runs must break there (the
    gap layout analysis cuts segments at, 0.9 em), or the row reaches layout as one merged cell.
    Words a space apart stay one span."""
    pdf = tmp_path / "cells.pdf"
    page = rl_canvas.Canvas(str(pdf), pagesize=letter)
    page.setFont("Helvetica", 11)
    page.drawString(72, 700, "Merger employee")
    left = 72 + page.stringWidth("Merger employee", "Helvetica", 11)
    page.drawString(left + 10.2, 700, "52,034.23")
    page.save()
    [read] = list(read_pages(engine, pdf))
    assert [s.text for s in read.spans] == ["Merger employee", "52,034.23"]
