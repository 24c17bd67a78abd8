"""Backup and restore: a snapshot taken while the workspace is written to comes back with
every table's content equal, on SQLite and on PostgreSQL; a damaged backup changes nothing."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from kinfold.errors import KinfoldError
from kinfold.store.backup import (
    BEFORE_RESTORE,
    KEY_FILE,
    MANIFEST,
    Manifest,
    backup,
    checksums,
    expected_objects,
    restore,
    schema_objects,
    workspace_key,
)
from kinfold.store.events import record
from kinfold.store.schema import items
from kinfold.workspace import SETTINGS_FILE, Workspace, open_workspace
from tests.conftest import served, write
from tests.test_cli import run


def _checksums(workspace: Workspace) -> dict[str, dict[str, object]]:
    with workspace.engine.connect() as conn:
        return checksums(conn)


class Writer(threading.Thread):
    """Adds events, one transaction each, until stopped."""

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace
        self.written = 0
        self.started_writing = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            with self.workspace.engine.begin() as conn:
                record(conn, actor="test", action="test.write", entity_type="test",
                       entity_id=self.written)  # fmt: skip
            self.written += 1
            self.started_writing.set()


def test_a_backup_taken_while_writing_restores_every_table_equal(
    backend: str, demo_workspace: Workspace, tmp_path: Path
) -> None:
    writer = Writer(demo_workspace)
    writer.start()
    writer.started_writing.wait(30)
    try:
        manifest = backup(demo_workspace.path, tmp_path / "backup.zip")
        during = writer.written
    finally:
        writer.stop.set()
        writer.join()
    assert during > 0  # the backup ran while the store was written to
    assert manifest.database == backend and manifest.tables["items"]["rows"] > 1000
    after_backup = manifest.tables["events"]["rows"]
    assert after_backup < _checksums(demo_workspace)["events"]["rows"]  # one moment's state

    settings = (demo_workspace.path / SETTINGS_FILE).read_text(encoding="utf-8")
    with demo_workspace.engine.begin() as conn:  # what the restore must undo
        conn.execute(update(items).where(items.c.id > 100).values(notes="changed"))
    write(demo_workspace.path / SETTINGS_FILE, settings + "changed: yes\n")
    demo_workspace.close()
    restore(tmp_path / "backup.zip", demo_workspace.path)

    restored = open_workspace(demo_workspace.path)
    try:
        assert _checksums(restored) == manifest.tables  # every table's content, equal
        assert (restored.path / SETTINGS_FILE).read_text(encoding="utf-8") == settings
    finally:
        restored.close()
    kept = demo_workspace.path / (SETTINGS_FILE + BEFORE_RESTORE)
    assert kept.read_text(encoding="utf-8").endswith("changed: yes\n")  # nothing lost
    if backend == "sqlite":
        assert (demo_workspace.path / ("kinfold.db" + BEFORE_RESTORE)).stat().st_size > 0


def test_a_damaged_backup_is_refused_and_changes_nothing(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    good = tmp_path / "backup.zip"
    backup(demo_workspace.path, good)
    before = _checksums(demo_workspace)
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        names = source.namelist()
        for name in names:
            content = source.read(name)
            if name == "kinfold.db":  # some text changed, as a bad disk might
                content = content.replace(b"Council tax arrears", b"Council tax arrEars")
                assert b"arrEars" in content
            elif name == "manifest.json" and "kinfold.dump" in names:
                # PostgreSQL's dump is compressed: its rows are made to differ from the
                # manifest by changing the manifest's record of one table
                manifest = json.loads(content)
                manifest["tables"]["items"]["sha256"] = "0" * 64
                content = json.dumps(manifest).encode()
            target.writestr(name, content)
    with pytest.raises(KinfoldError, match="does not match the backup's manifest"):
        restore(damaged, demo_workspace.path)
    not_zip = write(tmp_path / "text.zip", "not a zip")
    for path, message in ((tmp_path / "none.zip", "There is no backup"),
                          (not_zip, "is not a kinfold backup")):  # fmt: skip
        with pytest.raises(KinfoldError, match=message):
            restore(path, demo_workspace.path)
    assert _checksums(demo_workspace) == before


def test_the_backup_and_restore_commands(demo_workspace: Workspace, tmp_path: Path) -> None:
    folder = str(demo_workspace.path)
    code, output = run("backup", "-w", folder, "--out", str(tmp_path / "b.zip"))
    assert code == 0 and "Backed up" in output, output
    code, output = run("restore", str(tmp_path / "b.zip"), "-w", folder)
    assert code == 1 and "add --replace" in output
    elsewhere = ("restore", str(tmp_path / "b.zip"), "-w", str(tmp_path / "new"))
    code, output = run(*elsewhere)
    assert code == 1 and "no key" in output and "--key" in output, output
    wrong = write(tmp_path / "wrong.key", "0" * 64)
    code, output = run(*elsewhere, "--key", str(wrong))
    assert code == 1 and "signature" in output, output
    assert not (tmp_path / "new" / KEY_FILE).exists()  # a key that let nothing through
    code, output = run(*elsewhere, "--key", str(demo_workspace.path / KEY_FILE))
    assert code == 0 and "every table's checksum matches" in output, output
    assert (tmp_path / "new" / KEY_FILE).read_bytes() == (
        folder_key := (demo_workspace.path / KEY_FILE).read_bytes()
    )  # its next backups: the same key
    assert len(folder_key.strip()) == 64
    copy = open_workspace(tmp_path / "new")
    try:
        with copy.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(items)).scalar_one() > 1000
    finally:
        copy.close()


@pytest.mark.sqlite_run
def test_a_restore_waits_for_the_web_app_to_stop(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    folder = str(sqlite_workspace.path)
    backed_up = str(tmp_path / "b.zip")
    assert run("backup", "-w", folder, "--out", backed_up)[0] == 0
    with served(sqlite_workspace.path):
        code, output = run("restore", backed_up, "-w", folder, "--replace")
        assert code == 1 and "The web app is serving the workspace" in output, output
        code, output = run("restore", backed_up, "-w", folder, "--replace", "--force")
        assert code == 0 and "every table's checksum matches" in output, output
    code, output = run("restore", backed_up, "-w", folder, "--replace")
    assert code == 0 and "every table's checksum matches" in output, output


@pytest.mark.sqlite_run
def test_a_backup_changed_by_hand_is_refused_even_when_signed_again(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    """Changing a backup needs the workspace's key to sign it again; and even with the
    key, a manifest without kinfold's tables, or a database without the triggers that
    keep the audit log append-only, is refused."""
    folder = sqlite_workspace.path
    good = tmp_path / "good.zip"
    backup(folder, good)
    key = workspace_key(folder)

    def changed(name: str, manifest_change: Any, database_change: str | None = None,
                sign: bool = True) -> Path:  # fmt: skip
        with zipfile.ZipFile(good) as source:
            manifest = json.loads(source.read(MANIFEST))
            database = tmp_path / "kinfold.db"
            database.write_bytes(source.read("kinfold.db"))
            settings = source.read(SETTINGS_FILE)
        if database_change:
            with sqlite3.connect(database) as conn:
                conn.executescript(database_change)
            conn.close()
            manifest["files"]["kinfold.db"] = hashlib.sha256(database.read_bytes()).hexdigest()
        manifest_change(manifest)
        forged = Manifest(**manifest)
        if sign:
            forged = forged.signed(key)
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as target:
            target.writestr(MANIFEST, json.dumps(dataclasses.asdict(forged)))
            target.writestr("kinfold.db", database.read_bytes())
            target.writestr(SETTINGS_FILE, settings)
        return path

    def no_tables(manifest: dict[str, Any]) -> None:
        manifest["tables"] = {}

    def without_users(manifest: dict[str, Any]) -> None:
        del manifest["tables"]["users"]

    not_listed = "does not list kinfold's tables"
    refused = {
        changed("unsigned.zip", no_tables, sign=False): "does not match .* signature",
        changed("no-tables.zip", no_tables): not_listed,
        changed("no-users.zip", without_users): not_listed,
        changed("no-trigger.zip", lambda _: None, "DROP TRIGGER events_append_only_delete;"):
            "trigger events_append_only_delete",
    }  # fmt: skip
    before = _checksums(sqlite_workspace)
    for path, message in refused.items():
        with pytest.raises(KinfoldError, match=message):
            restore(path, folder)
        assert _checksums(sqlite_workspace) == before, path.name
    restore(good, folder)  # the backup as written comes back
    assert _checksums(sqlite_workspace) == before


def test_a_fresh_database_has_exactly_the_tables_and_triggers_a_restore_expects(
    workspace: Workspace,
) -> None:
    with workspace.engine.connect() as conn:
        assert schema_objects(conn) == expected_objects(conn.dialect.name)
