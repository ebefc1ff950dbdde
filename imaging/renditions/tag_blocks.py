"""A tagged PDF's structure elements as rendition blocks (the walk imaging/renditions/tagged.py runs).

Text flows into the open block; a block element (heading, paragraph, list, table, figure, a grouping
element) closes what is open. List items, table cells and captions are gathered by a nested builder
whose blocks are joined into one run of text. The reader passed in (`tagged._Reader`) resolves roles,
attributes, pages and the text of marked-content ids, and records which pages the content reached.
"""

from __future__ import annotations

import re

import pikepdf

from domain.renditions.model import Block, Cell, Figure, Heading, Inline, ListBlock, Paragraph, Table

MAX_DEPTH = 100  # deeper trees are hostile or broken; their deeper parts are skipped
CONTAINERS = frozenset(
    {"Document", "DocumentFragment", "Part", "Art", "Sect", "Div", "BlockQuote", "TOC", "TOCI", "Index"}
    | {"Aside", "Form", "LI", "LBody", "TBody", "THead", "TFoot", "TR"}  # out of place: just group
)
SECTIONS = frozenset({"Part", "Art", "Sect"})
ORDERED = frozenset({"Decimal", "UpperRoman", "LowerRoman", "UpperAlpha", "LowerAlpha"})
NUMBER_LABEL = re.compile(r"^\(?(\d{1,4}|[ivxlcdm]{1,6}|[a-z])[.)]", re.IGNORECASE)
# A label typed into the item's own text (LibreOffice tags no /Lbl: "1. Scope" is the LBody's text).
TEXT_LABEL = re.compile(
    r"^\s*(?:(\(?(?:\d{1,4}|[ivxlcdm]{1,6}|[a-z])[.)])|[•◦▪‣●○■□–\-*·∗])\s+", re.IGNORECASE
)


def name_of(value) -> str:
    return str(value)[1:] if isinstance(value, pikepdf.Name) else ""


def text_of(value) -> str | None:
    return str(value) if isinstance(value, pikepdf.String) else None


def is_dict(value) -> bool:
    return isinstance(value, pikepdf.Dictionary)


class BlockBuilder:
    """Turns elements into blocks. Text flows into the open block (`inlines`); a block element
    closes what is open, and a nested builder gathers the text of list items, cells and captions."""

    def __init__(self, reader, sink: list[Block] | None = None) -> None:
        self.reader = reader
        self.sink = sink  # None: the document itself (with page anchors)
        self.inlines: list[Inline] = []
        self.level: int | None = None  # the open block is a heading of this level
        self.href: str | None = None
        self.sections = 0

    def emit(self, block: Block) -> None:
        if self.sink is None:
            self.reader.add_block(block)
        else:
            self.sink.append(block)

    def flush(self) -> None:
        inlines = _tidy(self.inlines)
        self.inlines = []
        if inlines:
            self.emit(
                Heading(level=self.level, inlines=inlines) if self.level else Paragraph(inlines=inlines)
            )

    def kids(self, element, page: int | None, depth: int) -> None:
        kids = element.get("/K")
        if kids is None:
            return
        if not isinstance(kids, pikepdf.Array):
            self.kid(kids, page, depth)
            return
        # Between the kids of an element the document builder may let the reader reopen the PDF
        # (`reader.may_reopen`: qpdf holds every object it has read until the PDF is closed); the
        # element is then found again by its object number in the reopened PDF. Anywhere else (a
        # nested builder, a direct element) handles are held across the walk, so no reopening.
        refresh = self.sink is None and element.is_indirect
        objgen = element.objgen if refresh else None
        reader = self.reader
        opened = reader.opened
        if not refresh:
            reader.pins += 1
        try:
            index = 0
            while index < len(kids):
                if refresh:
                    reader.may_reopen()
                    if reader.opened != opened:
                        opened = reader.opened
                        kids = reader.source.get_object(objgen).get("/K")
                        if not isinstance(kids, pikepdf.Array):
                            return
                        continue
                self.kid(kids[index], page, depth)
                index += 1
        finally:
            if not refresh:
                reader.pins -= 1

    def kid(self, kid, page: int | None, depth: int) -> None:
        reader = self.reader
        if isinstance(kid, int):
            self.text(reader.content(page, kid))
            return
        if not is_dict(kid):
            return
        kind = name_of(kid.get("/Type"))
        if kind == "MCR":
            if "/Stm" not in kid and isinstance(kid.get("/MCID"), int):  # content of a form XObject: not read
                self.text(reader.content(reader.page(kid, page), kid.MCID))
        elif kind == "OBJR":
            return  # a link's annotation is read by its Link element; widgets carry no text
        elif depth < MAX_DEPTH and reader.enter(kid):
            self.element(kid, reader.page(kid, page), depth + 1)

    def text(self, text: str) -> None:
        if text:
            self.inlines.append(Inline(text=text, href=self.href))

    def element(self, element, page: int | None, depth: int) -> None:
        role = self.reader.role(element)
        if role == "Figure" or role == "Formula":
            self.figure(element, page, depth)
        elif role == "L":
            self.flush()
            items: list[list[Inline]] = []
            depths: list[int] = []
            ordered = self.list_items(element, page, depth, 0, items, depths)
            if items:
                block = ListBlock(ordered=ordered, items=items)
                if any(depths):
                    block.depths = depths
                self.emit(block)
        elif role == "Table":
            self.flush()
            table = self.table(element, page, depth)
            if table.rows:
                self.emit(table)
        elif role == "Link":
            saved, self.href = self.href, _link_uri(element) or self.href
            self.content(element, page, depth)
            self.href = saved
        elif role in {"H1", "H2", "H3", "H4", "H5", "H6"}:
            self.block(element, page, depth, int(role[1]))
        elif role in {"H", "Title"}:
            self.block(element, page, depth, 1 if role == "Title" else max(1, min(6, self.sections)))
        elif role in CONTAINERS or role in {"P", "Caption", "Note", "Code"}:
            self.sections += role in SECTIONS
            self.block(element, page, depth, None)
            self.sections -= role in SECTIONS
        else:  # Span, NonStruct, Quote, Reference, Em, unknown roles...: text in the open block
            self.content(element, page, depth)

    def block(self, element, page: int | None, depth: int, level: int | None) -> None:
        saved = self.level
        self.flush()
        self.level = level
        self.content(element, page, depth)
        self.flush()
        self.level = saved

    def content(self, element, page: int | None, depth: int) -> None:
        """The element's content, or its /ActualText in its place (its pages still count as read)."""
        actual = text_of(element.get("/ActualText"))
        if actual is None:
            self.kids(element, page, depth)
        else:
            self.swallow(element, page, depth)
            self.text(actual)

    def swallow(self, element, page: int | None, depth: int) -> None:
        """Walk an element for its pages only: its text is replaced or not wanted."""
        nested = BlockBuilder(self.reader, sink=[])
        nested.kids(element, page, depth)

    def gather(self, element, page: int | None, depth: int, itself: bool = False) -> list[Inline]:
        """The text of an element's content (`itself`: of the element, its role applied) as one run
        of inlines, the blocks inside joined by spaces."""
        sink: list[Block] = []
        nested = BlockBuilder(self.reader, sink=sink)
        nested.href = self.href
        if itself:
            nested.element(element, page, depth)
        else:
            nested.kids(element, page, depth)
        nested.flush()
        inlines: list[Inline] = []
        for block in sink:
            parts = [block.inlines] if isinstance(block, Heading | Paragraph) else []
            if isinstance(block, ListBlock):
                parts = block.items
            elif isinstance(block, Table):
                parts = [cell.inlines for row in block.rows for cell in row]
            for part in parts:
                inlines.extend(part)
                inlines.append(Inline(text=" "))
        return _tidy(inlines)

    def list_items(self, element, page, depth, level, items, depths) -> bool:
        """Append the items of list `element` (nested lists flattened after their item, one level
        deeper); True when the list is numbered (/ListNumbering, or else its first label)."""
        numbering = name_of(self.reader.attributes(element).get("ListNumbering"))
        ordered = numbering in ORDERED if numbering else None
        labelled = numbering not in ("", "None")  # /None: the labels are in the content
        own: list[int] = []  # this list's items (not its nested lists')
        for item, item_page in self.parts(element, page, depth):
            own.append(len(items))
            if _is_content(item):  # text straight under the list: an item of its own
                self.add_item(self.content_of(item, item_page, depth), level, items, depths)
                continue
            role = self.reader.role(item)
            if role == "L":
                self.list_items(item, item_page, depth + 1, level + 1, items, depths)
                continue
            if role == "Lbl":  # a label straight under the list, not in its item
                labelled = True
                label = self.plain(item, item_page, depth + 1)
                ordered = bool(NUMBER_LABEL.match(label)) if ordered is None and label else ordered
                continue
            if role != "LI":  # a caption, a paragraph...: kept as an item rather than lost
                self.add_item(self.gather(item, item_page, depth + 1, itself=True), level, items, depths)
                continue
            body: list[Inline] = []
            nested: list = []
            for part, part_page in self.parts(item, item_page, depth + 1):
                part_role = "" if _is_content(part) else self.reader.role(part)
                if part_role == "Lbl":  # the writer draws bullets and numbers itself
                    labelled = True
                    label = self.plain(part, part_page, depth + 2)
                    if ordered is None and label:
                        ordered = bool(NUMBER_LABEL.match(label))
                elif part_role == "L":
                    nested.append((part, part_page))
                elif part_role == "LBody":
                    for inner, inner_page in self.parts(part, part_page, depth + 2):
                        if not _is_content(inner) and self.reader.role(inner) == "L":
                            nested.append((inner, inner_page))
                        else:
                            body.extend(self.gather_one(inner, inner_page, depth + 3))
                else:
                    body.extend(self.gather_one(part, part_page, depth + 2))
            self.add_item(body, level, items, depths, keep=bool(nested))
            for inner, inner_page in nested:
                self.list_items(inner, inner_page, depth + 3, level + 1, items, depths)
        if not labelled:
            mine = [items[i] for i in dict.fromkeys(own) if i < len(items) and depths[i] == level]
            found = _strip_text_labels(mine)
            ordered = found if found is not None else ordered
        return bool(ordered)

    @staticmethod
    def add_item(body: list[Inline], level: int, items: list, depths: list[int], keep: bool = False) -> None:
        body = _tidy(body)
        if body or keep:  # an empty item is kept only to hold a nested list
            items.append(body)
            depths.append(level)

    def gather_one(self, part, page, depth) -> list[Inline]:
        """The text of one kid (an element, or marked content), a space after an element's."""
        if _is_content(part):
            return self.content_of(part, page, depth)
        return [*self.gather(part, page, depth, itself=True), Inline(text=" ")]

    def content_of(self, kid, page, depth) -> list[Inline]:
        nested = BlockBuilder(self.reader, sink=[])
        nested.href = self.href
        nested.kid(kid, page, depth)
        return nested.inlines

    def parts(self, element, page, depth):
        """The element's kids, child elements not seen before and marked content, with their pages."""
        kids = element.get("/K")
        if kids is None or depth >= MAX_DEPTH:
            return []
        found = []
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if _is_content(kid):
                found.append((kid, page))
            elif is_dict(kid) and name_of(kid.get("/Type")) != "OBJR" and self.reader.enter(kid):
                found.append((kid, self.reader.page(kid, page)))
        return found

    def plain(self, element, page, depth) -> str:
        return "".join(inline.text for inline in self.gather(element, page, depth)).strip()

    def children(self, element, page, depth):
        """The element's child elements not seen before, with their pages."""
        kids = element.get("/K")
        if kids is None or depth >= MAX_DEPTH:
            return []
        found = []
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if is_dict(kid) and name_of(kid.get("/Type")) not in {"MCR", "OBJR"} and self.reader.enter(kid):
                found.append((kid, self.reader.page(kid, page)))
        return found

    def table(self, element, page, depth) -> Table:
        table = Table(rows=[])

        def rows(parent, parent_page, level, in_head):
            for child, child_page in self.children(parent, parent_page, level):
                role = self.reader.role(child)
                if role in {"THead", "TBody", "TFoot"}:
                    rows(child, child_page, level + 1, role == "THead")
                elif role == "TR":
                    row = self.row(child, child_page, level + 1, in_head, len(table.rows))
                    if row:
                        table.rows.append(row)
                elif role == "Caption":
                    table.caption = self.plain(child, child_page, level + 1) or table.caption

        rows(element, page, depth, False)
        return table

    def row(self, element, page, depth, in_head: bool, index: int) -> list[Cell]:
        cells: list[Cell] = []
        for child, child_page in self.children(element, page, depth):
            role = self.reader.role(child)
            if role not in {"TH", "TD"}:
                continue
            attrs = self.reader.attributes(child)
            cell = Cell(inlines=self.gather(child, child_page, depth + 1), header=role == "TH")
            cell.colspan = _span(attrs.get("ColSpan"))
            cell.rowspan = _span(attrs.get("RowSpan"))
            if cell.header:
                scope = name_of(attrs.get("Scope"))
                if scope in {"Column", "Both"}:
                    cell.scope = "col"
                elif scope == "Row":
                    cell.scope = "row"
                else:  # no /Scope: a header in the table head or first row heads a column, else a row
                    cell.scope = "col" if in_head or index == 0 or cells else "row"
            cells.append(cell)
        return cells

    def figure(self, element, page, depth) -> None:
        """A Figure: its /Alt (or /ActualText), None when it has none. A Figure that groups other
        figures (HTML's <figure> around an <img>) gives those, with its Caption on the last."""
        self.flush()
        alt = text_of(element.get("/Alt"))
        if alt is None:
            alt = text_of(element.get("/ActualText"))
        inner: list[Figure] = []
        caption = None
        start = self.reader.start_figure()  # what it draws is traced from here
        try:
            self.swallow(pikepdf.Dictionary(K=_direct_content(element)), page, depth)  # its pages
            for child, child_page in self.children(element, page, depth):
                role = self.reader.role(child)
                if role in {"Figure", "Formula"}:
                    sink: list[Block] = []
                    nested = BlockBuilder(self.reader, sink=sink)
                    nested.figure(child, child_page, depth + 1)
                    inner.extend(block for block in sink if isinstance(block, Figure))
                elif role == "Caption":
                    caption = self.plain(child, child_page, depth + 1) or None
                else:
                    self.swallow(child, child_page, depth + 1)
            if not inner or alt is not None:
                page_number, box = self.reader.drawn(start)
                inner = [
                    Figure(
                        asset=None, alt=alt.strip() if alt is not None else None, page=page_number, box=box
                    )
                ]
        finally:
            self.reader.end_figure()
        if caption:
            inner[-1].caption = caption
        for figure in inner:
            self.emit(figure)


def _direct_content(element):
    """The marked-content kids of an element (not its child elements)."""
    kids = element.get("/K")
    kids = kids if isinstance(kids, pikepdf.Array) else ([] if kids is None else [kids])
    return pikepdf.Array([kid for kid in kids if isinstance(kid, int) or _name_of_type(kid) == "MCR"])


def _is_content(kid) -> bool:
    """A marked-content kid (an MCID, or an MCR dictionary), as opposed to a child element."""
    return isinstance(kid, int) or _name_of_type(kid) == "MCR"


def _name_of_type(kid) -> str:
    return name_of(kid.get("/Type")) if is_dict(kid) else ""


def _span(value) -> int:
    return max(1, min(int(value), 1000)) if isinstance(value, int) else 1


def _link_uri(element) -> str | None:
    """The URI of the link annotation a Link element names by OBJR."""
    kids = element.get("/K")
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if is_dict(kid) and name_of(kid.get("/Type")) == "OBJR":
            annotation = kid.get("/Obj")
            action = annotation.get("/A") if is_dict(annotation) else None
            if is_dict(action) and name_of(action.get("/S")) == "URI":
                uri = action.get("/URI")
                if isinstance(uri, pikepdf.String):
                    text = bytes(uri).decode("utf-8", "replace").strip()
                    return text or None
    return None


def _tidy(inlines: list[Inline]) -> list[Inline]:
    """Runs of white space made one space, a link's edge spaces moved out of the link (producers
    differ on which side of a link the space is tagged), neighbours with the same link joined, the
    ends trimmed."""
    pieces: list[Inline] = []
    for inline in inlines:
        text = re.sub(r"\s+", " ", inline.text)
        core = text.strip() if inline.href else text
        if not core:
            pieces.append(Inline(text=" " if text else ""))
            continue
        if inline.href and text.startswith(" "):
            pieces.append(Inline(text=" "))
        pieces.append(Inline(text=core, href=inline.href, bold=inline.bold, italic=inline.italic))
        if inline.href and text.endswith(" "):
            pieces.append(Inline(text=" "))
    merged: list[Inline] = []
    for inline in pieces:
        if merged and (merged[-1].href, merged[-1].bold) == (inline.href, inline.bold):
            merged[-1].text = re.sub(r"\s+", " ", merged[-1].text + inline.text)
        elif inline.text:
            merged.append(inline)
    if merged:
        merged[0].text = merged[0].text.lstrip()
        merged[-1].text = merged[-1].text.rstrip()
    return [inline for inline in merged if inline.text]


def _strip_text_labels(items: list[list[Inline]]) -> bool | None:
    """When every item of an unlabelled list starts with a label in its text ("1. ", "a) ", "• "),
    remove it (the writer draws bullets and numbers itself) and say whether the list is numbered;
    None, and nothing changed, when any item does not."""
    matches = [TEXT_LABEL.match(item[0].text) if item else None for item in items]
    if not items or not all(matches):
        return None
    for item, match in zip(items, matches, strict=True):
        item[0].text = item[0].text[match.end() :]
    return all(match.group(1) for match in matches)
