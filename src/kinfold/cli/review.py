"""`kinfold review`: the links kinfold was unsure of, confirmed, split or merged."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from kinfold.cli.common import (
    WorkspaceOption,
    actor,
    app,
    command,
    console,
    guarded,
)
from kinfold.resolve.review import decide, review_queue
from kinfold.workspace import open_workspace

review_app = typer.Typer(
    help="Review the links kinfold was unsure of: confirm, split, or merge.",
    invoke_without_command=True,
)
app.add_typer(review_app, name="review")


@review_app.callback()
@guarded
def review(
    context: typer.Context,
    limit: Annotated[int, typer.Option(help="Show at most this many links.")] = 20,
    workspace: WorkspaceOption = None,
) -> None:
    """List the review queue: the uncertain links whose answer would change cases most,
    first."""
    if context.invoked_subcommand is not None:
        return
    opened = open_workspace(workspace)
    with opened.engine.begin() as conn:
        found = review_queue(conn, actor(), limit)
    opened.close()
    if not found:
        console.print("No links are waiting for review.")
        return
    for link in found:
        together = "put together" if link.joined else "kept apart"
        console.print(f"Link {link.link_id}: {link.probability:.0%} sure, {together}", style="bold")
        for item in (link.item, link.other):
            console.print(
                f"  {item.ref} · {item.name} · born {item.date_of_birth or 'unknown'} · "
                f"{item.address} · person {item.person_id}",
                highlight=False,
            )
        console.print("  " + "; ".join(link.reasons), highlight=False)
    console.print(
        "Decide with `kinfold review confirm LINK`, `kinfold review split LINK`, or "
        "`kinfold review merge SOURCE:REF SOURCE:REF`; decisions apply from the next resolve."
    )


def _decide(workspace: Path | None, action: str, **target: Any) -> None:
    opened = open_workspace(workspace)
    try:
        with opened.engine.begin() as conn:
            item, other = decide(conn, action, actor(), **target)
    finally:
        opened.close()
    verdict = "the same person" if action != "split" else "different people"
    console.print(
        f"Recorded: {item.ref} and {other.ref} are {verdict}. Run `kinfold resolve` to apply it."
    )


@command("confirm", on=review_app)
def review_confirm(
    link: Annotated[int, typer.Argument(help="The link's number, from `kinfold review`.")],
    workspace: WorkspaceOption = None,
) -> None:
    """The two items of LINK are about the same person."""
    _decide(workspace, "confirm", link_id=link)


@command("split", on=review_app)
def review_split(
    link: Annotated[int, typer.Argument(help="The link's number, from `kinfold review`.")],
    workspace: WorkspaceOption = None,
) -> None:
    """The two items of LINK are about different people."""
    _decide(workspace, "split", link_id=link)


@command("merge", on=review_app)
def review_merge(
    item: Annotated[str, typer.Argument(help="One item, as SOURCE:REF.")],
    other: Annotated[str, typer.Argument(help="The other item, as SOURCE:REF.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Two items kinfold kept apart are about the same person."""
    _decide(workspace, "merge", refs=(item, other))
