"""Backups: a consistent snapshot of a workspace, taken while the app runs, and its restore.

A backup is one zip file holding the workspace's kinfold.yaml, its database and a
manifest. The database is SQLite's file copied with SQLite's online backup API, or
PostgreSQL's `pg_dump` (custom format) taken inside one exported snapshot. The manifest
says when, from which kind of database, at which schema version, and each table's rows
and checksum (SHA-256 of its rows in key order), computed on the very snapshot saved.
Restore checks those checksums on what it brings back; a restore that would not match
changes nothing.

A backup is signed: the manifest holds each file's SHA-256, and an HMAC-SHA256 of the
manifest made with the workspace's own key (`backup.key` in its folder, made at its first
backup and never put in a backup). Restore refuses a backup whose signature, files,
tables or triggers are not what the workspace's key and kinfold's schema say: a backup
changed by hand cannot make a user an administrator or drop the audit log's protection.
Restoring on another machine takes the key (`--key`): keep a copy of it apart from the
backups.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
import zipfile
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from kinfold import clock
from kinfold.errors import KinfoldError
from kinfold.store.database import DATABASE_FILE, database_url, migrate, open_engine
from kinfold.store.schema import TRIGGERS, metadata
from kinfold.workspace import SETTINGS_FILE, in_use

FORMAT = 2  # signed
KEY_FILE = "backup.key"  # the workspace's key that signs its backups
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
    files: dict[str, str] = field(default_factory=dict)  # name in the zip -> SHA-256
    signature: str = ""  # HMAC-SHA256 of the rest, with the workspace's key

    @property
    def rows(self) -> int:
        return sum(int(table["rows"]) for table in self.tables.values())

    def signed(self, key: bytes) -> Manifest:
        return replace(self, signature=self._mac(key))

    def is_signed_by(self, key: bytes) -> bool:
        return hmac.compare_digest(self.signature, self._mac(key))

    def _mac(self, key: bytes) -> str:
        content = {name: value for name, value in asdict(self).items() if name != "signature"}
        text = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


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
        files = [database]
        if (folder / SETTINGS_FILE).exists():
            files.append(Path(shutil.copy2(folder / SETTINGS_FILE, staged / SETTINGS_FILE)))
        manifest = replace(manifest, files={path.name: _sha256(path) for path in files})
        manifest = manifest.signed(workspace_key(folder))
        (staged / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
        written = staged / "backup.zip"
        with zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            archive.write(staged / MANIFEST, MANIFEST)
            for path in files:
                archive.write(path, path.name)
        os.replace(written, out)
    return manifest


def workspace_key(folder: Path, given: Path | None = None) -> bytes:
    """The key that signs the workspace's backups: `given` (a copy of another
    workspace's, kept by a restore that it let through), else the one in its folder,
    made the first time it is needed."""
    path = folder / KEY_FILE
    if given is not None:
        try:
            key = given.read_bytes().strip()
        except OSError as error:
            raise KinfoldError(f"The key {given} cannot be read: {error.strerror}.") from None
        return key
    if not path.exists():
        _write_key(path, secrets.token_hex(32).encode())
    return path.read_bytes().strip()


def _write_key(path: Path, key: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key + b"\n")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def restore(
    backup_file: Path, folder: Path, force: bool = False, key: Path | None = None
) -> Manifest:
    """Bring the workspace in `folder` back to the backup's state. The database and
    kinfold.yaml it replaces are kept beside them (SQLite; PostgreSQL's restore is checked
    in a scratch database, then made in one transaction). The backup must be signed with
    the workspace's key (or `key`, a copy of the key of the workspace it was taken from).
    Refused while the web app serves the workspace (what it saved meanwhile would be
    lost), unless `force`."""
    with nullcontext() if force else in_use(folder, alone=True):
        return _restore(backup_file, folder, key)


def _restore(backup_file: Path, folder: Path, key: Path | None) -> Manifest:
    if key is None and not (folder / KEY_FILE).exists():
        raise KinfoldError(
            f"There is no key in {folder.resolve()} to check the backup's signature with.",
            f"Give the {KEY_FILE} of the workspace the backup was taken from: --key PATH.",
        )
    manifest, archive = _open_backup(backup_file)
    signing = workspace_key(folder, key)
    if not manifest.is_signed_by(signing):
        raise KinfoldError(
            f"{backup_file.name} does not match the backup's manifest signature: it was "
            "changed after it was written, or was taken from another workspace.",
            f"Restore a backup of this workspace, or give its own {KEY_FILE} with --key.",
        )
    schema_tables = {table.name for table in metadata.sorted_tables}
    if set(manifest.tables) != schema_tables:
        raise KinfoldError(f"{backup_file.name}'s manifest does not list kinfold's tables; "
                           "nothing was replaced.")  # fmt: skip
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
        changed = sorted(name for name, digest in manifest.files.items()
                         if not (staged / name).is_file()
                         or _sha256(staged / name) != digest)  # fmt: skip
        if changed or set(archive.namelist()) != {MANIFEST, *manifest.files}:
            raise KinfoldError(
                f"{', '.join(changed) or 'What the backup holds'} does not match the "
                "backup's manifest: the backup is damaged, or was changed after it was "
                "written. Nothing was replaced.",
                "Restore an earlier backup.",
            )
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
    if not (folder / KEY_FILE).exists():  # it signs the restored workspace's backups too
        _write_key(folder / KEY_FILE, signing)
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


def schema_objects(conn: Connection) -> set[str]:
    """The tables and triggers of the database on `conn` ("table items", "trigger ...")."""
    if conn.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = ("SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                 "JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE NOT t.tgisinternal AND n.nspname = current_schema()")  # fmt: skip
    triggers = conn.execute(text(query)).scalars()
    return ({f"table {name}" for name in inspect(conn).get_table_names()}
            | {f"trigger {name}" for name in triggers})  # fmt: skip


def expected_objects(database: str) -> set[str]:
    """The tables and triggers kinfold's migrations make on `database` (a dialect's name)."""
    tables = [*(table.name for table in metadata.sorted_tables), "alembic_version"]
    return {f"table {name}" for name in tables} | {f"trigger {name}" for name in TRIGGERS[database]}


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


def _check(conn: Connection, manifest: Manifest, what: str, then: str) -> None:
    """The database on `conn` has kinfold's tables and triggers, and each table's rows
    are the manifest's."""
    missing = schema_objects(conn) ^ expected_objects(conn.dialect.name)
    if missing:
        raise KinfoldError(
            f"{what} does not have kinfold's tables and triggers (it differs in "
            f"{', '.join(sorted(missing)[:5])}).",
            then,
        )
    found = checksums(conn)
    names = set(found) | set(manifest.tables)
    wrong = sorted(name for name in names if found.get(name) != manifest.tables.get(name))
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
                conn,
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
            _check(conn, manifest, what, then)
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
