"""The changes that bring work in, each as one transaction: killed at any moment, the
store is as it was before or as it is after, never between.

- An import of items: its rows, the new items placed among people, households and cases
  (when the workspace has been resolved), and every backlog routed and re-ranked.
- A full resolve: people, households and cases linked again, then every backlog routed
  and re-ranked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from kinfold.allocate.backlog import Refreshed, refresh_in
from kinfold.ingest.importer import ImportResult, Progress, import_sources
from kinfold.resolve.incremental import LinkedNew, link_new_items, new_item_ids
from kinfold.resolve.run import ResolveResult, Stage, resolve_workspace
from kinfold.settings import Settings
from kinfold.store.database import analyse

CHANGED = ("items", "people", "households", "cases", "links")  # what an intake rewrites


@dataclass
class Intake:
    imported: list[ImportResult]  # one import per source the file holds
    linked: LinkedNew | None = None  # None when the workspace was never resolved
    refreshed: Refreshed | None = None


def import_and_place(
    engine: Engine,
    settings: Settings,
    path: Path,
    source: str | None = None,
    *,
    actor: str,
    mapping_path: Path | None = None,
    sheet: str | None = None,
    progress: Progress | None = None,
    total: Callable[[int | None], None] | None = None,
) -> Intake:
    """Import a file of items (of one source, or of each source its `source` column
    names) and place its new items in the backlog, in one transaction."""
    placed: dict[str, Any] = {}

    def place(conn: Connection, results: list[ImportResult]) -> None:
        new = [item_id for result in results for item_id in new_item_ids(conn, result)]
        linked = link_new_items(conn, settings, new, actor)
        if linked is not None:
            placed["linked"] = linked
            placed["refreshed"] = refresh_in(conn, settings, actor)

    imported = import_sources(engine, path, source, mapping_path=mapping_path, sheet=sheet,
                            actor=actor, progress=progress, total=total, then=place)  # fmt: skip
    analyse(engine, *CHANGED)
    return Intake(imported, **placed)


def resolve_and_refresh(
    engine: Engine, settings: Settings, actor: str, stage: Stage | None = None
) -> tuple[ResolveResult, Refreshed]:
    """Resolve the whole workspace and re-rank every backlog, in one transaction."""
    refreshed: list[Refreshed] = []

    def rank(conn: Connection) -> None:
        if stage is not None:
            stage("Prioritising")
        refreshed.append(refresh_in(conn, settings, actor))

    result = resolve_workspace(engine, settings, actor, stage, then=rank)
    analyse(engine, *CHANGED)
    return result, refreshed[0]
