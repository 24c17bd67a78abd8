"""Backups: a consistent snapshot of a workspace, taken while the app runs, and its restore.

A backup is one zip file holding the workspace's kinfold.yaml, its database and a
manifest. The database is SQLite's file copied with SQLite's online backup API, or
PostgreSQL's `pg_dump` (custom format) taken inside one exported snapshot. The manifest
says when, from which kind of database, at which schema version, and each table's rows
and checksum (SHA-256 of its rows in key order), computed on the very snapshot saved.
Restore checks those checksums on what it brings back; a restore that would not match
changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from kinfold import clock
from kinfold.errors import KinfoldError
from kinfold.store.database import DATABASE_FILE, database_url, migrate, open_engine
from kinfold.store.schema import metadata
from kinfold.workspace import SETTINGS_FILE

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = DATABASE_FILE
POSTGRES_FILE = "kinfold.dump"
BEFORE_RESTORE = ".before-restore"  # the suffix of what a restore replaced, kept beside it


@dataclass(frozen=True)
class Manifest:
    format: int
    taken_at: str  # ISO, UTC
    database: str  # sqlite or postgresql
    schema_version: str  # the newest migration applied
    tables: dict[str, dict[str, Any]]  # name -> {"rows": n, "sha256": hex}

    @property
    def rows(self) -> int:
        return sum(int(table["rows"]) for table in self.tables.values())


def backup(folder: Path, out: Path) -> Manifest:
    """Write a backup of the workspace in `folder` to `out` (a .zip), while it may be in
    use: what is saved is one moment's state."""
    url = database_url(folder)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".kinfold-backup-") as work:
        staged = Path(work)
        if url.startswith("sqlite"):
            database = staged / SQLITE_FILE
            _sqlite_copy(_sqlite_path(url), database)
            engine = create_engine(f"sqlite:///{database}")
            try:
                with engine.connect() as conn:
                    manifest = _manifest(conn, "sqlite")
            finally:
                engine.dispose()
        else:
            database = staged / POSTGRES_FILE
            manifest = _pg_dump(url, database)
        (staged / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
        written = staged / "backup.zip"
        with zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            archive.write(staged / MANIFEST, MANIFEST)
            if (folder / SETTINGS_FILE).exists():
                archive.write(folder / SETTINGS_FILE, SETTINGS_FILE)
            archive.write(database, database.name)
        os.replace(written, out)
    return manifest


def restore(backup_file: Path, folder: Path) -> Manifest:
    """Bring the workspace in `folder` back to the backup's state. The database and
    kinfold.yaml it replaces are kept beside them (SQLite; PostgreSQL's restore is checked
    in a scratch database, then made in one transaction). The app must not be running."""
    manifest, archive = _open_backup(backup_file)
    url = database_url(folder)
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    if kind != manifest.database:
        raise KinfoldError(
            f"{backup_file.name} is a backup of a {manifest.database} workspace; this "
            f"workspace's database is {kind}.",
            "Restore it where KINFOLD_DATABASE_URL names the same kind of database.",
        )
    folder.mkdir(parents=True, exist_ok=True)
    with archive, tempfile.TemporaryDirectory(dir=folder, prefix=".kinfold-restore-") as work:
        staged = Path(work)
        archive.extractall(staged)
        if kind == "sqlite":
            _restore_sqlite(staged / SQLITE_FILE, _sqlite_path(url), manifest)
        else:
            _pg_restore(url, staged / POSTGRES_FILE, manifest)
        if (staged / SETTINGS_FILE).exists():
            settings = folder / SETTINGS_FILE
            if settings.exists():
                shutil.copy2(settings, settings.with_name(SETTINGS_FILE + BEFORE_RESTORE))
            os.replace(staged / SETTINGS_FILE, settings)
    engine = open_engine(url)
    try:
        migrate(engine)  # a backup from an older kinfold is brought up to date
    finally:
        engine.dispose()
    return manifest


def checksums(conn: Connection) -> dict[str, dict[str, Any]]:
    """Each table's row count and the SHA-256 of its rows in key order."""
    tables: dict[str, dict[str, Any]] = {}
    for table in metadata.sorted_tables:
        digest = hashlib.sha256()
        count = 0
        key = list(table.primary_key.columns) or list(table.columns)
        for row in conn.execute(select(table).order_by(*key)):
            digest.update(json.dumps(list(row), default=str).encode())
            digest.update(b"\n")
            count += 1
        tables[table.name] = {"rows": count, "sha256": digest.hexdigest()}
    return tables


def _manifest(conn: Connection, database: str) -> Manifest:
    version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    return Manifest(FORMAT, clock.now().isoformat(), database, str(version), checksums(conn))


def _open_backup(path: Path) -> tuple[Manifest, zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(path)
        manifest = Manifest(**json.loads(archive.read(MANIFEST)))
    except FileNotFoundError:
        raise KinfoldError(f"There is no backup at {path}.") from None
    except (zipfile.BadZipFile, KeyError, TypeError, ValueError):
        raise KinfoldError(
            f"{path} is not a kinfold backup (it has no readable {MANIFEST}).",
            "Give the .zip that `kinfold backup` wrote.",
        ) from None
    if manifest.format != FORMAT:
        raise KinfoldError(f"{path.name} is a backup in format {manifest.format}; this kinfold "
                           f"reads format {FORMAT}.")  # fmt: skip
    names = set(archive.namelist())
    unsafe = [name for name in names if name.startswith("/") or ".." in Path(name).parts]
    expected = SQLITE_FILE if manifest.database == "sqlite" else POSTGRES_FILE
    if unsafe or expected not in names:
        raise KinfoldError(f"{path.name} is damaged or not kinfold's: it should hold {expected} "
                           f"and {MANIFEST} only, beside {SETTINGS_FILE}.")  # fmt: skip
    return manifest, archive


def _check(found: dict[str, dict[str, Any]], manifest: Manifest, what: str, then: str) -> None:
    wrong = sorted(name for name, table in manifest.tables.items() if found.get(name) != table)
    if wrong:
        raise KinfoldError(
            f"{what} does not match the backup's manifest in {len(wrong)} tables "
            f"({', '.join(wrong[:5])}).",
            then,
        )


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    assert database, url
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: one consistent copy, while others read and write."""
    if not source.exists():
        raise KinfoldError(f"The workspace has no database at {source}.")
    live, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        live.backup(copy)
    finally:
        copy.close()
        live.close()


def _restore_sqlite(restored: Path, database: Path, manifest: Manifest) -> None:
    engine = create_engine(f"sqlite:///{restored}")
    try:
        with engine.connect() as conn:
            _check(
                checksums(conn),
                manifest,
                "The backup's database",
                "The backup is damaged; nothing was replaced. Restore an earlier backup.",
            )
    finally:
        engine.dispose()
    if database.exists():
        _sqlite_copy(database, database.with_name(database.name + BEFORE_RESTORE))
    for stale in (database.with_name(database.name + "-wal"),
                  database.with_name(database.name + "-shm")):  # fmt: skip
        stale.unlink(missing_ok=True)  # the old database's log must not replay on the new
    os.replace(restored, database)


def _pg_dump(url: str, out: Path) -> Manifest:
    """pg_dump of the snapshot that the checksums are computed in."""
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                _pg_tool(url, "pg_dump", "--format=custom", f"--snapshot={snapshot}",
                         f"--file={out}")  # fmt: skip
                return _manifest(conn, "postgresql")
    finally:
        engine.dispose()


def _pg_restore(url: str, dump: Path, manifest: Manifest) -> None:
    """Restore into a scratch database first and check it there, so a damaged backup
    leaves the workspace's database untouched; then restore it in one transaction."""
    scratch = make_url(url).set(database=f"kinfold_restore_{uuid.uuid4().hex[:12]}")
    name = scratch.database
    admin = open_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            try:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            except DBAPIError as error:
                raise KinfoldError(
                    "A restore is checked in a scratch database first, and kinfold's "
                    f"database role may not create one: {str(error.orig).splitlines()[0]}",
                    "Let it: ALTER ROLE <kinfold's role> CREATEDB;",
                ) from error
        try:
            checked = scratch.render_as_string(hide_password=False)
            _pg_load(checked, dump)
            _check_database(checked, manifest, "The backup's database",
                            "The backup is damaged; nothing was replaced. Restore an "
                            "earlier backup.")  # fmt: skip
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
    _pg_load(url, dump, "--clean", "--if-exists")
    _check_database(url, manifest, "The restored database",
                    "Restore the backup again, or an earlier one, before using the "
                    "workspace.")  # fmt: skip


def _pg_load(url: str, dump: Path, *options: str) -> None:
    _pg_tool(url, "pg_restore", *options, "--no-owner", "--no-privileges",
             "--single-transaction", "--exit-on-error", f"--dbname={make_url(url).database}",
             str(dump))  # fmt: skip


def _check_database(url: str, manifest: Manifest, what: str, then: str) -> None:
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            _check(checksums(conn), manifest, what, then)
    finally:
        engine.dispose()


def _pg_tool(url: str, tool: str, *arguments: str) -> None:
    """Run pg_dump or pg_restore on the database of `url`; its password goes by the
    environment, never the command line."""
    parsed = make_url(url)
    if shutil.which(tool) is None:
        raise KinfoldError(f"{tool} is not installed.", "Install postgresql-client.")
    environment = {
        **os.environ,
        "PGHOST": parsed.host or "",
        "PGPORT": str(parsed.port or 5432),
        "PGUSER": parsed.username or "",
        "PGDATABASE": parsed.database or "",
    }
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    done = subprocess.run([tool, *arguments], env=environment, capture_output=True, text=True,
                          check=False)  # fmt: skip
    if done.returncode != 0:
        raise KinfoldError(f"{tool} failed: {done.stderr.strip()[-500:]}")
