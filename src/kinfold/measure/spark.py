"""The measures on Spark: the same SQL as on DuckDB, transpiled by sqlglot.

`on_spark` copies a frame's tables (read from the store, or from Parquet) into a Spark
session as cached views; the frame it returns runs every later statement there:
`kpis.compute` makes its shared tables and figures from the same SQL text as on DuckDB.
sqlglot turns DuckDB's dialect into Spark's; the few functions whose meaning differs
between the two are written out here (`MeasureSpark`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.dialects.spark import Spark

from kinfold.errors import KinfoldError
from kinfold.measure.frame import TABLES, Frame

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def _percentile(generator: Any, expression: exp.PercentileCont) -> str:
    # DuckDB's quantile_cont(x, q) interpolates between the two nearest values, as
    # Spark's percentile(x, q) does
    return str(generator.func("PERCENTILE", expression.this, expression.expression))


def _epoch(generator: Any, expression: exp.TimeToUnix) -> str:
    # DuckDB's epoch(t) keeps the microseconds; Spark's unix_timestamp drops them
    return f"UNIX_MICROS(CAST({generator.sql(expression, 'this')} AS TIMESTAMP)) / 1000000.0"


def _hash(generator: Any, expression: exp.Anonymous) -> str:
    if expression.name.lower() != "hash":
        return str(generator.anonymous_sql(expression))
    # DuckDB's hash is 64 bits and its sums do not overflow; Spark's is 32 bits
    return f"CAST(XXHASH64({generator.expressions(expression, flat=True)}) AS DECIMAL(38, 0))"


class MeasureSpark(Spark):
    class Generator(Spark.Generator):  # type: ignore[misc,valid-type]
        TRANSFORMS: ClassVar[dict[Any, Any]] = {
            **Spark.Generator.TRANSFORMS,
            exp.PercentileCont: _percentile,
            exp.TimeToUnix: _epoch,
            exp.Anonymous: _hash,
        }


class SparkResult:
    """A query's rows, as DuckDB's connection gives them (`fetchall`, `description`)."""

    def __init__(self, frame: DataFrame | None) -> None:
        self.frame = frame
        self.description = [(name,) for name in frame.columns] if frame is not None else []

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [] if self.frame is None else [tuple(row) for row in self.frame.collect()]


class SparkDatabase:
    """The part of DuckDB's connection the measures use, on a Spark session: a table
    made (`CREATE [OR REPLACE] [TEMP] TABLE name AS ...`) is a cached temporary view."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    def execute(self, query: str, parameters: Any = None) -> SparkResult:
        if parameters:
            raise KinfoldError("The records behind a figure are listed on DuckDB, not Spark.")
        result = SparkResult(None)
        for statement in sqlglot.parse(query, read="duckdb"):
            if isinstance(statement, exp.Create) and statement.expression is not None:
                select = statement.expression.sql(dialect=MeasureSpark)
                self._keep(statement.this.name, self.spark.sql(select))
            elif statement is not None:
                result = SparkResult(self.spark.sql(statement.sql(dialect=MeasureSpark)))
        return result

    def register(self, view_name: str, python_object: pa.Table) -> None:
        self._keep(view_name, self.spark.createDataFrame(python_object))

    def unregister(self, view_name: str) -> None:
        self.spark.catalog.dropTempView(view_name)

    def _keep(self, name: str, frame: DataFrame) -> None:
        frame.cache().createOrReplaceTempView(name)


def on_spark(frame: Frame, spark: SparkSession) -> Frame:
    """The frame's tables, copied into `spark`; the frame returned runs its SQL there."""
    database = SparkDatabase(spark)
    for name in (*TABLES, "calendar"):
        database.register(name, frame.db.execute(f"SELECT * FROM {name}").to_arrow_table())
    return Frame(database, frame.as_of, frame.settings)
