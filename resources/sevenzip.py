"""7-Zip: pack a folder into split volumes and test the archive."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from domain.errors import PermanentError, SettingsError


def seven_zip() -> str:
    for name in ("7zz", "7z", "7za"):
        found = shutil.which(name)
        if found:
            return found
    raise SettingsError("7-Zip is not installed (apt-get install 7zip).")


@dataclass(frozen=True)
class PackedArchive:
    """The parts of a packed archive with what its one test (`7z t`) and listing (`7z l`) said."""

    parts: list[Path]
    test_output: str
    listing: list[str]

    @property
    def test_summary(self) -> str:
        """The test's verdict and totals, e.g. 'Everything is Ok; Files: 138; Size: 7559178; ...'."""
        lines = [line.strip() for line in self.test_output.splitlines()]
        kept = [line for line in lines if line == "Everything is Ok" or _TOTAL.match(line)]
        return "; ".join(" ".join(line.split()) for line in kept)


_TOTAL = re.compile(r"^(Folders|Files|Size|Compressed):\s+\d+$")


def pack_tested(source_dir: Path, archive_base: Path, split_bytes: int, level: int = 1) -> PackedArchive:
    """{archive_base}.7z.001, .002 ... of at most split_bytes each, tested before returning; what the
    test and the listing said is kept, for QC to check the archive against instead of testing it again.

    Level 1 by default: page images are already compressed, and on a 1,000-page
    production level 5 took 11x longer to make an archive 40% smaller."""
    binary = seven_zip()
    archive = archive_base.with_name(archive_base.name + ".7z")
    for stale in archive_base.parent.glob(archive.name + ".*"):
        stale.unlink()
    result = subprocess.run(
        [
            binary,
            "a",
            "-t7z",
            f"-mx={int(level)}",
            "-mmt=on",
            f"-v{split_bytes}b",
            "-bd",
            "-y",
            str(archive),
            source_dir.name,
        ],
        cwd=source_dir.parent,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise PermanentError("7-Zip could not pack the production.", detail=result.stderr.strip()[-500:])
    parts = sorted(archive_base.parent.glob(archive.name + ".[0-9][0-9][0-9]"))
    return PackedArchive(parts, test(parts[0]), list_files(parts[0]))


def test(first_part: Path) -> str:
    result = subprocess.run([seven_zip(), "t", "-bd", str(first_part)], capture_output=True, text=True)
    if result.returncode != 0 or "Everything is Ok" not in result.stdout:
        raise PermanentError(
            "The production archive failed its test.", detail=(result.stdout + result.stderr).strip()[-500:]
        )
    return result.stdout


def list_files(first_part: Path) -> list[str]:
    result = subprocess.run(
        [seven_zip(), "l", "-slt", "-ba", str(first_part)], capture_output=True, text=True, check=True
    )
    files, current = [], {}
    for line in result.stdout.splitlines() + [""]:
        if not line.strip():
            if (
                current.get("Path")
                and "D" not in current.get("Attributes", "")
                and current.get("Folder") != "+"
            ):
                files.append(current["Path"])
            current = {}
        elif " = " in line:
            key, _, value = line.partition(" = ")
            current[key] = value
    return files
