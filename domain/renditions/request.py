"""HTML_RENDITION_REQUESTED events (docs/events.md) and the run config they become, validated first.

A request names which of a case's documents to render: `all` (every document with a PDF), `label`
(the documents of the exhibits carrying the label named in `label`) or `exhibit_ids`. Its run is
html_renditions_job on the case's partition: the PII scan of those documents takes the selection,
the renditions take `max_pages` and the event id their outcome event answers (`rendition_run_config`),
so the launchpad and an event fill in the same fields.
Pure: no Dagster, boto3 or SQL driver.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from domain.errors import PermanentError
from domain.event_header import EventHeader, parse_body

SELECTIONS = ("all", "label", "exhibit_ids")
DEFAULT_MAX_PAGES = 5000
MAX_IDS = 10_000
SCAN_OP = "html_rendition_pii_scan"
RENDER_OP = "html_renditions"


class RenditionRequest(EventHeader):
    """HTML_RENDITION_REQUESTED: render these documents of `case_id` as accessible HTML."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    documents: Literal["all", "label", "exhibit_ids"] = "all"
    label: str | None = Field(default=None, min_length=1, max_length=255)
    exhibit_ids: list[int] = Field(default_factory=list, max_length=MAX_IDS)
    max_pages: int = Field(default=DEFAULT_MAX_PAGES, gt=0, le=100_000)
    user_id: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _selection(self) -> RenditionRequest:
        if any(isinstance(i, bool) or i <= 0 for i in self.exhibit_ids):
            raise ValueError("exhibit_ids are whole numbers above 0")
        if self.documents == "label" and not self.label:
            raise ValueError("documents 'label' needs the label's name in `label`")
        if self.documents == "exhibit_ids" and not self.exhibit_ids:
            raise ValueError("documents 'exhibit_ids' needs at least one id in `exhibit_ids`")
        return self


def parse_rendition_request(body: dict, case_id: int | None = None) -> RenditionRequest:
    """A validated request, or a PermanentError naming every problem."""
    if not isinstance(body, dict):
        raise PermanentError("The rendition request is not a JSON object.")
    return parse_body(RenditionRequest, body, "rendition request", case_id)


def rendition_run_config(request: RenditionRequest) -> dict[str, Any]:
    """html_renditions_job's run config for `request`."""
    selection: dict[str, Any] = {"documents": request.documents}
    if request.label:
        selection["label"] = request.label
    if request.exhibit_ids:
        selection["exhibit_ids"] = list(request.exhibit_ids)
    return {
        "ops": {
            SCAN_OP: {"config": selection},
            RENDER_OP: {"config": {"max_pages": request.max_pages, "event_id": request.event_id}},
        }
    }
