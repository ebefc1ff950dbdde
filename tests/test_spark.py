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
    from resources.databases import DatabaseConfig, Databases

    dbs = Databases(DatabaseConfig.from_settings(settings))
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
