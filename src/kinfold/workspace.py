"""A workspace: a folder holding a team's settings and (by default) its SQLite store."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from sqlalchemy import Engine

from kinfold import clock
from kinfold.errors import WorkspaceError
from kinfold.settings import ORIGIN, Settings
from kinfold.store.database import database_url, is_initialised, migrate, open_engine

SETTINGS_FILE = ORIGIN
WORKSPACE_ENV = "KINFOLD_WORKSPACE"
LOCK_FILE = ".kinfold.lock"  # held while the web app serves the workspace, or a restore runs


@dataclass
class Workspace:
    path: Path
    engine: Engine
    settings: Settings = field(default_factory=Settings)

    @property
    def name(self) -> str:
        return self.settings.name or self.path.name

    def close(self) -> None:
        self.engine.dispose()


def default_path() -> Path:
    """`KINFOLD_WORKSPACE` if set, otherwise the current folder."""
    return Path(os.environ.get(WORKSPACE_ENV) or ".")


def init_workspace(
    path: Path, name: str | None = None, more: dict[str, Any] | None = None
) -> Workspace:
    """Create (or bring up to date) the workspace at `path`; a new one's kinfold.yaml
    holds `more` settings after the name, nation and day it was created."""
    if path.exists() and not path.is_dir():
        raise WorkspaceError(
            f"{path} is a file, not a folder.", "Choose a folder for the workspace."
        )
    path.mkdir(parents=True, exist_ok=True)
    settings_path = path / SETTINGS_FILE
    if not settings_path.exists():
        written = {
            "name": name or path.resolve().name,
            "nation": "england-and-wales",
            "created": clock.now().date().isoformat(),
            **(more or {}),
        }
        Settings.parse(written)  # what is written must be right
        settings_path.write_text(yaml.safe_dump(written, sort_keys=False), encoding="utf-8")
    settings = Settings.read(settings_path)
    engine = open_engine(database_url(path))
    migrate(engine)
    return Workspace(path=path, engine=engine, settings=settings)


def open_workspace(path: Path | None = None) -> Workspace:
    """Open an initialised workspace, bringing its schema up to date."""
    path = path or default_path()
    settings_path = path / SETTINGS_FILE
    if not settings_path.exists():
        raise WorkspaceError(
            f"No kinfold workspace at {path.resolve()} (there is no {SETTINGS_FILE}).",
            f"Create one with `kinfold init {path}`, or pass --workspace.",
        )
    settings = Settings.read(settings_path)
    engine = open_engine(database_url(path))
    if not is_initialised(engine):
        raise WorkspaceError(
            f"The database of the workspace at {path.resolve()} has no kinfold tables.",
            f"Run `kinfold init {path}` to create them.",
        )
    migrate(engine)
    return Workspace(path=path, engine=engine, settings=settings)


def save_setting(path: Path, key: str, value: Any) -> None:
    """Set one top-level setting in the workspace's kinfold.yaml, keeping the rest of the
    file (comments and order too). The file is replaced whole, so a crash leaves the old
    one or the new one."""
    settings_path = path / SETTINGS_FILE
    round_trip = YAML()
    round_trip.preserve_quotes = True
    document = round_trip.load(settings_path.read_text(encoding="utf-8")) or {}
    document[key] = value
    written = settings_path.with_name(f".{SETTINGS_FILE}.new")
    with written.open("w", encoding="utf-8") as out:
        round_trip.dump(document, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(written, settings_path)


@contextmanager
def in_use(path: Path, alone: bool = False) -> Iterator[None]:
    """Hold the workspace at `path` for the length of the block: shared while the web
    app serves it, alone while a restore replaces its data. The lock is the operating
    system's, on a file in the folder: it goes when the process does, however it ends."""
    path.mkdir(parents=True, exist_ok=True)
    with (path / LOCK_FILE).open("a") as handle:
        try:
            fcntl.flock(handle, (fcntl.LOCK_EX if alone else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            if alone:
                raise WorkspaceError(
                    f"The web app is serving the workspace at {path.resolve()}: what it "
                    "saves during a restore would be lost.",
                    "Stop `kinfold serve` first (or add --force to restore anyway).",
                ) from None
            raise WorkspaceError(
                f"The workspace at {path.resolve()} is being restored.",
                "Serve it when the restore has finished.",
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
