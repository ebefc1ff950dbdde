"""What a run of HTML renditions made, what needs a person, and which documents could not be made.

One `RenditionEntry` per document made (its HTML's key, its images, the hash of the PDF it came
from, so a re-run redoes only documents whose PDF changed), one `DocumentProblem` per document that
could not be made (encrypted, damaged, no pages, too many pages, image-only without OCR ...), and
the `RunManifest` that holds both for one case. The JSON form is stable: documents in id order,
keys sorted, two-space indent, UTF-8, a final newline; the same run gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from domain.renditions.html import is_data_table
from domain.renditions.model import Document, Figure, PageStart, Table

SCHEMA = 1

# Problems a document can have; `detail` says more in words.
ENCRYPTED = "encrypted"
DAMAGED = "damaged"
ZERO_PAGES = "zero_pages"
TOO_MANY_PAGES = "too_many_pages"
IMAGE_ONLY_WITHOUT_OCR = "image_only_without_ocr"
MISSING_SOURCE = "missing_source"
NOT_SCREENED = "not_screened"  # not in the cleared PII scan, or its PDF changed since
FAILED = "failed"  # anything else the reader raised; detail names the error
PROBLEMS = (
    ENCRYPTED,
    DAMAGED,
    ZERO_PAGES,
    TOO_MANY_PAGES,
    IMAGE_ONLY_WITHOUT_OCR,
    MISSING_SOURCE,
    NOT_SCREENED,
    FAILED,
)

SOURCES = ("tagged", "layout", "ocr", "mixed")


class ManifestError(ValueError):
    """A manifest that does not have the shape this module writes."""


@dataclass(frozen=True)
class RenditionEntry:
    """One document's rendition: where its HTML and images are and what a person should look at."""

    document_id: int
    exhibit_ids: tuple[int, ...]
    source_sha256: str  # of the PDF the rendition was made from
    pages: int
    source: str  # how the structure was found: one of SOURCES
    html_key: str  # e.g. case_7/renditions/html/{document_id}/index.html
    html_sha256: str
    assets: tuple[str, ...] = ()  # keys of its images, sorted
    needs_person: tuple[str, ...] = ()  # e.g. "figure 3 on page 2 has no alternate text"
    #: of everything the rendition was made from (PDF, title, Bates numbers, renderer version): a
    #: re-run redoes the document when it differs
    inputs_sha256: str | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ManifestError(f"document {self.document_id}: unknown structure source {self.source!r}")


@dataclass(frozen=True)
class DocumentProblem:
    """A document that was not made, and why, in one line a person can act on."""

    document_id: int
    exhibit_ids: tuple[int, ...]
    problem: str  # one of PROBLEMS
    detail: str
    source_sha256: str | None = None  # None when the PDF could not be read at all

    def __post_init__(self) -> None:
        if self.problem not in PROBLEMS:
            raise ManifestError(f"document {self.document_id}: unknown problem {self.problem!r}")

    def line(self) -> str:
        exhibits = ", ".join(str(e) for e in self.exhibit_ids) or "none"
        return f"document {self.document_id} (exhibits {exhibits}): {self.problem}: {self.detail}"


@dataclass(frozen=True)
class RunManifest:
    case_id: int
    made: tuple[RenditionEntry, ...] = ()
    problems: tuple[DocumentProblem, ...] = ()
    schema: int = field(default=SCHEMA)

    def __post_init__(self) -> None:
        # Sorted and one line per document, whatever order the steps finished in.
        made = {e.document_id: e for e in self.made}
        problems = {p.document_id: p for p in self.problems if p.document_id not in made}
        object.__setattr__(self, "made", tuple(made[k] for k in sorted(made)))
        object.__setattr__(self, "problems", tuple(problems[k] for k in sorted(problems)))

    def merged(self, newer: RunManifest) -> RunManifest:
        """This manifest with `newer`'s documents replacing the same documents here (a partial re-run)."""
        if newer.case_id != self.case_id:
            raise ManifestError(f"cannot merge case {newer.case_id} into case {self.case_id}")
        redone = {e.document_id for e in newer.made} | {p.document_id for p in newer.problems}
        return RunManifest(
            self.case_id,
            tuple(e for e in self.made if e.document_id not in redone) + newer.made,
            tuple(p for p in self.problems if p.document_id not in redone) + newer.problems,
        )

    def summary(self) -> dict[str, object]:
        """Counts and lines for a run's metadata."""
        return {
            "documents_made": len(self.made),
            "pages_made": sum(e.pages for e in self.made),
            "documents_with_problems": len(self.problems),
            "problems": [p.line() for p in self.problems],
            "needs_person": sum(len(e.needs_person) for e in self.made),
            "by_source": {s: sum(e.source == s for e in self.made) for s in SOURCES},
        }

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> RunManifest:
        try:
            data = json.loads(text)
            if data.get("schema") != SCHEMA:
                raise ManifestError(f"rendition manifest schema {data.get('schema')!r}, expected {SCHEMA}")
            made = tuple(
                RenditionEntry(**_tuples(e, "exhibit_ids", "assets", "needs_person")) for e in data["made"]
            )
            problems = tuple(DocumentProblem(**_tuples(p, "exhibit_ids")) for p in data["problems"])
            return cls(int(data["case_id"]), made, problems)
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
            raise ManifestError(f"not a rendition manifest: {error}") from error


def _tuples(record: dict, *keys: str) -> dict:
    """A JSON record with its lists back as the tuples the frozen dataclasses hold."""
    return {**record, **{key: tuple(record[key]) for key in keys}}


def needs_person(doc: Document) -> tuple[str, ...]:
    """What a person should look at in `doc`: the reader's notes, then one line per figure without
    alternate text and per data table without header cells, numbered in reading order with their page."""
    lines = list(doc.notes)
    page: int | None = None
    figures = tables = 0
    for block in doc.blocks:
        where = f" on page {page}" if page is not None else ""
        if isinstance(block, PageStart):
            page = block.page
        elif isinstance(block, Figure):
            figures += 1
            if block.asset is None:
                lines.append(f"figure {figures}{where} could not be extracted")
            if block.alt is None:
                lines.append(f"figure {figures}{where} has no alternate text")
        elif isinstance(block, Table) and is_data_table(block):  # numbered as the HTML's regions are
            tables += 1
            if not any(cell.header for row in block.rows for cell in row):
                lines.append(f"table {tables}{where} has no header cells")
    return tuple(dict.fromkeys(lines))  # once each, in order


def entry_for(
    doc: Document,
    html: str,
    *,
    document_id: int,
    exhibit_ids: tuple[int, ...] | list[int],
    source_sha256: str,
    pages: int,
    html_key: str,
    assets: tuple[str, ...] | list[str] = (),
) -> RenditionEntry:
    """The manifest entry of a document rendered as `html` (the writer's output, hashed as UTF-8)."""
    return RenditionEntry(
        document_id=document_id,
        exhibit_ids=tuple(sorted(set(exhibit_ids))),
        source_sha256=source_sha256,
        pages=pages,
        source=doc.source,
        html_key=html_key,
        html_sha256=hashlib.sha256(html.encode("utf-8")).hexdigest(),
        assets=tuple(sorted(set(assets))),
        needs_person=needs_person(doc),
    )


#: Raised when a change to the renderer changes what it writes: every document is then made again.
RENDERER_VERSION = 2


def inputs_sha256(source_sha256: str, title: str, page_labels: list[str] | None) -> str:
    """The identity of what a rendition is made from: the PDF, the title shown, the page anchors'
    Bates numbers and the renderer's version. Unchanged, the rendition would be the same."""
    h = hashlib.sha256(f"renderer {RENDERER_VERSION}\n{source_sha256}\n{title}\n".encode())
    for label in page_labels or ():
        h.update(label.encode("utf-8") + b"\n")
    return h.hexdigest()
