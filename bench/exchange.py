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

Here: `prepare` and the `spark` variant. The server and the data: bench/exchange_data.py;
`pure_sql`: bench/exchange_sql.py; `verify`: bench/exchange_verify.py.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import time
from collections import defaultdict

from bench.exchange_data import (
    EXCHANGE_LABEL,
    PLATFORM_DB,
    SOURCE_CASE,
    SPARK_CASE,
    SQL_CASE,
    connect,
    counts,
    db_config,
    db_name,
    make_destination,
    make_source,
    use_env,
)
from bench.exchange_sql import pure_sql
from bench.exchange_verify import verify

__all__ = ["VARIANTS", "prepare_exchange", "pure_sql", "spark", "verify"]

VARIANTS = ("pure_sql", "spark", "verify")


def prepare_exchange(size: dict) -> dict:
    """Start (or reach) MariaDB, then make the source case and two fresh destinations.
    The password travels to the variant processes as NP_DB_PASSWORD, never on a command line."""
    from resources.databases import Databases
    from scripts.services import external_mariadb, start_mariadb

    server = external_mariadb()
    private = server is None
    if private:
        server = start_mariadb()
        atexit.register(server.stop)
    os.environ["NP_DB_PASSWORD"] = server.password
    args = {"host": server.host, "port": server.port, "user": server.user, "exhibits": int(size["exhibits"])}
    if private:  # the tests' 128 MiB buffer pool would make both copies disk-bound
        with connect(args) as conn, conn.cursor() as cur:
            cur.execute("SET GLOBAL innodb_buffer_pool_size = 2147483648")
    dbs = Databases(db_config(args))
    for name in (db_name(SOURCE_CASE), db_name(SPARK_CASE), db_name(SQL_CASE), PLATFORM_DB):
        dbs.drop_database(name)
    if not private:
        atexit.register(
            lambda: [
                Databases(db_config(args)).drop_database(n)
                for n in (db_name(SOURCE_CASE), db_name(SPARK_CASE), db_name(SQL_CASE), PLATFORM_DB)
            ]
        )
    for case_id in (SOURCE_CASE, SPARK_CASE, SQL_CASE):
        dbs.create_case_database(case_id)
    dbs.platform()
    dbs.dispose()
    started = time.perf_counter()
    make_source(args, args["exhibits"])
    for case_id in (SPARK_CASE, SQL_CASE):
        make_destination(args, case_id)
    args["existing"] = counts(args, db_name(SPARK_CASE))
    args["generate_seconds"] = round(time.perf_counter() - started, 2)
    return args


# --- spark: glue_scripts/exchange_copy.py as the platform runs it ----------------------------------


def spark(args: dict) -> dict:
    """run_copy into destination 2. Splits: start-up, then per table the seconds of the whole table,
    of its JDBC write to the destination and of its id-map write (the rest is read and Spark work)."""
    from bench.cases import _result
    from glue_scripts import exchange_copy
    from resources.databases import Databases
    from resources.spark import jdbc_jars

    use_env(args)
    dbs = Databases(db_config(args))
    source = dbs.jdbc(db_name(SOURCE_CASE))
    # Selected by the label every exhibit carries; NP_BENCH_EXCHANGE_SELECT=ids passes the same exhibits
    # as an id list instead (the other way a request selects).
    exhibit_ids: list[int] = []
    if os.environ.get("NP_BENCH_EXCHANGE_SELECT") == "ids":
        with connect(args, db_name(SOURCE_CASE)) as conn, conn.cursor() as cur:
            cur.execute(
                f"SELECT exhibit_id FROM label_category_labels WHERE label_category_id = {EXCHANGE_LABEL} "
                "ORDER BY exhibit_id"
            )
            exhibit_ids = [row[0] for row in cur.fetchall()]
    params = {
        "exchange_id": "bench-spark",
        "source_case_id": SOURCE_CASE,
        "destination_case_id": SPARK_CASE,
        "source": source,
        "destination": dbs.jdbc(db_name(SPARK_CASE)),
        "ledger": dbs.jdbc(PLATFORM_DB),
        "exhibit_ids": exhibit_ids,
        "label_id": None if exhibit_ids else EXCHANGE_LABEL,
        "include_natives": True,
        "annotation_types": [],
        "stamp_types": [],
        # Experiments only (the measured default is the script's own),
        # e.g. {"partitions": 1, "batch_size": 50000}.
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
    """Let the JVM exit and reap it, so its peak memory counts in the max RSS of this process (and
    of the runner)."""
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
