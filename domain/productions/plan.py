"""The production plan: what every document becomes, with its page keys, before any page is drawn.

Numbers are assigned here, once, over the whole export in production order,
so volumes can then be produced in parallel without gaps or duplicates. A
document that cannot be read is left out of the numbering (and reported),
never given numbers it would not fill.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from domain.families import family_root
from domain.productions.export_settings import BATES_PREFIX, ExportSettings
from domain.productions.manifest import Problem, ValidatedManifest, exhibit_parents, produces_native
from domain.productions.naming import (
    bates_key,
    control_page_key,
    folder_label,
    parse_bates,
    safe_extension,
    safe_key,
    volume_label,
)


@dataclass
class PdfInfo:
    """What inspecting a document's PDF found: its page count, or why it cannot be used."""

    pages: int | None = None
    problem: str | None = None
    code: str | None = None
    warning: str | None = None  # read, but only after a repair: produced, with a note


@dataclass
class PlannedDocument:
    position: int
    exhibit_id: int
    volume: int
    volume_label: str
    kind: str  # 'image' | 'native' | 'withheld'
    pages: int
    page_keys: list[str]
    page_folders: list[str]
    folder: str  # folder of the first page: TEXT, NATIVES and PDF files go there
    begin: str
    end: str
    family_root: int
    family_child: bool
    beg_attach: str = ""
    end_attach: str = ""
    native_ext: str | None = None
    redacted: bool = False

    @property
    def file_key(self) -> str:
        return self.page_keys[0]


@dataclass
class Plan:
    export: ExportSettings
    documents: list[PlannedDocument]
    problems: list[Problem] = field(default_factory=list)

    @property
    def volumes(self) -> list[int]:
        return sorted({d.volume for d in self.documents})

    @property
    def page_total(self) -> int:
        return sum(d.pages for d in self.documents)

    def volume_documents(self, volume: int) -> list[PlannedDocument]:
        return [d for d in self.documents if d.volume == volume]

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": [asdict(d) for d in self.documents],
            "problems": [asdict(p) for p in self.problems],
        }

    @classmethod
    def from_json(cls, export: ExportSettings, data: dict[str, Any]) -> Plan:
        return cls(
            export,
            [PlannedDocument(**d) for d in data["documents"]],
            [Problem(**p) for p in data["problems"]],
        )


class _Numbering:
    """Hands out page keys in order; pre-assigned Bates numbers must continue the sequence."""

    def __init__(self, export: ExportSettings) -> None:
        self.export = export
        self.prefix = export.bates_prefix
        self.padding = export.bates_padding
        self.next_number = export.bates_start
        self.used: set[str] = set()

    def keys_for(self, pages: int, control_number: str | None, bates_begin: str | None) -> list[str]:
        if self.export.numbering == "control_number":
            if not control_number or not control_number.strip():
                raise ValueError(
                    "the exhibit has no control number, and this export numbers by control number"
                )
            return [
                self._unique(safe_key(control_page_key(control_number.strip(), p)))
                for p in range(1, pages + 1)
            ]
        if bates_begin is not None:
            parsed = parse_bates(bates_begin)
            if parsed is None:
                raise ValueError(f"bates_begin {bates_begin!r} does not end in a number")
            prefix, number, padding = parsed
            if not BATES_PREFIX.match(prefix):
                raise ValueError(f"bates_begin {bates_begin!r} has characters a file name cannot hold")
            if self.prefix is None:
                self.prefix, self.padding, self.next_number = prefix, padding, number
            expected = bates_key(self.prefix, self.next_number, self.padding)
            if (prefix, number) != (self.prefix, self.next_number):
                raise ValueError(
                    f"bates_begin {bates_begin} contradicts the running sequence (expected {expected})"
                )
        if self.prefix is None:
            raise ValueError("there is no Bates prefix: the export sets none and no row carries bates_begin")
        keys = [bates_key(self.prefix, self.next_number + i, self.padding) for i in range(pages)]
        clash = next((k for k in keys if k.lower() in self.used), None)
        if clash:
            raise ValueError(f"Bates number {clash} is already used in this export")
        self.next_number += pages
        self.used.update(k.lower() for k in keys)
        return keys

    def _unique(self, key: str) -> str:
        """Deterministic suffixes _1, _2 ... for a clashing key; file systems may ignore case."""
        candidate, n = key, 0
        while candidate.lower() in self.used:
            n += 1
            candidate = f"{key}_{n}"
        self.used.add(candidate.lower())
        return candidate


class _Folders:
    """Folders of at most `limit` files per volume, a document kept in one folder when it fits."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.volume: int | None = None
        self.number = 1
        self.count = 0

    def assign(self, volume: int, files: int) -> list[str]:
        if volume != self.volume:
            self.volume, self.number, self.count = volume, 1, 0
        if self.count and self.count + files > self.limit:
            self.number, self.count = self.number + 1, 0
        labels = []
        for _ in range(files):
            if self.count == self.limit:
                self.number, self.count = self.number + 1, 0
            labels.append(folder_label(self.number))
            self.count += 1
        return labels


def build_plan(manifest: ValidatedManifest, pdfs: dict[int, PdfInfo]) -> Plan:
    """Number every producible document; `pdfs` holds the inspection of each image document's PDF."""
    export = manifest.export
    problems = list(manifest.problems)
    numbering = _Numbering(export)
    folders = _Folders(export.images_per_folder)
    per_page_files = export.image_format in ("tiff", "jpeg")
    documents: list[PlannedDocument] = []
    parents = exhibit_parents(manifest.exhibits)
    for row in manifest.rows:
        exhibit = manifest.exhibits[row.exhibit_id]
        redacted = bool(manifest.redactions.get(row.exhibit_id))
        if row.withheld:
            kind, pages = "withheld", 1
        elif produces_native(row, exhibit, export.native_inclusion) and not redacted:
            kind, pages = "native", 1
        else:
            if produces_native(row, exhibit, export.native_inclusion) and redacted:
                problems.append(
                    Problem(
                        "native_not_produced",
                        "the document has redactions: produced as redacted images instead of its native",
                        exhibit.id,
                        row.volume,
                        "warning",
                    )
                )
            kind = "image"
            info = pdfs.get(exhibit.id) or PdfInfo(
                problem="the document was not inspected", code="not_inspected"
            )
            if info.problem is not None:
                problems.append(Problem(info.code or "unreadable_pdf", info.problem, exhibit.id, row.volume))
                continue
            if info.warning:
                problems.append(Problem("repaired_pdf", info.warning, exhibit.id, row.volume, "warning"))
            pages = info.pages if exhibit.page_count is None else min(exhibit.page_count, info.pages)
            if exhibit.page_count is not None and exhibit.page_count != info.pages:
                problems.append(
                    Problem(
                        "page_count_mismatch",
                        f"the database says {exhibit.page_count} pages, the PDF has {info.pages}; "
                        f"{pages} produced",
                        exhibit.id,
                        row.volume,
                        "warning",
                    )
                )
        try:
            keys = numbering.keys_for(pages, exhibit.control_number, row.bates_begin)
        except ValueError as exc:
            problems.append(Problem("numbering", str(exc), exhibit.id, row.volume))
            continue
        page_folders = folders.assign(row.volume, pages if per_page_files else 1)
        if not per_page_files:
            page_folders = page_folders * pages
        root = family_root(exhibit.id, parents)
        documents.append(
            PlannedDocument(
                position=row.position,
                exhibit_id=exhibit.id,
                volume=row.volume,
                volume_label=volume_label(export.volume_prefix, row.volume),
                kind=kind,
                pages=pages,
                page_keys=keys,
                page_folders=page_folders,
                folder=page_folders[0],
                begin=keys[0],
                end=keys[-1],
                family_root=root,
                family_child=False,
                native_ext=safe_extension(exhibit.file_extension, exhibit.filename)
                if kind == "native"
                else None,
                redacted=redacted and kind == "image",
            )
        )
    _family_ranges(documents)
    return Plan(export, documents, problems)


def _family_ranges(documents: list[PlannedDocument]) -> None:
    """BEGATTACH/ENDATTACH span the produced members of each family (contiguous by validation)."""
    start = 0
    while start < len(documents):
        end = start
        while end + 1 < len(documents) and documents[end + 1].family_root == documents[start].family_root:
            end += 1
        for index in range(start, end + 1):
            documents[index].beg_attach = documents[start].begin
            documents[index].end_attach = documents[end].end
            documents[index].family_child = index > start
        start = end + 1
