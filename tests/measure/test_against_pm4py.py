"""kinfold's figures equal pm4py's on a slice of a real log (BPI Challenge 2012: loan
applications with START and COMPLETE events): case count, end-to-end time (median and
90th percentile), re-work rate, touch points and handling times per activity.

pm4py's side: case durations from first to last event; the log turned to intervals
(`to_interval`: each completion with the first open start of its activity) for touch
points (pieces of work per case), re-work (a case with an activity done twice) and
handling times (completions that have a start)."""

from __future__ import annotations

import gzip
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kinfold.ingest.eventlog import import_event_log
from kinfold.measure.frame import from_store
from kinfold.measure.kpis import compute, drill
from kinfold.workspace import init_workspace
from tests.conftest import shared_data

TRACES = 400


def log_slice(path: Path) -> Path:
    """The first TRACES traces of BPI 2012, as an XES file of their own."""
    text = gzip.decompress(shared_data("BPI_Challenge_2012.xes.gz").read_bytes()).decode("utf-8")
    end = -1
    for _ in range(TRACES):
        end = text.index("</trace>", end + 1)
    path.write_text(text[: end + len("</trace>")] + "\n</log>\n", encoding="utf-8")
    return path


def pm4py_work(log: Any) -> tuple[np.ndarray, list[list[str]], dict[str, list[float]]]:
    """pm4py's figures of a log: each case's duration in days, each case's pieces of work
    (activities), and the handling minutes of each activity's pieces of work."""
    from pm4py.objects.log.util.interval_lifecycle import to_interval
    from pm4py.statistics.traces.generic.log.case_statistics import get_all_case_durations

    intervals = to_interval(log)
    durations = np.array(get_all_case_durations(log)) / 86400
    work = [[event["concept:name"] for event in trace] for trace in intervals]
    handled: dict[str, list[float]] = {}
    for trace in intervals:
        for event in trace:
            if "@@startevent_concept:name" in event:
                handled.setdefault(event["concept:name"], []).append(event["@@duration"] / 60)
    return durations, work, handled


@pytest.mark.filterwarnings("ignore")  # pm4py's own notices
def test_figures_equal_pm4py_on_bpi_2012(tmp_path: Path) -> None:
    import pm4py

    path = log_slice(tmp_path / "bpi.xes")
    log = pm4py.read_xes(str(path), return_legacy_log_object=True, show_progress_bar=False)
    durations, work, handled = pm4py_work(log)

    workspace = init_workspace(tmp_path / "workspace")
    result = import_event_log(workspace.engine, path, "bpi", add_items=True, item_type="Loan")
    frame = from_store(workspace.engine, workspace.settings)
    found = {f.measure: f for f in compute(frame, "all").figures}
    by_activity = {f.group: f for f in compute(frame, "all", "activity",
                                               ("Average task time",)).figures}  # fmt: skip

    assert result.quarantined == 0
    assert len(log) == TRACES == found["Throughput"].value
    e2e = found["End-to-end time"]
    assert e2e.value == pytest.approx(np.median(durations), abs=1e-6)
    assert e2e.details["90th percentile"] == pytest.approx(np.percentile(durations, 90), abs=1e-6)
    rework = sum(len(set(names)) < len(names) for names in work) / len(work)
    assert found["Re-work"].value == pytest.approx(rework)
    assert found["Touch points"].value == pytest.approx(statistics.mean(map(len, work)))
    assert set(by_activity) == set(handled)
    for activity, minutes in handled.items():
        figure = by_activity[activity]
        assert figure.records == len(minutes)
        assert figure.value == pytest.approx(statistics.mean(minutes), rel=1e-9)
        assert figure.details["median"] == pytest.approx(statistics.median(minutes), rel=1e-9)
    _, rows = drill(frame, "Throughput", "all")
    assert len(rows) == TRACES
    workspace.close()
