"""glue_scripts/exchange_copy.py in-process on real Spark and SQLite: a crash at any table followed
by a re-run gives exactly one copy of every row; overlapping exchanges neither duplicate nor overwrite."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from domain import schema
from glue_scripts import exchange_copy
from resources.dagster_resources import DatabaseResource
from resources.databases import Databases
from resources.spark import jdbc_jars

SOURCE, DEST = 101, 202
COPIED = ("documents", "exhibits", "document_variants", *exchange_copy.EXHIBIT_CHILDREN)


@pytest.fixture(scope="module")
def spark():
    session = exchange_copy.spark_session("local[2]", ",".join(jdbc_jars()))
    yield session
    session.stop()


def params(dbs: Databases, exchange_id: str, exhibit_ids: list[int]) -> dict:
    dbs.platform()
    return {
        "exchange_id": exchange_id,
        "source_case_id": SOURCE,
        "destination_case_id": DEST,
        "source": dbs.jdbc(dbs.case_db_name(SOURCE)),
        "destination": dbs.jdbc(dbs.case_db_name(DEST)),
        "ledger": dbs.jdbc(dbs.config.platform_db_name),
        "exhibit_ids": exhibit_ids,
        "annotation_types": ["highlight", "note", "sticker", "comment"],
        "stamp_types": ["exhibit"],
    }


def snapshot(dbs: Databases) -> dict[str, list[tuple]]:
    """Every destination row of the copied tables (ids included): equal snapshots mean equal copies."""
    with dbs.case_reader(DEST).connect() as conn:
        return {
            t: sorted(tuple(r) for r in conn.execute(select(schema.case_metadata.tables[t]))) for t in COPIED
        }


class Crash(Exception):
    pass


def test_a_crash_at_any_table_then_a_rerun_gives_exactly_one_copy(
    spark, demo_home, settings, tmp_path, monkeypatch
):
    """Crash right after the id map of documents is written (ids reserved, no rows), right after
    the exhibits are written (rows in, children not), and right after the annotations."""
    import shutil

    dbs = DatabaseResource.from_settings(settings).databases()
    chosen = list(range(1, 16))
    dbs.platform()
    pristine = tmp_path / "pristine"
    shutil.copytree(settings.sqlite_dir, pristine)
    exchange_copy.run_copy(spark, params(dbs, "202-101-1", chosen))
    expected = snapshot(dbs)
    real_write = exchange_copy.Copier.write

    for crash_after in [("exchange_id_map", 6), ("exhibits", 1), ("annotations", 1)]:
        dbs.dispose()
        shutil.rmtree(settings.sqlite_dir)
        shutil.copytree(pristine, settings.sqlite_dir)
        seen = {"n": 0}

        def crashing_write(self, frame, conn, table, crash_after=crash_after, seen=seen):
            real_write(self, frame, conn, table)  # the write lands; the process dies right after it
            if table == crash_after[0]:
                seen["n"] += 1
                if seen["n"] == crash_after[1]:
                    raise Crash(table)

        monkeypatch.setattr(exchange_copy.Copier, "write", crashing_write)
        with pytest.raises(Crash):
            exchange_copy.run_copy(spark, params(dbs, "202-101-1", chosen))
        monkeypatch.setattr(exchange_copy.Copier, "write", real_write)
        result = exchange_copy.run_copy(spark, params(dbs, "202-101-1", chosen))
        assert snapshot(dbs) == expected, crash_after
        assert result["tables"]["exhibits"]["selected"] == len(chosen)


def test_overlapping_exchanges_neither_duplicate_nor_overwrite(spark, demo_home, settings, monkeypatch):
    # Also the path of large selections: tables read whole and filtered by Spark joins.
    monkeypatch.setattr(exchange_copy, "INLINE_IDS", 0)
    dbs = DatabaseResource.from_settings(settings).databases()
    exchange_copy.run_copy(spark, params(dbs, "202-101-1", [1, 2, 3, 4, 5]))
    with dbs.case_writer(DEST).begin() as conn:  # a reviewer edits a copy in the destination
        conn.execute(text("UPDATE exhibits SET title = 'edited in 202' WHERE number = 3"))
    second = exchange_copy.run_copy(spark, params(dbs, "202-101-2", [3, 4, 5, 6, 7]))
    assert second["tables"]["exhibits"] == {"selected": 5, "inserted": 2, "already_present": 3}
    with dbs.case_reader(DEST).connect() as conn:
        numbers = conn.execute(
            select(schema.exhibits.c.number, func.count())
            .where(schema.exhibits.c.number.is_not(None))
            .group_by(schema.exhibits.c.number)
        ).all()
        assert sorted(numbers) == [(n, 1) for n in range(1, 8)]
        assert (
            conn.execute(select(schema.exhibits.c.title).where(schema.exhibits.c.number == 3)).scalar()
            == "edited in 202"
        )
        names = conn.execute(select(schema.folder_tags.c.name, schema.folder_tags.c.parent_id)).all()
        assert len(names) == len(set(names))


def test_a_code_the_destination_lacks_is_created_with_a_free_bit(spark, demo_home, settings):
    dbs = DatabaseResource.from_settings(settings).databases()
    with dbs.case_writer(SOURCE).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO confidentiality_codes (code, description, bit) "
                "VALUES ('PROTECTED - PHI', 'health', 4)"
            )
        )
        conn.execute(
            text("UPDATE exhibits SET confidentiality_status = 5 WHERE id = 1")
        )  # CONFIDENTIAL + PHI
    exchange_copy.run_copy(spark, params(dbs, "202-101-1", [1]))
    with dbs.case_reader(DEST).connect() as conn:
        bits = dict(
            conn.execute(
                select(schema.confidentiality_codes.c.code, schema.confidentiality_codes.c.bit)
            ).all()
        )
        status = conn.execute(
            select(schema.exhibits.c.confidentiality_status).where(schema.exhibits.c.number == 1)
        ).scalar()
    assert bits["PROTECTED - PHI"] not in (bits["CONFIDENTIAL"], bits["HIGHLY CONFIDENTIAL - AEO"])
    assert status == bits["CONFIDENTIAL"] | bits["PROTECTED - PHI"]


def test_parameters_are_checked_before_any_read(spark, demo_home, settings):
    dbs = DatabaseResource.from_settings(settings).databases()
    bad = params(dbs, "202-101-1", [1]) | {"destination_case_id": SOURCE}
    with pytest.raises(exchange_copy.ExchangeInputError, match="same case"):
        exchange_copy.run_copy(spark, bad)
    with pytest.raises(exchange_copy.ExchangeInputError, match="Unknown annotation"):
        exchange_copy.run_copy(
            spark, params(dbs, "202-101-1", [1]) | {"annotation_types": ["x'); DROP TABLE exhibits; --"]}
        )
    with pytest.raises(exchange_copy.ExchangeInputError, match="not in case"):
        exchange_copy.run_copy(spark, params(dbs, "202-101-1", [1, 987654]))


def test_new_ids_follow_the_source_order_across_partitions(spark):
    """numbered() gives what row_number() over the whole order gives, from many partitions."""
    from pyspark.sql import functions as F

    # 2,000 distinct ids (7 is invertible modulo the prime 2003) in a scrambled order, in 5 partitions
    frame = spark.range(1, 2001, numPartitions=5).select((F.col("id") * 7 % 2003).alias("source_id"))
    rows = exchange_copy.numbered(frame, "source_id", 100, "destination_id").collect()
    pairs = sorted((r["source_id"], r["destination_id"]) for r in rows)
    assert [d for _s, d in pairs] == list(range(101, 2101))
    assert len({s for s, _d in pairs}) == 2000
    empty = exchange_copy.numbered(frame.limit(0), "source_id", 100, "destination_id")
    assert empty.columns == ["source_id", "destination_id"] and empty.count() == 0


def test_the_script_keeps_sparks_log_in_its_file(demo_home, settings, tmp_path):
    """The script as the platform starts it: its console carries no Spark warnings, Spark's full log
    is in NP_SPARK_LOG_FILE, and the copy itself gives Spark nothing to warn about (a window without
    a partition, an isolation level SQLite's driver does not support)."""
    import json
    import os
    import re
    import subprocess
    import sys

    dbs = DatabaseResource.from_settings(settings).databases()
    (tmp_path / "params.json").write_text(json.dumps(params(dbs, "202-101-1", list(range(1, 13)))))
    log_file = tmp_path / "logs" / "spark.log"
    env = {
        **os.environ,
        "NP_SPARK_MASTER": "local[2]",
        "NP_SPARK_JARS": ",".join(jdbc_jars()),
        "NP_SPARK_LOG_FILE": str(log_file),
        "PYTHONPATH": str(exchange_copy.LOG_CONFIG.parent.parent),
    }
    env.pop("NP_SPARK_LOG_LEVEL", None)
    done = subprocess.run(
        [sys.executable, exchange_copy.__file__, "--params", f"@{tmp_path / 'params.json'}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.splitlines()[-1])["tables"]["exhibits"]["inserted"] == 12
    # On the console: the script's own lines ('exhibits: 12 selected, ...') and the JVM's notice of its
    # incubator modules; nothing of Spark's logging.
    console = [
        line
        for line in done.stderr.splitlines()
        if line.strip() and "incubator" not in line and not re.match(r"[a-z_]+: ", line)
    ]
    assert console == [], done.stderr[-3000:]
    log = log_file.read_text()
    assert " INFO SparkContext: " in log  # the full log, not only warnings
    assert "No Partition Defined" not in log and "isolation level" not in log
