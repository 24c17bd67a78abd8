"""The migrations build exactly the schema the code expects, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from kinfold.store.database import migrate, normalise_url
from kinfold.store.schema import metadata
from kinfold.workspace import Workspace


def test_migrations_match_the_schema(workspace: Workspace) -> None:
    with workspace.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def test_migrating_twice_changes_nothing(workspace: Workspace) -> None:
    before = sorted(inspect(workspace.engine).get_table_names())
    migrate(workspace.engine)
    assert sorted(inspect(workspace.engine).get_table_names()) == before
    assert {"items", "events", "imports", "quarantine", "workers", "roster"} <= set(before)


def test_postgres_urls_use_psycopg() -> None:
    assert normalise_url("postgresql://u@h:5/db") == "postgresql+psycopg://u@h:5/db"
    assert normalise_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
