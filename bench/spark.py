"""`kinfold fold` and `kinfold kpis` on Spark against DuckDB, same files, same run: time,
peak memory (the whole process tree, the JVM included), and whether the answers agree.

    .venv/bin/python -m bench.spark [--items 20000x3 1000000x1] [--households 5000]
        [--master local[*]]

`--items` gives each size with the number of runs to take the median of.

The fold runs on a canonical CSV of demo items (`bench.import_speed.make_file`); the
measures on a demo workspace of `--households` households. Spark's own settings
(shuffle partitions, driver memory) come from PYSPARK_SUBMIT_ARGS, as docs/spark.md says.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench.common import Run, machine, median, record, run_measured
from bench.fold import STAGE
from bench.import_speed import make_file

KINFOLD = str(Path(sys.executable).with_name("kinfold"))
COMPARED = ("people.csv", "households.csv", "cases.csv")


@dataclass
class Folded:
    run: Run
    stages: dict[str, float]
    digest: str  # of people.csv, households.csv and cases.csv
    people: dict[str, str]  # item (source_ref) -> its person
    households: dict[str, str]  # item -> its household


def fold(path: Path, engine: str, master: str) -> Folded:
    out = Path(tempfile.mkdtemp(prefix="kinfold-bench-spark-"))
    command = [KINFOLD, "fold", str(path), "--out", str(out), "--engine", engine]
    if engine == "spark":
        command += ["--spark-master", master]
    try:
        run = run_measured(command)
        digest = hashlib.sha256(b"".join((out / name).read_bytes() for name in COMPARED))
        with (out / "items.csv").open(encoding="utf-8") as handle:
            items = list(csv.DictReader(handle))
    finally:
        shutil.rmtree(out)
    timings = next(line for line in run.output.splitlines() if line.startswith("Stages:"))
    stages = {name.strip(): float(seconds) for name, seconds in STAGE.findall(timings)}
    return Folded(run, stages, digest.hexdigest(),
                  {item["source_ref"]: item["person_id"] for item in items},
                  {item["source_ref"]: item["household_id"] for item in items})  # fmt: skip


def agreement(a: dict[str, str], b: dict[str, str]) -> float:
    """Of the pairs of items either grouping puts together, the share both do."""
    both = Counter((a[item], b[item]) for item in a)
    together_both = sum(n * (n - 1) // 2 for n in both.values())
    together_a = sum(n * (n - 1) // 2 for n in Counter(a.values()).values())
    together_b = sum(n * (n - 1) // 2 for n in Counter(b.values()).values())
    either = together_a + together_b - together_both
    return together_both / either if either else 1.0


def kpis(folder: Path, engine: str, master: str) -> tuple[Run, list[dict[str, object]]]:
    out = folder / f"kpis-{engine}.json"
    command = [KINFOLD, "kpis", "-w", str(folder), "--engine", engine, "--format", "json",
               "--out", str(out)]  # fmt: skip
    if engine == "spark":
        command += ["--spark-master", master]
    run = run_measured(command)
    figures: list[dict[str, object]] = json.loads(out.read_text())["figures"]
    return run, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", nargs="+", default=["20000x3", "1000000x1"],
                        help="SIZExRUNS: items to fold, runs to take the median of")  # fmt: skip
    parser.add_argument("--households", type=int, default=5_000)
    parser.add_argument("--master", default="local[*]")
    options = parser.parse_args()
    submit = os.environ.get("PYSPARK_SUBMIT_ARGS", "(Spark's defaults)")
    rows = []
    for size in options.items:
        items, _, times = size.partition("x")
        items, times = int(items), int(times or 1)
        path = make_file(items)
        runs: dict[str, list[Folded]] = {"duckdb": [], "spark": []}
        for attempt in range(1, times + 1):
            for engine, done in runs.items():
                folded = fold(path, engine, options.master)
                done.append(folded)
                print(f"{items:,} items, run {attempt}, {engine}: {folded.run.seconds:.1f} s, "
                      f"peak {folded.run.peak_mb:.0f} MB; {folded.stages}", flush=True)  # fmt: skip
        cells = []
        for done in runs.values():
            seconds = median([f.run.seconds for f in done])
            linking = median([f.stages.get("Training the model", 0)
                              + f.stages.get("Scoring pairs", 0) for f in done])  # fmt: skip
            people = len(set(done[0].people.values()))
            peak = max(f.run.peak_mb for f in done)
            cells.append(f"{seconds:.1f} s ({linking:.1f} s linking), {peak:,.0f} MB, "
                         f"{people:,} people")  # fmt: skip
        duck, spark = runs["duckdb"][0], runs["spark"][0]
        same = len({f.digest for done in runs.values() for f in done}) == 1
        ratio = median([f.run.seconds for f in runs["spark"]]) / median(
            [f.run.seconds for f in runs["duckdb"]]
        )
        rows.append(
            f"| {items:,} ({times} run{'s' if times > 1 else ''}) | {cells[0]} | {cells[1]} "
            f"| {ratio:.1f}x | "
            f"{'yes' if same else 'no'}: {agreement(duck.people, spark.people):.4f} of "
            f"people's pairs, {agreement(duck.households, spark.households):.4f} of "
            "households' |"
        )
    kpi_row = _kpi_row(options.households, options.master)
    record(
        "spark",
        f"""
## Spark against DuckDB (`bench/spark.py`)

{date.today().isoformat()}, {machine()}; Spark `{options.master}`, PYSPARK_SUBMIT_ARGS
{submit}. Each command in its own process; the median of the runs; peak memory
of the whole process tree (Spark's JVM included). "Same" compares people.csv,
households.csv and cases.csv byte for byte across every run of both engines; where they
differ, the agreement of the first runs is the share of pairs of items in one person (or
household) by either engine that both engines put together.

| fold of demo items | DuckDB | Spark | Spark / DuckDB | same results; agreement |
| --- | --- | --- | --- | --- |
{chr(10).join(rows)}

{kpi_row}
""",
    )


def _kpi_row(households: int, master: str) -> str:
    from kinfold.demo import generate_demo, load_demo

    folder = Path(tempfile.mkdtemp(prefix="kinfold-bench-spark-kpis-"))
    try:
        generate_demo(folder, households=households, seed=7, today=date(2026, 11, 22))
        load_demo(folder).close()
        duck_run, duck = kpis(folder, "duckdb", master)
        spark_run, on_spark = kpis(folder, "spark", master)
    finally:
        shutil.rmtree(folder)
    agree = sum(
        a["records"] == b["records"] and _close(a["value"], b["value"])
        for a, b in zip(duck, on_spark, strict=True)
    )
    print(f"kpis: duckdb {duck_run.seconds:.1f} s, spark {spark_run.seconds:.1f} s; "
          f"{agree} of {len(duck)} figures agree")  # fmt: skip
    return (
        f"`kinfold kpis` (every measure by month) on a demo of {households:,} households: "
        f"DuckDB {duck_run.seconds:.1f} s, peak {duck_run.peak_mb:,.0f} MB; Spark "
        f"{spark_run.seconds:.1f} s, peak {spark_run.peak_mb:,.0f} MB; {agree} of "
        f"{len(duck)} figures equal (records equal, values within 1e-9)."
    )


def _close(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is b
    assert isinstance(a, float | int) and isinstance(b, float | int)
    return abs(a - b) <= 1e-9 * max(1.0, abs(a))


if __name__ == "__main__":
    main()
