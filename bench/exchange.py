"""Exchange benchmark: the database copy of an exchange on MariaDB, the Spark job beside hand-written SQL.

One MariaDB server (private, or the one NP_TEST_MYSQL_PORT names) holds a source case of
`exhibits` exhibits, each with its own document, two document variants, one custodian link,
one label and one custom field value (5 child rows per exhibit), and two destination cases
already holding 1,000 exhibits (so no id coincides) and confidentiality codes with swapped bits.

- `spark`: glue_scripts/exchange_copy.py `run_copy` (local Spark, the platform's JDBC jars and
  URLs) copies every exhibit (selected by the label they all carry) into one destination.
  Rows per second exclude Spark's start-up (session plus a first JDBC read), reported apart.
- `pure_sql`: the practical limit on the same server: INSERT ... SELECT across databases,
  ids allocated with ROW_NUMBER() into the same id map (`exchange_id_map`), every foreign key
  remapped through joins on that map, into the other destination.
- `verify`: both destinations hold the same rows per table, as many as the source selected,
  and every copied row points where its source row pointed (checked by joins to the source).

Both copies keep the same semantics: new ids, document_id / parent_exhibit_id / exhibit_id and
custodian, label, custom field ids remapped, documents.document_properties NULL,
exhibits.number = the source exhibit's id, confidentiality bits remapped by code.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import time
from collections import defaultdict

from glue_scripts.exchange_copy import EXHIBIT_CHILDREN

SOURCE_CASE, SPARK_CASE, SQL_CASE = 1, 2, 3
DESTINATIONS = {"spark": SPARK_CASE, "pure_sql": SQL_CASE}
PREFIX, PLATFORM_DB, CORE_DB = "npbench_case", "npbench_platform", "npbench_core"
EXCHANGE_LABEL = 1  # the label every source exhibit carries: the selection
EXISTING = 1_000  # exhibits (and documents) the destinations hold before the copy
VARIANTS = ("pure_sql", "spark", "verify")

# (table, columns): what hangs on an exhibit, as the Spark script copies it (no markup in this bench).
CHILDREN = {t: c for t, c in EXHIBIT_CHILDREN.items() if t not in ("annotations", "stamp_details")}
NAMED_FKS = {
    "custodian_id": "custodians",
    "label_category_id": "label_categories",
    "folder_tag_id": "folder_tags",
    "custom_field_id": "custom_fields",
}
NAMED = ["custodians", "label_categories", "folder_tags", "custom_fields", "confidentiality_codes"]
BULK = ["documents", "exhibits", "document_variants", *CHILDREN]
TABLES = [*NAMED, *BULK]


# --- the server and the data -----------------------------------------------------------------


def _config(args: dict):
    from resources.databases import DatabaseConfig

    return DatabaseConfig(
        backend="mysql",
        host=args["host"],
        port=int(args["port"]),
        user=args["user"],
        password_env="NP_DB_PASSWORD",
        name_prefix=PREFIX,
        core_db_name=CORE_DB,
        platform_db_name=PLATFORM_DB,
    )


def _use_env(args: dict) -> None:
    """This process points the platform at the bench server, as tests/conftest.py mysql_env does."""
    os.environ.update(
        {
            "NP_DB_BACKEND": "mysql",
            "NP_DB_HOST": args["host"],
            "NP_DB_PORT": str(args["port"]),
            "NP_DB_USER": args["user"],
            "NP_DB_NAME_PREFIX": PREFIX,
            "NP_CORE_DB_NAME": CORE_DB,
            "NP_PLATFORM_DB_NAME": PLATFORM_DB,
        }
    )


def _connect(args: dict, database: str | None = None):
    import pymysql

    return pymysql.connect(
        host=args["host"],
        port=int(args["port"]),
        user=args["user"],
        password=os.environ["NP_DB_PASSWORD"],
        database=database,
        autocommit=True,
        charset="utf8mb4",
    )


def _db(case_id: int) -> str:
    return f"{PREFIX}_{case_id}"


def prepare_exchange(size: dict) -> dict:
    """Start (or reach) MariaDB, then make the source case and two fresh destinations.
    The password travels to the variant processes as NP_DB_PASSWORD, never on a command line."""
    from resources.databases import Databases
    from tests.services import external_mariadb, start_mariadb

    server = external_mariadb()
    private = server is None
    if private:
        server = start_mariadb()
        atexit.register(server.stop)
    os.environ["NP_DB_PASSWORD"] = server.password
    args = {"host": server.host, "port": server.port, "user": server.user, "exhibits": int(size["exhibits"])}
    if private:  # the tests' 128 MiB buffer pool would make both copies disk-bound
        with _connect(args) as conn, conn.cursor() as cur:
            cur.execute("SET GLOBAL innodb_buffer_pool_size = 2147483648")
    dbs = Databases(_config(args))
    for name in (_db(SOURCE_CASE), _db(SPARK_CASE), _db(SQL_CASE), PLATFORM_DB):
        dbs.drop_database(name)
    if not private:
        atexit.register(
            lambda: [
                Databases(_config(args)).drop_database(n)
                for n in (_db(SOURCE_CASE), _db(SPARK_CASE), _db(SQL_CASE), PLATFORM_DB)
            ]
        )
    for case_id in (SOURCE_CASE, SPARK_CASE, SQL_CASE):
        dbs.create_case_database(case_id)
    dbs.platform()
    dbs.dispose()
    started = time.perf_counter()
    _make_source(args, args["exhibits"])
    for case_id in (SPARK_CASE, SQL_CASE):
        _make_destination(args, case_id)
    args["existing"] = _counts(args, _db(SPARK_CASE))
    args["generate_seconds"] = round(time.perf_counter() - started, 2)
    return args


def _make_source(args: dict, n: int) -> None:
    """n exhibits, n documents and 5n child rows, made by the server from its seq_1_to_n table."""
    statements = [
        "INSERT INTO custodians (id, name) VALUES (1, 'Alice Adams'), (2, 'Bob Brown'), (3, 'Carol Chen'), (4, 'Dan Diaz'), (5, 'Eve Evans')",
        f"INSERT INTO label_categories (id, name) VALUES ({EXCHANGE_LABEL}, 'Exchange to co-counsel'), (2, 'Hot'), (3, 'Reviewed')",
        "INSERT INTO custom_fields (id, name, field_type) VALUES (1, 'Matter', 'text'), (2, 'Review batch', 'text'), (3, 'Issue', 'text')",
        "INSERT INTO confidentiality_codes (id, code, description, bit) VALUES (1, 'CONFIDENTIAL', 'Confidential', 1), "
        "(2, 'HIGHLY CONFIDENTIAL', 'Highly confidential', 2), (3, 'ATTORNEYS EYES ONLY', 'AEO', 4)",
        "INSERT INTO documents (id, batch_id, filename, file_extension, md5, document_properties, created_at, updated_at) "
        f"SELECT seq, 1 + seq DIV 1000, CONCAT('DOC-', LPAD(seq, 8, '0'), '.pdf'), 'pdf', MD5(seq), "
        f"CONCAT('{{\"pages\": ', seq % 37 + 1, ', \"custodian\": \"bench\"}}'), '2024-01-01' + INTERVAL seq SECOND, '2024-02-01' "
        f"FROM seq_1_to_{n}",
        # Every tenth exhibit is an attachment of the one before it; confidentiality uses all three bits.
        "INSERT INTO exhibits (id, document_id, parent_exhibit_id, control_number, title, author, date_sent, page_count, "
        "bates_begin, bates_end, confidentiality_status, number, created_at, updated_at) "
        "SELECT seq, seq, IF(seq % 10 = 0, seq - 1, NULL), CONCAT('CTRL-', LPAD(seq, 8, '0')), CONCAT('Memo about item ', seq), "
        "'Bench Author', '2023-06-01' + INTERVAL seq MINUTE, seq % 37 + 1, CONCAT('ACME', LPAD(seq, 7, '0')), "
        f"CONCAT('ACME', LPAD(seq, 7, '0')), seq % 8, 500000 + seq, '2024-01-01' + INTERVAL seq SECOND, '2024-02-01' FROM seq_1_to_{n}",
        # A native (one in fifty stored outside documents/{id}/) and a rendition per document.
        "INSERT INTO document_variants (id, document_id, kind, object_key, bytes) "
        "SELECT 2 * seq - 1, seq, 'native', IF(seq % 50 = 0, CONCAT('imports/batch_', seq DIV 1000, '/', seq, '.msg'), "
        f"CONCAT('documents/', seq, '/native.pdf')), 1000 + seq FROM seq_1_to_{n}",
        "INSERT INTO document_variants (id, document_id, kind, object_key, bytes) "
        f"SELECT 2 * seq, seq, 'rendition', CONCAT('documents/', seq, '/rendition.pdf'), 2000 + seq FROM seq_1_to_{n}",
        f"INSERT INTO custodian_exhibits (id, custodian_id, exhibit_id) SELECT seq, seq % 5 + 1, seq FROM seq_1_to_{n}",
        f"INSERT INTO label_category_labels (id, label_category_id, exhibit_id) SELECT seq, {EXCHANGE_LABEL}, seq FROM seq_1_to_{n}",
        "INSERT INTO custom_field_values (id, custom_field_id, exhibit_id, value) "
        f"SELECT seq, seq % 3 + 1, seq, CONCAT('value ', seq) FROM seq_1_to_{n}",
    ]
    with _connect(args, _db(SOURCE_CASE)) as conn, conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
        for table in BULK:
            cur.execute(f"ANALYZE TABLE {table}")
            cur.fetchall()


def _make_destination(args: dict, case_id: int) -> None:
    """1,000 exhibits of its own; one custodian, label and field named as the source's; codes with swapped bits."""
    k = EXISTING
    statements = [
        "INSERT INTO custodians (id, name) VALUES (1, 'Alice Adams'), (2, 'Zed Zulu')",
        "INSERT INTO label_categories (id, name) VALUES (1, 'Hot'), (2, 'Privileged review')",
        "INSERT INTO custom_fields (id, name, field_type) VALUES (1, 'Issue', 'text')",
        "INSERT INTO confidentiality_codes (id, code, description, bit) VALUES (1, 'HIGHLY CONFIDENTIAL', 'HC', 1), "
        "(2, 'CONFIDENTIAL', 'C', 2), (3, 'PRIVILEGED', 'P', 4)",
        "INSERT INTO documents (id, batch_id, filename, file_extension, md5, document_properties, created_at, updated_at) "
        f"SELECT seq, 1, CONCAT('OWN-', seq, '.pdf'), 'pdf', MD5(-seq), NULL, '2023-01-01', '2023-01-01' FROM seq_1_to_{k}",
        "INSERT INTO exhibits (id, document_id, control_number, confidentiality_status, number, created_at, updated_at) "
        f"SELECT seq, seq, CONCAT('OWN-', seq), seq % 8, seq, '2023-01-01', '2023-01-01' FROM seq_1_to_{k}",
        "INSERT INTO document_variants (id, document_id, kind, object_key, bytes) "
        f"SELECT seq, (seq + 1) DIV 2, IF(seq % 2, 'native', 'rendition'), CONCAT('documents/', (seq + 1) DIV 2, '/v', seq), seq "
        f"FROM seq_1_to_{2 * k}",
        f"INSERT INTO custodian_exhibits (id, custodian_id, exhibit_id) SELECT seq, 2, seq FROM seq_1_to_{k}",
        f"INSERT INTO label_category_labels (id, label_category_id, exhibit_id) SELECT seq, 1, seq FROM seq_1_to_{k}",
        f"INSERT INTO custom_field_values (id, custom_field_id, exhibit_id, value) SELECT seq, 1, seq, 'own' FROM seq_1_to_{k}",
    ]
    with _connect(args, _db(case_id)) as conn, conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


def _counts(args: dict, database: str) -> dict[str, int]:
    with _connect(args, database) as conn, conn.cursor() as cur:
        result = {}
        for table in TABLES:
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            result[table] = cur.fetchone()[0]
        return result


# --- spark: glue_scripts/exchange_copy.py as the platform runs it ----------------------------------


def spark(args: dict) -> dict:
    """run_copy into destination 2. Splits: start-up, then per table the seconds of the whole table,
    of its JDBC write to the destination and of its id-map write (the rest is read and Spark work)."""
    from bench.cases import _result
    from glue_scripts import exchange_copy
    from resources.databases import Databases
    from resources.spark import jdbc_jars

    _use_env(args)
    dbs = Databases(_config(args))
    source = dbs.jdbc(_db(SOURCE_CASE))
    # Selected by the label every exhibit carries; NP_BENCH_EXCHANGE_SELECT=ids passes the same exhibits
    # as an id list instead (the other way a request selects).
    exhibit_ids: list[int] = []
    if os.environ.get("NP_BENCH_EXCHANGE_SELECT") == "ids":
        with _connect(args, _db(SOURCE_CASE)) as conn, conn.cursor() as cur:
            cur.execute(
                f"SELECT exhibit_id FROM label_category_labels WHERE label_category_id = {EXCHANGE_LABEL} ORDER BY exhibit_id"
            )
            exhibit_ids = [row[0] for row in cur.fetchall()]
    params = {
        "exchange_id": "bench-spark",
        "source_case_id": SOURCE_CASE,
        "destination_case_id": SPARK_CASE,
        "source": source,
        "destination": dbs.jdbc(_db(SPARK_CASE)),
        "ledger": dbs.jdbc(PLATFORM_DB),
        "exhibit_ids": exhibit_ids,
        "label_id": None if exhibit_ids else EXCHANGE_LABEL,
        "include_natives": True,
        "annotation_types": [],
        "stamp_types": [],
        # Experiments only (the measured default is the script's own), e.g. {"partitions": 1, "batch_size": 50000}.
        **json.loads(os.environ.get("NP_BENCH_EXCHANGE_SPARK_PARAMS") or "{}"),
    }

    load = os.getloadavg()[0]  # 2-core figures are only comparable on an otherwise idle machine
    started = time.perf_counter()
    session = exchange_copy.spark_session(os.environ.get("NP_SPARK_MASTER"), ",".join(jdbc_jars()))
    options = exchange_copy.Connection(**source).options()
    session.read.format("jdbc").options(**options).option("query", "SELECT 1 AS one").load().collect()
    start_seconds = time.perf_counter() - started

    # Timing only: the script's own methods run unchanged inside these wrappers.
    writes: dict[str, float] = defaultdict(float)
    table_seconds: dict[str, float] = {}
    original_write, original_write_map = exchange_copy.Copier.write, exchange_copy.Copier.write_map

    def timed_write(self, frame, conn, table):
        began = time.perf_counter()
        original_write(self, frame, conn, table)
        if table != exchange_copy.MAP_TABLE:
            writes[f"{table}.write"] += time.perf_counter() - began

    def timed_write_map(self, table, pairs):
        began = time.perf_counter()
        original_write_map(self, table, pairs)
        writes[f"{table}.map_write"] += time.perf_counter() - began

    original_select = exchange_copy.Copier.selected_exhibits

    def timed_select(self):
        frame = original_select(self)
        self.log("checks and exhibit selection: done")
        return frame

    exchange_copy.Copier.write, exchange_copy.Copier.write_map = timed_write, timed_write_map
    exchange_copy.Copier.selected_exhibits = timed_select
    mark = [0.0]

    def log(message: str) -> None:
        now = time.perf_counter()
        table_seconds[message.split(":")[0]] = now - mark[0]
        mark[0] = now

    began = mark[0] = time.perf_counter()
    result = exchange_copy.run_copy(session, params, log)
    seconds = time.perf_counter() - began
    jobs = len(session.sparkContext.statusTracker().getJobIdsForGroup())
    session.stop()
    _stop_jvm(session)
    inserted = {t: c["inserted"] for t, c in result["tables"].items()}
    split = {"start": round(start_seconds, 2)}
    for table, took in table_seconds.items():
        if took >= 0.05 * seconds:
            split[table] = round(took, 1)
            for part in ("write", "map_write"):
                if writes.get(f"{table}.{part}"):
                    split[f"{table}.{part}"] = round(writes[f"{table}.{part}"], 1)
    return _result(
        sum(inserted.values()),
        "rows",
        seconds,
        split=split,
        spark_start_seconds=round(start_seconds, 2),
        spark_jobs=jobs,
        load_1m_before_after=[round(load, 2), round(os.getloadavg()[0], 2)],
        per_second_with_start=round(sum(inserted.values()) / (seconds + start_seconds), 1),
        inserted=inserted,
        table_seconds={t: round(s, 2) for t, s in table_seconds.items()},
        write_seconds={k: round(v, 2) for k, v in writes.items()},
        params={
            k: v for k, v in params.items() if k in ("partitions", "batch_size", "fetch_size", "label_id")
        },
        selected_by=f"exhibit_ids ({len(params['exhibit_ids'])})"
        if params["exhibit_ids"]
        else f"label_id {params['label_id']}",
        jdbc_url_options=source["url"].split("?", 1)[-1],
    )


def _stop_jvm(session) -> None:
    """Let the JVM exit and reap it, so its peak memory counts in this process's (and the runner's) max RSS."""
    gateway = getattr(session.sparkContext, "_gateway", None) or getattr(
        type(session.sparkContext), "_gateway", None
    )
    proc = getattr(gateway, "proc", None)
    if proc is None:
        return
    if proc.stdin:
        proc.stdin.close()  # the gateway JVM exits at the end of its standard input
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --- pure SQL: INSERT ... SELECT across databases on the same server ----------------------------


class SqlCopy:
    """The same copy by hand: the id map filled with ROW_NUMBER() above the destination's highest
    id, then one INSERT ... SELECT per table joining the map for the row's new id and every key."""

    def __init__(self, cur, source_case: int, destination_case: int, exchange_id: str, label_id: int) -> None:
        self.cur, self.s, self.d = cur, source_case, destination_case
        self.src, self.dst, self.exchange_id, self.label_id = (
            f"`{_db(source_case)}`",
            f"`{_db(destination_case)}`",
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
                f"(SELECT COALESCE(MAX(destination_id), 0) FROM {self.ledger} WHERE destination_case_id = {self.d} "
                f"AND table_name = '{table}'))"
            )[0][0]
        )

    def run(self) -> None:
        started = time.perf_counter()
        self.cur.execute("DROP TEMPORARY TABLE IF EXISTS selected")
        self.cur.execute(
            f"CREATE TEMPORARY TABLE selected (id BIGINT NOT NULL PRIMARY KEY) SELECT DISTINCT exhibit_id AS id "
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
                "confidentiality_status": _bits_sql("s.confidentiality_status", bits),
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
                "object_key": f"CASE WHEN s.object_key LIKE CONCAT('documents/', s.document_id, '/%') THEN CONCAT({own}, "
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
                    "old_status": _bits_sql("s.old_status", bits),
                    "new_status": _bits_sql("s.new_status", bits),
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
            f"INSERT INTO {self.ledger} (source_case_id, destination_case_id, table_name, source_id, destination_id, exchange_id) "
            f"SELECT {self.s}, {self.d}, '{table}', x.id, {self.base(table)} + ROW_NUMBER() OVER (ORDER BY x.id), %s "
            f"FROM ({source_ids}) x WHERE NOT EXISTS (SELECT 1 FROM {self.ledger} m WHERE {self.on('m', table, 'x.id')})",
            (self.exchange_id,),
        )
        columns = {
            "documents": _COLUMNS["documents"],
            "exhibits": _COLUMNS["exhibits"],
            "document_variants": _COLUMNS["document_variants"],
        }.get(table) or CHILDREN[table]
        select = ", ".join("m.destination_id" if c == "id" else exprs.get(c, f"s.{c}") for c in columns)
        self.inserted[table] = self.cur.execute(
            f"INSERT INTO {self.dst}.{table} ({', '.join(columns)}) SELECT {select} FROM {self.src}.{table} s "
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
                f"SELECT id, name FROM {self.src}.label_categories WHERE id IN (SELECT label_category_id FROM {self.src}.label_category_labels "
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
                f"SELECT id, name, field_type FROM {self.src}.custom_fields WHERE id IN (SELECT custom_field_id FROM "
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
                f"INSERT INTO {self.ledger} (source_case_id, destination_case_id, table_name, source_id, destination_id, "
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


def _bits_sql(column: str, bits: dict[int, int]) -> str:
    """A confidentiality mask with each source bit replaced by the destination's bit of that code."""
    if not bits:
        return "0"
    return "(" + " | ".join(f"IF({column} & {s} <> 0, {d}, 0)" for s, d in sorted(bits.items())) + ")"


def pure_sql(args: dict) -> dict:
    """The hand-written copy into destination 3, on one connection (each statement its own transaction)."""
    from bench.cases import _result

    load = os.getloadavg()[0]
    started = time.perf_counter()
    with _connect(args, _db(SQL_CASE)) as conn, conn.cursor() as cur:  # a database for the TEMPORARY table
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


# --- verify: both destinations against the source and each other ---------------------------------


def verify(args: dict) -> dict:
    """Rows per table equal in both destinations and to the source's selection; every copied row's keys
    point at the copies of what its source row pointed at (joins across the source and the destination)."""
    from bench.cases import _result

    started = time.perf_counter()
    existing = args["existing"]
    problems: list[str] = []
    report: dict[str, dict] = {}
    with _connect(args) as conn, conn.cursor() as cur:
        # The checks join on columns the contract leaves unindexed: indexed now, after both copies were timed.
        for case_id in (SOURCE_CASE, *DESTINATIONS.values()):
            for table, column in (
                ("exhibits", "number"),
                ("exhibits", "document_id"),
                ("document_variants", "document_id"),
                *((t, "exhibit_id") for t in CHILDREN),
            ):
                cur.execute(
                    f"CREATE INDEX IF NOT EXISTS bench_{column} ON `{_db(case_id)}`.{table} ({column})"
                )

        def one(sql: str) -> int:
            cur.execute(sql)
            return int(cur.fetchone()[0])

        def rows(sql: str) -> list[tuple]:
            cur.execute(sql)
            return list(cur.fetchall())

        src = f"`{_db(SOURCE_CASE)}`"
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
            dst = f"`{_db(case_id)}`"
            copied = {t: n - existing[t] for t, n in _counts(args, _db(case_id)).items()}
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
    bits = _bits_sql("se.confidentiality_status", {b: dest_codes.get(c, -1) for b, c in source_codes.items()})
    k_exhibits, k_documents, k_variants = (
        existing["exhibits"],
        existing["documents"],
        existing["document_variants"],
    )
    checks = {
        "exhibits: new id, document, parent, number, confidentiality bits": one(
            f"SELECT COUNT(*) FROM {dst}.exhibits de JOIN {src}.exhibits se ON se.id = de.number "
            f"JOIN {dst}.documents dd ON dd.id = de.document_id JOIN {src}.documents sd ON sd.id = se.document_id "
            f"LEFT JOIN {dst}.exhibits dp ON dp.id = de.parent_exhibit_id "
            f"WHERE de.id > {k_exhibits} AND de.id <> se.id AND dd.id > {k_documents} AND dd.filename = sd.filename AND dd.md5 = sd.md5 "
            f"AND dd.document_properties IS NULL AND de.control_number = se.control_number AND de.confidentiality_status = {bits} "
            "AND ((se.parent_exhibit_id IS NULL AND de.parent_exhibit_id IS NULL) OR (dp.id > "
            f"{k_exhibits} AND dp.number = se.parent_exhibit_id))"
        )
        == expected["exhibits"],
        "exhibits: one copied document each": one(
            f"SELECT COUNT(DISTINCT de.document_id) FROM {dst}.exhibits de WHERE de.id > {k_exhibits}"
        )
        == expected["documents"],
        "document_variants: document and object key": one(
            f"SELECT COUNT(*) FROM {dst}.document_variants dv JOIN {dst}.exhibits de ON de.document_id = dv.document_id AND de.id > {k_exhibits} "
            f"JOIN {src}.exhibits se ON se.id = de.number JOIN {src}.document_variants sv ON sv.document_id = se.document_id AND sv.kind = dv.kind "
            f"WHERE dv.id > {k_variants} AND dv.bytes = sv.bytes AND dv.object_key = CASE WHEN sv.object_key LIKE CONCAT('documents/', "
            "sv.document_id, '/%') THEN CONCAT('documents/', dv.document_id, '/', SUBSTRING_INDEX(sv.object_key, '/', -1)) "
            "ELSE CONCAT('documents/', dv.document_id, '/exchanged/', sv.id, '-', SUBSTRING_INDEX(sv.object_key, '/', -1)) END"
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
                f"SELECT COUNT(*) FROM {dst}.{table} dc JOIN {dst}.exhibits de ON de.id = dc.exhibit_id AND de.id > {k_exhibits} "
                f"JOIN {dst}.{parent} dn ON dn.id = dc.{column} JOIN {src}.{table} sc ON sc.exhibit_id = de.number "
                f"JOIN {src}.{parent} sn ON sn.id = sc.{column} AND TRIM(sn.{name}) = TRIM(dn.{name}){value} "
                f"WHERE dc.id > {existing[table]}"
            )
            == expected[table]
        )
    return checks
