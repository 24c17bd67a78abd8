"""Scoring a case under the rule: its points, its reasons in words, its harm horizon.

Pure: `CaseFacts` in, `Priority` out. `rank` orders scored cases by the rule's order
(the soonest harm first, or the most points first), then the soonest due date, the
longest wait, and the case id, so the order is total and the same on every run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

from kinfold.priority.rule import Rule

DAYS_IN_WEEK = 7


Source = tuple[int, int | None]  # (item id, person id) of the item a fact comes from


@dataclass
class CaseFacts:
    """What the rule looks at in one open case (its open items, its household), and
    where each fact comes from: the item (and its person) or the person it is about."""

    case_id: int
    oldest_received: date
    team_id: int | None = None  # the team whose backlog it is in (its rule scores it)
    flags: dict[str, date] = field(default_factory=dict)  # flag -> first day an item had it
    flag_due: dict[str, date] = field(default_factory=dict)  # flag -> its items' soonest due
    next_due: date | None = None  # the earliest due date among its open items
    needs: set[str] = field(default_factory=set)
    need_since: dict[str, date] = field(default_factory=dict)  # need -> its first open item
    people: int = 1
    child_under_5: bool = False
    over_75: bool = False
    living_alone: bool = False
    flag_from: dict[str, Source] = field(default_factory=dict)  # the first item with it
    need_from: dict[str, Source] = field(default_factory=dict)  # its first open item
    due_from: Source | None = None  # the open item due soonest
    oldest_from: Source | None = None  # the open item that has waited longest
    child_from: int | None = None  # a person under 5, or over 75, in the household
    old_from: int | None = None


class Reason(NamedTuple):
    """One line of a case's points: what, how many, and the item and person it comes
    from (where there is one)."""

    words: str
    points: float
    item_id: int | None = None
    person_id: int | None = None


@dataclass(frozen=True)
class Priority:
    case_id: int
    score: float
    harm_by: date | None  # harm likely by this day (None: no risk flag says so)
    next_due: date | None
    oldest_received: date
    reasons: tuple[Reason, ...]  # ("eviction notice", 40, item, person), ...

    def reasons_text(self) -> str:
        """`eviction notice +40; child under 5 +20; oldest item 34 days +12`"""
        return "; ".join(f"{reason.words} {_signed(reason.points)}" for reason in self.reasons)

    def sources(self) -> list[list[int | None]]:
        """[item id, person id] of each reason, in the order of `reasons_text`."""
        return [[reason.item_id, reason.person_id] for reason in self.reasons]


def score(facts: CaseFacts, rule: Rule, today: date) -> Priority:
    reasons: list[Reason] = []
    harms: list[date] = []  # when harm is likely, by each thing that says so
    for flag, since in sorted(facts.flags.items()):
        flag_rule = rule.flags.get(flag)
        if flag_rule is None:
            continue
        reasons.append(Reason(flag.replace("_", " "), flag_rule.points,
                              *facts.flag_from.get(flag, (None, None))))  # fmt: skip
        if flag_rule.by_due_date and flag in facts.flag_due:
            harms.append(facts.flag_due[flag])
        else:
            harms.append(since + timedelta(days=flag_rule.harm_within_days))
    for need, since in facts.need_since.items():
        if need in rule.need_harm_days:
            harms.append(since + timedelta(days=rule.need_harm_days[need]))
    if facts.next_due is not None and rule.due_harm_days is not None:
        harms.append(facts.next_due + timedelta(days=rule.due_harm_days))
    harm_by = min(harms, default=None)
    if facts.next_due is not None:
        days = (facts.next_due - today).days
        due = facts.due_from or (None, None)
        if days < 0 and rule.overdue:
            reasons.append(Reason(f"overdue by {_days(-days)}", rule.overdue, *due))
        elif 0 <= days <= rule.due_within_days and rule.due_soon:
            reasons.append(Reason(f"due {_due_in(days)}", rule.due_soon, *due))
    waited = max((today - facts.oldest_received).days, 0)
    waiting = min(waited / DAYS_IN_WEEK * rule.points_per_week, rule.waiting_at_most)
    if waiting:
        reasons.append(Reason(f"oldest item {_days(waited)}", round(waiting, 1),
                              *(facts.oldest_from or (None, None))))  # fmt: skip
    people = min(facts.people * rule.each_person, rule.people_at_most)
    if people:
        reasons.append(Reason(f"{facts.people} {'person' if facts.people == 1 else 'people'}",
                              people))  # fmt: skip
    for applies, what, points, source in (
        (facts.child_under_5, "child under 5", rule.child_under_5,
         (None, facts.child_from) if facts.child_from else facts.flag_from.get("child_under_5")),
        (facts.over_75, "over 75", rule.over_75,
         (None, facts.old_from) if facts.old_from else facts.flag_from.get("over_75")),
        (facts.living_alone, "living alone", rule.living_alone, facts.flag_from.get("lives_alone")),
    ):  # fmt: skip
        if applies and points:
            reasons.append(Reason(what, points, *(source or (None, None))))
    pressing = max(((rule.needs[need], need) for need in facts.needs if need in rule.needs),
                   default=None)  # fmt: skip
    if pressing and pressing[0]:
        reasons.append(Reason(f"need: {pressing[1]}", pressing[0],
                              *facts.need_from.get(pressing[1], (None, None))))  # fmt: skip
    return Priority(
        case_id=facts.case_id,
        score=round(sum(reason.points for reason in reasons), 1),
        harm_by=harm_by,
        next_due=facts.next_due,
        oldest_received=facts.oldest_received,
        reasons=tuple(reasons),
    )


def rank(priorities: Iterable[Priority], order: str = "points first") -> list[Priority]:
    """In the rule's order (`order_key`)."""
    return sorted(priorities, key=order_key(order))


def order_key(order: str) -> Callable[[Priority], tuple[Any, ...]]:
    """Harm first: the soonest likely harm first (a case with no harm date after every
    case with one), then the most points (so waiting, which only earns points, never
    lifts a case over one whose harm is sooner); points first: the most points first,
    then the soonest harm. Then the sooner due, the longer wait, the id."""
    far = date.max

    def points_first(p: Priority) -> tuple[Any, ...]:
        return (-p.score, p.harm_by or far, p.next_due or far, p.oldest_received, p.case_id)

    def harm_first(p: Priority) -> tuple[Any, ...]:
        return (p.harm_by or far, -p.score, p.next_due or far, p.oldest_received, p.case_id)

    return harm_first if order == "harm first" else points_first


def harm_words(harm_by: date | None, today: date) -> str:
    """In words: "likely harm within 5 days", "likely harm today", "harm horizon passed
    3 days ago", "no harm horizon"."""
    if harm_by is None:
        return "no harm horizon"
    days = (harm_by - today).days
    if days < 0:
        return f"harm horizon passed {_days(-days)} ago"
    if days == 0:
        return "likely harm today"
    return f"likely harm within {_days(days)}"


def _days(days: int) -> str:
    return f"{days} day" if days == 1 else f"{days} days"


def _due_in(days: int) -> str:
    return "today" if days == 0 else f"in {_days(days)}"


@functools.lru_cache(maxsize=4096)  # a rule's points take a few hundred values
def _signed(points: float) -> str:
    text = f"{points:g}"
    return text if points < 0 else f"+{text}"
