"""Read an export manifest zip (manifest.sqlite inside) into plain rows.

The zip and the database are hostile input: only the one member is read, with
a size cap (no zip bombs), and SQLite opens it read-only and immutable.
"""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path
from typing import Any

from domain.productions.manifest import ManifestRejected

MAX_MANIFEST_BYTES = 4 * 1024**3
TABLES = ("export", "exhibits", "exhibits_for_export", "redactions")


def extract_manifest(zip_path: Path, target: Path) -> Path:
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile:
        raise ManifestRejected("The export manifest is not a zip file.") from None
    with archive:
        try:
            info = archive.getinfo("manifest.sqlite")
        except KeyError:
            raise ManifestRejected("The export manifest zip holds no manifest.sqlite.") from None
        if info.file_size > MAX_MANIFEST_BYTES:
            raise ManifestRejected(
                f"manifest.sqlite is {info.file_size} bytes, more than the {MAX_MANIFEST_BYTES} allowed."
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with archive.open(info) as source, open(target, "wb") as out:
            while chunk := source.read(1 << 20):
                written += len(chunk)
                if written > MAX_MANIFEST_BYTES:
                    raise ManifestRejected("manifest.sqlite expands beyond its declared size.")
                out.write(chunk)
    return target


def read_tables(sqlite_path: Path) -> dict[str, list[dict[str, Any]]]:
    uri = f"file:{sqlite_path}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise ManifestRejected(f"manifest.sqlite cannot be opened: {exc}") from None
    conn.row_factory = sqlite3.Row
    tables: dict[str, list[dict[str, Any]]] = {}
    try:
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table in TABLES:
            if table in present:
                tables[table] = [dict(row) for row in conn.execute(f'SELECT * FROM "{table}"')]  # noqa: S608 - fixed names
    except sqlite3.DatabaseError as exc:
        raise ManifestRejected(f"manifest.sqlite is not a readable SQLite database: {exc}") from None
    finally:
        conn.close()
    return tables
