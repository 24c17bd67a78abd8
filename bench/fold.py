"""Import + resolve + fold of demo items with `kinfold fold`: time per stage and peak
memory, against plain Splink person linkage alone on the same items, same run.

    .venv/bin/python -m bench.fold [--items 100000] [--runs 3]

Targets (resolve issue): 100,000 items in at most 45 s and 2 GB; 1,000,000 items in at
most 8 minutes and 8 GB; the whole fold at most twice plain Splink's linkage time.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

import duckdb

from bench.common import machine, median, record, run_measured
from bench.import_speed import make_file
from bench.plain_splink import CANONICAL_SELECT, link

KINFOLD = str(Path(sys.executable).with_name("kinfold"))
STAGE = re.compile(r"([A-Z][a-z ]+?) ([0-9.]+) s")


def kinfold_fold(path: Path) -> tuple[float, float, dict[str, float], str]:
    out = Path(tempfile.mkdtemp(prefix="kinfold-bench-fold-"))
    try:
        run = run_measured([KINFOLD, "fold", str(path), "--out", str(out)])
    finally:
        shutil.rmtree(out)
    headline = next(line for line in run.output.splitlines() if "items ->" in line)
    timings = next(line for line in run.output.splitlines() if line.startswith("Stages:"))
    stages = {name.strip(): float(seconds) for name, seconds in STAGE.findall(timings)}
    return run.seconds, run.peak_mb, stages, headline


def plain_splink(path: Path) -> float:
    connection = duckdb.connect()
    connection.execute(
        f"CREATE TABLE raw AS SELECT row_number() OVER () AS id, * "
        f"FROM read_csv('{path}', header = true, all_varchar = true)"
    )
    connection.execute("CREATE TABLE plain AS " + CANONICAL_SELECT.format(id="id", source="raw"))
    seconds = link(connection, "plain").seconds
    connection.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    path = make_file(options.items)
    times, peaks, plains, all_stages = [], [], [], []
    headline = ""
    for attempt in range(1, options.runs + 1):
        seconds, peak, stages, headline = kinfold_fold(path)
        plain = plain_splink(path)
        times.append(seconds)
        peaks.append(peak)
        plains.append(plain)
        all_stages.append(stages)
        print(f"run {attempt}: fold {seconds:.1f} s (peak {peak:.0f} MB); plain Splink "
              f"{plain:.1f} s; {stages}")  # fmt: skip
    seconds, plain, peak = median(times), median(plains), max(peaks)
    limit_s, limit_mb = (45, 2048) if options.items <= 100_000 else (480, 8192)
    met = seconds <= limit_s and peak <= limit_mb and seconds <= 2 * plain
    stage_rows = "\n".join(
        f"| {name} | {median([stages.get(name, 0.0) for stages in all_stages]):.1f} s |"
        for name in all_stages[0]
    )
    record(
        f"fold_{options.items}",
        f"""
## Fold of {options.items:,} demo items (`bench/fold.py --items {options.items}`)

{date.today().isoformat()}, {machine()}. `kinfold fold` on one canonical CSV in its own
process (import, resolve, fold, write the outputs); median of {options.runs} runs; peak
memory of the whole process tree. Result: {headline.strip()}.

| stage | time (median) |
| --- | --- |
{stage_rows}
| **whole fold** | **{seconds:.1f} s**, peak {peak:.0f} MB |
| plain Splink person linkage alone (`bench/plain_splink.py`) | {plain:.1f} s |
| ratio fold / plain Splink | {seconds / plain:.2f}x |

Targets: at most {limit_s} s and {limit_mb:,} MB, and at most 2x plain Splink.
**{"met" if met else "NOT met"}** (runs: {", ".join(f"{t:.1f}" for t in times)} s).
""",
    )


if __name__ == "__main__":
    main()
