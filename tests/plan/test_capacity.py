"""The planning formulas on a worked example a person can check by hand.

A team of 10 FTE, 37 paid hours a week each, 20% shrinkage, 85% target occupancy:
one FTE gives 37 x 0.8 x 0.85 = 25.16 handling hours a week; the team 251.6.
"""

from __future__ import annotations

import math

import pytest

from kinfold.plan import capacity as cap

TEAM = cap.Staffing(fte=10, hours_per_fte=37, shrinkage=0.2, occupancy=0.85)


def test_hours_an_fte_and_the_team_give() -> None:
    assert TEAM.effective_hours == pytest.approx(25.16)
    assert TEAM.capacity == pytest.approx(251.6)


def test_workload_and_fte_required() -> None:
    # 120 claims at 45 minutes and 60 reviews at 20 minutes: 90 + 20 = 110 hours
    workload = cap.workload_hours({"claim": 120, "review": 60}, {"claim": 45, "review": 20})
    assert workload == pytest.approx(110)
    assert cap.fte_required(workload, TEAM) == pytest.approx(110 / 25.16)  # 4.37 FTE
    nobody_free = TEAM.changed(shrinkage=1.0)
    assert cap.fte_required(workload, nobody_free) == math.inf


def test_fte_to_clear_by_a_date() -> None:
    # 1,000 hours waiting and 110 hours a week arriving for 8 weeks: 1,880 hours in 8
    # weeks, 235 hours a week: 235 / 25.16 = 9.34 FTE
    assert cap.fte_to_clear(1_000, 880, 8, TEAM) == pytest.approx(1_880 / 8 / 25.16)
    with pytest.raises(ValueError, match="after today"):
        cap.fte_to_clear(1_000, 0, 0, TEAM)


def test_burn_down_and_clearance() -> None:
    # 600 hours waiting; 150 arrive and 251.6 are done each week: the net burn is 101.6
    projected = cap.burn_down(600, [150] * 7, [TEAM.capacity] * 7)
    assert projected[:3] == pytest.approx([498.4, 396.8, 295.2])
    assert projected[5] == 0 and projected[6] == 0  # 600 / 101.6 = 5.9 weeks
    assert cap.clearance_week(projected) == 6
    assert cap.clearance_week(projected, target=300) == 3
    assert cap.clearance_week(cap.burn_down(600, [300] * 4, [TEAM.capacity] * 4)) is None


def test_time_in_system_by_littles_law() -> None:
    assert cap.time_in_system(500, 100) == 5
    assert cap.time_in_system(500, 0) is None


def test_overtime_adds_capacity_and_lessens_the_fte_needed() -> None:
    # 40 overtime hours a week at 85% occupancy: 34 handling hours (no shrinkage on them)
    with_overtime = TEAM.changed(overtime=40)
    assert with_overtime.capacity == pytest.approx(251.6 + 34)
    assert cap.fte_required(110, with_overtime) == pytest.approx((110 - 34) / 25.16)
    assert cap.fte_required(20, with_overtime) == 0  # overtime alone covers it


def test_share_of_new_items_within_the_service_level() -> None:
    # capacity 100 hours a week, allowed 1 week: an item waits (work ahead) / 100 weeks
    assert cap.share_within(50, 80, 100, 1) == 1  # 50 ahead, falling: all within
    assert cap.share_within(300, 80, 100, 1) == 0  # 300 ahead, 280 at the week's end
    # 60 ahead, growing by 80 a week: 100 ahead halfway through the week
    assert cap.share_within(60, 180, 100, 1) == pytest.approx(0.5)
    # 120 ahead, falling by 40 a week: at 100 halfway through the week
    assert cap.share_within(120, 60, 100, 1) == pytest.approx(0.5)
    assert cap.share_within(100, 100, 100, 1) == 1  # steady, at the limit
    assert cap.share_within(0, 10, 0, 1) == 0  # nobody to do it
