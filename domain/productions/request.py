"""An EXPORT_REQUESTED event (docs/events.md), and the keys an export is known by.

The manifest the event names must be the export's own, under its case: an event cannot point a
production at another case's files.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from domain.event_header import MAX_ID, EventHeader, parse_body
from domain.keys import validate_case_id


class ExportRequest(EventHeader):
    """An EXPORT_REQUESTED body: the manifest must be the export's own, under its case."""

    model_config = ConfigDict(extra="ignore")

    event_type: Literal["EXPORT_REQUESTED"] = "EXPORT_REQUESTED"
    export_id: int = Field(gt=0, lt=MAX_ID)
    manifest_key: str = Field(min_length=1, max_length=1024)
    requested_by: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _own_manifest(self) -> ExportRequest:
        expected = manifest_key(self.case_id, self.export_id)
        if self.manifest_key != expected:
            raise ValueError(f"manifest_key must be {expected!r}, the export's own manifest under its case")
        return self


def parse_export_request(body: dict) -> ExportRequest:
    """A validated request, or a PermanentError naming every problem."""
    return parse_body(ExportRequest, body, "export request")


def manifest_key(case_id: int, export_id: int) -> str:
    return f"case_{case_id}/exports/export_{export_id}/manifest.zip"


def export_partition_key(case_id: int, export_id: int) -> str:
    """Export partitions are keyed '{case_id}-{export_id}': the case id comes first."""
    return f"{validate_case_id(case_id)}-{validate_case_id(export_id)}"
