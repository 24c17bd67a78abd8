"""Data-quality checks on the records behind the measures, reported next to the figures
they affect rather than hidden: each says how many records it found, which measures
those records touch, and a few of them to look at."""

from __future__ import annotations

from dataclasses import dataclass

from kinfold.ingest.eventlog import LIFECYCLE
from kinfold.measure.frame import Frame

HOURS = ("Productivity", "Utilisation", "Occupancy", "Idle time", "Cost per task")
DONE = ("Throughput", "Service level", "End-to-end time", "Touch points", "Re-work",
        "Process adherence")  # fmt: skip
WORK_DONE = ("Touch points", "Re-work", "Process adherence")
STANDARD = "(" + ", ".join(f"'{word}'" for word in sorted(LIFECYCLE)) + ")"  # 13 words

# (name, what it means, SQL giving the records found, the measures they affect)
CHECKS = (
    ("completion before start", "pieces of work completed before they started",
     "SELECT event_id, item_id, worker, activity, started_at, completed_at FROM work "
     "WHERE completed_at < started_at", ("Average task time", *HOURS)),
    ("events after closure", "pieces of work done on an item after it was completed",
     "SELECT w.event_id, w.item_id, w.activity, w.completed_at, i.closed_at FROM work w "
     "JOIN items i USING (item_id) WHERE w.completed_at > i.closed_at", DONE),
    ("unknown workers", "pieces of work by someone who is not a worker of the workspace",
     "SELECT worker, count(*) AS pieces_of_work FROM work WHERE NOT known_worker "
     "GROUP BY worker ORDER BY pieces_of_work DESC", ("Average task time", *HOURS)),
    ("gaps in the roster", "days a worker did work but has no roster entry",
     "SELECT w.worker, CAST(w.completed_at AS DATE) AS day, count(*) AS pieces_of_work "
     "FROM work w ANTI JOIN roster r ON r.worker = w.worker "
     "AND r.day = CAST(w.completed_at AS DATE) WHERE w.known_worker "
     "AND w.completed_at IS NOT NULL GROUP BY ALL ORDER BY day", HOURS),
    ("dates outside the years of work", "items received or closed before 1900 or more than "
     "a year from now, left out of every measure",
     "SELECT item_id, received_at, closed_at FROM undated ORDER BY item_id", (*DONE, "Backlog")),
    ("completed with no completion time", "items closed with no record of when",
     "SELECT item_id, item_type, received_at FROM items "
     "WHERE status = 'closed' AND closed_at IS NULL", (*DONE, "Backlog")),
    ("lifecycles outside the XES standard", "pieces of work whose lifecycle is not a "
     "transition of the XES standard lifecycle model: moments, not work done (map them to "
     "start and complete in the log's mapping)",
     "SELECT lifecycle, count(*) AS pieces_of_work FROM work WHERE lifecycle NOT IN "
     + STANDARD + " GROUP BY lifecycle ORDER BY pieces_of_work DESC",
     ("Average task time", *WORK_DONE, *HOURS)),
    ("no completions", "work recorded, none of it a completion: the measures of work done "
     "read nothing",
     "SELECT lifecycle, count(*) AS pieces_of_work FROM work GROUP BY lifecycle "
     "HAVING NOT EXISTS (SELECT 1 FROM work WHERE lifecycle = 'complete') "
     "ORDER BY pieces_of_work DESC", ("Average task time", *WORK_DONE, *HOURS)),
    ("one worker", "every piece of work is by one worker, or by no one named: handoffs read "
     "0 and the measures by worker are one worker's",
     "SELECT worker, count(*) AS pieces_of_work FROM work GROUP BY worker "
     "HAVING (SELECT count(DISTINCT worker) FROM work) = 1", ("Touch points per case", *HOURS)),
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    name: str
    meaning: str
    count: int
    affects: tuple[str, ...]
    examples: list[tuple[object, ...]]


def findings(frame: Frame, examples: int = 5) -> list[Finding]:
    """The checks that found something."""
    found = []
    for name, meaning, query, affects in CHECKS:
        count = frame.sql(f"SELECT count(*) FROM ({query})")[0][0]
        if count:
            rows = frame.sql(f"{query} LIMIT {examples}")
            found.append(Finding(name, meaning, int(count), affects, rows))
    return found
