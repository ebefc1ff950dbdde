"""Spark: local[*] by default, a remote master (or Glue/EMR through Pipes) by configuration.

Spark's own log goes whole to `spark_log_file(settings)`; the console shows only its errors
(the log configuration is `glue_scripts/spark-log4j2.properties`, shared with the exchange's
Spark script), so a run's output and the demo's summary are not buried under Spark's.
"""

from __future__ import annotations

import glob
import sys
from pathlib import Path
from typing import Any

from resources.settings import REPO_ROOT

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


LOG_CONFIG = REPO_ROOT / "glue_scripts" / "spark-log4j2.properties"


def spark_log_file(settings) -> Path:
    """Where the platform's Spark sessions (and the exchange's Spark copy) write Spark's full log."""
    return settings.home / "logs" / "spark.log"


def spark_config(settings) -> dict[str, Any]:
    """Spark configuration for PySparkResource and for scripts run outside Dagster."""
    config: dict[str, Any] = {
        "spark.master": settings.spark_master,
        "spark.app.name": "nextpoint",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",  # the stage progress bar would draw on stderr
        "spark.sql.shuffle.partitions": "8",
        "spark.driver.memory": "2g",
        "spark.local.dir": str(settings.work_dir / "spark"),
        # Python workers run this interpreter (the venv's), not the first `python3` on PATH.
        "spark.pyspark.python": sys.executable,
        # Read when the driver JVM starts (pyspark passes the session's settings to spark-submit).
        "spark.driver.extraJavaOptions": (
            f'"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}" '
            f'"-Dnp.spark.log.file={spark_log_file(settings)}" -Dnp.spark.console.level=ERROR'
        ),
    }
    jars = jdbc_jars(settings.spark_jars)
    if jars:
        config["spark.jars"] = ",".join(jars)
    return config
