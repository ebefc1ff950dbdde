"""The SQLAlchemy tables (domain/schema.py) must match the interface documents (docs/interfaces/*.sql):
the same tables, the same columns in the same order, NOT NULL where the document says so."""

import re
from pathlib import Path

import pytest

from domain import schema

INTERFACES = Path(__file__).resolve().parents[1] / "docs" / "interfaces"
TABLE = re.compile(r"CREATE TABLE (\w+) \((.*?)\n\);", re.S)


def documented_tables(filename: str) -> dict[str, list[tuple[str, bool]]]:
    """{table: [(column, nullable), ...]} from one interface document (comments dropped)."""
    tables = {}
    for name, body in TABLE.findall((INTERFACES / filename).read_text(encoding="utf-8")):
        columns = []
        for line in body.splitlines():
            definition = line.split("--")[0].strip().upper()
            if definition:
                required = "NOT NULL" in definition or "PRIMARY KEY" in definition
                columns.append((definition.split()[0].lower(), not required))
        tables[name] = columns
    return tables


@pytest.mark.parametrize(
    ("filename", "metadata"),
    [
        ("case_db.sql", schema.case_metadata),
        ("core_db.sql", schema.core_metadata),
        ("export_manifest.sql", schema.manifest_metadata),
    ],
)
def test_tables_match_the_interface_documents(filename, metadata):
    documented = documented_tables(filename)
    assert documented, f"no tables parsed from docs/interfaces/{filename}"
    ours = {
        name: [(c.name, bool(c.nullable)) for c in table.columns] for name, table in metadata.tables.items()
    }
    assert ours == documented
