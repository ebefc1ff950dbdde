"""The layers are written down twice, once for the tool and once for people, and both must say the
same: the import-linter contracts in pyproject.toml (run by `lint-imports` in scripts/test.sh) and the
"Layers" table of docs/architecture.md. The code must keep the contracts, and the contracts must bite."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS = {contract["id"]: contract for contract in CONFIG["contracts"]}
# The entry point is a single-file module, which cannot be a root package of import-linter: its
# contract forbids every package to import it, which puts it above them all.
ENTRY_POINT = CONTRACTS["entry-point"]
LAYERS = CONTRACTS["layers"]


def _layers_table() -> list[dict]:
    """The rows of the table under "## Layers": order (None outside the stack), layer, the modules it
    may not import, and the modules of the layer excepted from that."""
    doc = (ROOT / "docs" / "architecture.md").read_text()
    section = re.search(r"^## Layers\n(.*?)(?=^## )", doc, re.S | re.M)
    assert section, 'docs/architecture.md has no "## Layers" section'
    lines = [line for line in section.group(1).splitlines() if line.startswith("|")]
    header, _rule, *body = lines
    assert [cell.strip() for cell in header.strip("|").split("|")][:2] == ["#", "layer"], header
    rows = []
    for line in body:
        order, layer, _holds, forbidden, excepted = (cell.strip() for cell in line.strip("|").split("|"))
        (name,) = re.findall(r"`([^`]+)`", layer)
        rows.append(
            {
                "order": int(order) if order.isdigit() else None,
                "layer": name,
                "forbidden": set(re.findall(r"`([^`]+)`", forbidden)),
                "except": set(re.findall(r"`([^`]+)`", excepted)),
            }
        )
    return rows


TABLE = _layers_table()


def _own_contracts(layer: str) -> list[dict]:
    """The forbidden contracts whose only source is this layer."""
    return [
        contract
        for contract in CONFIG["contracts"]
        if contract["type"] == "forbidden" and contract["source_modules"] == [layer]
    ]


def test_the_table_orders_the_layers_as_the_contracts_do():
    stack = [row["layer"] for row in sorted((r for r in TABLE if r["order"]), key=lambda r: r["order"])]
    assert [row["order"] for row in TABLE if row["order"]] == list(range(1, len(stack) + 1))
    assert stack == ENTRY_POINT["forbidden_modules"] + LAYERS["layers"]


def test_every_package_is_in_the_table_and_none_imports_the_entry_point():
    packages = {row["layer"] for row in TABLE} - set(ENTRY_POINT["forbidden_modules"])
    assert packages == set(CONFIG["root_packages"])
    assert set(ENTRY_POINT["source_modules"]) == packages
    assert CONFIG["include_external_packages"] is True  # forbidden libraries are outside the packages


@pytest.mark.parametrize("row", TABLE, ids=[row["layer"] for row in TABLE])
def test_what_a_layer_may_not_import_is_what_its_contracts_forbid(row):
    contracts = _own_contracts(row["layer"])
    forbidden = {module for contract in contracts for module in contract["forbidden_modules"]}
    excepted = {
        expression.split("->")[0].strip()
        for contract in contracts
        for expression in contract.get("ignore_imports", [])
    }
    assert row["forbidden"] == forbidden, f"{row['layer']}: the table and pyproject.toml disagree"
    assert row["except"] == excepted, f"{row['layer']}: the exceptions disagree"


def _lint_imports(cwd: Path, *contracts: str) -> subprocess.CompletedProcess:
    options = [arg for contract in contracts for arg in ("--contract", contract)]
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *options],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_code_keeps_every_contract():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout


# One breach of each contract, written into a copy of the packages: lint-imports must refuse each.
BREACHES = [
    ("entry-point", "jobs/__init__.py", "import definitions"),
    ("layers", "domain/__init__.py", "import imaging"),
    ("layers", "nextpoint_assets/__init__.py", "from sensors import requests"),
    ("layers", "jobs/__init__.py", "import sensors"),
    ("domain-pure", "domain/__init__.py", "from PIL import Image"),
    ("domain-pure", "domain/__init__.py", "import ctypes"),
    ("imaging-local", "imaging/__init__.py", "import boto3"),
    ("resources-adapters", "resources/__init__.py", "import dagster as dg"),
    ("glue-scripts-standalone", "glue_scripts/__init__.py", "from resources import object_store"),
]


@pytest.mark.parametrize(("contract", "path", "statement"), BREACHES, ids=[b[0] for b in BREACHES])
def test_each_contract_refuses_a_breach(tmp_path, contract, path, statement):
    for package in CONFIG["root_packages"]:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    assert _lint_imports(tmp_path, contract).returncode == 0, "the copy keeps the contract before the breach"
    target = tmp_path / path
    target.write_text(target.read_text() + f"\n{statement}\n")
    result = _lint_imports(tmp_path, contract)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
