"""Spark: local[*] by default, a remote master (or Glue/EMR through Pipes) by configuration."""

from __future__ import annotations

import glob
import sys
from typing import Any

JDBC_JAR_PATTERNS = (
    "/usr/share/java/mariadb-java-client*.jar",
    "/usr/share/java/sqlite-jdbc*.jar",
)


def jdbc_jars(configured: str | None = None) -> list[str]:
    if configured:
        return [j for j in configured.split(",") if j]
    jars: list[str] = []
    for pattern in JDBC_JAR_PATTERNS:
        found = sorted(glob.glob(pattern))
        if found:
            jars.append(found[0])
    return jars


def spark_config(settings) -> dict[str, Any]:
    """Spark configuration for PySparkResource and for scripts run outside Dagster."""
    config: dict[str, Any] = {
        "spark.master": settings.spark_master,
        "spark.app.name": "nextpoint",
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "8",
        "spark.driver.memory": "2g",
        "spark.local.dir": str(settings.work_dir / "spark"),
        # Python workers run this interpreter (the venv's), not the first `python3` on PATH.
        "spark.pyspark.python": sys.executable,
    }
    jars = jdbc_jars(settings.spark_jars)
    if jars:
        config["spark.jars"] = ",".join(jars)
    return config
