"""Reading a CSV file in pieces, in worker processes, gives exactly what reading it
whole gives: the same items, the same quarantine, the same row numbers."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kinfold.errors import FileFormatError
from kinfold.ingest import building
from kinfold.ingest.csv_pieces import data_start, pieces, read_piece
from kinfold.ingest.importer import import_items
from kinfold.ingest.readers import read_table
from kinfold.store.schema import items, quarantine
from kinfold.workspace import init_workspace
from tests.conftest import postgres_database

HEADER = ["source_ref", "item_type", "received_at", "last_name", "notes", "postcode"]


def awkward_file(path: Path, rows: int = 3_000) -> Path:
    """Quoted newlines and commas, doubled quotes, blank lines, bad and repeated rows."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            note = f'line one\nline "two", {n}' if n % 7 == 0 else f"note {n}"
            received = "31/02/2026" if n % 97 == 0 else "2026-11-01"
            writer.writerow([f"R{n}", "Claim", received, f"Name{n}", note, "ls6 2ab"])
            if n % 500 == 0:
                handle.write("\n")
            if n % 401 == 0:
                writer.writerow([f"R{n}", "Claim", "2026-11-02", "Again", "", ""])
            if n % 333 == 0:
                writer.writerow([f"X{n}", "Claim"])
    return path


def test_pieces_cover_the_file_and_cut_only_between_records(tmp_path: Path) -> None:
    path = awkward_file(tmp_path / "a.csv")
    table = read_table(path)
    assert table.csv_plan is not None
    cuts = list(pieces(table.csv_plan, 4_000))
    assert len(cuts) > 20
    assert cuts[0][0] == data_start(table.csv_plan)
    assert cuts[-1][1] == path.stat().st_size
    assert all(end == start for (_, end), (start, _) in itertools.pairwise(cuts))
    whole = [(row.number, row.values) for row in read_table(path).rows]
    pieced, offset = [], 1
    for start, end in cuts:
        counter = [0]
        pieced += [
            (offset + row.number, row.values)
            for row in read_piece(table.csv_plan, start, end, counter)
        ]
        offset += counter[0]
    assert pieced == whole


def stored(url_folder: Path) -> tuple[list[Any], list[Any]]:
    workspace = init_workspace(url_folder)
    with workspace.engine.connect() as conn:
        found = [
            (row.source_ref, row.last_name, row.notes, row.postcode, row.row_hash)
            for row in conn.execute(select(items).order_by(items.c.source_ref))
        ]
        held = [
            (row.row_number, row.column_name, row.reason, json.loads(row.raw).get("source_ref"))
            for row in conn.execute(select(quarantine).order_by(quarantine.c.row_number))
        ]
    workspace.close()
    return found, held


def test_parallel_import_equals_the_plain_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KINFOLD_DATABASE_URL", raising=False)
    monkeypatch.setattr(building, "PIECE_BYTES", 8_000)
    path = awkward_file(tmp_path / "a.csv")
    results: dict[bool, Any] = {}
    for parallel in (False, True):
        folder = tmp_path / f"parallel-{parallel}"
        workspace = init_workspace(folder)
        first = import_items(workspace.engine, path, "s", parallel=parallel)
        again = import_items(workspace.engine, path, "s", parallel=parallel)
        workspace.close()
        results[parallel] = (first.counts(), again.counts(), stored(folder))
    assert results[True] == results[False]
    counts, repeat, (found, held) = results[True]
    assert counts["read"] == counts["new"] + counts["quarantined"]
    assert repeat["unchanged"] == counts["new"] and repeat["quarantined"] == counts["quarantined"]
    assert len(found) == counts["new"] > 2_900
    reasons = {reason.split(" (")[0].split(":")[0] for _, _, reason, _ in held}
    assert reasons == {
        "received_at",
        "source_ref 'R401' appears again in this file",
        "source_ref 'R802' appears again in this file",
        "source_ref 'R1203' appears again in this file",
        "source_ref 'R1604' appears again in this file",
        "source_ref 'R2005' appears again in this file",
        "source_ref 'R2406' appears again in this file",
        "source_ref 'R2807' appears again in this file",
        "the row has 2 values but the header names 6 columns",
    }


def test_an_unreadable_row_is_named_by_its_number_in_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KINFOLD_DATABASE_URL", raising=False)
    monkeypatch.setattr(building, "PIECE_BYTES", 2_000)
    path = tmp_path / "broken.csv"
    lines = [",".join(HEADER)] + [f"R{n},Claim,2026-11-01,N,x,LS6 2AB" for n in range(400)]
    lines[300] = 'R299,Claim,2026-11-01,N,"bad"quote,LS6 2AB'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    workspace = init_workspace(tmp_path / "w")
    for parallel in (False, True):
        with pytest.raises(FileFormatError, match="row 301 cannot be read"):
            import_items(workspace.engine, path, "s", parallel=parallel)
    workspace.close()


def test_parallel_import_into_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(building, "PIECE_BYTES", 8_000)
    path = awkward_file(tmp_path / "a.csv", rows=1_500)
    monkeypatch.delenv("KINFOLD_DATABASE_URL", raising=False)
    plain_folder = tmp_path / "plain"
    workspace = init_workspace(plain_folder)
    plain = import_items(workspace.engine, path, "s", parallel=False).counts()
    workspace.close()
    with postgres_database() as url:
        monkeypatch.setenv("KINFOLD_DATABASE_URL", url)
        pieced_folder = tmp_path / "pieced"
        workspace = init_workspace(pieced_folder)
        pieced = import_items(workspace.engine, path, "s", parallel=True).counts()
        again = import_items(workspace.engine, path, "s", parallel=True).counts()
        workspace.close()
        assert pieced == plain
        assert (again["new"], again["updated"], again["unchanged"]) == (0, 0, plain["new"])
        pieced_rows = stored(pieced_folder)
    monkeypatch.delenv("KINFOLD_DATABASE_URL")
    assert pieced_rows == stored(plain_folder)
