"""Engines and migrations: the only code that knows which database a workspace uses.

SQLite is the default (one file in the workspace); `KINFOLD_DATABASE_URL` points a
workspace at PostgreSQL instead. Everything above this module is backend-agnostic.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    BigInteger,
    BindParameter,
    Column,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Row,
    Table,
    bindparam,
    create_engine,
    event,
    inspect,
)
from sqlalchemy.engine import make_url
from sqlalchemy.sql import ColumnElement

DATABASE_URL_ENV = "KINFOLD_DATABASE_URL"
DATABASE_FILE = "kinfold.db"  # a workspace's SQLite store, in its folder
POOL_ENV, OVERFLOW_ENV = "KINFOLD_DB_POOL_SIZE", "KINFOLD_DB_MAX_OVERFLOW"  # PostgreSQL
MIGRATIONS = Path(__file__).parent / "migrations"
# values bound to one statement: SQLite takes at most 32,766 parameters, PostgreSQL 65,535
BATCH = 500
T = TypeVar("T")
AnyRow = Row[*tuple[Any, ...]]  # a row of any columns


def database_url(workspace_dir: Path) -> str:
    """The workspace's database: `KINFOLD_DATABASE_URL`, else `kinfold.db` inside it."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        return normalise_url(url)
    return f"sqlite:///{(workspace_dir / DATABASE_FILE).resolve()}"


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use the psycopg (v3) driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def open_engine(url: str) -> Engine:
    """An engine for `url`, with SQLite set up for one writer and many readers."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No ping before each use (a round trip that doubled get-next's latency under load):
    # connections are renewed every half hour, TCP keepalives find dead ones, and a
    # connection found broken in use makes the pool renew them all (so one request fails,
    # or is retried, see `allocate.next`), as SQLAlchemy's "optimistic" approach does.
    # Per process: with `kinfold serve --workers N`, N times (pool + overflow) connections
    # must fit in the server's max_connections (or put PgBouncer in front; docs/postgresql.md)
    return create_engine(
        url,
        pool_size=int(os.environ.get(POOL_ENV, "10")),
        max_overflow=int(os.environ.get(OVERFLOW_ENV, "40")),  # fifty asking for cases at once
        pool_recycle=1800,
        connect_args={
            "options": "-c timezone=UTC",
            "keepalives": 1,
            "keepalives_idle": 60,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        },
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # 64 MiB of pages per connection (SQLite's default is 2 MiB): a resolve rewrites the
    # indexes of every item, and a small cache makes that several times slower
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Add plain rows (a value per column, in the order of `columns`) through the driver:
    for tables of a hundred thousand rows, building SQLAlchemy's parameters per row costs
    more than the insert. Only for columns whose values the driver takes as they are
    (no dates: SQLAlchemy formats those for SQLite)."""
    if rows:
        marks = ", ".join([parameter_mark(conn)] * len(columns))
        conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", list(rows)
        )


def batches(values: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    """`values` in lists of at most `size`: a list of values bound to one statement (an
    `IN (...)`) is built from one batch at a time, whatever the size of an import."""
    remaining = iter(values)
    while batch := list(islice(remaining, size)):
        yield batch


def in_batches(
    conn: Connection, statement: Any, column: ColumnElement[Any], values: Iterable[Any]
) -> list[AnyRow]:
    """Run `statement` (a select, update or delete) on the rows whose `column` is one of
    `values`, a batch of values at a time; the rows a select finds (each batch's in
    the statement's order)."""
    found: list[AnyRow] = []
    for batch in batches(values):
        result = conn.execute(statement.where(column.in_(batch)))
        if result.returns_rows:
            found.extend(result)
    return found


@contextmanager
def id_table(conn: Connection, ids: Iterable[int], name: str = "chosen_ids") -> Iterator[Table]:
    """A temporary table of `ids` for the length of the block, to join or to select
    `IN (SELECT id ...)` from, however many ids there are."""
    table = Table(name, MetaData(), Column("id", BigInteger, primary_key=True),
                  prefixes=["TEMPORARY"])  # fmt: skip
    table.create(conn)
    try:
        insert_rows(conn, table, ["id"], [(item_id,) for item_id in sorted(set(ids))])
        yield table
    finally:
        table.drop(conn)


def driver_rows(conn: Connection, sql: str) -> list[tuple[Any, ...]]:
    """The rows of plain SQL as the driver gives them: reading every item of a workspace
    row by row through SQLAlchemy's result objects takes longer than the query."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def time_param(name: str) -> BindParameter[datetime]:
    """A time bound to a text query as the store's time columns keep them (with a zone),
    so SQLite compares like with like."""
    return bindparam(name, type_=DateTime(timezone=True))


def parameter_mark(conn: Connection) -> str:
    """The placeholder this connection's driver takes in plain SQL."""
    return "?" if conn.dialect.name == "sqlite" else "%s"


def analyse(engine: Engine, *tables: str) -> None:
    """Renew PostgreSQL's statistics of tables a bulk change rewrote. Its planner works from
    them, and until autovacuum comes round they still describe the tables as they were (a
    backlog page took 20 ms instead of 2 after an import of 50,000 cases). SQLite: nothing."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql(f"ANALYZE {', '.join(tables)}")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (safe to run on an up-to-date one)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def is_initialised(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")
