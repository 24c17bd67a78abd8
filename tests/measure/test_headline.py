"""The measures at a glance: complete periods, their names, and a line in words."""

from __future__ import annotations

from datetime import date, datetime

from kinfold.measure.headline import headlines, open_period, period_name
from kinfold.measure.kpis import Figure


def test_the_period_still_going_on_is_known_and_named() -> None:
    friday = datetime(2026, 12, 4, 19, 0)
    assert open_period(friday, "month") == date(2026, 12, 1)
    assert open_period(friday, "week") == date(2026, 11, 30)
    assert open_period(friday, "day") == date(2026, 12, 4)
    assert open_period(friday, "all") is None
    assert open_period(datetime.combine(date(2026, 11, 30), datetime.max.time()), "month") is None
    assert period_name(date(2026, 11, 1), "month") == "November 2026"
    assert period_name(date(2026, 11, 30), "week") == "the week from 30 November 2026"
    assert period_name(date(2026, 12, 4), "day") == "4 December 2026"
    assert period_name(None, "all") == "all time"


def test_each_headline_says_how_it_moved_and_whether_that_is_better() -> None:
    def figure(measure: str, month: int, value: float, unit: str) -> Figure:
        return Figure(measure, date(2026, month, 1), "all", value, unit, 10)

    found = {h.measure: h.line for h in headlines([
        figure("Service level", 10, 0.88, "share"), figure("Service level", 11, 0.912, "share"),
        figure("Backlog", 10, 4000, "items"), figure("Backlog", 11, 4400, "items"),
        figure("Re-work", 11, 0.1, "share"), figure("Re-work", 10, 0.1, "share"),
        figure("Throughput", 11, 120, "items"),
    ], "month")}  # fmt: skip
    assert found["Service level"] == "November 2026: 91.2%, up 3.2 points on October 2026 (better)"
    assert found["Backlog"] == "November 2026: 4,400 items, up 10% on October 2026 (worse)"
    assert found["Re-work"] == "November 2026: 10.0%, the same as in October 2026"
    assert found["Throughput"] == "November 2026: 120 items"  # nothing before it
    assert list(found) == ["Backlog", "Throughput", "Service level", "Re-work"]


def test_a_week_is_named_by_its_monday() -> None:
    week = Figure("Throughput", date(2026, 11, 23), "all", 40, "items", 40)
    (line,) = [h.line for h in headlines([week], "week")]
    assert line == "The week from 23 November 2026: 40 items"
