"""`kinfold init`, `import`, `quarantine`, `status`, `demo`, `resolve`, `fold`,
`prioritise` and `hotspots`: a workspace, what comes into it, and what is made of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kinfold import clock
from kinfold.allocate.backlog import refresh
from kinfold.cli.common import (
    EngineOption,
    SparkMasterOption,
    WorkspaceOption,
    actor,
    command,
    console,
    errors,
    iso_date,
    print_prioritised,
    warn_unrouted,
)
from kinfold.demo import generate_demo, load_demo
from kinfold.errors import KinfoldError
from kinfold.fold.hotspots import KINDS as HOTSPOT_KINDS
from kinfold.fold.hotspots import find_hotspots
from kinfold.fold.oneshot import fold_files
from kinfold.ingest.eventlog import import_event_log
from kinfold.ingest.importer import ImportResult
from kinfold.ingest.workforce import KINDS, import_workforce
from kinfold.intake import Intake, import_and_place, resolve_and_refresh
from kinfold.resolve.run import ResolveResult
from kinfold.status import workspace_status
from kinfold.store import items as item_store
from kinfold.workspace import Workspace, init_workspace, open_workspace


@command()
def init(
    folder: Annotated[Path, typer.Argument(help="Folder for the new workspace.")],
    name: Annotated[str | None, typer.Option(help="A name for the workspace.")] = None,
) -> None:
    """Create a workspace (or bring an existing one's database up to date)."""
    workspace = init_workspace(folder, name)
    console.print(f"Workspace '{workspace.name}' is ready at {folder.resolve()}.")
    workspace.close()


@command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX, JSON, JSON Lines or XES file.")],
    source: Annotated[
        str | None,
        typer.Option(
            help="The source system the items come from, e.g. benefits; a file with a "
            "source column is split by it instead."
        ),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="YAML mapping for a file not in kinfold's columns.")
    ] = None,
    sheet: Annotated[
        str | None, typer.Option(help="XLSX: the sheet to read (default: the first).")
    ] = None,
    kind: Annotated[
        str, typer.Option(help=f"What the file holds: items, {', '.join(KINDS)}.")
    ] = "items",
    add_items: Annotated[
        bool, typer.Option(help="Events: make an item of each case not yet in the workspace.")
    ] = False,
    item_type: Annotated[
        str | None, typer.Option(help="Events: the item type of cases made items.")
    ] = None,
    end_activity: Annotated[
        list[str] | None, typer.Option(help="Events: an activity that finishes a case.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Import a file of items (or an event log, workers, skills, roster, QA checks)."""
    if kind not in ("items", "events") and (source or mapping or sheet):
        raise KinfoldError(
            f"--source, --mapping and --sheet are for items and events; a {kind} file has "
            "fixed columns.",
            "See docs/import.md for the columns of each kind of file.",
        )
    if kind != "events" and (add_items or item_type or end_activity):
        raise KinfoldError("--add-items, --item-type and --end-activity are for event logs.")
    opened = open_workspace(workspace)
    linked = refreshed = None
    try:
        if kind == "items":
            intake = _import_with_progress(opened, file, source, mapping, sheet)
            results, linked, refreshed = intake.imported, intake.linked, intake.refreshed
        elif kind == "events":
            results = [import_event_log(
                opened.engine, file, source, mapping_path=mapping, add_items=add_items,
                item_type=item_type, end_activities=end_activity or (), actor=actor(),
            )]  # fmt: skip
        else:
            results = [import_workforce(opened.engine, file, kind, actor=actor())]
    finally:
        opened.close()
    for result in results:
        _print_import(result)
    if linked is not None:
        console.print(
            f"Linked {linked.items:,} new items: {linked.joined_people:,} to people already "
            f"known, the rest to {linked.new_people:,} new people; {linked.new_cases:,} new "
            "cases, all in the priority order. Run `kinfold resolve` to re-link everything."
        )
    if refreshed is not None:
        warn_unrouted(refreshed)


def _import_with_progress(
    opened: Workspace, file: Path, source: str | None, mapping: Path | None, sheet: str | None
) -> Intake:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(
        *columns,
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    ) as progress:
        task = progress.add_task(f"Importing {file.name}", total=None)
        return import_and_place(
            opened.engine,
            opened.settings,
            file,
            source,
            mapping_path=mapping,
            sheet=sheet,
            actor=actor(),
            progress=lambda rows: progress.advance(task, rows),
            total=lambda rows: progress.update(task, total=rows),
        )


def _print_import(result: ImportResult) -> None:
    counts = result.counts()
    console.print(
        f"Imported {result.file_name} as {result.kind} from '{result.source}' "
        f"(import {result.import_id})" + (f": {'; '.join(result.notes)}" if result.notes else "")
    )
    console.print(" · ".join(f"{name} {number:,}" for name, number in counts.items()))
    if result.quarantined:
        console.print(
            f"{result.quarantined:,} row{'s' if result.quarantined != 1 else ''} went to "
            f"quarantine: see `kinfold quarantine --source {result.source}`."
        )


@command()
def quarantine(
    source: Annotated[str | None, typer.Option(help="Only this source (or kind).")] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many rows.")] = 200,
    workspace: WorkspaceOption = None,
) -> None:
    """List the rows that could not be imported, with file, row, column and reason."""
    opened = open_workspace(workspace)
    with opened.engine.connect() as conn:
        rows = item_store.quarantined(conn, source, limit)
        total = item_store.quarantine_count(conn, source)
    opened.close()
    if not rows:
        console.print("Nothing is in quarantine.")
        return
    console.print(f"Quarantine: {total:,} row{'s' if total != 1 else ''}", style="bold")
    for row in rows:
        where = f"{row.file_name}, row {row.row_number:,}"
        if row.column_name:
            where += f", column {row.column_name}"
        console.print(f"{row.source}: {where}: {row.reason}", highlight=False, soft_wrap=True)
    if total > len(rows):
        console.print(f"Showing {len(rows):,} of {total:,}; use --limit to see more.")


@command()
def status(workspace: WorkspaceOption = None) -> None:
    """Items per source, open and closed, and how fresh each source is."""
    opened = open_workspace(workspace)
    figures = workspace_status(opened.engine, clock.now())
    opened.close()
    console.print(f"Workspace '{opened.name}' at {opened.path.resolve()}")
    table = Table()
    for heading in ("source", "items", "open", "closed", "last import"):
        table.add_column(
            heading, justify="right" if heading in ("items", "open", "closed") else "left"
        )
    freshness = []
    for source in figures.sources:
        age = clock.ago(source.last_import_at, figures.as_of) if source.last_import_at else "never"
        freshness.append(f"{source.source}: {age}")
        imported = f"{age} ({source.last_file})" if source.last_import_at else age
        table.add_row(
            source.source, f"{source.items:,}", f"{source.open:,}", f"{source.closed:,}", imported
        )
    table.add_row(
        "all", f"{figures.items:,}", f"{figures.open:,}", f"{figures.closed:,}", "", style="bold"
    )
    console.print(table)
    console.print("Freshness: " + " · ".join(freshness))
    team = figures.workforce
    console.print(
        f"Quarantine: {figures.quarantined:,} rows · Workers: {team['workers']:,} in "
        f"{team['teams']:,} teams · Roster days: {team['roster_days']:,} · "
        f"Work events: {team['work_events']:,} · QA checks: {team['qa_checks']:,} · "
        f"Event log: {figures.events:,} entries"
    )


@command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder to write the demo files into.")],
    households: Annotated[int, typer.Option(min=1, help="How many households.")] = 1_500,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same data.")] = 7,
    as_of: Annotated[
        str | None, typer.Option(help="The demo's today, as YYYY-MM-DD (default: today).")
    ] = None,
    load: Annotated[
        bool, typer.Option(help="Also make OUT a workspace with it all imported.")
    ] = False,
) -> None:
    """Write a realistic council backlog, its team and its ground truth."""
    today = iso_date(as_of) if as_of else clock.now().date()
    summary = generate_demo(out, households, seed, today)
    console.print(
        f"Wrote {summary.total_items:,} items ("
        + ", ".join(f"{source} {count:,}" for source, count in summary.items.items())
        + f") about {summary.households:,} households to {out}; "
        f"{summary.workers} workers, {summary.events:,} work events, "
        f"{summary.qa_checks:,} QA checks; truth in truth.csv."
    )
    if load:
        workspace = load_demo(out, actor=actor(), on_import=_print_import)
        workspace.close()
        console.print(f"{out} is now a workspace: try `kinfold status -w {out}`.")


@command()
def resolve(workspace: WorkspaceOption = None) -> None:
    """Find the people the items are about, their households, and fold them into cases."""
    opened = open_workspace(workspace)
    try:
        with _stages() as stage:
            result, refreshed = resolve_and_refresh(opened.engine, opened.settings, actor(), stage)
    finally:
        opened.close()
    _print_resolved(result)
    print_prioritised(refreshed.ranked)
    warn_unrouted(refreshed)


@command()
def fold(
    files: Annotated[list[Path], typer.Argument(help="CSV, XLSX, JSON or JSON Lines files.")],
    out: Annotated[Path, typer.Option(help="Folder to write the results into.")],
    mapping: Annotated[
        Path | None, typer.Option(help="YAML mapping for files not in kinfold's columns.")
    ] = None,
    engine: EngineOption = "duckdb",
    spark_master: SparkMasterOption = None,
) -> None:
    """Fold files of items into people, households and cases, without a workspace."""
    with _stages() as stage:
        result = fold_files(files, out, mapping, actor(), stage, engine, spark_master)
    for imported in result.imports:
        _print_import(imported)
    _print_resolved(result.resolved)
    console.print(
        "Stages: "
        + " · ".join(f"{name} {seconds:.1f} s" for name, seconds in result.seconds.items()),
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"Wrote items, people, households, cases, hotspots and a summary to {out}.")


@contextmanager
def _stages() -> Iterator[Callable[[str], None]]:
    """A progress line per stage: the one running, and each finished one with its time."""
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, disable=not errors.is_terminal) as progress:
        running: list[Any] = []

        def stage(name: str) -> None:
            for task in running:
                progress.update(task, total=1, completed=1)
            running[:] = [progress.add_task(name, total=None)]

        yield stage
        for task in running:
            progress.update(task, total=1, completed=1)


def _print_resolved(result: ResolveResult) -> None:
    console.print(result.headline, style="bold")
    changes = []
    if result.merged_cases:
        changes.append(f"{result.merged_cases:,} cases took in others")
    if result.split_cases:
        changes.append(f"{result.split_cases:,} cases were split")
    if changes:
        console.print("Since the last resolve: " + "; ".join(changes) + " (see the event log).")
    if result.links_to_review:
        console.print(
            f"{result.links_to_review:,} uncertain links are waiting for review: "
            "see `kinfold review`."
        )


@command("prioritise")
def prioritise_command(
    top: Annotated[int, typer.Option(help="Show the first TOP cases.")] = 10,
    workspace: WorkspaceOption = None,
) -> None:
    """Score and order every open case under the priority rule in force."""
    opened = open_workspace(workspace)
    try:
        refreshed = refresh(opened.engine, opened.settings, actor())
    finally:
        opened.close()
    print_prioritised(refreshed.ranked, top)
    warn_unrouted(refreshed)


@command()
def hotspots(
    kind: Annotated[
        str | None, typer.Option(help=f"Only one kind: {', '.join(HOTSPOT_KINDS)}.")
    ] = None,
    top: Annotated[int, typer.Option(help="Show at most this many.")] = 30,
    workspace: WorkspaceOption = None,
) -> None:
    """Groups of open cases where one response can help many, with what to do."""
    if kind is not None and kind not in HOTSPOT_KINDS:
        raise KinfoldError(f"'{kind}' is not a kind of hotspot.",
                           f"The kinds are: {', '.join(HOTSPOT_KINDS)}.")  # fmt: skip
    opened = open_workspace(workspace)
    try:
        settings = opened.settings.hotspots
        with opened.engine.connect() as conn:
            found = [h for h in find_hotspots(conn, settings) if kind in (None, h.kind)]
    finally:
        opened.close()
    if not found:
        console.print("No hotspots among the open cases." + (
            "" if kind is None else f" (kind: {kind})"))  # fmt: skip
        return
    table = Table("#", "what the cases share", "cases", "people", "items", "at risk",
                  "suggested response", box=None)  # fmt: skip
    for hotspot in found[:top]:
        table.add_row(str(hotspot.hotspot_id), hotspot.characteristic,
                      f"{len(hotspot.case_ids):,}", f"{hotspot.people:,}",
                      f"{hotspot.items:,}", f"{hotspot.people_at_risk:,}",
                      hotspot.suggested_response)  # fmt: skip
    console.print(table)
    if len(found) > top:
        console.print(f"Showing {top} of {len(found):,} hotspots: see --top and --kind.")
