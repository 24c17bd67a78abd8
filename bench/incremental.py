"""Linking 100 new items into a resolved 100,000-item workspace, without a full resolve.

    .venv/bin/python -m bench.incremental [--items 100000] [--new 100] [--runs 3]

Target (resolve issue): at most 2 s for 100 new items in a 100,000-item workspace. Each
run imports another 100 items (demo rows under new references: people already known,
at homes already known, plus typos of their own) and times only the linking.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.common import machine, median, record
from bench.import_speed import make_file
from kinfold.ingest.importer import import_items
from kinfold.resolve.incremental import link_new_items, new_item_ids
from kinfold.resolve.run import resolve_workspace
from kinfold.settings import Settings
from kinfold.workspace import init_workspace


def new_rows(path: Path, start: int, count: int, out: Path) -> Path:
    """`count` rows of the demo file from row `start`, as items of a new source."""
    with path.open(encoding="utf-8", newline="") as source, out.open("w", newline="") as sink:
        reader, writer = csv.DictReader(source), None
        for number, row in enumerate(reader):
            if number < start:
                continue
            if number >= start + count:
                break
            row["source"], row["source_ref"] = "late", f"LATE-{number}"
            if writer is None:
                writer = csv.DictWriter(sink, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    path = make_file(options.items)
    folder = Path(tempfile.mkdtemp(prefix="kinfold-bench-incremental-"))
    try:
        workspace = init_workspace(folder)
        import_items(workspace.engine, path, "bench", actor="bench")
        resolve_workspace(workspace.engine, Settings(), "bench")
        seconds, outcomes = [], []
        for attempt in range(options.runs):
            file = new_rows(path, attempt * 997, options.new, folder / f"new-{attempt}.csv")
            imported = import_items(workspace.engine, file, "late", actor="bench")
            with workspace.engine.begin() as conn:
                ids = new_item_ids(conn, imported)
                started = time.perf_counter()
                linked = link_new_items(conn, Settings(), ids, "bench")
                seconds.append(time.perf_counter() - started)
            assert linked is not None
            outcomes.append(linked)
            print(f"run {attempt + 1}: {seconds[-1]:.2f} s; {linked}")
        workspace.close()
    finally:
        shutil.rmtree(folder)
    took = median(seconds)
    runs = ", ".join(f"{value:.2f}" for value in seconds)
    joined = sum(linked.joined_people for linked in outcomes)
    total = sum(linked.items for linked in outcomes)
    record(
        "incremental",
        f"""
## Incremental linking of {options.new} new items (`bench/incremental.py`)

{date.today().isoformat()}, {machine()}. A resolved workspace of {options.items:,} demo
items; the time of `link_new_items` only (the import is
timed in `import_speed`), median of {options.runs} runs, each with {options.new} new
items (demo rows under new references). {joined} of {total} new items joined a person
already known.

| | time (median) |
| --- | --- |
| link {options.new} new items | {took:.2f} s |

Target: at most 2 s. **{"met" if took <= 2 else "NOT met"}** (runs: {runs} s).
""",
    )


if __name__ == "__main__":
    main()
