"""The exchange benchmark's check: both destinations against the source and each other."""

from __future__ import annotations

import time

from bench.exchange_data import (
    CHILDREN,
    DESTINATIONS,
    EXCHANGE_LABEL,
    SOURCE_CASE,
    TABLES,
    connect,
    counts,
    db_name,
)
from bench.exchange_sql import bits_sql


def verify(args: dict) -> dict:
    """Rows per table equal in both destinations and to the source's selection; every copied row's keys
    point at the copies of what its source row pointed at (joins across the source and the destination)."""
    from bench.cases import _result

    started = time.perf_counter()
    existing = args["existing"]
    problems: list[str] = []
    report: dict[str, dict] = {}
    with connect(args) as conn, conn.cursor() as cur:
        # The checks join on columns the contract leaves unindexed: indexed now, after both copies were timed.
        for case_id in (SOURCE_CASE, *DESTINATIONS.values()):
            for table, column in (
                ("exhibits", "number"),
                ("exhibits", "document_id"),
                ("document_variants", "document_id"),
                *((t, "exhibit_id") for t in CHILDREN),
            ):
                cur.execute(
                    f"CREATE INDEX IF NOT EXISTS bench_{column} ON `{db_name(case_id)}`.{table} ({column})"
                )

        def one(sql: str) -> int:
            cur.execute(sql)
            return int(cur.fetchone()[0])

        def rows(sql: str) -> list[tuple]:
            cur.execute(sql)
            return list(cur.fetchall())

        src = f"`{db_name(SOURCE_CASE)}`"
        sel = f"SELECT exhibit_id FROM {src}.label_category_labels WHERE label_category_id = {EXCHANGE_LABEL}"
        docs = f"SELECT document_id FROM {src}.exhibits WHERE id IN ({sel})"
        expected = {
            "exhibits": one(f"SELECT COUNT(*) FROM {src}.exhibits WHERE id IN ({sel})"),
            "documents": one(f"SELECT COUNT(*) FROM {src}.documents WHERE id IN ({docs})"),
            "document_variants": one(
                f"SELECT COUNT(*) FROM {src}.document_variants WHERE document_id IN ({docs})"
            ),
        }
        for table in CHILDREN:
            expected[table] = one(f"SELECT COUNT(*) FROM {src}.{table} WHERE exhibit_id IN ({sel})")
        for variant, case_id in DESTINATIONS.items():
            dst = f"`{db_name(case_id)}`"
            copied = {t: n - existing[t] for t, n in counts(args, db_name(case_id)).items()}
            checks = {t: copied[t] == n for t, n in expected.items()}
            checks |= _fk_checks(one, rows, src, dst, expected, existing)
            report[variant] = {"copied": copied, "failed": sorted(k for k, ok in checks.items() if not ok)}
            problems += [f"{variant}: {k}" for k, ok in checks.items() if not ok]
        spark_rows, sql_rows = report["spark"]["copied"], report["pure_sql"]["copied"]
        problems += [
            f"rows of {t}: spark {spark_rows[t]} != pure_sql {sql_rows[t]}"
            for t in TABLES
            if spark_rows[t] != sql_rows[t]
        ]
    seconds = time.perf_counter() - started
    if problems:
        raise AssertionError("verification failed: " + "; ".join(problems)[:400])
    return _result(
        sum(expected.values()),
        "rows",
        seconds,
        check=True,
        verified=True,
        split={"verification": "pass"},
        expected=expected,
        copied=report,
    )


def _fk_checks(
    one, rows, src: str, dst: str, expected: dict[str, int], existing: dict[str, int]
) -> dict[str, bool]:
    """Each check counts the copied rows whose keys lead where the source row's keys led; all must match."""
    source_codes = {
        int(bit): code for bit, code in rows(f"SELECT bit, TRIM(code) FROM {src}.confidentiality_codes")
    }
    dest_codes = {
        code: int(bit) for bit, code in rows(f"SELECT bit, TRIM(code) FROM {dst}.confidentiality_codes")
    }
    bits = bits_sql("se.confidentiality_status", {b: dest_codes.get(c, -1) for b, c in source_codes.items()})
    k_exhibits, k_documents, k_variants = (
        existing["exhibits"],
        existing["documents"],
        existing["document_variants"],
    )
    checks = {
        "exhibits: new id, document, parent, number, confidentiality bits": one(
            f"SELECT COUNT(*) FROM {dst}.exhibits de JOIN {src}.exhibits se ON se.id = de.number "
            f"JOIN {dst}.documents dd ON dd.id = de.document_id JOIN {src}.documents sd ON sd.id = "
            "se.document_id "
            f"LEFT JOIN {dst}.exhibits dp ON dp.id = de.parent_exhibit_id "
            f"WHERE de.id > {k_exhibits} AND de.id <> se.id AND dd.id > {k_documents} AND dd.filename = "
            "sd.filename AND dd.md5 = sd.md5 "
            "AND dd.document_properties IS NULL AND de.control_number = se.control_number AND "
            f"de.confidentiality_status = {bits} "
            "AND ((se.parent_exhibit_id IS NULL AND de.parent_exhibit_id IS NULL) OR (dp.id > "
            f"{k_exhibits} AND dp.number = se.parent_exhibit_id))"
        )
        == expected["exhibits"],
        "exhibits: one copied document each": one(
            f"SELECT COUNT(DISTINCT de.document_id) FROM {dst}.exhibits de WHERE de.id > {k_exhibits}"
        )
        == expected["documents"],
        "document_variants: document and object key": one(
            f"SELECT COUNT(*) FROM {dst}.document_variants dv JOIN {dst}.exhibits de ON de.document_id = "
            f"dv.document_id AND de.id > {k_exhibits} "
            f"JOIN {src}.exhibits se ON se.id = de.number JOIN {src}.document_variants sv ON sv.document_id "
            "= se.document_id AND sv.kind = dv.kind "
            f"WHERE dv.id > {k_variants} AND dv.bytes = sv.bytes AND dv.object_key = CASE WHEN "
            "sv.object_key LIKE CONCAT('documents/', "
            "sv.document_id, '/%') THEN CONCAT('documents/', dv.document_id, '/', "
            "SUBSTRING_INDEX(sv.object_key, '/', -1)) "
            "ELSE CONCAT('documents/', dv.document_id, '/exchanged/', sv.id, '-', "
            "SUBSTRING_INDEX(sv.object_key, '/', -1)) END"
        )
        == expected["document_variants"],
    }
    named = {
        "custodian_exhibits": ("custodian_id", "custodians", "name"),
        "label_category_labels": ("label_category_id", "label_categories", "name"),
        "custom_field_values": ("custom_field_id", "custom_fields", "name"),
    }
    for table, (column, parent, name) in named.items():
        value = " AND dc.value = sc.value" if table == "custom_field_values" else ""
        checks[f"{table}: exhibit and {parent}"] = (
            one(
                f"SELECT COUNT(*) FROM {dst}.{table} dc JOIN {dst}.exhibits de ON de.id = dc.exhibit_id AND "
                f"de.id > {k_exhibits} "
                f"JOIN {dst}.{parent} dn ON dn.id = dc.{column} JOIN {src}.{table} sc ON sc.exhibit_id = "
                "de.number "
                f"JOIN {src}.{parent} sn ON sn.id = sc.{column} AND TRIM(sn.{name}) = TRIM(dn.{name}){value} "
                f"WHERE dc.id > {existing[table]}"
            )
            == expected[table]
        )
    return checks
