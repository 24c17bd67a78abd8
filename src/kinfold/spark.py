"""Apache Spark, for a backlog beyond one machine: `kinfold fold --engine spark` links
people with Splink's Spark backend, and `kinfold kpis --engine spark` computes the
measures in Spark SQL.

Spark is optional (`pip install 'kinfold[spark]'`) and needs Java 17 or later. The
session runs `local[*]` (every core of this machine) unless given a cluster's master
URL; docs/spark.md says how it scales.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from kinfold.errors import KinfoldError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ENGINES = ("duckdb", "spark")
LOCAL = "local[*]"
# Settings a deployment may override (spark-defaults.conf, or the cluster's own) are
# left alone; these are the ones kinfold's answers depend on.
SETTINGS = {
    "spark.sql.session.timeZone": "UTC",  # the store's times are UTC, without a zone
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",  # the output may be CSV on standard output
}


@contextmanager
def engine_session(engine: str, master: str | None = None) -> Iterator[SparkSession | None]:
    """For `--engine`: a Spark session (`spark_session`) for spark, None for duckdb."""
    if engine not in ENGINES:
        raise KinfoldError(f"'{engine}' is not an engine.", f"Choose one of: {', '.join(ENGINES)}.")
    if engine == "duckdb":
        if master:
            raise KinfoldError("--spark-master is for --engine spark.")
        yield None
        return
    with spark_session(master) as spark:
        yield spark


@contextmanager
def spark_session(master: str | None = None) -> Iterator[SparkSession]:
    """A Spark session on `master` (default: every core of this machine) with Splink's
    similarity functions (a jar inside the splink package) on its class path, stopped
    afterwards; or the session already running in this process, if there is one (it
    then needs that jar too), left running for its owner.

    Splink writes its intermediate tables to the checkpoint folder: the cluster's
    `spark.checkpoint.dir` where one is set (it must be shared by every worker), else a
    temporary folder here, removed afterwards."""
    try:
        from pyspark.sql import SparkSession
        from splink.internals.spark.jar_location import similarity_jar_location
    except ImportError as error:
        raise KinfoldError(
            "Spark is not installed.", "Install it with: pip install 'kinfold[spark]'"
        ) from error
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        raise KinfoldError(
            "Spark needs Java 17 or later, and there is none on this machine.",
            "Install it (on Debian: apt install openjdk-17-jre-headless) or set JAVA_HOME.",
        )
    logging.getLogger("py4j").setLevel(logging.ERROR)
    active = SparkSession.getActiveSession()
    spark = active or _start(SparkSession.builder, master, similarity_jar_location())
    try:
        with tempfile.TemporaryDirectory(prefix="kinfold-spark-") as folder:
            if spark.sparkContext.getCheckpointDir() is None:
                spark.sparkContext.setCheckpointDir(folder)
            yield spark
    finally:
        if active is None:
            spark.stop()


def _start(builder: Any, master: str | None, jar: str) -> SparkSession:
    builder = builder.master(master or LOCAL).appName("kinfold").config("spark.jars", jar)
    for key, value in SETTINGS.items():
        builder = builder.config(key, value)
    try:
        spark: SparkSession = builder.getOrCreate()
    except Exception as error:  # py4j and Spark raise their own kinds
        raise KinfoldError(
            f"Spark did not start on {master or LOCAL}: {str(error).splitlines()[0]}",
            "Check the master URL, and that Java 17 or later is installed.",
        ) from error
    spark.sparkContext.setLogLevel("ERROR")
    return spark
