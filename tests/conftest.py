"""Fixtures on real parts: SQLite files in a temporary folder, and a real PostgreSQL.

`scripts/test.sh` (run by `make test`) starts a throwaway PostgreSQL and sets
KINFOLD_TEST_POSTGRES_URL; every test that takes `backend` runs once on each database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kinfold.demo import generate_demo, load_demo
from kinfold.demo.files import DemoSummary
from kinfold.store.database import DATABASE_URL_ENV, normalise_url
from kinfold.workspace import Workspace, init_workspace

POSTGRES_ENV = "KINFOLD_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")
DEMO_DAY = date(2026, 11, 22)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test on SQLite, then on a fresh PostgreSQL database of its own."""
    if request.param == "sqlite":
        monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
        yield "sqlite"
        return
    with postgres_database() as url:
        monkeypatch.setenv(DATABASE_URL_ENV, url)
        yield "postgresql"


@pytest.fixture
def workspace(backend: str, tmp_path: Path) -> Iterator[Workspace]:
    opened = init_workspace(tmp_path / "workspace", name="test")
    yield opened
    opened.close()


@pytest.fixture
def sqlite_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """For tests of reading and mapping, where the database is not the question."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    opened = init_workspace(tmp_path / "workspace", name="test")
    yield opened
    opened.close()


class postgres_database:
    """A new, empty database in the test cluster, dropped afterwards."""

    def __init__(self) -> None:
        server = os.environ.get(POSTGRES_ENV)
        if not server:
            pytest.fail(
                f"{POSTGRES_ENV} is not set: run the suite with `make test` "
                "(scripts/test.sh starts PostgreSQL for it)."
            )
        self.server = normalise_url(server)
        self.name = f"kf_{uuid.uuid4().hex[:12]}"

    def __enter__(self) -> str:
        admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        return make_url(self.server).set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *_: object) -> None:
        admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    """A small demo backlog (300 households), written once for the session."""
    return generate_demo(tmp_path_factory.mktemp("demo"), households=300, seed=11, today=DEMO_DAY)


@pytest.fixture
def demo_workspace(demo_files: DemoSummary, tmp_path: Path) -> Iterator[Workspace]:
    """A copy of the demo, imported into a workspace (on the database of `backend`, when
    a test asks for it too); its connections are closed afterwards."""
    folder = tmp_path / "demo"
    folder.mkdir()
    for path in demo_files.out.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    workspace = load_demo(folder)
    yield workspace
    workspace.close()


def write(path: Path, content: str | bytes) -> Path:
    """Write a test file: text as UTF-8 unless given as bytes."""
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def shared_data(name: str) -> Path:
    """A file of the public event logs kept beside the project (never in it): in
    $KINFOLD_SHARED_DATA, else ../shared/data next to the repository, else
    /work/shared/data."""
    places = (
        [Path(os.environ["KINFOLD_SHARED_DATA"])] if "KINFOLD_SHARED_DATA" in os.environ else []
    )
    places += [Path(__file__).resolve().parents[2] / "shared" / "data", Path("/work/shared/data")]
    for place in places:
        if (place / name).exists():
            return place / name
    pytest.fail(f"{name} is in none of {', '.join(map(str, places))}; set KINFOLD_SHARED_DATA.")


# Spark's settings for the demo's small tables, given as docs/spark.md tells users to:
# few shuffle partitions, and no code generation, cost less than they save here
SPARK_SUBMIT_ARGS = ("--conf spark.sql.shuffle.partitions=2 "
                     "--conf spark.sql.codegen.wholeStage=false pyspark-shell")  # fmt: skip


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One Spark session on two local cores for the run (its JVM starts in about 10 s);
    the sessions kinfold opens while it runs are this one, left running."""
    from kinfold.spark import spark_session

    os.environ["PYSPARK_SUBMIT_ARGS"] = SPARK_SUBMIT_ARGS
    with spark_session("local[2]") as session:
        assert session.conf.get("spark.sql.shuffle.partitions") == "2"
        yield session
