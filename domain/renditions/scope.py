"""What a rendition PII scan screened: the selection it was asked for and, per document, the SHA-256
of the PDF whose text it read. The renditions make exactly these documents, and only while their PDF
still has that hash: a document added to a label or changed after the scan is not rendered until a
new scan has screened it. Stored as JSON beside the scan's findings; the same scope gives the same
bytes. Pure: no Dagster, boto3 or SQL driver.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

SCHEMA = 1


class ScopeError(ValueError):
    """A scope file that does not have the shape this module writes."""


@dataclass(frozen=True)
class RenditionScope:
    case_id: int
    scan_id: str
    selection: dict = field(default_factory=dict)  # documents, label, exhibit_ids as asked
    screened: dict[int, str] = field(default_factory=dict)  # document id -> SHA-256 of the PDF read

    def covers(self, document_id: int, pdf_sha256: str) -> bool:
        return self.screened.get(document_id) == pdf_sha256

    def to_json(self) -> str:
        body = {
            "schema": SCHEMA,
            "case_id": self.case_id,
            "scan_id": self.scan_id,
            "selection": self.selection,
            "screened": {str(k): self.screened[k] for k in sorted(self.screened)},
        }
        return json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> RenditionScope:
        try:
            data = json.loads(text)
            if data.get("schema") != SCHEMA:
                raise ScopeError(f"rendition scope schema {data.get('schema')!r}, expected {SCHEMA}")
            screened = {int(k): str(v) for k, v in data["screened"].items()}
            return cls(int(data["case_id"]), str(data["scan_id"]), dict(data["selection"]), screened)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            if isinstance(error, ScopeError):
                raise
            raise ScopeError(f"not a rendition scope: {error}") from error


def scope_key(scan_id: str) -> str:
    """The scope's key in the case's store, beside the scan's findings."""
    return f"renditions/html/pii/{scan_id}/scope.json"


#: Which scan the case's renditions go by: the newest html_rendition_pii_scan's (its id, as JSON).
CURRENT_KEY = "renditions/html/pii/current.json"


def subject_key(case_id: int) -> str:
    """The PII scans' subject key for a case's renditions (exports and exchanges have their own)."""
    return f"{case_id}-renditions"
