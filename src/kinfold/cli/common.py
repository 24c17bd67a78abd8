"""What every `kinfold` command shares: the app, its consoles and options, and the guard
that shows a domain error as a short message and exit code 1 (here and nowhere else)."""

from __future__ import annotations

import functools
import getpass
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
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
# characters that would act on a terminal rather than be read: control codes (an escape
# sequence in an imported value could clear the screen or rewrite what is shown) and the
# marks that reverse the direction of text
UNSEEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with every character that would act on a terminal written out (\\x1b)."""
    return UNSEEN.sub(_written_out, text)


def _written_out(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


class PlainConsole(Console):
    """A console that shows what it is given as it is: values from imported files reach
    it, so it reads no markup in them ("[bold]") and writes out control characters."""

    def __init__(self, **options: Any) -> None:
        super().__init__(markup=False, **options)

    def render_str(self, text: str, **options: Any) -> Any:
        return super().render_str(visible(text), **options)


console = PlainConsole()
errors = PlainConsole(stderr=True)

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
            errors.print(Text("Error: ", style="bold red") + Text(visible(error.message)),
                         highlight=False)  # fmt: skip
            if error.hint:
                errors.print(error.hint, highlight=False)
            raise typer.Exit(1) from None
        except StatementError as error:  # its text holds the statement's values: not shown
            said = str(getattr(error, "orig", None) or type(error).__name__).splitlines()[0]
            errors.print(Text("Error: ", style="bold red") + Text(visible(
                f"the database refused a statement ({said}); nothing of this command was "
                f"saved ({described(error)}).")), highlight=False)  # fmt: skip
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
