"""A document as blocks of annotated parts, and its renderings as plain text, CSV and sheet rows.

A part is either plain text (a `str`) or an `Ann` (a planted value, a look-alike negative or a
person's name, whose text is its value). Rendering keeps every annotation's offsets exact, so a
record's span always reads back as its value.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

Part = "str | Ann"


@dataclass(frozen=True)
class Ann:
    kind: str  # "planted" | "negative" | "person"
    type: str  # the PII type (planted/person) or the type it looks like (negative)
    form: str
    value: str


def P(type_: str, form: str, value: str) -> Ann:  # noqa: N802 (reads like a tag in templates)
    return Ann("planted", type_, form, value)


def N(form: str, looks_like: str, value: str) -> Ann:  # noqa: N802
    return Ann("negative", looks_like, form, value)


def PER(name: str) -> Ann:  # noqa: N802
    return Ann("person", "PERSON", "name", name)


@dataclass
class Doc:
    blocks: list[tuple] = field(default_factory=list)
    kv_sep: str = ": "  # how this form separates a field's label from its value

    def line(self, *parts) -> None:
        self.blocks.append(("para", [p for p in parts if p != ""]))

    def kv(self, label: str, *parts, sep: str | None = None) -> None:
        self.blocks.append(("kv", label, sep or self.kv_sep, [p for p in parts if p != ""]))

    def table(self, header: list[str], rows: list[list]) -> None:
        """rows: each cell is a str, an Ann, or a list of parts."""
        cells = [[c if isinstance(c, list) else [c] for c in row] for row in rows]
        self.blocks.append(("table", header, cells))

    def blank(self) -> None:
        self.blocks.append(("blank",))

    def page(self) -> None:
        self.blocks.append(("page",))

    def annotations(self) -> list[Ann]:
        found: list[Ann] = []
        for block in self.blocks:
            for parts in _block_part_lists(block):
                found.extend(p for p in parts if isinstance(p, Ann))
        return found


def _block_part_lists(block: tuple) -> list[list]:
    if block[0] == "para":
        return [block[1]]
    if block[0] == "kv":
        return [block[3]]
    if block[0] == "table":
        return [cell for row in block[2] for cell in row]
    return []


def _text(parts: list) -> str:
    return "".join(p.value if isinstance(p, Ann) else p for p in parts)


# --- OCR-style noise on the words around the values (never on a value) -----------------------

_OCR_SWAPS = {"S": "5", "l": "1", "o": "0", "O": "0", "I": "l", "i": "l", "e": "c", "B": "8", "m": "rn"}


def ocr_noise(text: str, r: random.Random, rate: float) -> str:
    out = []
    for i, ch in enumerate(text):
        left = text[i - 1] if i else " "
        right = text[i + 1] if i + 1 < len(text) else " "
        # Letters of a word only, never beside a digit: a digit next to a value would change where
        # the value ends.
        in_word = (left.isalpha() or right.isalpha()) and not (left.isdigit() or right.isdigit())
        if ch in _OCR_SWAPS and in_word and r.random() < rate:
            out.append(_OCR_SWAPS[ch])
        elif ch == " " and r.random() < rate / 2:
            out.append("  ")
        elif ch == " " and r.random() < rate / 6:
            out.append("\n")  # a line wrap the scanner broke
        else:
            out.append(ch)
    return "".join(out)


def noisy(doc: Doc, r: random.Random, rate: float) -> Doc:
    def fix(parts: list) -> list:
        return [p if isinstance(p, Ann) else ocr_noise(p, r, rate) for p in parts]

    blocks: list[tuple] = []
    for b in doc.blocks:
        if b[0] == "para":
            blocks.append(("para", fix(b[1])))
        elif b[0] == "kv":
            blocks.append(("kv", ocr_noise(b[1], r, rate), b[2], fix(b[3])))
        elif b[0] == "table":
            header = [ocr_noise(h, r, rate) for h in b[1]]
            blocks.append(("table", header, [[fix(c) for c in row] for row in b[2]]))
        else:
            blocks.append(b)
    return Doc(blocks)


# --- plain text -----------------------------------------------------------------------------


class _Writer:
    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.length = 0
        self.spans: list[tuple[Ann, int, int]] = []

    def put(self, part) -> None:
        text = part.value if isinstance(part, Ann) else part
        if isinstance(part, Ann):
            self.spans.append((part, self.length, self.length + len(text)))
        self.chunks.append(text)
        self.length += len(text)

    def text(self) -> str:
        return "".join(self.chunks)


def wrap(parts: list, width: int) -> list[list]:
    """Greedy wrap at spaces of plain text; an annotated part is never broken."""
    atoms: list[list] = [[]]
    for p in parts:
        if isinstance(p, Ann):
            atoms[-1].append(p)
            continue
        pieces = p.split(" ")
        for k, piece in enumerate(pieces):
            if k:
                atoms.append([])
            if piece:
                atoms[-1].append(piece)
    lines: list[list] = []
    current: list = []
    size = 0
    for atom in atoms:
        n = len(_text(atom))
        if current and size + 1 + n > width:
            lines.append(current)
            current, size = [], 0
        if current:
            current.append(" ")
            size += 1
        current.extend(atom)
        size += n
    if current:
        lines.append(current)
    return lines


def render_text(doc: Doc, r: random.Random, table_style: str, width: int | None) -> tuple[str, list]:
    w = _Writer()
    for b in doc.blocks:
        if b[0] == "para":
            lines = wrap(b[1], width) if width else [b[1]]
            for line in lines:
                for p in line:
                    w.put(p)
                w.put("\n")
        elif b[0] == "kv":
            w.put(b[1] + b[2])
            for p in b[3]:
                w.put(p)
            w.put("\n")
        elif b[0] == "table":
            _text_table(w, b[1], b[2], table_style)
        elif b[0] == "blank":
            w.put("\n")
        elif b[0] == "page":
            w.put("\f")
    return w.text(), w.spans


def _text_table(w: _Writer, header: list[str], rows: list[list], style: str) -> None:
    widths = [len(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(_text(cell)))
    if style == "tab":
        w.put("\t".join(header) + "\n")
        for row in rows:
            for i, cell in enumerate(row):
                if i:
                    w.put("\t")
                for p in cell:
                    w.put(p)
            w.put("\n")
        return
    if style == "pipe":
        w.put("| " + " | ".join(h.ljust(widths[i]) for i, h in enumerate(header)) + " |\n")
        w.put("|" + "|".join("-" * (n + 2) for n in widths) + "|\n")
        for row in rows:
            w.put("|")
            for i, cell in enumerate(row):
                w.put(" ")
                for p in cell:
                    w.put(p)
                w.put(" " * (widths[i] - len(_text(cell))) + " |")
            w.put("\n")
        return
    # aligned columns, two spaces apart, as a fixed-width report prints them
    w.put("  ".join(h.ljust(widths[i]) for i, h in enumerate(header)).rstrip() + "\n")
    w.put("  ".join("-" * n for n in widths) + "\n")
    for row in rows:
        for i, cell in enumerate(row):
            if i:
                w.put("  ")
            for p in cell:
                w.put(p)
            if i < len(row) - 1:
                w.put(" " * (widths[i] - len(_text(cell))))
        w.put("\n")


# --- spreadsheet rows (CSV text and XLSX sheets) ----------------------------------------------


def sheet_rows(doc: Doc, table_first: bool = False) -> list[list[list]]:
    """Sheets of rows of cells (each cell a list of parts): key/value lines become two cells,
    prose a one-cell row, a second table its own sheet. `table_first` (CSV exports): the first
    table's header row opens the file and the rest follows below it."""
    blocks = doc.blocks
    if table_first:
        first = next((k for k, b in enumerate(blocks) if b[0] == "table"), None)
        if first is not None:
            blocks = [blocks[first], ("blank",)] + blocks[:first] + blocks[first + 1 :]
    sheets: list[list[list]] = [[]]
    tables = 0
    for b in blocks:
        rows = sheets[-1]
        if b[0] == "para" and _is_field(b[1]):
            rows.append([[b[1][0].rstrip()], [b[1][1]]])  # "Label:" in one cell, the value in the next
        elif b[0] == "para":
            rows.append([b[1]])
        elif b[0] == "kv" and b[2] == "\n":
            rows.extend([[[b[1]]], [b[3]]])  # label cell above its value cell
        elif b[0] == "kv":
            rows.append([[b[1].rstrip(" :")], b[3]])
        elif b[0] == "table":
            tables += 1
            if tables > 1 and rows:
                sheets.append([])
                rows = sheets[-1]
            rows.append([[h] for h in b[1]])
            rows.extend(b[2])
        elif b[0] == "blank" and rows:
            rows.append([])
    return [s for s in sheets if s]


def _is_field(parts: list) -> bool:
    return (
        len(parts) == 2
        and isinstance(parts[0], str)
        and isinstance(parts[1], Ann)
        and parts[0].rstrip().endswith(":")
    )


def render_csv(doc: Doc) -> tuple[str, list]:
    w = _Writer()
    for sheet in sheet_rows(doc, table_first=True):
        for row in sheet:
            for i, cell in enumerate(row):
                if i:
                    w.put(",")
                text = _text(cell)
                quoted = any(ch in text for ch in ',"\n')
                if quoted:
                    w.put('"')
                for p in cell:
                    w.put(p.replace('"', '""') if isinstance(p, str) else p)
                if quoted:
                    w.put('"')
            w.put("\r\n")
    return w.text(), w.spans


def render_xlsx_rows(doc: Doc) -> tuple[list[list[list[str]]], list[Ann]]:
    sheets = [[[_text(cell) for cell in row] for row in sheet] for sheet in sheet_rows(doc)]
    return sheets, doc.annotations()
