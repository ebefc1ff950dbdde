"""Deterministic demo data: a core database, case databases, real documents and export manifests.

    python -m demo.generate                       # the demo: cases 101 and 202
    python -m demo.generate --case 301 --pages 100000 --text-only   # a benchmark case

The same seed always gives the same rows and the same bytes. Cases follow the case and
core databases of docs/interfaces/ (case_db.sql, core_db.sql); each case also gets an export
manifest zip (export_manifest.sql) at case_{id}/exports/export_1/manifest.zip.

    demo/case_builder.py   one case: reference data, documents, exhibits, depositions
    demo/review_work.py    what reviewers did: logs, labels, folders, fields, annotations
    demo/manifest.py       the export manifest of a case
    demo/core_db.py        accounts, users, cases and user activity
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from sqlalchemy import insert

from demo.case_builder import CaseBuilder
from demo.core_db import generate_core
from demo.manifest import manifest_zip
from domain import schema
from domain.log import configure_logging, get_logger
from resources.dagster_resources import DatabaseResource
from resources.databases import Databases
from resources.object_store import CaseStore, build_object_store
from resources.settings import Settings, get_settings

log = get_logger("demo")


@dataclass(frozen=True)
class CaseSpec:
    case_id: int
    name: str
    account_id: int
    pages: int
    bates_prefix: str
    text_only: bool = False
    swap_codes: bool = False  # the same code carries another bit in another case


DEFAULT_CASES = (
    CaseSpec(101, "Acme Corp. v. Globex Inc.", 1, 160, "ACME"),
    CaseSpec(202, "Globex Inc. v. Initech LLC — Zürich matter", 2, 70, "GLBX", swap_codes=True),
)


@dataclass
class CaseSummary:
    case_id: int
    documents: int = 0
    exhibits: int = 0
    pages: int = 0
    redactions: int = 0
    manifest_key: str = ""
    #: Exhibits whose documents carry no planted personal data and have a text layer: what the demo's
    #: HTML renditions screen clean (the others hold for review, as they should).
    plain_exhibit_ids: tuple[int, ...] = ()


def _write_rows(engine, metadata, rows: dict[str, list[dict]]) -> None:
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            batch = rows.get(table.name)
            for start in range(0, len(batch or []), 5000):
                conn.execute(insert(table), batch[start : start + 5000])


def generate_case(spec: CaseSpec, seed: int, databases: Databases, store) -> CaseSummary:
    case_store = CaseStore(store, spec.case_id)
    for key in list(case_store.list("documents/")):
        case_store.delete(key)
    builder = CaseBuilder(spec, seed, case_store)
    builder.build()
    databases.drop_database(databases.case_db_name(spec.case_id))
    engine = databases.create_case_database(spec.case_id)
    _write_rows(engine, schema.case_metadata, builder.rows)
    manifest_key = case_store.put_bytes(
        "exports/export_1/manifest.zip", manifest_zip(builder), "application/zip"
    )
    # The parties' business mail domains are expected in an email production, not personal data (docs/pii.md).
    case_store.put_bytes(
        "pii/allowlist.txt",
        b"# business addresses of the parties\n@acme.example\n@globex.example\n",
        "text/plain; charset=utf-8",
    )
    return CaseSummary(
        case_id=spec.case_id,
        documents=len(builder.rows["documents"]),
        exhibits=len(builder.exhibits),
        pages=builder.pages,
        redactions=sum(len(e.secrets) for e in builder.exhibits),
        manifest_key=manifest_key,
        plain_exhibit_ids=tuple(
            e.id for e in builder.exhibits if not e.secrets and e.text_key and e.parent_id is None
        ),
    )


def generate(
    settings: Settings, specs: list[CaseSpec] | tuple[CaseSpec, ...] = DEFAULT_CASES, seed: int = 7
) -> list[CaseSummary]:
    databases = DatabaseResource.from_settings(settings).databases()
    store = build_object_store(settings)
    try:
        generate_core(list(specs), seed, databases)
        summaries = []
        for spec in specs:
            summary = generate_case(spec, seed, databases, store)
            log.info(
                f"case {spec.case_id}: {summary.exhibits} exhibits, {summary.pages} pages, "
                f"{summary.redactions} redactions"
            )
            summaries.append(summary)
        return summaries
    finally:
        databases.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--case", type=int, help="make one case with this id instead of the demo cases")
    parser.add_argument("--pages", type=int, help="page target of that case (or scales the demo cases)")
    parser.add_argument(
        "--text-only", action="store_true", help="only born-digital text documents (benchmarks)"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    if args.case:
        specs = [
            CaseSpec(
                args.case,
                f"Benchmark case {args.case}",
                1,
                args.pages or 1000,
                f"BM{args.case}",
                text_only=args.text_only,
            )
        ]
    else:
        specs = [
            CaseSpec(
                s.case_id,
                s.name,
                s.account_id,
                args.pages or s.pages,
                s.bates_prefix,
                args.text_only,
                s.swap_codes,
            )
            for s in DEFAULT_CASES
        ]
    for summary in generate(settings, specs, args.seed):
        print(
            f"case {summary.case_id}: {summary.documents} documents, {summary.exhibits} exhibits, "
            f"{summary.pages} pages, manifest {summary.manifest_key}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
