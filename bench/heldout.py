"""People and households found in the held-out council backlog (`bench/council.py`, a
second generator with another error model than the demo's): accuracy against its truth,
time per stage and peak memory of `kinfold fold`, and Splink-alone person linkage on the
same file in the same run.

    .venv/bin/python -m bench.heldout [--items 100000] [--runs 3] [--plain-limit 1800]

Targets (issue 20): people F1 >= 0.99 and households F1 >= 0.995 at 100,000 and at
1,000,000 items (1M within 0.005 of 100k); the 100k fold within 1.5x of Splink alone;
the 1M fold under 5 minutes and 6 GB.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
from datetime import date
from pathlib import Path

from bench.common import OUT, machine, median, record, run_measured
from bench.council import truth_of, write
from bench.fold import KINFOLD, STAGE, _plain_text, plain_splink
from kinfold.resolve.quality import Scores, pairwise_scores


def fold_and_score(path: Path) -> tuple[float, float, dict[str, float], str, Scores, Scores]:
    out = Path(tempfile.mkdtemp(prefix="kinfold-bench-heldout-"))
    try:
        run = run_measured([KINFOLD, "fold", str(path), "--out", str(out)])
        with (out / "items.csv").open(encoding="utf-8") as handle:
            found = {(row["source"], row["source_ref"]): (row["person_id"], row["household_id"])
                     for row in csv.DictReader(handle)}  # fmt: skip
    finally:
        shutil.rmtree(out)
    with truth_of(path).open(encoding="utf-8") as handle:
        truth = {(row["source"], row["source_ref"]): (row["person_id"], row["household_id"])
                 for row in csv.DictReader(handle)}  # fmt: skip
    people = pairwise_scores(
        {k: v[0] for k, v in found.items()}, {k: v[0] for k, v in truth.items()}
    )
    homes = pairwise_scores(
        {k: v[1] for k, v in found.items()}, {k: v[1] for k, v in truth.items()}
    )
    lines = run.output.splitlines()
    headline = next(line for line in lines if "items ->" in line)
    timings = next(line for line in lines if line.startswith("Stages:"))
    stages = {name.strip(): float(seconds) for name, seconds in STAGE.findall(timings)}
    return run.seconds, run.peak_mb, stages, headline.strip(), people, homes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--plain-limit", type=float, default=1800)
    options = parser.parse_args()
    path = write(options.items, OUT / f"council-{options.items}.csv")
    times, peaks, plains, all_stages = [], [], [], []
    people = homes = None
    headline = ""
    for attempt in range(1, options.runs + 1):
        seconds, peak, stages, headline, people, homes = fold_and_score(path)
        plain = plain_splink(path, options.plain_limit)
        times.append(seconds)
        peaks.append(peak)
        plains.append(plain if plain is not None else options.plain_limit)
        all_stages.append(stages)
        print(f"run {attempt}: fold {seconds:.1f} s (peak {peak:.0f} MB); people {people} "
              f"F1 {people.f1:.4f}; households {homes} F1 {homes.f1:.4f}; Splink alone "
              f"{_plain_text(plain, options.plain_limit)}; {stages}", flush=True)  # fmt: skip
    assert people is not None and homes is not None
    seconds, plain, peak = median(times), median(plains), max(peaks)
    stopped = all(value >= options.plain_limit for value in plains)
    ratio = f"under {seconds / plain:.2f}x" if stopped else f"{seconds / plain:.2f}x"
    stage_rows = "\n".join(
        f"| {name} | {median([stages.get(name, 0.0) for stages in all_stages]):.1f} s |"
        for name in all_stages[0]
    )
    record(
        f"heldout_{options.items}",
        f"""
## The held-out council backlog, {options.items:,} items (`bench/heldout.py`)

{date.today().isoformat()}, {machine()}. `bench/council.py` (seed 11): four sources in one
file's `source` column, OCR slips, phonetic spellings, marriage names, moves, shared
family phones and emails; its truth is what the records could tell (a leaver with no
record since leaving is still at home; a household whose move no person's records, phone
or email spans is two). `kinfold fold` in its own process; median of {options.runs}
runs; peak memory of the process tree. Splink alone: `bench/plain_splink.py` (Splink's
documented person deduplication) on the same file after each fold, stopped after
{options.plain_limit:.0f} s. Result: {headline}.

| | precision | recall | F1 |
| --- | --- | --- | --- |
| people | {people.precision:.4f} | {people.recall:.4f} | **{people.f1:.4f}** |
| households | {homes.precision:.4f} | {homes.recall:.4f} | **{homes.f1:.4f}** |

| stage | time (median) |
| --- | --- |
{stage_rows}
| **whole fold** | **{seconds:.1f} s**, peak {peak:.0f} MB |
| Splink alone (person linkage) | {_plain_text(None if stopped else plain, options.plain_limit)} |
| ratio fold / Splink alone | {ratio} |

Runs: {", ".join(f"{t:.1f}" for t in times)} s. Targets: people F1 >= 0.99, households
F1 >= 0.995; at 100,000 items within 1.5x of Splink alone; at 1,000,000 under 300 s and
6,144 MB.
""",
    )


if __name__ == "__main__":
    main()
