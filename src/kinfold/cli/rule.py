"""`kinfold rule`: the priority rule, its versions, a preview of a change, saving it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kinfold.allocate.backlog import refresh
from kinfold.cli.common import (
    WorkspaceOption,
    actor,
    app,
    command,
    console,
    print_prioritised,
    when,
)
from kinfold.errors import KinfoldError
from kinfold.priority.run import (
    preview,
    rule_in_force,
    rule_teams,
    rule_text,
    rule_versions,
    save_rule,
)
from kinfold.workspace import Workspace, open_workspace

rule_app = typer.Typer(
    help="The priority rule: show it, see its versions, preview a change, save it.",
    no_args_is_help=True,
)
app.add_typer(rule_app, name="rule")
TeamOption = Annotated[
    str | None,
    typer.Option(help="A team's own rule (default: the workspace's, for every team without one)."),
]


@command("show", on=rule_app)
def rule_show(
    version: Annotated[
        int | None, typer.Option(help="An earlier version (default: the one in force).")
    ] = None,
    team: TeamOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Print the rule as written (save it to a file to change it); with --team, the rule
    that team works by."""
    opened = open_workspace(workspace)
    try:
        with opened.engine.connect() as conn:
            in_force, text = rule_in_force(conn, _team_id(opened, team))
            if version is not None and version != in_force:
                found = rule_text(conn, version)
                if found is None:
                    raise KinfoldError(f"There is no version {version} of the priority rule.",
                                       "See `kinfold rule history`.")  # fmt: skip
                text = found
    finally:
        opened.close()
    typer.echo(text, nl=not text.endswith("\n"))


@command("history", on=rule_app)
def rule_history(team: TeamOption = None, workspace: WorkspaceOption = None) -> None:
    """Every version of the rule (or of a team's own): who saved it and when."""
    opened = open_workspace(workspace)
    try:
        with opened.engine.connect() as conn:
            versions = rule_versions(conn, _team_id(opened, team))
    finally:
        opened.close()
    if not versions:
        console.print(
            f"{team} has no rule of its own: it works by the workspace's."
            if team
            else "The default rule is in force; no version has been saved yet."
        )
        return
    table = Table("version", "saved by", "saved at", "note", box=None)
    for saved in versions:
        table.add_row(str(saved.version), saved.saved_by, when(saved.saved_at),
                      saved.note or "")  # fmt: skip
    console.print(table)
    console.print(f"Version {versions[-1].version} is in force.")


@command("preview", on=rule_app)
def rule_preview(
    file: Annotated[Path, typer.Argument(help="The changed rule (YAML).")],
    top: Annotated[int, typer.Option(help="Show the TOP cases that move most.")] = 20,
    team: TeamOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Which cases FILE would move up or down, and by how much; nothing is saved."""
    text = _read_rule(file)
    opened = open_workspace(workspace)
    try:
        moves = preview(opened.engine, text, file.name, team_id=_team_id(opened, team))
    finally:
        opened.close()
    up = sum(move.places > 0 for move in moves)
    down = sum(move.places < 0 for move in moves)
    console.print(f"{file.name} would move {up:,} cases up and {down:,} down; "
                  f"{len(moves) - up - down:,} keep their place.")  # fmt: skip
    table = Table("case", "rank now", "rank then", "moves", "points now", "points then",
                  box=None)  # fmt: skip
    for move in [move for move in moves if move.places][:top]:
        arrow = f"up {move.places:,}" if move.places > 0 else f"down {-move.places:,}"
        table.add_row(str(move.case_id), f"{move.old_rank:,}", f"{move.new_rank:,}", arrow,
                      f"{move.old_score:g}", f"{move.new_score:g}")  # fmt: skip
    if up or down:
        console.print(table)
    console.print(f"Save it with `kinfold rule save {file}`.")


@command("save", on=rule_app)
def rule_save(
    file: Annotated[Path, typer.Argument(help="The rule to put in force (YAML).")],
    note: Annotated[str | None, typer.Option(help="Why it changed, for the history.")] = None,
    team: TeamOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Check FILE and put it in force as a new version (of a team's own rule, with
    --team), then re-order the cases."""
    text = _read_rule(file)
    opened = open_workspace(workspace)
    try:
        version = save_rule(opened.engine, text, actor(), file.name, note, _team_id(opened, team))
        refreshed = refresh(opened.engine, opened.settings, actor())
    finally:
        opened.close()
    console.print(f"Saved {file.name} as version {version} of the priority rule.")
    print_prioritised(refreshed.ranked)


def _team_id(opened: Workspace, team: str | None) -> int | None:
    if team is None:
        return None
    with opened.engine.connect() as conn:
        found = {name: id for id, name in rule_teams(conn)}
    if team not in found:
        raise KinfoldError(f"There is no team '{team}'.",
                           f"The teams are: {', '.join(found) or 'none yet'}.")  # fmt: skip
    return found[team]


def _read_rule(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise KinfoldError(f"The rule file {file} cannot be read ({error}).") from error
