"""`kinfold backup` and `kinfold restore` (a workspace's consistent snapshot, taken while
the app runs, and its return); `kinfold person export|erase` (a subject access request,
an erasure) and `kinfold retention` (closed cases past their retention period). Registered
on the app of `kinfold.cli.common`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kinfold import clock, privacy
from kinfold.cli.common import WorkspaceOption, actor, app, command, console
from kinfold.errors import KinfoldError
from kinfold.settings import RETENTION_KEY
from kinfold.store.backup import KEY_FILE
from kinfold.store.backup import backup as take_backup
from kinfold.store.backup import restore as bring_back
from kinfold.store.database import DATABASE_FILE, database_url, is_initialised, open_engine
from kinfold.workspace import SETTINGS_FILE, default_path, open_workspace

person_app = typer.Typer(help="One person's data: all of it on request, or erased on request.")
app.add_typer(person_app, name="person")


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
                  f"({out.stat().st_size / 1e6:,.1f} MB), signed with {folder / KEY_FILE}: "
                  "keep a copy of that key apart from the backups, to restore them "
                  "elsewhere.")  # fmt: skip


KEY_HELP = f"The {KEY_FILE} of the workspace the backup was taken from (default: its own)."


@command()
def restore(
    backup_file: Annotated[Path, typer.Argument(help="A .zip that `kinfold backup` wrote.")],
    replace: Annotated[
        bool, typer.Option(help="Replace the data of a workspace that has some.")
    ] = False,
    force: Annotated[
        bool, typer.Option(help="Restore even while the web app serves the workspace.")
    ] = False,
    key: Annotated[Path | None, typer.Option(help=KEY_HELP)] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Bring a workspace back to a backup's state (stop the web app first)."""
    folder = workspace or default_path()
    if not replace and _holds_data(folder):
        raise KinfoldError(
            f"The workspace at {folder.resolve()} holds data, which the restore would replace.",
            "Stop the web app, then add --replace (what is replaced is kept beside it).",
        )
    manifest = bring_back(backup_file, folder, force, key)
    console.print(f"Restored {manifest.rows:,} rows in {len(manifest.tables)} tables, as "
                  f"backed up at {manifest.taken_at}; every table's checksum matches.")  # fmt: skip


def _holds_data(folder: Path) -> bool:
    url = database_url(folder)
    if url.startswith("sqlite") and not (folder / DATABASE_FILE).exists():
        return False
    engine = open_engine(url)
    try:
        return is_initialised(engine)
    finally:
        engine.dispose()


@command("export", on=person_app)
def person_export(
    person_id: Annotated[int, typer.Argument(help="The person's number (as on the case page).")],
    out: Annotated[Path, typer.Option(help="The file to write (JSON).")],
    workspace: WorkspaceOption = None,
) -> None:
    """Everything held about one person, for a subject access request (audited)."""
    opened = open_workspace(workspace)
    try:
        with opened.engine.begin() as conn:
            found = privacy.subject_access(conn, person_id, actor())
    finally:
        opened.close()
    out.write_text(json.dumps(found, indent=2, default=str), encoding="utf-8")
    console.print(f"Wrote person {person_id}'s data ({len(found['items'])} items, "
                  f"{len(found['events'])} events) to {out}. It holds their personal data: "
                  "send it securely and delete your copy.")  # fmt: skip


@command("erase", on=person_app)
def person_erase(
    person_id: Annotated[int, typer.Argument(help="The person's number.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = "",
    workspace: WorkspaceOption = None,
) -> None:
    """Erase one person's data; the work on their items stays, anonymous, in the measures."""
    opened = open_workspace(workspace)
    try:
        with opened.engine.begin() as conn:
            erased = privacy.erase_person(conn, person_id, actor(), reason)
    finally:
        opened.close()
    household = "; their household's address too" if erased.household else ""
    console.print(f"Erased person {person_id}: {erased.items} items kept as anonymous work, "
                  f"{erased.events} events and {erased.quarantine} rejected rows cleared"
                  f"{household}.")  # fmt: skip


@command()
def retention(
    apply: Annotated[bool, typer.Option(help="Delete them (without it, only count them).")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Closed cases past the retention period in kinfold.yaml: count them, or delete them."""
    opened = open_workspace(workspace)
    try:
        days = opened.settings.retention_days
        if days is None:
            raise KinfoldError(
                "kinfold.yaml sets no retention period, so every closed case is kept.",
                f"Add:\nretention:\n  {RETENTION_KEY}: 2190   # six years",
            )
        with opened.engine.begin() as conn:
            if not apply:
                found = privacy.past_retention(conn, days)
                console.print(f"{len(found):,} closed cases are past their retention of "
                              f"{days:,} days; add --apply to delete them.")  # fmt: skip
                return
            done = privacy.delete_past_retention(conn, days, actor())
    finally:
        opened.close()
    console.print(f"Deleted {done.cases:,} closed cases (last item closed before {done.cutoff}): "
                  f"{done.items:,} items and {done.people:,} people.")  # fmt: skip
