"""The SQLAlchemy tables must match the contract files column for column."""

import re

import pytest

from domain import schema
from tests.conftest import CONTRACTS

TABLE = re.compile(r"CREATE TABLE (\w+) \((.*?)\n\);", re.S)


def contract_tables(filename: str) -> dict[str, list[str]]:
    text = (CONTRACTS / filename).read_text()
    tables = {}
    for name, body in TABLE.findall(text):
        columns = []
        for line in body.splitlines():
            line = line.split("--")[0].strip()
            if line:
                columns.append(line.split()[0])
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
def test_tables_match_contract(filename, metadata):
    contract = contract_tables(filename)
    assert contract, f"no tables parsed from {filename}"
    ours = {name: [c.name for c in table.columns] for name, table in metadata.tables.items()}
    assert ours == contract
