"""The run config of `html_renditions`: which of a case's documents to render.

`documents` is a closed choice the launchpad offers: `all` (every document with a PDF), `label`
(the documents of the exhibits carrying the label named in `label`) or `exhibit_ids` (the documents
of these exhibits). What the config system cannot check (a label name given, ids above 0) is checked
by `selection_problems` before any database work and named as the form names it.
"""

from __future__ import annotations

from pydantic import Field

from domain.errors import PermanentError
from nextpoint_assets.config_models import BlankIsDefault, choice_enum

SELECTIONS = ("all", "label", "exhibit_ids")
DocumentSelection = choice_enum("RenditionDocumentSelection", SELECTIONS)
DEFAULT_MAX_PAGES = 5000


class HtmlRenditionsConfig(BlankIsDefault):
    """Which documents of the case become HTML renditions."""

    documents: DocumentSelection = Field(  # type: ignore[valid-type]
        DocumentSelection("all"),
        description="Which documents: all (every document with a PDF), label (those of the exhibits "
        "carrying the label named in `label`) or exhibit_ids (those of the exhibits in `exhibit_ids`).",
    )
    label: str | None = Field(None, description="With documents: label, the label's name, e.g. Responsive.")
    exhibit_ids: list[int] = Field(
        [], description="With documents: exhibit_ids, the exhibits whose documents to render, e.g. [12, 14]."
    )
    max_pages: int = Field(
        DEFAULT_MAX_PAGES, description="A document with more pages is reported, not rendered."
    )


def selection_problems(config: HtmlRenditionsConfig) -> list[str]:
    """What is wrong with the form, one line per field (empty: nothing)."""
    problems = []
    choice = str(config.documents)
    if choice == "label" and not (config.label or "").strip():
        problems.append("label: name the label whose exhibits' documents to render")
    if choice == "exhibit_ids" and not config.exhibit_ids:
        problems.append("exhibit_ids: give at least one exhibit id")
    if any(i <= 0 for i in config.exhibit_ids):
        problems.append("exhibit_ids: exhibit ids are whole numbers above 0")
    if config.max_pages <= 0:
        problems.append("max_pages: a whole number above 0")
    return problems


def check_selection(config: HtmlRenditionsConfig) -> None:
    """Raises PermanentError naming every problem of the form."""
    problems = selection_problems(config)
    if problems:
        raise PermanentError("The rendition request is not right: " + "; ".join(problems) + ".")
