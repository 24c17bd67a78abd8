"""`kinfold fold` and `kinfold kpis` on Spark against DuckDB, same files, same run: time,
peak memory (the whole process tree, the JVM included), and whether the answers agree.

    .venv/bin/python -m bench.spark [--items 20000 100000] [--households 5000] [--runs 3]
        [--master local[*]]

The fold runs on a canonical CSV of demo items (`bench.import_speed.make_file`); the
measures on a demo workspace of `--households` households. Spark's own settings
(shuffle partitions, driver memory) come from PYSPARK_SUBMIT_ARGS, as docs/spark.md says.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from bench.common import Run, machine, median, record, run_measured
from bench.fold import STAGE
from bench.import_speed import make_file

KINFOLD = str(Path(sys.executable).with_name("kinfold"))
COMPARED = ("people.csv", "households.csv", "cases.csv")


def fold(path: Path, engine: str, master: str) -> tuple[Run, dict[str, float], str]:
    """One fold; its run, stage times and a digest of the people, households and cases."""
    out = Path(tempfile.mkdtemp(prefix="kinfold-bench-spark-"))
    command = [KINFOLD, "fold", str(path), "--out", str(out), "--engine", engine]
    if engine == "spark":
        command += ["--spark-master", master]
    try:
        run = run_measured(command)
        digest = hashlib.sha256(b"".join((out / name).read_bytes() for name in COMPARED))
    finally:
        shutil.rmtree(out)
    timings = next(line for line in run.output.splitlines() if line.startswith("Stages:"))
    stages = {name.strip(): float(seconds) for name, seconds in STAGE.findall(timings)}
    return run, stages, digest.hexdigest()


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
    parser.add_argument("--items", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--households", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--master", default="local[*]")
    options = parser.parse_args()
    submit = os.environ.get("PYSPARK_SUBMIT_ARGS", "(Spark's defaults)")
    rows = []
    for items in options.items:
        path = make_file(items)
        runs: dict[str, list[tuple[Run, dict[str, float], str]]] = {"duckdb": [], "spark": []}
        for attempt in range(1, options.runs + 1):
            for engine in runs:
                run, stages, digest = fold(path, engine, options.master)
                runs[engine].append((run, stages, digest))
                print(f"{items:,} items, run {attempt}, {engine}: {run.seconds:.1f} s, "
                      f"peak {run.peak_mb:.0f} MB; {stages}", flush=True)  # fmt: skip
        digests = {digest for done in runs.values() for _, _, digest in done}
        cells = []
        for engine, done in runs.items():
            seconds = median([run.seconds for run, _, _ in done])
            linking = median([stages.get("Training the model", 0) + stages.get("Scoring pairs", 0)
                              for _, stages, _ in done])  # fmt: skip
            peak = max(run.peak_mb for run, _, _ in done)
            cells.append((engine, seconds, linking, peak))
        (_, duck_s, duck_link, _), (_, spark_s, spark_link, _) = cells
        rows.append(
            f"| {items:,} | {duck_s:.1f} s ({duck_link:.1f} s linking), {cells[0][3]:,.0f} MB "
            f"| {spark_s:.1f} s ({spark_link:.1f} s linking), {cells[1][3]:,.0f} MB "
            f"| {spark_s / duck_s:.1f}x | {'yes' if len(digests) == 1 else 'NO'} |"
        )
    kpi_row = _kpi_row(options.households, options.master)
    record(
        "spark",
        f"""
## Spark against DuckDB (`bench/spark.py`)

{date.today().isoformat()}, {machine()}; Spark `{options.master}`, PYSPARK_SUBMIT_ARGS
{submit}. Each command in its own process; median of {options.runs} runs; peak memory
of the whole process tree (Spark's JVM included). "Same" compares people.csv,
households.csv and cases.csv byte for byte across every run of both engines.

| fold of demo items | DuckDB | Spark | Spark / DuckDB | same people, households, cases |
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
