"""Shared by the benchmarks: the machine, timing a command in its own process, results file."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

BENCH = Path(__file__).parent
OUT = BENCH / "out"
RESULTS = BENCH / "RESULTS.md"


def machine() -> str:
    memory = psutil.virtual_memory().total / 2**30
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{os.cpu_count()} cores, {memory:.0f} GiB memory, {python}, {platform.system()}"


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float  # the largest resident memory of the process and all it started, together
    output: str


def run_measured(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Run `command`; its wall time and the peak memory of its whole process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    peak = 0
    tree = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            members = [tree, *tree.children(recursive=True)]
            peak = max(peak, sum(member.memory_info().rss for member in members))
        except psutil.Error:
            pass
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    assert process.stdout is not None
    output = process.stdout.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output}")
    return Run(seconds, peak / 2**20, output)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def record(section: str, text: str) -> None:
    """Replace (or add) one benchmark's section of RESULTS.md."""
    start, end = f"<!-- {section} -->", f"<!-- /{section} -->"
    block = f"{start}\n{text.strip()}\n{end}"
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
    if pattern.search(current):
        updated = pattern.sub(lambda _: block, current)
    else:
        updated = current.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(updated, encoding="utf-8")
