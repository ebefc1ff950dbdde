"""Every asset links to its code through Dagster's code references (never paths typed into descriptions)."""

import re
from pathlib import Path

import dagster as dg
import pytest

from nextpoint_assets.code_references import linked_to_code
from nextpoint_assets.reports.assets import REPORT_ASSETS

ROOT = Path(__file__).resolve().parent.parent


def _references(node) -> list:
    value = node.metadata.get("dagster/code_references")
    return list(value.code_references) if value else []


def test_every_asset_names_its_body_and_no_description_names_a_file():
    from definitions import defs

    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        files = [Path(r.file_path) for r in _references(node)]
        assert files, key
        assert all(f.is_file() and f.is_relative_to(ROOT) for f in files), (key, files)
        assert not re.search(r"\w+/\w+\.py|Code:", node.description or ""), (key, node.description)
    report = graph.get(dg.AssetKey("page_count_report"))
    labels = {r.label: Path(r.file_path).relative_to(ROOT).as_posix() for r in _references(report)}
    assert labels["report query"] == "domain/reports/page_count.py"
    copy = graph.get(dg.AssetKey("exchange_database_copy"))
    assert "glue_scripts/exchange_copy.py" in {
        Path(r.file_path).relative_to(ROOT).as_posix() for r in _references(copy)
    }


def test_a_git_url_turns_the_references_into_links_and_a_foreign_host_is_named():
    (asset,) = linked_to_code(
        [REPORT_ASSETS["page_count"]], git_url="https://github.com/example/platform/", git_branch="release"
    )
    urls = [r.url for r in asset.metadata_by_key[asset.key]["dagster/code_references"].code_references]
    assert "https://github.com/example/platform/tree/release/domain/reports/page_count.py#L" in urls[0]
    assert re.fullmatch(
        r"https://github\.com/example/platform/tree/release/nextpoint_assets/reports/assets\.py#L\d+", urls[1]
    )
    with pytest.raises(ValueError, match="NP_GIT_URL"):
        linked_to_code([REPORT_ASSETS["page_count"]], git_url="https://git.example/platform")
