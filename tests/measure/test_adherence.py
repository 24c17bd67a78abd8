"""Process adherence on a log whose deviations can be counted by hand.

Twenty claims go Assess then Decide. One goes Decide then Assess, one has no Decide, one
has a Call between the two (one claim in 24: under the 5% that makes a step usual), and
one has Assess and Decide at the same moment (neither order)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinfold.ingest.eventlog import import_event_log
from kinfold.measure.frame import Frame, from_store
from kinfold.measure.kpis import compute, drill
from kinfold.settings import Settings
from kinfold.workspace import Workspace
from tests.conftest import write

TRACES = {
    **{f"C{n:02}": ["Assess", "Decide"] for n in range(20)},
    "SWAP": ["Decide", "Assess"],
    "SHORT": ["Assess"],
    "CALL": ["Assess", "Call", "Decide"],
    "TIE": ["Assess", "Decide"],
}


def frame_of(workspace: Workspace, tmp_path: Path, settings: dict[str, object]) -> Frame:
    lines = ["case_id,activity,resource,timestamp"]
    for case, steps in TRACES.items():
        for hour, step in enumerate(steps):
            hour = 0 if case == "TIE" else hour
            lines.append(f"{case},{step},W1,2026-11-02T{9 + hour:02}:00:00+00:00")
    log = write(tmp_path / "log.csv", "\n".join(lines) + "\n")
    import_event_log(workspace.engine, log, "claims", add_items=True, item_type="Claim")
    return from_store(workspace.engine, Settings.parse(settings))


def adherence(frame: Frame) -> tuple[float | None, dict[int, str]]:
    """The figure, and each non-conforming item's deviations."""
    (figure,) = compute(frame, "all", None, ("Process adherence",)).figures
    columns, rows = drill(frame, "Process adherence", "all")
    item, conforming, named = (columns.index(c) for c in ("item_id", "conforming", "deviations"))
    return figure.value, {row[item]: row[named] for row in rows if not row[conforming]}


def test_a_discovered_model_names_each_deviation(workspace: Workspace, tmp_path: Path) -> None:
    frame = frame_of(workspace, tmp_path, {})
    value, named = adherence(frame)
    by_ref = _by_ref(workspace, named)
    assert by_ref == {
        "SWAP": "Decide before Assess",
        "SHORT": "missing Decide",
        "CALL": "unusual step Call",
    }
    assert value == pytest.approx(21 / 24)  # the twenty, and the tie
    required = frame.sql("SELECT activity FROM model_steps WHERE required ORDER BY activity")
    assert required == [("Assess",), ("Decide",)]
    assert frame.sql("SELECT first, next FROM model_order") == [("Assess", "Decide")]


def test_a_written_model_is_kept_to(workspace: Workspace, tmp_path: Path) -> None:
    models = {"Claim": {"required": ["Assess", "Decide"], "order": [["Assess", "Decide"]],
                        "steps": ["Call"]}}  # fmt: skip
    value, named = adherence(frame_of(workspace, tmp_path, {"process models": models}))
    assert _by_ref(workspace, named) == {
        "SWAP": "Decide before Assess",
        "SHORT": "missing Decide",
    }
    assert value == pytest.approx(22 / 24)


def _by_ref(workspace: Workspace, named: dict[int, str]) -> dict[str, str]:
    """Deviations by the claim's reference in its source."""
    with workspace.engine.connect() as conn:
        refs: dict[int, str] = dict(conn.exec_driver_sql("SELECT id, source_ref FROM items").all())
    return {refs[item]: text for item, text in named.items()}
