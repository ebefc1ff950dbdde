"""The repository stands alone: no file in it reads or cites a path outside it.

A clone on its own, with no sibling folders, must pass the test command: the interfaces the
platform implements are described in its own words under docs/ (docs/interfaces/README.md).
Every file git knows of (tracked, or new and not ignored) is scanned, this one included: the
forbidden strings below are built from pieces so that it does not match itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SIBLING = "sha" + "red"  # the folder beside the repository that the platform must not depend on
NOT_A_PATH_TAIL = r"(?<![\w.$}\])/-])"  # a work/ folder after 'export_7/' or '{base}/' is a key

FORBIDDEN: list[tuple[re.Pattern[str], str]] = [
    (re.compile(re.escape(".." + "/" + SIBLING)), "a folder beside the repository"),
    (re.compile(re.escape(SIBLING + "/" + "contracts")), "the contracts folder outside the repository"),
    (re.compile(re.escape(SIBLING + "/" + "reference")), "the reference folder outside the repository"),
    (re.compile(NOT_A_PATH_TAIL + "/" + "work/"), "an absolute path of the development machine"),
    (re.compile(NOT_A_PATH_TAIL + r"/(?:home|Users)/[^/\s`'\"]+/"), "a path in someone's home folder"),
    (re.compile(r"""(?:/|Path\()\s*["']\.\.["']"""), "a path climbing out with '..'"),
]
ENV_VARIABLE = "NP_" + "CONTRACTS"  # the variable that used to point the tests at the outside contracts


def repository_files() -> list[Path]:
    """Every file git tracks, plus new ones not ignored (so a file is caught before it is committed)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git work tree: nothing says which files belong to the repository")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8", "surrogateescape")
    return [ROOT / name for name in sorted(set(listed.split("\0"))) if name and (ROOT / name).is_file()]


def text_of(path: Path) -> str | None:
    data = path.read_bytes()
    return None if b"\0" in data else data.decode("utf-8", "replace")


def outside_references(path: Path, text: str) -> list[str]:
    """What in one file's text points outside the repository, as 'file:line: why'."""
    found = []
    rules = list(FORBIDDEN)
    if len(ROOT.parts) > 2:  # the checkout's own absolute location (not a bare top-level folder)
        rules.append((re.compile(re.escape(str(ROOT))), "this checkout's absolute path"))
    home = Path.home()
    if len(home.parts) > 2:  # a personal home folder (/home/me); /root is also a container's
        rules.append((re.compile(re.escape(f"{home}/")), "this machine's home folder"))
    for number, line in enumerate(text.splitlines(), start=1):
        for pattern, why in rules:
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {why}: {line.strip()[:120]}")
        if path.suffix == ".py":
            # Path(__file__).parents[n] above the repository root climbs out of it.
            depth = len(path.relative_to(ROOT).parts) - 1
            for match in re.finditer(r"__file__\)?(?:\.resolve\(\))?\.parents\[(\d+)\]", line):
                if int(match[1]) > depth:
                    found.append(
                        f"{path.relative_to(ROOT)}:{number}: parents[{match[1]}] leaves the repository"
                    )
    return found


def test_no_file_reads_or_cites_a_path_outside_the_repository():
    files = repository_files()
    assert any(f.name == "pyproject.toml" for f in files), "git listed none of the repository's files"
    found = []
    for path in files:
        text = text_of(path)
        if text is not None:
            found += outside_references(path, text)
    assert not found, "paths outside the repository:\n" + "\n".join(found)


def test_the_tests_read_no_variable_pointing_outside():
    users = [
        str(path.relative_to(ROOT))
        for path in repository_files()
        if (text := text_of(path)) is not None and ENV_VARIABLE in text
    ]
    assert not users, f"{ENV_VARIABLE} is named in {users}"
    conftest = (ROOT / "tests" / "conftest.py").read_text(encoding="utf-8")
    assert "CONTRACTS" not in conftest


@pytest.mark.parametrize(
    "line",
    [
        "text = (Path('." + ".') / '" + SIBLING + "' / 'contracts' / 'case_db.sql').read_text()",
        "Cases follow ../" + SIBLING + "/contracts/case_db.sql",
        "Replaces the exchanger of `" + SIBLING + "/reference/documentexchanger.md`",
        "see /" + "work/" + SIBLING + "/dagster-notes.md",
        'DATA = "/' + 'home/alice/data/case.sqlite"',
        'CONTRACTS = ROOT / "' + '.." / "contracts"',
        "HERE = Path(__file__).resolve().parents" + "[3] / 'contracts'",
    ],
)
def test_the_scan_finds_each_kind_of_outside_path(line):
    """The scan itself works: each kind of outside reference in a test file is reported."""
    assert outside_references(ROOT / "tests" / "example.py", line)


@pytest.mark.parametrize(
    "line",
    [
        'return f"{self.base}/work/plan.json"',
        "case_101/exports/export_7/work/plan.json",
        "local scratch: `$NP_HOME/work/*`",
        "ROOT = Path(__file__).resolve().parents[1]",
        'safe_name("../../../etc/passwd.pdf")',
    ],
)
def test_the_scan_leaves_keys_and_repository_paths_alone(line):
    assert not outside_references(ROOT / "tests" / "example.py", line)
