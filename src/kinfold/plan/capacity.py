"""The planning formulas of docs/plan.md, on plain numbers (hours are handling hours).

effective hours per FTE = hours per FTE a week x (1 - shrinkage) x target occupancy
capacity (a week)       = FTE x effective hours per FTE + overtime hours x occupancy
workload hours          = sum over item types of forecast volume x standard time
FTE required            = (workload hours - overtime hours x occupancy)
                          / effective hours per FTE
net burn rate (a week)  = capacity - incoming workload hours
backlog next week       = max(0, backlog + incoming workload - capacity)
clearance date          = the end of the first week whose projected backlog is at or
                          below the target
FTE to clear by a date  = (backlog + incoming workload until the date)
                          / (weeks until the date x effective hours per FTE)
time in system (weeks)  = work in progress / throughput a week (Little's law)
share within d weeks    = of a week's new items, first in first out, the share whose work
                          ahead of them (the backlog when they arrive) is done within d
                          weeks: the backlog grows or falls through the week at
                          (incoming - capacity), and an item waits backlog / capacity
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Staffing:
    fte: float  # staffed full-time equivalents
    hours_per_fte: float  # paid hours of one FTE a week
    shrinkage: float  # share of paid hours not available (leave, sickness, training...)
    occupancy: float  # target share of available hours spent handling work
    sickness: float = 0.0  # the part of shrinkage that is unplanned (sickness and the like)
    overtime: float = 0.0  # paid hours a week worked beyond the roster (no shrinkage)

    @property
    def effective_hours(self) -> float:
        """Handling hours one FTE gives a week."""
        return self.hours_per_fte * (1 - self.shrinkage) * self.occupancy

    @property
    def capacity(self) -> float:
        """Handling hours the team gives a week."""
        return self.fte * self.effective_hours + self.overtime_hours

    @property
    def overtime_hours(self) -> float:
        """Handling hours overtime gives a week."""
        return self.overtime * self.occupancy

    def changed(self, **changes: float) -> Staffing:
        return replace(self, **changes)


def workload_hours(volumes: dict[str, float], standard_minutes: dict[str, float]) -> float:
    """Sum over item types of volume x standard time, in hours."""
    return sum(volume * standard_minutes[kind] / 60 for kind, volume in volumes.items())


def fte_required(workload: float, staffing: Staffing) -> float:
    """FTE for `workload` hours a week beyond what overtime gives (infinite if no hour of
    an FTE is available)."""
    rostered = max(0.0, workload - staffing.overtime_hours)
    return rostered / staffing.effective_hours if staffing.effective_hours else math.inf


def fte_to_clear(backlog: float, incoming: float, weeks: float, staffing: Staffing) -> float:
    """FTE that clear `backlog` hours and `incoming` hours of new work within `weeks`."""
    if weeks <= 0:
        raise ValueError("the date to clear by must be after today")
    return fte_required((backlog + incoming) / weeks, staffing)


def burn_down(backlog: float, incoming: Sequence[float], capacity: Sequence[float]) -> list[float]:
    """The backlog (hours) at the end of each week, given each week's incoming workload
    and capacity."""
    left, projected = backlog, []
    for new, done in zip(incoming, capacity, strict=True):
        left = max(0.0, left + new - done)
        projected.append(left)
    return projected


def clearance_week(projected: Sequence[float], target: float = 0.0) -> int | None:
    """The number (from 1) of the first week whose backlog is at or below `target`."""
    return next((week for week, left in enumerate(projected, 1) if left <= target), None)


def time_in_system(work_in_progress: float, throughput_per_week: float) -> float | None:
    """Little's law: weeks an item spends in the system, on average."""
    return work_in_progress / throughput_per_week if throughput_per_week else None


def share_within(backlog: float, incoming: float, capacity: float, weeks: float) -> float:
    """Of the items arriving evenly through a week that starts with `backlog` hours of
    work ahead (first in first out), the share done within `weeks`: those arriving while
    the work ahead of them is at most `weeks` x capacity."""
    if capacity <= 0:
        return 0.0
    allowed, rate = weeks * capacity, incoming - capacity  # the backlog's change a week
    if rate == 0:
        return 1.0 if backlog <= allowed else 0.0
    crossing = min(max((allowed - backlog) / rate, 0.0), 1.0)  # when it crosses `allowed`
    return crossing if rate > 0 else 1.0 - crossing
