"""Where Splink runs: DuckDB in this process (the default), or Spark (`--engine spark`).

The model is trained on DuckDB whatever the engine (`people.train`); scoring the pairs,
which grows with the backlog, runs on either. The comparisons and what is done with the
scores are the same on both; this is the little that differs: loading the records, the
name of the Jaro-Winkler function, and reading rows back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import duckdb
import pyarrow as pa
from splink.backends.duckdb import DuckDBAPI

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from splink.internals.database_api import DatabaseAPI


class Linkage(Protocol):
    jaro_winkler: str  # the function's name in this engine's SQL

    @property
    def api(self) -> DatabaseAPI[Any]:
        """Splink's access to the engine."""

    def load(self, name: str, records: pa.Table) -> None: ...

    def rows(self, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The column names and rows of `query`."""

    def close(self) -> None: ...


class DuckDBLinkage:
    jaro_winkler = "jaro_winkler_similarity"

    def __init__(self, connection: duckdb.DuckDBPyConnection | None = None) -> None:
        self.connection = connection or duckdb.connect()
        self.api = DuckDBAPI(connection=self.connection)

    def load(self, name: str, records: pa.Table) -> None:
        self.connection.register(f"{name}_arrow", records)
        self.connection.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow")
        self.connection.unregister(f"{name}_arrow")

    def make(self, name: str, query: str) -> None:
        """The table `name` holding the rows of `query`."""
        self.connection.execute(f"CREATE OR REPLACE TABLE {name} AS {query}")

    def sample(self, name: str, source: str, rows: int, seed: int) -> None:
        """The table `name` holding `rows` of `source`'s rows, chosen at random."""
        self.make(name, f"SELECT * FROM {source} USING SAMPLE reservoir({rows} ROWS) "
                        f"REPEATABLE ({seed})")  # fmt: skip

    def rows(self, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        result = self.connection.execute(query)
        return [column[0] for column in result.description or ()], result.fetchall()

    def close(self) -> None:
        self.connection.close()


class SparkLinkage:
    """Splink on a Spark session: its tables are cached temporary views, and Splink's
    similarity functions come from the jar `kinfold.spark.spark_session` puts on the class
    path. Closing it leaves the session running, for whoever started it to stop."""

    jaro_winkler = "jaro_winkler"

    def __init__(self, spark: SparkSession) -> None:
        from splink.backends.spark import SparkAPI

        self.spark = spark
        self.api = SparkAPI(spark_session=spark)  # type: ignore[no-untyped-call]
        self.views: list[str] = []

    def load(self, name: str, records: pa.Table) -> None:
        self._keep(name, self.spark.createDataFrame(records))

    def rows(self, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        frame = self.spark.sql(query)
        return frame.columns, [tuple(row) for row in frame.collect()]

    def close(self) -> None:
        for name in self.views:
            self.spark.catalog.dropTempView(name)
        self.spark.catalog.clearCache()

    def _keep(self, name: str, frame: Any) -> None:
        frame.cache().createOrReplaceTempView(name)
        self.views.append(name)
