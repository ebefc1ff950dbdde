"""A tagged PDF's structure tree as a rendition `Document` (issue 21, point 3).

pikepdf reads the tree (/StructTreeRoot, /RoleMap, /ClassMap, the /K kids: marked-content ids with
their page, MCR and OBJR references), the element attributes (/Alt, /ActualText, /Lang, table /Scope
and spans, /ListNumbering) and the link annotations; pdfium decodes the glyphs of each marked-content
sequence (imaging/renditions/marked_text.py); imaging/renditions/tag_blocks.py turns the elements
into blocks (a Figure also gets the page and box it is drawn in). Reading order is tree order; a
PageStart precedes the first block whose content reaches a new page. A PDF whose tree is
missing, switched off (/MarkInfo /Marked false), broken or maps too little of the page text raises
`NotTagged`, and the caller falls back to layout analysis (or OCR when the pages hold no text).

Every PDF is hostile here: the tree may be cyclic, absurdly deep, hold wrong types or name pages that
do not exist; such parts are skipped, and a tree that cannot be walked at all is `NotTagged`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf

from domain.renditions.model import Block, Document, Heading, PageStart
from imaging.engine import LocalDocumentEngine
from imaging.renditions.marked_text import PageText, page_text
from imaging.renditions.tag_blocks import BlockBuilder, is_dict, name_of, text_of

MIN_COVERAGE = 0.5  # share of the page text the tree must reach to be trusted over layout analysis
LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


class NotTagged(Exception):
    """The PDF has no structure tree worth reading; `reason` says why (for logs, not for users)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_tagged(pdf: Path, title: str | None = None, engine: LocalDocumentEngine | None = None) -> Document:
    """The document as its tag tree describes it. Raises `NotTagged` (fall back to layout analysis),
    or the engine's typed `DocumentEncrypted` / `DocumentUnreadable` for a PDF nothing can read."""
    engine = engine or LocalDocumentEngine()
    with engine.open_pdf(pdf) as document:  # typed errors for encrypted and damaged files
        try:
            with pikepdf.open(pdf) as source:
                return _Reader(source, document).read(title)
        except (pikepdf.PdfError, pikepdf.PasswordError) as exc:
            raise NotTagged(f"pikepdf cannot read the tree: {type(exc).__name__}") from None
        except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
            raise NotTagged(f"the structure tree is malformed: {type(exc).__name__}") from None


class _Reader:
    def __init__(self, source: pikepdf.Pdf, document) -> None:
        self.source = source
        self.document = document  # pypdfium2 PdfDocument
        self.page_of = {page.obj.objgen: index for index, page in enumerate(source.pages)}
        self.texts: dict[int, PageText] = {}
        self.used: set[tuple[int, int]] = set()  # (page index, MCID) the tree reached
        self.role_map: dict[str, str] = {}
        self.class_map = None
        self.visited: set[tuple[int, int]] = set()
        self.trail: list[tuple[int, int]] = []  # (page index, MCID) in the order the walk read them
        self.blocks: list[Block] = []
        self.pages_started = 0  # PageStart emitted for pages 1..pages_started
        self.page_seen = 0  # highest 1-based page whose content has been read

    def read(self, title: str | None) -> Document:
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
        for index in range(len(self.document)):
            page = self.document[index]
            try:
                self.texts[index] = page_text(page)
            finally:
                page.close()
        lang = text_of(root.get("/Lang"))
        top = tree.get("/K")
        if lang is None and is_dict(top):
            lang = text_of(top.get("/Lang"))
        builder = BlockBuilder(self)
        builder.kids(tree, None, 0)
        builder.flush()
        self._pages_up_to(len(self.texts))
        self._check_coverage()
        blocks = self.blocks
        doc_title = title or _info_title(self.source) or _first_heading(blocks) or ""
        doc = Document(title=doc_title, blocks=blocks, source="tagged")
        if lang and LANG.match(lang.strip()):
            doc.lang = lang.strip()
        return doc

    def _check_coverage(self) -> None:
        total = reached = 0
        for index, text in self.texts.items():
            total += text.untagged_chars + sum(text.chars_by_mcid.values())
            reached += sum(n for mcid, n in text.chars_by_mcid.items() if (index, mcid) in self.used)
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
        if page is None or page not in self.texts:
            return ""
        self.used.add((page, mcid))
        self.trail.append((page, mcid))
        if page + 1 > self.page_seen:
            self.page_seen = page + 1
        return self.texts[page].by_mcid.get(mcid, "")

    def drawn(self, since: int) -> tuple[int, tuple[float, float, float, float] | None]:
        """The 1-based page and box of what was drawn by the content read since trail[since]: the
        union over the first page that has any (a figure split over pages is rare)."""
        found_page, box = 0, None
        for page, mcid in self.trail[since:]:
            part = self.texts[page].boxes.get(mcid)
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
        if element.objgen in self.visited:
            return False
        self.visited.add(element.objgen)
        return True

    def add_block(self, block: Block) -> None:
        self._pages_up_to(self.page_seen)
        self.blocks.append(block)

    def _pages_up_to(self, page: int) -> None:
        """A PageStart for every page up to `page` not yet started, before the block whose content
        reached it (a block running onto a new page is anchored at its start)."""
        labels = "/PageLabels" in self.source.Root
        while self.pages_started < page:
            self.pages_started += 1
            label = None
            if labels:
                try:
                    label = self.source.pages[self.pages_started - 1].label or None
                except (pikepdf.PdfError, ValueError, TypeError):
                    label = None
            self.blocks.append(PageStart(page=self.pages_started, label=label))


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
