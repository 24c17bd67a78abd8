"""Spark: `kinfold fold --engine spark` links the demo's people as DuckDB does, and
`kinfold kpis --engine spark` computes the demo's measures as DuckDB does."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from kinfold.demo.files import DemoSummary
from kinfold.workspace import Workspace
from tests.test_cli import run

FOLDED = ("people.csv", "households.csv", "cases.csv", "items.csv", "summary.json")


@pytest.mark.one_run  # a fold keeps its store in a file of its own, whatever the run
def test_fold_on_spark_finds_the_people_and_households_duckdb_finds(
    demo_files: DemoSummary, tmp_path: Path, spark: Any
) -> None:
    claims = str(demo_files.out / "benefits.csv")
    code, said = run("fold", claims, "--out", str(tmp_path / "duckdb"))
    assert code == 0, said
    code, said = run("fold", claims, "--out", str(tmp_path / "spark"), "--engine", "spark")
    assert code == 0, said
    summary = json.loads((tmp_path / "spark" / "summary.json").read_text())
    assert summary["items"] == 565
    assert 200 < summary["people"] < summary["items"]  # records were joined into people
    assert summary["households"] < summary["people"]  # and people into households
    for name in FOLDED:
        spark_text = (tmp_path / "spark" / name).read_text(encoding="utf-8")
        assert spark_text == (tmp_path / "duckdb" / name).read_text(encoding="utf-8"), name


@pytest.mark.one_run  # on the PostgreSQL run: the measures read from PostgreSQL
def test_the_measures_on_spark_equal_duckdbs(
    demo_workspace: Workspace, tmp_path: Path, spark: Any
) -> None:
    folder = str(demo_workspace.path)
    figures = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / f"{engine}.json"
        code, said = run("kpis", "-w", folder, "--engine", engine, "--format", "json",
                         "--out", str(out))  # fmt: skip
        assert code == 0, said
        figures[engine] = {
            (f["measure"], f["period"], f["group"]): f
            for f in json.loads(out.read_text())["figures"]
        }
    duckdb, on_spark = figures["duckdb"], figures["spark"]
    assert len(duckdb) >= 30
    assert on_spark.keys() == duckdb.keys()
    for key, figure in duckdb.items():
        other = on_spark[key]
        assert other["records"] == figure["records"], key
        assert same(other["value"], figure["value"]), (key, figure["value"], other["value"])
        assert other["details"].keys() == figure["details"].keys(), key
        for name, value in figure["details"].items():
            assert same(other["details"][name], value), (key, name, value)
    assert any(f["value"] for f in duckdb.values())  # the figures are not all empty


def same(x: float | None, y: float | None) -> bool:
    """Equal, up to the order sums are added in."""
    if x is None or y is None:
        return x is y
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.one_run
def test_an_engine_is_named_and_spark_options_go_with_spark(
    demo_files: DemoSummary, tmp_path: Path
) -> None:
    claims = str(demo_files.out / "benefits.csv")
    code, said = run("fold", claims, "--out", str(tmp_path / "out"), "--engine", "hadoop")
    assert code != 0 and "'hadoop' is not an engine" in said and "duckdb, spark" in said
    code, said = run("fold", claims, "--out", str(tmp_path / "out"),
                     "--spark-master", "spark://cluster:7077")  # fmt: skip
    assert code != 0 and "--spark-master is for --engine spark" in said
    assert not (tmp_path / "out").exists()
