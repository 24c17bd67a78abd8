"""What every `kinfold` command shares: the app, its consoles and options, and the guard
that shows a domain error as a short message and exit code 1 (here and nowhere else)."""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import StatementError

from kinfold import __version__, clock
from kinfold.allocate.backlog import Refreshed
from kinfold.allocate.routing import NO_TEAM
from kinfold.errors import KinfoldError
from kinfold.logs import described
from kinfold.priority.run import Prioritised
from kinfold.priority.score import harm_words

app = typer.Typer(
    help="kinfold: a backlog of things to do, turned into people to help.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="The workspace folder (default: $KINFOLD_WORKSPACE, else the current folder).",
        show_default=False,
    ),
]
EngineOption = Annotated[
    str, typer.Option(help="Where the work runs: duckdb (this process) or spark (docs/spark.md).")
]
SparkMasterOption = Annotated[
    str | None,
    typer.Option(help="With --engine spark: the cluster's master URL (default: local[*])."),
]


def guarded(function: F) -> F:
    """Show a domain error as a message and exit code 1, not a traceback."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except KinfoldError as error:
            errors.print(f"[bold red]Error:[/] {error.message}", highlight=False)
            if error.hint:
                errors.print(error.hint, highlight=False)
            raise typer.Exit(1) from None
        except StatementError as error:  # its text holds the statement's values: not shown
            said = str(getattr(error, "orig", None) or type(error).__name__).splitlines()[0]
            errors.print(f"[bold red]Error:[/] the database refused a statement "
                         f"({escape(said)}); nothing of this command was saved "
                         f"({described(error)}).", highlight=False)  # fmt: skip
            raise typer.Exit(1) from None

    return cast(F, run)


def command(name: str | None = None, on: typer.Typer | None = None) -> Callable[[F], F]:
    """Register a guarded command on the app (or on one of its groups)."""

    def register(function: F) -> F:
        (on or app).command(name)(guarded(function))
        return function

    return register


def actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def when(moment: Any) -> str:
    """`22 November 2026, 14:05` (UTC)."""
    moment = clock.as_utc(moment)
    return f"{moment.day} {moment:%B %Y, %H:%M}"


def check_format(given: str, formats: tuple[str, ...]) -> None:
    """Refuse an output format the command does not write."""
    if given not in formats:
        raise KinfoldError(f"'{given}' is not a format.", f"Choose one of: {', '.join(formats)}.")


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise KinfoldError(f"'{text}' is not a date in the form YYYY-MM-DD.") from error


def version_callback(value: bool) -> None:
    if value:
        console.print(f"kinfold {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """kinfold: a backlog of things to do, turned into people to help."""


def warn_unrouted(refreshed: Refreshed) -> None:
    unrouted = refreshed.teams.get(NO_TEAM, 0)
    if unrouted and set(refreshed.teams) != {NO_TEAM}:
        errors.print(
            f"{unrouted:,} open cases are in no team's backlog: give kinfold.yaml `routing` "
            "a default team (see docs/allocate.md).",
            highlight=False,
        )


def print_prioritised(ranked: Prioritised, top: int = 0) -> None:
    console.print(
        f"{ranked.cases:,} open cases in order under priority rule version {ranked.rule_version}."
    )
    if not top or not ranked.ranked:
        return
    today = clock.now().date()
    table = Table("rank", "case", "points", "harm horizon", "reasons", box=None)
    for place, priority in enumerate(ranked.ranked[:top], start=1):
        table.add_row(str(place), str(priority.case_id), f"{priority.score:g}",
                      harm_words(priority.harm_by, today), priority.reasons_text())  # fmt: skip
    console.print(table)
