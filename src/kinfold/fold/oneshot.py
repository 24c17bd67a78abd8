"""`kinfold fold`: files in, people, households and cases out, with no workspace to keep.

The files are imported into a temporary workspace, resolved, prioritised under the
default rule, and written out as CSV (ISO dates) with a summary.
"""

from __future__ import annotations

import csv
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from kinfold.errors import KinfoldError
from kinfold.fold.hotspots import find_hotspots
from kinfold.ingest.importer import ImportResult, import_sources, open_source
from kinfold.priority.run import prioritise
from kinfold.resolve.linkage import SparkLinkage
from kinfold.resolve.run import ResolveResult, Stage, resolve_workspace
from kinfold.settings import HotspotSettings, Settings
from kinfold.spark import engine_session
from kinfold.spreadsheet import safe_cell
from kinfold.store.database import migrate, open_engine
from kinfold.store.schema import cases, households, people

ITEM_COLUMNS = ("source", "source_ref", "person_id", "household_id", "case_id",
                "priority_rank", "priority_score", "priority_reasons")  # fmt: skip
PEOPLE_COLUMNS = ("person_id", "first_name", "last_name", "date_of_birth", "household_id",
                  "items")  # fmt: skip
HOUSEHOLD_COLUMNS = ("household_id", "address", "uprn", "postcode", "postcode_sector",
                     "postcode_district", "school", "gp_practice", "people", "basis")  # fmt: skip
CASE_COLUMNS = ("case_id", "household_id", "person_id", "status", "open_items", "priority_rank",
                "priority_score", "harm_by", "next_due", "priority_reasons")  # fmt: skip
HOTSPOT_COLUMNS = ("hotspot_id", "kind", "characteristic", "cases", "people", "items",
                   "people_at_risk", "suggested_response", "case_ids")  # fmt: skip


@dataclass
class FoldResult:
    resolved: ResolveResult
    imports: list[ImportResult]
    out: Path
    seconds: dict[str, float]  # per stage, importing included

    @property
    def quarantined(self) -> int:
        return sum(result.quarantined for result in self.imports)


def fold_files(
    files: Sequence[Path],
    out: Path,
    mapping: Path | None,
    actor: str,
    stage: Stage | None = None,
    engine: str = "duckdb",
    spark_master: str | None = None,
) -> FoldResult:
    """Fold `files` into `out`, linking people with Splink on `engine` (duckdb, or spark
    on `spark_master`)."""
    if not files:
        raise KinfoldError("Name at least one file to fold.")
    if out.exists() and not out.is_dir():
        raise KinfoldError(f"{out} is a file; --out must be a folder.")
    sources = _source_names(files, mapping)
    with (
        tempfile.TemporaryDirectory(prefix="kinfold-fold-") as folder,
        engine_session(engine, spark_master) as spark,
    ):
        # always a private SQLite file, whatever database the user's workspaces use
        store = open_engine(f"sqlite:///{Path(folder) / 'fold.db'}")
        try:
            migrate(store)
            imports = []
            started = time.perf_counter()
            for file, source in zip(files, sources, strict=True):
                if stage is not None:
                    stage(f"Importing {file.name}")
                imports += import_sources(store, file, source, mapping_path=mapping, actor=actor)
            imported = time.perf_counter() - started
            where = SparkLinkage(spark) if spark is not None else None
            resolved = resolve_workspace(store, Settings(), actor, stage, where=where)
            if stage is not None:
                stage("Prioritising")
            prioritised = prioritise(store, actor)
            if stage is not None:
                stage("Writing the results")
            started = time.perf_counter()
            out.mkdir(parents=True, exist_ok=True)
            with store.connect() as conn:
                hotspots = write_outputs(conn, out)
            written = time.perf_counter() - started
        finally:
            store.dispose()
    seconds = {"Importing": imported, **resolved.seconds, "Prioritising": prioritised.seconds,
               "Writing the results": written}  # fmt: skip
    result = FoldResult(resolved, imports, out, {k: round(v, 2) for k, v in seconds.items()})
    summary = {
        "items": resolved.items,
        "people": resolved.people,
        "households": resolved.households,
        "cases": resolved.cases,
        "hotspots": hotspots,
        "quarantined_rows": result.quarantined,
        "links_to_review": resolved.links_to_review,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return result


def write_outputs(conn: Connection, out: Path) -> int:
    """Write the CSV files of a folded workspace; the number of hotspots."""
    _write(out / "items.csv", ITEM_COLUMNS, conn.exec_driver_sql(  # a row per item: plain SQL
        "SELECT i.source, i.source_ref, i.person_id, i.household_id, i.case_id, "
        "c.priority_rank, c.priority_score, c.priority_reasons "
        "FROM items i LEFT JOIN cases c ON c.id = i.case_id ORDER BY i.id"))  # fmt: skip
    _write(out / "people.csv", PEOPLE_COLUMNS, conn.execute(
        select(people.c.id, people.c.first_name, people.c.last_name, people.c.date_of_birth,
               people.c.household_id, people.c.item_count).order_by(people.c.id)))  # fmt: skip
    _write(out / "households.csv", HOUSEHOLD_COLUMNS, conn.execute(
        select(households.c.id, households.c.address, households.c.uprn, households.c.postcode,
               households.c.postcode_sector, households.c.postcode_district,
               households.c.school, households.c.gp_practice, households.c.person_count,
               households.c.basis)
        .order_by(households.c.id)))  # fmt: skip
    _write(out / "cases.csv", CASE_COLUMNS, conn.execute(
        select(cases.c.id, cases.c.household_id, cases.c.person_id, cases.c.status,
               cases.c.open_items, cases.c.priority_rank, cases.c.priority_score,
               cases.c.harm_by, cases.c.next_due, cases.c.priority_reasons)
        .where(cases.c.status != "merged").order_by(cases.c.id)))  # fmt: skip
    found = find_hotspots(conn, HotspotSettings())
    _write(out / "hotspots.csv", HOTSPOT_COLUMNS, (
        (h.hotspot_id, h.kind, h.characteristic, len(h.case_ids), h.people, h.items,
         h.people_at_risk, h.suggested_response, ";".join(map(str, h.case_ids)))
        for h in found))  # fmt: skip
    return len(found)


def _write(path: Path, header: Sequence[str], rows: Any) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        width = len(header)
        for row in rows:
            values = [safe_cell(value) for value in row]
            writer.writerow(values + [""] * (width - len(values)))


def _source_names(files: Sequence[Path], mapping: Path | None) -> list[str | None]:
    """Each file's source: None when its rows name theirs (a `source` column, split by
    it), else the file's name without the extension, numbered if repeated."""
    names: list[str | None] = []
    for file in files:
        if not file.is_file():
            raise KinfoldError(f"{file} does not exist or is not a file.")
        _, bound = open_source(file, mapping)
        if "source" in bound.rules or bound.source:
            names.append(None)
            continue
        name, number = file.stem, 2
        while name in names:
            name, number = f"{file.stem}-{number}", number + 1
        names.append(name)
    return names
