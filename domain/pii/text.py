"""Text as the recognizers read it: the same length as the document's, so every span maps back unchanged.

Documents write one character many ways: a non-breaking hyphen (U+2011) or an en dash in an SSN, a
non-breaking or thin space in a phone number, fullwidth digits from East Asian input methods. The
recognizers' patterns speak ASCII, so a page is read through a one-to-one `str.translate` table that
folds those forms onto '-', ' ' and ASCII. Because no character is added or removed, a match's offsets
in the folded text are its offsets in the original, and the value reported is the original's
characters (NFKC would be shorter or longer for some characters, and the spans would drift).
"""

from __future__ import annotations

import re

_DASHES = [*range(0x2010, 0x2016), 0x2212, 0xFE58, 0xFE63, 0xFF0D]
_SPACES = [0x00A0, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000]

FOLD: dict[int, int] = {
    # Fullwidth ASCII (U+FF01..U+FF5E) is ASCII shifted by 0xFEE0: digits, letters, '@', '+', '(' ...
    **{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)},
    **dict.fromkeys(_DASHES, ord("-")),
    **dict.fromkeys(_SPACES, ord(" ")),
}


def fold(text: str) -> str:
    """`text` with Unicode dashes, spaces and fullwidth characters written as ASCII; same length."""
    return text.translate(FOLD)


# An international call prefix that starts a number: '00' (most of the world) or '011' (North America),
# followed by a country code, where a number starts (after a space, a bracket or a colon; not inside
# '212-555-0076' nor after a digit group, '591 011 9079'). libphonenumber reads '+' only, so the prefix
# is rewritten in place.
_CALL_PREFIX = re.compile(r"(?<![^\s(:;,\[<\"'])(?<!\d[ .-])(011|00)[ .-]?(?=[1-9])")


def plus_prefixes(text: str) -> tuple[str, list[tuple[int, int]]]:
    """`text` with each international call prefix (and its separator) rewritten as spaces and a '+'
    right before the country code ('00 44 20' -> '  +44 20', '011 44' -> '   +44'); same length. Also
    the rewritten spans, so a phone found there can be widened back to where its prefix starts."""
    spans: list[tuple[int, int]] = []

    def plus(m: re.Match[str]) -> str:
        spans.append((m.start(), m.end()))
        return " " * (m.end() - m.start() - 1) + "+"

    return _CALL_PREFIX.sub(plus, text), spans
