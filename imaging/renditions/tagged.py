"""A tagged PDF's structure tree as a rendition `Document` (issue 21, point 3).

pikepdf reads the tree (/StructTreeRoot, /RoleMap, /ClassMap, the /K kids: marked-content ids with
their page, MCR and OBJR references), the element attributes (/Alt, /ActualText, /Lang, table /Scope
and spans, /ListNumbering) and the link annotations; pdfium decodes the glyphs of each marked-content
sequence (imaging/renditions/marked_text.py); imaging/renditions/tag_blocks.py turns the elements
into blocks (a Figure also gets the page and box it is drawn in). Reading order is tree order; a
PageStart precedes the first block whose content reaches a new page. Blocks are given one at a time
(`read_tagged_blocks`) and a page's text is held only while the walk is near it, so memory does not
grow with the page count (a 10,000-page tagged document). A PDF whose tree is
missing, switched off (/MarkInfo /Marked false), broken or maps too little of the page text raises
`NotTagged`, and the caller falls back to layout analysis (or OCR when the pages hold no text).

Every PDF is hostile here: the tree may be cyclic, absurdly deep, hold wrong types or name pages that
do not exist; such parts are skipped, and a tree that cannot be walked at all is `NotTagged`.
"""

from __future__ import annotations

import re
from array import array
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from domain.renditions.model import Block, Document, Heading, PageStart
from imaging.engine import LocalDocumentEngine
from imaging.renditions.marked_text import PageText, page_text
from imaging.renditions.spans import PagesOf
from imaging.renditions.tag_blocks import BlockBuilder, is_dict, name_of, text_of

MIN_COVERAGE = 0.5  # share of the page text the tree must reach to be trusted over layout analysis
HELD_PAGES = 8  # pages whose text is held while the walk is near them
REOPEN_AFTER = 5_000  # structure elements read before the PDF is reopened (some 8 MB in qpdf)
PAGE_WEIGHT = 3  # a page object read counts as this many elements
LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


class NotTagged(Exception):
    """The PDF has no structure tree worth reading; `reason` says why (for logs, not for users)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TaggedInfo:
    """What the PDF says of itself, known before its blocks: /Info /Title and a valid /Lang."""

    title: str | None
    lang: str | None


class _EmitFailed(Exception):
    """The caller's `add` raised: carried past the walk's own error handling, raised again as it was."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(repr(error))
        self.error = error


def read_tagged(pdf: Path, title: str | None = None, engine: LocalDocumentEngine | None = None) -> Document:
    """The document as its tag tree describes it. Raises `NotTagged` (fall back to layout analysis),
    or the engine's typed `DocumentEncrypted` / `DocumentUnreadable` for a PDF nothing can read."""
    blocks: list[Block] = []
    info = read_tagged_blocks(pdf, blocks.append, engine=engine)
    doc = Document(title=title or info.title or _first_heading(blocks) or "", blocks=blocks, source="tagged")
    if info.lang:
        doc.lang = info.lang
    return doc


def read_tagged_blocks(
    pdf: Path,
    add: Callable[[Block], None],
    *,
    begin: Callable[[TaggedInfo], None] | None = None,
    engine: LocalDocumentEngine | None = None,
) -> TaggedInfo:
    """`read_tagged` one block at a time, with memory that does not grow with the page count: each
    block goes to `add` in reading order (after `begin`, told the PDF's title and language once the
    tree is found). `NotTagged` may come after blocks were given (the tree reached too little of the
    text, which is known only at the end): the caller then drops what it was given."""
    engine = engine or LocalDocumentEngine()
    with PagesOf(engine, pdf) as document:  # typed errors for encrypted and damaged files
        try:
            reader = _Reader(pdf, document, add)
            try:
                return reader.read(begin)
            finally:
                reader.source.close()
        except _EmitFailed as failed:
            raise failed.error from None
        except (pikepdf.PdfError, pikepdf.PasswordError) as exc:
            raise NotTagged(f"pikepdf cannot read the tree: {type(exc).__name__}") from None
        except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
            raise NotTagged(f"the structure tree is malformed: {type(exc).__name__}") from None


class _Reader:
    def __init__(self, pdf: Path, document, add: Callable[[Block], None]) -> None:
        self.path = pdf
        # not pushing inherited page attributes down: that reads every page (40 MB for 10,000)
        self.source = pikepdf.open(pdf, inherit_page_attributes=False)
        self.opened = 1  # times the PDF was opened (see may_reopen)
        self.pins = 0  # walks holding handles of the open PDF: no reopening while any does
        self.read_since_open = 0  # structure elements walked since
        self.document = document  # spans.PagesOf: pdfium pages, the document reopened now and then
        self.add = add
        self.pages = len(document.document)
        self.page_of: dict[tuple[int, int], int] = {}  # page object -> index, once a tree is found
        # Page text is read when the tree first reaches a page and kept for the last few pages only
        # (trees run in page order, with a table or figure reaching back a page or two).
        self.texts: OrderedDict[int, PageText] = OrderedDict()
        self.used: dict[int, set[int]] = {}  # MCIDs the tree reached, of the pages held
        self.total = array("q", bytes(8 * self.pages))  # non-blank characters per page (-1: not read)
        self.reached = array("q", bytes(8 * self.pages))  # of them, in MCIDs the tree reached
        for index in range(self.pages):
            self.total[index] = -1
        self.role_map: dict[str, str] = {}
        self.class_map = None
        self.visited = _Seen()
        self.reading_figures = 0  # figures being read: the trail is kept only then
        self.trail: list[tuple[int, int]] = []  # (page index, MCID) in the order the walk read them
        self.pages_started = 0  # PageStart emitted for pages 1..pages_started
        self.page_seen = 0  # highest 1-based page whose content has been read
        self.labels = "/PageLabels" in self.source.Root

    def read(self, begin: Callable[[TaggedInfo], None] | None) -> TaggedInfo:
        root = self.source.Root
        tree = root.get("/StructTreeRoot")
        if not is_dict(tree):
            raise NotTagged("no /StructTreeRoot")
        mark_info = root.get("/MarkInfo")
        if is_dict(mark_info) and mark_info.get("/Marked") is False:
            raise NotTagged("/MarkInfo /Marked is false")
        role_map = tree.get("/RoleMap")
        if is_dict(role_map):
            self.role_map = {key[1:]: name_of(value) for key, value in role_map.items() if name_of(value)}
        self.class_map = tree.get("/ClassMap") if is_dict(tree.get("/ClassMap")) else None
        # Read only now: an untagged PDF never pays for it. qpdf then holds every page object (some
        # 4 kB each, more than an element): counted so the first reopening lets them go.
        self.page_of = {page.obj.objgen: index for index, page in enumerate(self.source.pages)}
        self.read_since_open += PAGE_WEIGHT * len(self.page_of)
        lang = text_of(root.get("/Lang"))
        top = tree.get("/K")
        if lang is None and is_dict(top):
            lang = text_of(top.get("/Lang"))
        info = TaggedInfo(
            title=_info_title(self.source), lang=lang.strip() if lang and LANG.match(lang.strip()) else None
        )
        if begin is not None:
            self._emit(begin, info)
        builder = BlockBuilder(self)
        builder.kids(tree, None, 0)
        builder.flush()
        self._pages_up_to(self.pages)
        self._check_coverage()
        return info

    def _emit(self, call, value) -> None:
        try:
            call(value)
        except Exception as error:  # the caller's own failure, not a broken tree
            raise _EmitFailed(error) from error

    def text(self, page: int) -> PageText:
        """The page's text, read once while the walk stays near it (again if it comes back later)."""
        held = self.texts.get(page)
        if held is not None:
            self.texts.move_to_end(page)
            return held
        pdf_page = self.document.page(page)
        try:
            held = page_text(pdf_page)
        finally:
            pdf_page.close()
        if self.total[page] < 0:
            self.total[page] = held.untagged_chars + sum(held.chars_by_mcid.values())
        self.texts[page] = held
        self.used[page] = set()
        if len(self.texts) > HELD_PAGES:
            gone, _ = self.texts.popitem(last=False)
            del self.used[gone]
        return held

    def _check_coverage(self) -> None:
        """The tree must reach MIN_COVERAGE of the page text: pages the tree never reached are read
        now, one at a time, for their count only."""
        for index in range(self.pages):
            if self.total[index] < 0:
                pdf_page = self.document.page(index)
                try:
                    text = page_text(pdf_page)
                finally:
                    pdf_page.close()
                self.total[index] = text.untagged_chars + sum(text.chars_by_mcid.values())
        total = sum(self.total)
        # a page read twice (the walk came back after it was let go) counts its reach at most once
        reached = sum(min(n, self.total[index]) for index, n in enumerate(self.reached))
        if total == 0:
            raise NotTagged("the pages hold no text (scanned?)")
        if reached < MIN_COVERAGE * total:
            raise NotTagged(f"the tree reaches {reached} of {total} characters of page text")

    def role(self, element) -> str:
        """The element's standard role: /S through the /RoleMap (chains followed, cycles cut)."""
        role = name_of(element.get("/S"))
        for _ in range(10):
            mapped = self.role_map.get(role)
            if not mapped or mapped == role:
                break
            role = mapped
        return role

    def attributes(self, element) -> dict[str, object]:
        """The element's attributes from /A (a dictionary, or an array with revision numbers) and
        from the classes its /C names in the /ClassMap; the element's own win."""
        found: dict[str, object] = {}
        sources = []
        classes = element.get("/C")
        if self.class_map is not None and classes is not None:
            names = classes if isinstance(classes, pikepdf.Array) else [classes]
            for name in names:
                if isinstance(name, pikepdf.Name):
                    sources.append(self.class_map.get(str(name)))
        own = element.get("/A")
        sources.extend(own if isinstance(own, pikepdf.Array) else [own])
        for attrs in sources:
            items = attrs if isinstance(attrs, pikepdf.Array) else [attrs]
            for item in items:
                if is_dict(item):
                    found.update({key[1:]: value for key, value in item.items()})
        return found

    def content(self, page: int | None, mcid: int) -> str:
        """The text of one marked-content sequence; the page counts as reached."""
        if page is None or not 0 <= page < self.pages:
            return ""
        text = self.text(page)
        used = self.used[page]
        if mcid not in used:
            used.add(mcid)
            self.reached[page] += text.chars_by_mcid.get(mcid, 0)
        if self.reading_figures:
            self.trail.append((page, mcid))
        if page + 1 > self.page_seen:
            self.page_seen = page + 1
        return text.by_mcid.get(mcid, "")

    def start_figure(self) -> int:
        """A figure's reading begins: where its content starts in the trail (for `drawn`)."""
        self.reading_figures += 1
        return len(self.trail)

    def end_figure(self) -> None:
        self.reading_figures -= 1
        if not self.reading_figures:
            self.trail.clear()

    def drawn(self, since: int) -> tuple[int, tuple[float, float, float, float] | None]:
        """The 1-based page and box of what was drawn by the content read since trail[since]: the
        union over the first page that has any (a figure split over pages is rare)."""
        found_page, box = 0, None
        for page, mcid in self.trail[since:]:
            part = self.text(page).boxes.get(mcid)
            if part is None or (found_page and page + 1 != found_page):
                continue
            found_page = page + 1
            box = (
                part
                if box is None
                else (min(box[0], part[0]), min(box[1], part[1]), max(box[2], part[2]), max(box[3], part[3]))
            )
        return found_page, box

    def page(self, element, inherited: int | None) -> int | None:
        pg = element.get("/Pg")
        if is_dict(pg) and pg.is_indirect:
            return self.page_of.get(pg.objgen, inherited)
        return inherited

    def enter(self, element) -> bool:
        """False for an element already walked (a cycle, or one shared by two parents)."""
        if not element.is_indirect:
            return True
        self.read_since_open += 1
        return self.visited.add(element.objgen)

    def may_reopen(self) -> None:
        """Close and open the PDF again when the walk has read REOPEN_AFTER elements since it was
        opened and nothing holds a handle of it: qpdf keeps every object it has parsed until the
        PDF is closed (some 1.6 kB an element: a 10,000-page tree would be held whole, 1 GB)."""
        if self.pins or self.read_since_open < REOPEN_AFTER:
            return
        fresh = pikepdf.open(self.path, inherit_page_attributes=False)
        self.source.close()
        self.source = fresh
        self.opened += 1
        self.read_since_open = 0
        tree = fresh.Root.get("/StructTreeRoot")
        class_map = tree.get("/ClassMap") if is_dict(tree) else None
        self.class_map = class_map if is_dict(class_map) else None

    def add_block(self, block: Block) -> None:
        self._pages_up_to(self.page_seen)
        self._emit(self.add, block)

    def _pages_up_to(self, page: int) -> None:
        """A PageStart for every page up to `page` not yet started, before the block whose content
        reached it (a block running onto a new page is anchored at its start)."""
        while self.pages_started < page:
            self.pages_started += 1
            label = None
            if self.labels:
                try:
                    label = self.source.pages[self.pages_started - 1].label or None
                except (pikepdf.PdfError, ValueError, TypeError):
                    label = None
            self._emit(self.add, PageStart(page=self.pages_started, label=label))


class _Seen:
    """Indirect objects already walked, one bit per object number (a set of (number, generation)
    pairs costs some 100 bytes each, and a long document's tree has hundreds of thousands)."""

    def __init__(self) -> None:
        self._bits = bytearray()
        self._other: set[tuple[int, int]] = set()  # generation > 0: rare

    def add(self, objgen: tuple[int, int]) -> bool:
        """Record `objgen`; False when it was there already."""
        number, generation = objgen
        if generation or number < 0:
            if objgen in self._other:
                return False
            self._other.add(objgen)
            return True
        byte, bit = divmod(number, 8)
        if byte >= len(self._bits):
            self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits))))
        if self._bits[byte] >> bit & 1:
            return False
        self._bits[byte] |= 1 << bit
        return True


def _info_title(source: pikepdf.Pdf) -> str | None:
    try:
        title = source.docinfo.get("/Title")
    except (pikepdf.PdfError, ValueError, TypeError):
        return None
    return str(title).strip() or None if isinstance(title, pikepdf.String) else None


def _first_heading(blocks: list[Block]) -> str | None:
    for block in blocks:
        if isinstance(block, Heading):
            return "".join(inline.text for inline in block.inlines)
    return None


def catalog_lang(pdf: Path) -> str | None:
    """The document's /Lang from its catalog, when valid: an untagged PDF often has one too."""
    try:
        with pikepdf.open(pdf, inherit_page_attributes=False) as document:
            lang = text_of(document.Root.get("/Lang"))
    except (pikepdf.PdfError, pikepdf.PasswordError, OSError, ValueError):
        return None
    return lang.strip() if lang and LANG.match(lang.strip()) else None
