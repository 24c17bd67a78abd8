"""The policy simulation on worked examples a person can follow by hand, and its
conservation: every item arrives once and is done once or still open at the end."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from kinfold.plan.simulate import (
    CASES,
    ITEMS,
    POLICIES,
    Household,
    Parameters,
    Result,
    SimItem,
    new_arrivals,
    run,
)
from kinfold.priority.rule import default_rule_text, parse_rule

RULE = parse_rule(default_rule_text())
START = date(2026, 11, 23)
# one worker giving 7 handling hours a week: an hour a day
ONE = Parameters(
    start=START,
    days=10,
    staff=1,
    hours_a_week=7,
    set_up_minutes=20,
    minutes={"claim": 60},
    repeat_share=0,
    seed=1,
)


def _item(item_id: int, person: int, household: int, days_ago: int, *flags: str) -> SimItem:
    return SimItem(
        item_id=item_id,
        item_type="claim",
        person=person,
        household=household,
        arrives=0.0,
        received=START - timedelta(days=days_ago),
        flags=flags,
    )


# Ann's household (1) sent three claims a week ago; Bob (household 2), homeless, one today
WAITING = [
    _item(1, 10, 1, 7),
    _item(2, 10, 1, 7),
    _item(3, 10, 1, 7),
    _item(4, 20, 2, 0, "homeless"),
]


def test_item_by_item_first_in_first_out() -> None:
    result = run(ITEMS, WAITING, {1: Household(), 2: Household()}, ONE, RULE)
    # an hour each, oldest first: Ann's claims on days 1, 2, 3; Bob's on day 4
    assert result.completed == [(1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0)]
    assert result.cleared_day == 4.0 and result.hours_worked == 4.0
    # Bob's harm horizon (homeless: within 1 day of today) passed before he was helped
    assert (result.with_horizon, result.horizon_passed, result.passed_at_start) == (1, 1, 0)
    assert result.contacts == 4 and result.touches_per_person == 2.0  # Ann 3, Bob 1


def test_household_cases_in_priority_order() -> None:
    result = run(CASES, WAITING, {1: Household(), 2: Household()}, ONE, RULE)
    # Bob's case first (homeless, +50): an hour, done on day 1, within his horizon; then
    # Ann's three claims as one contact: 20 minutes' set-up + 3 x 40 = 140 minutes
    assert result.completed == [(4, 1.0), *((n, pytest.approx(1 + 140 / 60)) for n in (1, 2, 3))]
    assert result.hours_worked == pytest.approx(1 + 140 / 60)
    assert (result.with_horizon, result.horizon_passed) == (1, 0)
    assert result.contacts == 2 and result.touches_per_person == 1.0


def test_with_no_set_up_time_cases_save_no_hours() -> None:
    """No built-in benefit: with no set-up time, both policies do the same work."""
    free = Parameters(**{**ONE.__dict__, "set_up_minutes": 0})
    items, cases = (run(p, WAITING, {}, free, RULE) for p in POLICIES)
    assert items.hours_worked == cases.hours_worked == 4.0
    assert items.cleared_day == cases.cleared_day == 4.0


def test_new_items_are_drawn_from_the_forecast_and_like_recent_ones() -> None:
    parameters = Parameters(**{**ONE.__dict__, "days": 70, "repeat_share": 0.5, "seed": 7})
    households = {1: Household(people=3), 2: Household()}
    before = dict(households)
    recent = {"claim": WAITING}
    made = new_arrivals({"claim": [4.0] * 70}, recent, WAITING, households, parameters)
    assert 280 * 0.85 < len(made) < 280 * 1.15  # Poisson, 4 a day for 70 days
    assert len({item.item_id for item in made}) == len(made) and min(i.item_id for i in made) == 5
    assert all(0 <= item.arrives < 70 for item in made)
    assert all(START + timedelta(days=int(i.arrives)) == i.received for i in made)
    seen, repeats = {10, 20}, 0
    for item in made:  # about someone seen before (all within the last eight weeks), or new
        repeats += item.person in seen
        seen.add(item.person)
    assert 0.4 < repeats / len(made) < 0.6  # about half
    assert all(item.household in households for item in made)
    flagged = sum(item.flags == ("homeless",) for item in made)
    assert 0.1 < flagged / len(made) < 0.4  # like Bob's one in four recent items
    again = new_arrivals({"claim": [4.0] * 70}, recent, WAITING, before, parameters)
    assert again == made  # the same seed, the same arrivals


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("staff", [0, 0.5, 5])
def test_every_item_arrives_once_and_is_done_once_or_still_open(policy: str, staff: float) -> None:
    parameters = Parameters(**{**ONE.__dict__, "days": 42, "staff": staff, "repeat_share": 0.4})
    households = {1: Household(), 2: Household()}
    made = new_arrivals({"claim": [3.0] * 42}, {"claim": WAITING}, WAITING, households, parameters)
    items = [*WAITING, *made]
    result = run(policy, items, households, parameters, RULE)
    _conserved(result, [item.item_id for item in items])
    if staff == 0:  # nobody to do anything
        assert result.completed == [] and result.cleared_day is None
    if staff == 5:  # 5 hours a day against 3 arriving: the backlog of the start clears
        assert result.cleared_day is not None and result.still_open < len(made) / 10


def _conserved(result: Result, ids: list[int]) -> None:
    assert Counter(result.arrived) == Counter(ids)  # each arrived, once
    done = [item for item, _ in result.completed]
    assert len(done) == len(set(done)) and set(done) <= set(ids)  # done at most once
    assert len(done) + result.still_open == len(ids)
    times = [day for _, day in result.completed]
    assert times == sorted(times) and all(0 <= day <= 42 for day in times)
