"""Fixtures on real parts: SQLite files in a temporary folder, and a real PostgreSQL.

`scripts/test.sh` (run by `make test`) starts a throwaway PostgreSQL and sets
KINFOLD_TEST_POSTGRES_URL, then runs the suite twice at once:

- as it is: workspaces are SQLite files, and every test that takes `backend` runs once
  on each database;
- with KINFOLD_TEST_DATABASE=postgresql: every workspace a test opens is in a
  PostgreSQL database of its own. The `backend` tests are left to the other run, and
  the tests marked `one_run` run here only.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kinfold import workspace as workspace_module
from kinfold.cli import store as cli_store_module
from kinfold.demo import generate_demo, load_demo
from kinfold.demo.files import DemoSummary
from kinfold.intake import resolve_and_refresh
from kinfold.store import backup as backup_module
from kinfold.store.database import DATABASE_URL_ENV, normalise_url
from kinfold.workspace import Workspace, init_workspace, open_workspace

POSTGRES_ENV = "KINFOLD_TEST_POSTGRES_URL"
TEST_DATABASE_ENV = "KINFOLD_TEST_DATABASE"
BACKENDS = ("sqlite", "postgresql")
DEMO_DAY = date(2026, 11, 22)


def on_postgresql() -> bool:
    """Is this the run where every workspace is in PostgreSQL?"""
    return os.environ.get(TEST_DATABASE_ENV) == "postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test runs where it tells something: the tests that take `backend` run on
    both databases in the SQLite run, as do those marked `sqlite_run` (they need a SQLite
    workspace); the tests marked `one_run` (what they check is the same whatever the
    workspace's database) in the PostgreSQL run only."""
    postgresql = on_postgresql()

    def on_sqlite_run(item: pytest.Item) -> bool:
        return _backend_of(item) is not None or item.get_closest_marker("sqlite_run") is not None

    elsewhere = [item for item in items
                 if (on_sqlite_run(item) if postgresql
                     else item.get_closest_marker("one_run") is not None)]  # fmt: skip
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if item not in elsewhere]


def _backend_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("backend") if callspec is not None else None


@pytest.fixture(scope="session", autouse=True)
def workspace_databases() -> Iterator[WorkspaceDatabases | None]:
    """On the PostgreSQL run, every workspace folder opened gets a PostgreSQL database
    of its own."""
    if not on_postgresql():
        yield None
        return
    databases = WorkspaceDatabases()
    with pytest.MonkeyPatch.context() as patch, databases.kept():
        for module in (workspace_module, backup_module, cli_store_module):
            patch.setattr(module, "database_url", databases.url)
        yield databases


@pytest.fixture(autouse=True)
def each_tests_own_databases(workspace_databases: WorkspaceDatabases | None) -> Iterator[None]:
    """The databases of the workspaces a test makes are dropped after it."""
    if workspace_databases is None:
        yield
        return
    with workspace_databases.kept():
        yield


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
    """For tests of reading and mapping, where the database is not the question: SQLite,
    but on the PostgreSQL run."""
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


class WorkspaceDatabases:
    """Stands in for `database_url` on the PostgreSQL run: a database for each workspace
    folder, made when first asked for, in the innermost scope kept (the session's, for
    the workspaces of module fixtures; else the test's) and dropped with it."""

    def __init__(self) -> None:
        self.scopes: list[dict[Path, tuple[postgres_database, str]]] = []

    def url(self, workspace_dir: Path) -> str:
        folder = workspace_dir.resolve()
        for scope in self.scopes:
            if folder in scope:
                return scope[folder][1]
        database = postgres_database()
        self.scopes[-1][folder] = (database, normalise_url(database.__enter__()))
        return self.scopes[-1][folder][1]

    @contextmanager
    def kept(self) -> Iterator[None]:
        scope: dict[Path, tuple[postgres_database, str]] = {}
        self.scopes.append(scope)
        try:
            yield
        finally:
            self.scopes = [kept for kept in self.scopes if kept is not scope]
            for database, _ in scope.values():
                database.__exit__()


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    """A small demo backlog (300 households), written once for the session."""
    return generate_demo(tmp_path_factory.mktemp("demo"), households=300, seed=11, today=DEMO_DAY)


class ReadyDemo:
    """The demo, made once per kind of database for the session, imported (`load_demo`)
    and again resolved, folded and every backlog ranked (`resolve_and_refresh`); each
    workspace asked for is a copy: the files copied, and on PostgreSQL a database made
    with the session's as its template."""

    def __init__(self, demo_files: DemoSummary, folder: Path) -> None:
        self.demo_files = demo_files
        self.folder = folder
        self.made: dict[str, str] = {}  # "kind resolved?" -> the session's workspace's URL
        self.databases: list[postgres_database] = []

    def copy(self, folder: Path, resolved: bool = True) -> Workspace:
        """A workspace at `folder`, on the database a workspace there would have."""
        url = workspace_url(folder)
        kind = "postgresql" if url.startswith("postgresql") else "sqlite"
        made = f"{kind}-{'resolved' if resolved else 'imported'}"
        template = self.made.get(made) or self._make(made, kind, resolved)
        shutil.copytree(self.folder / made, folder)  # kinfold.yaml, the files, a SQLite store
        if kind == "postgresql":
            _recreate(url, template)
        return open_workspace(folder)

    def _make(self, made: str, kind: str, resolved: bool) -> str:
        folder = self.folder / made
        folder.mkdir()
        for path in self.demo_files.out.iterdir():
            (folder / path.name).write_bytes(path.read_bytes())
        with pytest.MonkeyPatch.context() as patch:
            patch.delenv(DATABASE_URL_ENV, raising=False)
            if kind == "postgresql":
                database = postgres_database()
                self.databases.append(database)
                url = normalise_url(database.__enter__())
                patch.setattr(workspace_module, "database_url", lambda _: url)
            workspace = load_demo(folder)
            try:
                if resolved:
                    resolve_and_refresh(workspace.engine, workspace.settings, "test")
            finally:
                workspace.close()
            self.made[made] = workspace_url(folder)
        return self.made[made]

    def close(self) -> None:
        for database in self.databases:
            database.__exit__()


def workspace_url(folder: Path) -> str:
    """The database of a workspace at `folder` (on the PostgreSQL run, one of its own)."""
    url: Callable[[Path], str] = vars(workspace_module)["database_url"]
    return url(folder)


def _recreate(url: str, template: str) -> None:
    """The PostgreSQL database of `url`, made again as a copy of `template`'s."""
    name, source = make_url(url).database, make_url(template).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def ready_demo(
    demo_files: DemoSummary, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ReadyDemo]:
    ready = ReadyDemo(demo_files, tmp_path_factory.mktemp("ready"))
    yield ready
    ready.close()


@pytest.fixture
def resolved_demo(
    ready_demo: ReadyDemo, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    """A copy of the demo, imported, resolved, folded and ranked."""
    yield from _copy_of_demo(ready_demo, tmp_path, request, resolved=True)


@pytest.fixture
def demo_workspace(
    ready_demo: ReadyDemo, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    """A copy of the demo, imported into a workspace."""
    yield from _copy_of_demo(ready_demo, tmp_path, request, resolved=False)


def _copy_of_demo(
    ready_demo: ReadyDemo, tmp_path: Path, request: pytest.FixtureRequest, resolved: bool
) -> Iterator[Workspace]:
    """A copy on the database of `backend` when the test asks for it too; its
    connections are closed afterwards."""
    if "backend" in request.fixturenames:
        request.getfixturevalue("backend")  # first: it says which database
    workspace = ready_demo.copy(tmp_path / "demo", resolved)
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


@contextmanager
def served(folder: Path, *options: str) -> Iterator[str]:
    """`kinfold serve` (with `options`) on the SQLite workspace at `folder`, in a process
    of its own, until the block ends; its address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).with_name("kinfold")), "serve", "--port", str(port),
               "-w", str(folder), *options]  # fmt: skip
    environment = {name: value for name, value in os.environ.items()
                   if name != DATABASE_URL_ENV}  # fmt: skip
    server = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.communicate()[1]
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "the web app did not start"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.communicate(timeout=30)
