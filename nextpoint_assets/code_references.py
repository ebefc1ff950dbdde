"""Links from an asset to its code, as Dagster's code references (shown in the UI), not typed prose.

Every asset gets the file and line of its own body (`dg.with_source_code_references`, applied in
definitions.py). An asset whose real work lives elsewhere (a report's query in domain/reports/, the
PII scanner, the Spark script of an exchange copy) also names that code with `code_references(...)`
in its metadata. When NP_GIT_URL is set (e.g. https://github.com/org/repo; NP_GIT_BRANCH, default
main), the links point at that repository instead of the local files.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import dagster as dg

from resources.settings import REPO_ROOT, get_settings


def code_reference(target: Callable[..., Any] | ModuleType | Path, label: str) -> dg.LocalFileCodeReference:
    """The file (and, for a function or class, the line) of `target`."""
    if isinstance(target, Path):
        return dg.LocalFileCodeReference(file_path=str(target.resolve()), label=label)
    path = Path(inspect.getsourcefile(target) or "").resolve()
    line = None if isinstance(target, ModuleType) else inspect.getsourcelines(target)[1]
    return dg.LocalFileCodeReference(file_path=str(path), line_number=line, label=label)


def code_references(**targets: Callable[..., Any] | ModuleType | Path) -> dict[str, Any]:
    """Asset metadata naming further code by label: `metadata=code_references(query=run_query)`."""
    references = [code_reference(target, label.replace("_", " ")) for label, target in targets.items()]
    return {"dagster/code_references": dg.CodeReferencesMetadataValue(code_references=references)}


def linked_to_code(
    assets: Sequence[Any], git_url: str | None = None, git_branch: str | None = None
) -> Sequence[Any]:
    """`assets` with a code reference to each one's body, as links into git when a URL is given
    (by default NP_GIT_URL and NP_GIT_BRANCH)."""
    settings = get_settings()
    git_url = git_url if git_url is not None else settings.git_url
    git_branch = git_branch or settings.git_branch
    linked = dg.with_source_code_references(list(assets))
    if not git_url:
        return linked
    try:
        return dg.link_code_references_to_git(
            linked,
            git_url=git_url.rstrip("/"),
            git_branch=git_branch,
            file_path_mapping=dg.AnchorBasedFilePathMapping(
                local_file_anchor=REPO_ROOT / "definitions.py",
                file_anchor_path_in_repository="definitions.py",
            ),
        )
    except ValueError as exc:  # a host that is neither GitHub nor GitLab
        raise ValueError(f"NP_GIT_URL {git_url!r} cannot be linked to: {exc}") from None
