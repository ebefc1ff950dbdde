"""Spark local[*] with the JDBC drivers the setup installs: read a real case database."""

import pytest

from resources.spark import jdbc_jars, spark_config


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    from pyspark.sql import SparkSession

    from resources.settings import load_settings

    settings = load_settings({"NP_HOME": str(tmp_path_factory.mktemp("spark"))})
    builder = SparkSession.builder
    for key, value in spark_config(settings).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    yield session
    session.stop()


def test_jdbc_drivers_are_installed():
    jars = jdbc_jars()
    assert any("mariadb" in j for j in jars), jars
    assert any("sqlite" in j for j in jars), jars


def test_spark_reads_a_case_database_over_jdbc(spark, demo_home, settings):
    from sqlalchemy import func, select

    from domain import schema
    from resources.dagster_resources import DatabaseResource

    dbs = DatabaseResource.from_settings(settings).databases()
    with dbs.case_reader(101).connect() as conn:
        expected = conn.execute(select(func.count()).select_from(schema.exhibits)).scalar()
    frame = (
        spark.read.format("jdbc")
        .option("url", f"jdbc:sqlite:{dbs.sqlite_path(dbs.case_db_name(101))}")
        .option("dbtable", "exhibits")
        .option("driver", "org.sqlite.JDBC")
        .load()
    )
    assert frame.count() == expected > 0


def test_a_session_from_the_configuration_logs_to_its_file_and_is_quiet(tmp_path):
    """Spark's log level belongs to the session's configuration: a fresh driver JVM started from
    spark_config() writes Spark's full log to spark_log_file() and no warnings to the console."""
    import os
    import subprocess
    import sys

    from resources.settings import load_settings
    from resources.spark import spark_log_file

    script = (
        "from pyspark.sql import SparkSession\n"
        "from resources.settings import load_settings\n"
        "from resources.spark import spark_config\n"
        "builder = SparkSession.builder\n"
        "for key, value in spark_config(load_settings()).items():\n"
        "    builder = builder.config(key, value)\n"
        "spark = builder.master('local[1]').getOrCreate()\n"
        "print(spark.range(5).count())\n"
        "spark.stop()\n"
    )
    env = {**os.environ, "NP_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["5"]
    # Only the JVM's own notice of its incubator modules (not Spark's logging) may reach the console.
    console = [line for line in done.stderr.splitlines() if line.strip() and "incubator" not in line]
    assert console == [], done.stderr[-3000:]
    log = spark_log_file(load_settings({"NP_HOME": str(tmp_path / "home")})).read_text()
    assert " INFO SparkContext: Running Spark version" in log
