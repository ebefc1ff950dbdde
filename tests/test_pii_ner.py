"""The optional named-entity layer (domain/pii/ner.py): long texts read in pieces with their offsets kept,
and, where spaCy and an English pipeline are installed (the `ner` group), person names found in place."""

from __future__ import annotations

import pytest

from domain.pii.ner import load_ner, pieces, within_cell
from domain.pii.recognizers import PERSON
from domain.pii.scan import Scanner


def test_pieces_cut_at_whitespace_and_keep_every_character() -> None:
    text = "Maria Garcia signed. " * 30  # 630 characters
    parts = list(pieces(text, size=100))
    assert "".join(p for _, p in parts) == text
    assert all(len(p) <= 100 for _, p in parts) and len(parts) > 6
    assert all(text[offset : offset + len(p)] == p for offset, p in parts)
    assert all(p.endswith(" ") for _, p in parts[:-1])  # no word cut in two


def test_pieces_of_text_without_whitespace_and_of_nothing() -> None:
    assert list(pieces("x" * 250, size=100)) == [(0, "x" * 100), (100, "x" * 100), (200, "x" * 50)]
    assert list(pieces("", size=100)) == [(0, "")]
    assert list(pieces("short", size=100)) == [(0, "short")]


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        ("Sincerely,\nIrene Lucas\nNurse\n", (11, 28), "Irene Lucas"),  # runs on into the next line
        ("Ulla Trubin\t376-05-2679\t08/20/1984", (0, 23), "Ulla Trubin"),  # and into the next cell
        ("Call  Maria Garcia  now", (4, 20), "Maria Garcia"),
        ("Name:\n\nBob", (5, 10), "Bob"),  # the first stretch with a word
    ],
)
def test_an_entity_is_kept_within_one_line_and_cell(text: str, span: tuple[int, int], expected: str) -> None:
    start, end = within_cell(text, *span)
    assert text[start:end] == expected


def test_an_entity_of_only_separators_is_dropped() -> None:
    assert within_cell("a\n\t \nb", 1, 5) is None


def test_no_pipeline_under_an_unknown_name() -> None:
    # None both without spaCy (ImportError) and with it (OSError for a package that is not there).
    assert load_ner(("no_such_pipeline_installed",)) is None


@pytest.fixture(scope="module")
def ner():
    pytest.importorskip("spacy", reason="the optional `ner` group is not installed")
    found = load_ner()
    if found is None:
        pytest.skip("spaCy is installed but no English pipeline of domain.pii.ner.MODEL_NAMES is")
    return found


def test_a_person_is_found_by_the_scanner(ner) -> None:
    text = "Please send the signed amendment to Maria Garcia before Friday. Acme Corp will pay."
    found = [(m.type, m.value) for m in Scanner(types=(PERSON,), ner=ner).matches(text)]
    assert found == [(PERSON, "Maria Garcia")]


def test_a_person_past_the_first_piece_keeps_its_offsets(ner) -> None:
    text = "The quarterly forecast was revised. " * 3_000 + "Please call John Smith about the invoice."
    assert len(text) > 100_000  # more than one piece
    people = [text[s:e] for s, e, label in ner(text) if label == PERSON]
    assert "John Smith" in people


def test_no_entity_runs_over_a_line_or_a_cell(ner) -> None:
    text = "Thanks,\nThomas Lee\nHealth visitor\nAcme Corp\n\nName\tSSN\nUlla Trubin\t376-05-2679\n"
    spans = ner(text)
    assert spans and not any({"\n", "\t"} & set(text[s:e]) for s, e, _ in spans)
