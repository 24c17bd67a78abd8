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
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from bench.common import machine, median, record, run_measured
from bench.import_speed import make_file

KINFOLD = str(Path(sys.executable).with_name("kinfold"))
STAGE = re.compile(r"([A-Z][a-z ]+?) ([0-9.]+) s")
PLAIN = re.compile(r"plain Splink ([0-9.]+) s")


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


def plain_splink(path: Path, limit: float) -> float | None:
    """Seconds plain Splink takes on the same file, in its own process; None when it was
    stopped at `limit` seconds."""
    command = [sys.executable, "-m", "bench.plain_splink", str(path)]
    try:
        run = subprocess.run(command, check=True, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return None
    return float(PLAIN.search(run.stdout).group(1))  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--plain-limit", type=float, default=1800,
                        help="stop plain Splink after this many seconds")  # fmt: skip
    options = parser.parse_args()
    path = make_file(options.items)
    times, peaks, plains, all_stages = [], [], [], []
    headline = ""
    for attempt in range(1, options.runs + 1):
        seconds, peak, stages, headline = kinfold_fold(path)
        plain = plain_splink(path, options.plain_limit)
        times.append(seconds)
        peaks.append(peak)
        plains.append(plain if plain is not None else options.plain_limit)
        all_stages.append(stages)
        print(f"run {attempt}: fold {seconds:.1f} s (peak {peak:.0f} MB); plain Splink "
              f"{_plain_text(plain, options.plain_limit)}; {stages}")  # fmt: skip
    seconds, plain, peak = median(times), median(plains), max(peaks)
    stopped = all(value >= options.plain_limit for value in plains)
    plain_cell = _plain_text(None if stopped else plain, options.plain_limit)
    ratio = f"under {seconds / plain:.2f}x" if stopped else f"{seconds / plain:.2f}x"
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
memory of the whole process tree. Plain Splink runs on the same file after each fold,
in its own process, stopped after {options.plain_limit:.0f} s. Result: {headline.strip()}.

| stage | time (median) |
| --- | --- |
{stage_rows}
| **whole fold** | **{seconds:.1f} s**, peak {peak:.0f} MB |
| plain Splink person linkage alone (`bench/plain_splink.py`) | {plain_cell} |
| ratio fold / plain Splink | {ratio} |

Targets: at most {limit_s} s and {limit_mb:,} MB, and at most 2x plain Splink.
**{"met" if met else "NOT met"}** (runs: {", ".join(f"{t:.1f}" for t in times)} s).
""",
    )


def _plain_text(seconds: float | None, limit: float) -> str:
    return f"{seconds:.1f} s" if seconds is not None else f"stopped after {limit:.0f} s"


if __name__ == "__main__":
    main()
