"""docs/architecture.md is drawn from the code: every asset, job, sensor and schedule the
Definitions hold is named there, and every such name the page uses exists."""

import re
from pathlib import Path

import pytest

from definitions import defs

DOC = (Path(__file__).resolve().parents[1] / "docs" / "architecture.md").read_text()
# Names the page writes as a pattern ({type}_report, {type}_report_job) stand for all of a family.
REPORT_FAMILY = re.compile(r"^(\w+)_report(_job)?$")


def _graph_names() -> dict[str, set[str]]:
    graph = defs.resolve_asset_graph()
    return {
        "asset": {key.to_user_string() for key in graph.get_all_asset_keys()},
        "check": {key.name for key in graph.asset_check_keys},
        "job": {job.name for job in defs.resolve_all_job_defs() if not job.name.startswith("__")},
        "sensor": {sensor.name for sensor in defs.sensors or []},
        "schedule": {schedule.name for schedule in defs.schedules or []},
    }


NAMES = _graph_names()
ALL_NAMES = set().union(*NAMES.values())


def _mentioned(name: str) -> bool:
    if re.search(rf"(?<![\w{{]){re.escape(name)}(?!\w)", DOC):
        return True
    family = REPORT_FAMILY.match(name)
    # Report assets and jobs appear once as {type}_report(_job), their types listed beside.
    return bool(family) and "{type}_report" in DOC and re.search(rf"\b{family.group(1)}\b", DOC) is not None


@pytest.mark.parametrize("kind", sorted(NAMES))
def test_every_definition_is_on_the_page(kind):
    missing = sorted(name for name in NAMES[kind] if not _mentioned(name))
    assert not missing, f"{kind}s missing from docs/architecture.md: {missing}"


def test_every_name_on_the_page_exists():
    written = set(re.findall(r"(?<![\w{/.])([a-z][a-z0-9_]*_(?:job|sensor|schedule))\b", DOC))
    assets = set(re.findall(r"(?<![\w{/.])((?:export|exchange)_[a-z_]+)\b", DOC))
    assets -= {"exchange_id", "export_id"}
    unknown = sorted((written | assets) - ALL_NAMES)
    assert not unknown, f"docs/architecture.md names what the Definitions do not hold: {unknown}"
