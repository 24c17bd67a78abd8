"""`kinfold backup` and `kinfold restore`: a workspace's consistent snapshot, taken while
the app runs, and its return. Registered on the app of `kinfold.cli`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kinfold import clock
from kinfold.cli import WorkspaceOption, command, console
from kinfold.errors import KinfoldError
from kinfold.store.backup import backup as take_backup
from kinfold.store.backup import restore as bring_back
from kinfold.store.database import database_url, is_initialised, open_engine
from kinfold.workspace import SETTINGS_FILE, default_path


@command()
def backup(
    out: Annotated[
        Path | None,
        typer.Option(
            help="The backup file (default: backups/kinfold-<time>.zip in the workspace)."
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Back the workspace up (its database and kinfold.yaml), while the app runs."""
    folder = workspace or default_path()
    if not (folder / SETTINGS_FILE).exists():
        raise KinfoldError(f"No kinfold workspace at {folder.resolve()} to back up.")
    out = out or folder / "backups" / f"kinfold-{clock.now():%Y%m%dT%H%M%SZ}.zip"
    if out.suffix.lower() != ".zip":
        raise KinfoldError(f"A backup is a .zip file; {out.name} is not.", "Add --out NAME.zip.")
    manifest = take_backup(folder, out)
    console.print(f"Backed up {manifest.rows:,} rows in {len(manifest.tables)} tables "
                  f"({manifest.database}, schema {manifest.schema_version}) to {out} "
                  f"({out.stat().st_size / 1e6:,.1f} MB).")  # fmt: skip


@command()
def restore(
    backup_file: Annotated[Path, typer.Argument(help="A .zip that `kinfold backup` wrote.")],
    replace: Annotated[
        bool, typer.Option(help="Replace the data of a workspace that has some.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Bring a workspace back to a backup's state (stop the web app first)."""
    folder = workspace or default_path()
    if not replace and _holds_data(folder):
        raise KinfoldError(
            f"The workspace at {folder.resolve()} holds data, which the restore would replace.",
            "Stop the web app, then add --replace (what is replaced is kept beside it).",
        )
    manifest = bring_back(backup_file, folder)
    console.print(f"Restored {manifest.rows:,} rows in {len(manifest.tables)} tables, as "
                  f"backed up at {manifest.taken_at}; every table's checksum matches.")  # fmt: skip


def _holds_data(folder: Path) -> bool:
    url = database_url(folder)
    if url.startswith("sqlite") and not (folder / "kinfold.db").exists():
        return False
    engine = open_engine(url)
    try:
        return is_initialised(engine)
    finally:
        engine.dispose()
