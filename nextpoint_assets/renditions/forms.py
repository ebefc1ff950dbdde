"""The run config of html_renditions_job: which of a case's documents to screen and render, and how.

The selection belongs to the PII scan (`RenditionSelectionConfig` on html_rendition_pii_scan): the
renditions make exactly the documents their cleared scan covered, so a document nobody screened is
never rendered. `documents` is a closed choice the launchpad offers: `all` (every document with a
PDF), `label` (the documents of the exhibits carrying the label named in `label`) or `exhibit_ids`.
What the config system cannot check (a label name given, ids above 0) is checked by
`selection_problems` before any database work and named as the form names it.
"""

from __future__ import annotations

from pydantic import Field

from domain.errors import PermanentError
from domain.renditions.request import DEFAULT_MAX_PAGES, SELECTIONS
from nextpoint_assets.config_models import BlankIsDefault, choice_enum

DocumentSelection = choice_enum("RenditionDocumentSelection", SELECTIONS)


class RenditionSelectionConfig(BlankIsDefault):
    """Which documents of the case are screened for personal data, then rendered."""

    documents: DocumentSelection = Field(  # type: ignore[valid-type]
        DocumentSelection("all"),
        description="Which documents: all (every document with a PDF), label (those of the exhibits "
        "carrying the label named in `label`) or exhibit_ids (those of the exhibits in `exhibit_ids`).",
    )
    label: str | None = Field(None, description="With documents: label, the label's name, e.g. Responsive.")
    exhibit_ids: list[int] = Field(
        [], description="With documents: exhibit_ids, the exhibits whose documents to render, e.g. [12, 14]."
    )
    threshold: float | None = Field(
        None, description="Findings scoring at least this hold the renditions; default NP_PII_THRESHOLD."
    )

    def threshold_or(self, settings) -> float:
        return settings.pii_threshold if self.threshold is None else self.threshold


class HtmlRenditionsConfig(BlankIsDefault):
    """How the screened documents are rendered."""

    max_pages: int = Field(
        DEFAULT_MAX_PAGES, description="A document with more pages is reported, not rendered."
    )
    pii_scan_id: str | None = Field(
        None,
        description="Render what this PII scan covered (it must be clean or approved). Default: the "
        "case's latest html_rendition_pii_scan.",
    )
    event_id: str | None = Field(
        None, description="The HTML_RENDITION_REQUESTED event this run answers (set by the request sensor)."
    )


def selection_problems(config: RenditionSelectionConfig) -> list[str]:
    """What is wrong with the form, one line per field (empty: nothing)."""
    problems = []
    choice = str(config.documents)
    if choice == "label" and not (config.label or "").strip():
        problems.append("label: name the label whose exhibits' documents to render")
    if choice == "exhibit_ids" and not config.exhibit_ids:
        problems.append("exhibit_ids: give at least one exhibit id")
    if any(i <= 0 for i in config.exhibit_ids):
        problems.append("exhibit_ids: exhibit ids are whole numbers above 0")
    if config.threshold is not None and not 0 <= config.threshold <= 1:
        problems.append("threshold: a score from 0 to 1")
    return problems


def check_selection(config: RenditionSelectionConfig) -> None:
    """Raises PermanentError naming every problem of the form."""
    problems = selection_problems(config)
    if problems:
        raise PermanentError("The rendition request is not right: " + "; ".join(problems) + ".")


def check_render(config: HtmlRenditionsConfig) -> None:
    if config.max_pages <= 0:
        raise PermanentError("The rendition request is not right: max_pages: a whole number above 0.")
    if config.pii_scan_id is not None and not config.pii_scan_id.startswith("pii-"):
        raise PermanentError("The rendition request is not right: pii_scan_id: a scan id (pii-...).")
