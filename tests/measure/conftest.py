"""The worked example of the measures' tests: one worker (W1, £20 an hour) on three days
of 7.5 paid hours, 1.5 of the first in training. Claim A: Assess 09:00-10:00 on Monday 2
November, a failed QA check at 09:10 on Wednesday 4 November, then Decide 09:00-09:30
that day (so it is corrected after the check; Decide ends a case). Claim B: Assess
09:00-09:45 on Tuesday 3 November, still open."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinfold.ingest.eventlog import import_event_log
from kinfold.ingest.workforce import import_workforce
from kinfold.workspace import Workspace
from tests.conftest import write

LOG = (
    "case_id,activity,resource,started_at,completed_at\n"
    "A,Assess,W1,2026-11-02T09:00:00+00:00,2026-11-02T10:00:00+00:00\n"
    "B,Assess,W1,2026-11-03T09:00:00+00:00,2026-11-03T09:45:00+00:00\n"
    "A,Decide,W1,2026-11-04T09:00:00+00:00,2026-11-04T09:30:00+00:00\n"
)


@pytest.fixture
def example(workspace: Workspace, tmp_path: Path) -> Workspace:
    files = {
        "workers": "worker_ref,name,team,hours_per_week,cost_per_hour\nW1,Ann,Claims,37.5,20\n",
        "skills": "worker_ref,item_type,level\nW1,Claim,2\n",
        "roster": "worker_ref,date,paid_hours,training_hours\nW1,2026-11-02,7.5,1.5\n"
                  "W1,2026-11-03,7.5,\nW1,2026-11-04,7.5,\n",
    }  # fmt: skip
    for kind, text in files.items():
        import_workforce(workspace.engine, write(tmp_path / f"{kind}.csv", text), kind)
    log = write(tmp_path / "log.csv", LOG)
    import_event_log(workspace.engine, log, "claims", add_items=True, item_type="Claim",
                     end_activities=["Decide"])  # fmt: skip
    qa = ("source,source_ref,worker_ref,checked_by,checked_at,passed,score,reason\n"
          "claims,A,W1,W1,2026-11-04T09:10:00+00:00,fail,40,Wrong rate\n")  # fmt: skip
    import_workforce(workspace.engine, write(tmp_path / "qa.csv", qa), "qa")
    return workspace
