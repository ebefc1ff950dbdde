"""The documents a rendition run covers, read from the case database: each with its PDF's key, its
exhibits, the title to show and the Bates number of each page where stamping wrote one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from domain.batches import IN_LIST_SIZE, batched
from domain.productions.naming import parse_bates
from domain.schema import document_variants, documents, exhibits, label_categories, label_category_labels


@dataclass(frozen=True)
class SelectedDocument:
    document_id: int
    exhibit_ids: tuple[int, ...]
    pdf_key: str | None  # relative to the case; None: the document has no PDF
    title: str  # untrusted text (exhibit title or upload filename): only ever escaped into HTML
    bates_begin: str | None = None
    bates_end: str | None = None
    page_count: int | None = None

    def page_labels(self, max_pages: int) -> list[str] | None:
        """Page n's Bates number is bates_begin + (n - 1) when bates_begin parses; as many as the
        exhibit's range says (bates_end, else its page count), at most `max_pages`."""
        begin = parse_bates(self.bates_begin or "")
        if begin is None:
            return None
        prefix, first, width = begin
        end = parse_bates(self.bates_end or "")
        if end is not None and end[0] == prefix and end[1] >= first:
            count = end[1] - first + 1
        else:
            count = self.page_count or 0
        return [f"{prefix}{first + n:0{width}d}" for n in range(min(count, max_pages))] or None


def in_case(store, key: str) -> str:
    """A variant's key relative to the case's store: the contract's keys are relative
    (documents/{id}/...); a copied row may hold the full key, which must name this case."""
    return store.relative(key) if key.startswith("case_") else key


def selected_exhibit_ids(conn, choice: str, label: str | None, exhibit_ids: list[int]) -> list[int] | None:
    """The exhibits a selection names (None: every document of the case)."""
    if choice == "all":
        return None
    if choice == "exhibit_ids":
        return sorted(set(exhibit_ids))
    query = (
        select(label_category_labels.c.exhibit_id)
        .join(label_categories, label_categories.c.id == label_category_labels.c.label_category_id)
        .where(label_categories.c.name == (label or "").strip())
        .distinct()
    )
    return sorted(conn.execute(query).scalars())


def select_documents(conn, choice: str, label: str | None, exhibit_ids: list[int]) -> list[SelectedDocument]:
    """The selected documents in id order; a named exhibit the case does not have selects nothing."""
    wanted = selected_exhibit_ids(conn, choice, label, exhibit_ids)
    rows = []
    if wanted is None:
        rows = conn.execute(select(exhibits).order_by(exhibits.c.id)).mappings().all()
        doc_ids = sorted(conn.execute(select(documents.c.id)).scalars())
    else:
        for chunk in batched(wanted, IN_LIST_SIZE):
            rows += conn.execute(select(exhibits).where(exhibits.c.id.in_(chunk))).mappings().all()
        doc_ids = sorted({r["document_id"] for r in rows})
    by_document: dict[int, list] = {}
    for row in sorted(rows, key=lambda r: r["id"]):
        by_document.setdefault(row["document_id"], []).append(row)
    names, pdfs = {}, {}
    for chunk in batched(doc_ids, IN_LIST_SIZE):
        names.update(
            conn.execute(select(documents.c.id, documents.c.filename).where(documents.c.id.in_(chunk))).all()
        )
        for document_id, key in conn.execute(
            select(document_variants.c.document_id, document_variants.c.object_key)
            .where(document_variants.c.document_id.in_(chunk), document_variants.c.kind == "pdf")
            .order_by(document_variants.c.id)
        ):
            pdfs.setdefault(document_id, key)  # the first PDF variant, as the stamper takes
    selected = []
    for document_id in doc_ids:
        if document_id not in names:
            continue  # an exhibit pointing at no document: nothing to render
        first = by_document.get(document_id, [None])[0]
        title = (first["title"] if first and first["title"] else None) or names[document_id] or ""
        selected.append(
            SelectedDocument(
                document_id=document_id,
                exhibit_ids=tuple(r["id"] for r in by_document.get(document_id, [])),
                pdf_key=pdfs.get(document_id),
                title=title.strip()[:1024],
                bates_begin=first["bates_begin"] if first else None,
                bates_end=first["bates_end"] if first else None,
                page_count=first["page_count"] if first else None,
            )
        )
    return selected
