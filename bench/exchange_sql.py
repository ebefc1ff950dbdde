"""The exchange benchmark's peer: the same copy as hand-written SQL on one MariaDB server.

The id map (`exchange_id_map`) is filled with ROW_NUMBER() above the destination's highest id,
then one INSERT ... SELECT per table joins the map for the row's new id and every key; the
named tables (custodians, labels, folders, fields, codes) are matched by name on the client,
as the Spark job does."""

from __future__ import annotations

import os
import time

from bench.exchange_data import (
    CHILDREN,
    EXCHANGE_LABEL,
    NAMED_FKS,
    PLATFORM_DB,
    SOURCE_CASE,
    SQL_CASE,
    connect,
    db_name,
)


class SqlCopy:
    """The same copy by hand: the id map filled with ROW_NUMBER() above the destination's highest
    id, then one INSERT ... SELECT per table joining the map for the row's new id and every key."""

    def __init__(self, cur, source_case: int, destination_case: int, exchange_id: str, label_id: int) -> None:
        self.cur, self.s, self.d = cur, source_case, destination_case
        self.src, self.dst, self.exchange_id, self.label_id = (
            f"`{db_name(source_case)}`",
            f"`{db_name(destination_case)}`",
            exchange_id,
            label_id,
        )
        self.ledger = f"`{PLATFORM_DB}`.exchange_id_map"
        self.inserted: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def rows(self, sql: str, *params) -> list[tuple]:
        self.cur.execute(sql, params or None)
        return list(self.cur.fetchall())

    def on(self, alias: str, table: str, source_id: str) -> str:
        return (
            f"{alias}.source_case_id = {self.s} AND {alias}.destination_case_id = {self.d} "
            f"AND {alias}.table_name = '{table}' AND {alias}.source_id = {source_id}"
        )

    def base(self, table: str) -> int:
        return int(
            self.rows(
                f"SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM {self.dst}.{table}), "
                f"(SELECT COALESCE(MAX(destination_id), 0) FROM {self.ledger} WHERE destination_case_id = "
                f"{self.d} "
                f"AND table_name = '{table}'))"
            )[0][0]
        )

    def run(self) -> None:
        started = time.perf_counter()
        self.cur.execute("DROP TEMPORARY TABLE IF EXISTS selected")
        self.cur.execute(
            "CREATE TEMPORARY TABLE selected (id BIGINT NOT NULL PRIMARY KEY) SELECT DISTINCT exhibit_id "
            "AS id "
            f"FROM {self.src}.label_category_labels WHERE label_category_id = {int(self.label_id)}"
        )
        self.seconds["selection"] = time.perf_counter() - started
        bits = self.named_tables()
        selected_documents = (
            f"SELECT document_id FROM {self.src}.exhibits WHERE id IN (SELECT id FROM selected)"
        )
        self.copy(
            "documents",
            f"SELECT id FROM {self.src}.documents WHERE id IN ({selected_documents})",
            {"document_properties": "NULL"},
        )
        self.copy(
            "exhibits",
            "SELECT id FROM selected",
            {
                "document_id": "md.destination_id",
                "parent_exhibit_id": "mp.destination_id",
                "confidentiality_status": bits_sql("s.confidentiality_status", bits),
                "number": "s.id",
            },
            f"JOIN {self.ledger} md ON {self.on('md', 'documents', 's.document_id')} "
            f"LEFT JOIN {self.ledger} mp ON {self.on('mp', 'exhibits', 's.parent_exhibit_id')}",
        )
        own = "CONCAT('documents/', md.destination_id, '/')"
        self.copy(
            "document_variants",
            f"SELECT id FROM {self.src}.document_variants WHERE document_id IN ({selected_documents})",
            {
                "document_id": "md.destination_id",
                "object_key": "CASE WHEN s.object_key LIKE CONCAT('documents/', s.document_id, '/%') "
                f"THEN CONCAT({own}, "
                "SUBSTRING(s.object_key, LENGTH(CONCAT('documents/', s.document_id, '/')) + 1)) "
                f"ELSE CONCAT({own}, 'exchanged/', s.id, '-', SUBSTRING_INDEX(s.object_key, '/', -1)) END",
            },
            f"JOIN {self.ledger} md ON {self.on('md', 'documents', 's.document_id')}",
        )
        for table, columns in CHILDREN.items():
            exprs, joins = (
                {"exhibit_id": "me.destination_id"},
                [f"JOIN {self.ledger} me ON {self.on('me', 'exhibits', 's.exhibit_id')}"],
            )
            for n, column in enumerate(c for c in columns if c in NAMED_FKS):
                exprs[column] = f"n{n}.destination_id"
                joins.append(
                    f"JOIN {self.ledger} n{n} ON {self.on(f'n{n}', NAMED_FKS[column], f's.{column}')}"
                )
            if table == "confidentiality_logs":
                exprs |= {
                    "old_status": bits_sql("s.old_status", bits),
                    "new_status": bits_sql("s.new_status", bits),
                }
            self.copy(
                table,
                f"SELECT id FROM {self.src}.{table} WHERE exhibit_id IN (SELECT id FROM selected)",
                exprs,
                " ".join(joins),
            )

    def copy(self, table: str, source_ids: str, exprs: dict[str, str], joins: str = "") -> None:
        """Map the ids (recorded before the rows), then insert the rows the destination lacks."""
        began = time.perf_counter()
        self.cur.execute(
            f"INSERT INTO {self.ledger} (source_case_id, destination_case_id, table_name, source_id, "
            "destination_id, exchange_id) "
            f"SELECT {self.s}, {self.d}, '{table}', x.id, {self.base(table)} + ROW_NUMBER() OVER (ORDER BY "
            "x.id), %s "
            f"FROM ({source_ids}) x WHERE NOT EXISTS (SELECT 1 FROM {self.ledger} m WHERE "
            f"{self.on('m', table, 'x.id')})",
            (self.exchange_id,),
        )
        columns = {
            "documents": _COLUMNS["documents"],
            "exhibits": _COLUMNS["exhibits"],
            "document_variants": _COLUMNS["document_variants"],
        }.get(table) or CHILDREN[table]
        select = ", ".join("m.destination_id" if c == "id" else exprs.get(c, f"s.{c}") for c in columns)
        self.inserted[table] = self.cur.execute(
            f"INSERT INTO {self.dst}.{table} ({', '.join(columns)}) SELECT {select} FROM {self.src}.{table} "
            "s "
            f"JOIN {self.ledger} m ON {self.on('m', table, 's.id')} {joins} "
            f"WHERE NOT EXISTS (SELECT 1 FROM {self.dst}.{table} d WHERE d.id = m.destination_id)"
        )
        self.seconds[table] = time.perf_counter() - began

    # Named tables: a handful of rows, matched by name on the client as the Spark job does.
    def named_tables(self) -> dict[int, int]:
        began = time.perf_counter()
        sel = "SELECT id FROM selected"
        self.map_named(
            "custodians",
            self.rows(
                f"SELECT id, name FROM {self.src}.custodians WHERE id IN "
                f"(SELECT custodian_id FROM {self.src}.custodian_exhibits WHERE exhibit_id IN ({sel}))"
            ),
            self.rows(f"SELECT id, name FROM {self.dst}.custodians"),
            lambda r, _rows: r[1].strip(),
            lambda r, i, _d: (i, r[1]),
        )
        self.map_named(
            "label_categories",
            self.rows(
                f"SELECT id, name FROM {self.src}.label_categories WHERE id IN (SELECT label_category_id "
                f"FROM {self.src}.label_category_labels "
                f"WHERE exhibit_id IN ({sel})) OR id = {int(self.label_id)}"
            ),
            self.rows(f"SELECT id, name FROM {self.dst}.label_categories"),
            lambda r, _rows: r[1].strip(),
            lambda r, i, _d: (i, r[1]),
        )
        tags = {r[0]: r for r in self.rows(f"SELECT id, name, parent_id FROM {self.src}.folder_tags")}
        wanted: set[int] = set()
        for (tag,) in self.rows(
            f"SELECT DISTINCT folder_tag_id FROM {self.src}.folder_taggings WHERE exhibit_id IN ({sel})"
        ):
            while tag in tags and tag not in wanted:
                wanted.add(tag)
                tag = tags[tag][2]
        dest_tags = self.rows(f"SELECT id, name, parent_id FROM {self.dst}.folder_tags")
        self.map_named(
            "folder_tags",
            sorted((tags[t] for t in wanted), key=lambda r: len(_tag_path(r, tags))),
            dest_tags,
            lambda r, rows: _tag_path(r, {x[0]: x for x in rows}),
            lambda r, i, decided: (i, r[1], decided.get(r[2]) if r[2] is not None else None),
        )
        self.map_named(
            "custom_fields",
            self.rows(
                f"SELECT id, name, field_type FROM {self.src}.custom_fields WHERE id IN (SELECT "
                "custom_field_id FROM "
                f"{self.src}.custom_field_values WHERE exhibit_id IN ({sel}))"
            ),
            self.rows(f"SELECT id, name, field_type FROM {self.dst}.custom_fields"),
            lambda r, _rows: r[1].strip(),
            lambda r, i, _d: (i, *r[1:]),
        )
        source = self.rows(f"SELECT id, code, description, bit FROM {self.src}.confidentiality_codes")
        dest = self.rows(f"SELECT id, code, description, bit FROM {self.dst}.confidentiality_codes")
        taken = {int(r[3]) for r in dest}
        code_bits = {r[1].strip(): int(r[3]) for r in dest}

        def new_code(row, dest_id, _decided):
            code = row[1].strip()
            if code not in code_bits:
                bit = next(1 << k for k in range(31) if 1 << k not in taken)
                taken.add(bit)
                code_bits[code] = bit
            return dest_id, row[1], row[2], code_bits[code]

        self.map_named("confidentiality_codes", source, dest, lambda r, _rows: r[1].strip(), new_code)
        self.seconds["named tables"] = time.perf_counter() - began
        return {int(r[3]): code_bits[r[1].strip()] for r in source}

    def map_named(self, table: str, source_rows, dest_rows, key, new_row) -> None:
        known = dict(
            self.rows(
                f"SELECT source_id, destination_id FROM {self.ledger} WHERE source_case_id = {self.s} "
                f"AND destination_case_id = {self.d} AND table_name = '{table}'"
            )
        )
        dest_ids = {r[0] for r in dest_rows}
        by_key: dict = {}
        for row in sorted(dest_rows):
            by_key.setdefault(key(row, dest_rows), row[0])
        base = self.base(table)
        decided: dict[int, int] = {}
        create = []
        for row in source_rows:
            k = key(row, source_rows)
            if row[0] in known:
                decided[row[0]] = known[row[0]]
            elif k in by_key:
                decided[row[0]] = by_key[k]
            else:
                base += 1
                decided[row[0]] = by_key[k] = base
            if decided[row[0]] not in dest_ids:
                dest_ids.add(decided[row[0]])
                create.append((row, decided[row[0]]))
        fresh = [
            (self.s, self.d, table, s, d, self.exchange_id) for s, d in decided.items() if s not in known
        ]
        if fresh:
            self.cur.executemany(
                f"INSERT INTO {self.ledger} (source_case_id, destination_case_id, table_name, source_id, "
                "destination_id, "
                "exchange_id) VALUES (%s, %s, %s, %s, %s, %s)",
                fresh,
            )
        created = [new_row(row, dest_id, decided) for row, dest_id in sorted(create, key=lambda c: c[1])]
        if created:
            columns = {
                "custodians": "id, name",
                "label_categories": "id, name",
                "folder_tags": "id, name, parent_id",
                "custom_fields": "id, name, field_type",
                "confidentiality_codes": "id, code, description, bit",
            }[table]
            marks = ", ".join(["%s"] * len(created[0]))
            self.cur.executemany(f"INSERT INTO {self.dst}.{table} ({columns}) VALUES ({marks})", created)
        self.inserted[table] = len(created)


_COLUMNS = {
    "documents": [
        "id",
        "batch_id",
        "filename",
        "file_extension",
        "md5",
        "document_properties",
        "created_at",
        "updated_at",
    ],
    "document_variants": ["id", "document_id", "kind", "object_key", "bytes"],
    "exhibits": [
        "id",
        "document_id",
        "parent_exhibit_id",
        "control_number",
        "title",
        "author",
        "date_sent",
        "page_count",
        "bates_begin",
        "bates_end",
        "confidentiality_status",
        "number",
        "created_at",
        "updated_at",
    ],
}


def _tag_path(row, rows_by_id: dict) -> tuple[str, ...]:
    names, seen = [], set()
    while row is not None and row[0] not in seen:
        seen.add(row[0])
        names.append(row[1].strip())
        row = rows_by_id.get(row[2]) if row[2] is not None else None
    return tuple(reversed(names))


def bits_sql(column: str, bits: dict[int, int]) -> str:
    """A confidentiality mask with each source bit replaced by the destination's bit of that code."""
    if not bits:
        return "0"
    return "(" + " | ".join(f"IF({column} & {s} <> 0, {d}, 0)" for s, d in sorted(bits.items())) + ")"


def pure_sql(args: dict) -> dict:
    """The hand-written copy into destination 3, on one connection (each statement its own transaction)."""
    from bench.cases import _result

    load = os.getloadavg()[0]
    started = time.perf_counter()
    with connect(args, db_name(SQL_CASE)) as conn, conn.cursor() as cur:  # a database for the TEMPORARY table
        copy = SqlCopy(cur, SOURCE_CASE, SQL_CASE, "bench-sql", EXCHANGE_LABEL)
        copy.run()
    seconds = time.perf_counter() - started
    split = {t: round(s, 1) for t, s in copy.seconds.items() if s >= 0.05 * seconds}
    return _result(
        sum(copy.inserted.values()),
        "rows",
        seconds,
        peer=True,
        split=split,
        inserted=copy.inserted,
        table_seconds={t: round(s, 2) for t, s in copy.seconds.items()},
        load_1m_before_after=[round(load, 2), round(os.getloadavg()[0], 2)],
    )
