"""Policy simulation (SimPy): the backlog as it is, plus forecast arrivals, worked
(a) item by item, first in first out, or (b) as household cases in the order of the
priority rule in force. Everything the result rests on is a parameter, shown with it:

- staff (FTE) and the handling hours one FTE gives a week (paid hours less shrinkage, at
  the target occupancy, as the plan counts them), spread evenly over the days;
- the standard time of each item type, which includes setting up one contact
  (finding the person, reading their history, getting in touch);
- the contact set-up minutes: worked item by item, every item is a contact and costs its
  standard time; worked as a case, the case is one contact: one set-up, then each item's
  standard time less a set-up;
- arrivals: each item type's daily forecast, drawn as a Poisson number a day (seeded);
  each new item is like one of the last eight weeks' items of its type, drawn at random
  (its risk flags, need and time to its due date); a share of them (measured over the
  last eight weeks) is about someone who had another item in the eight weeks before it,
  who joins that person's household case;
- a person's harm horizon: the earliest "harm within days" of the risk flags on their
  items, from the day each item was received, under the rule in force. A person is
  helped when their item with the earliest horizon is done; after the horizon day, too
  late.

Both policies see the same items at the same moments; nothing else differs. The cases'
order is re-ranked with the rule at the start of each day (as `kinfold prioritise` does
each morning); a case that arrives during the day waits at the end of the order.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict, deque
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import simpy

from kinfold.priority.rule import Rule
from kinfold.priority.score import CaseFacts, rank, score

ITEMS, CASES = "items first in first out", "household cases by the priority rule"
POLICIES = (ITEMS, CASES)
RECENT_DAYS = 56  # new items are like the last eight weeks' items


@dataclass(frozen=True)
class Household:
    """What the rule looks at in a household beyond its items."""

    people: int = 1
    child_under_5: bool = False
    over_75: bool = False
    living_alone: bool = False


@dataclass(frozen=True)
class SimItem:
    item_id: int  # the store's id; new items are numbered after the largest
    item_type: str
    person: int
    household: int  # the case it belongs to: a household's, or one person's
    arrives: float  # days from the start (0: waiting at the start)
    received: date
    flags: tuple[str, ...] = ()
    need: str | None = None
    due: date | None = None

    def harm_by(self, rule: Rule) -> date | None:
        """The day harm is likely by, from the item's risk flags (None: no flag says)."""
        days = [rule.flags[f].harm_within_days for f in self.flags if f in rule.flags]
        return self.received + timedelta(days=min(days)) if days else None


@dataclass(frozen=True)
class Parameters:
    start: date
    days: int  # simulated
    staff: float  # FTE
    hours_a_week: float  # handling hours an FTE gives a week
    set_up_minutes: float
    minutes: dict[str, float]  # standard time per item type
    repeat_share: float  # of new items, about someone with another item lately
    seed: int

    @property
    def workers(self) -> int:
        return math.ceil(self.staff)

    @property
    def hours_a_day(self) -> float:
        """Handling hours each worker gives a day (FTE shared evenly among them)."""
        return self.staff / self.workers * self.hours_a_week / 7 if self.workers else 0.0


@dataclass(frozen=True)
class Result:
    """One policy's run. `completed` lists (item, day) as each was done, in order."""

    policy: str
    arrived: list[int]
    completed: list[tuple[int, float]]
    cleared_day: float | None  # when the last item waiting at the start was done
    people: int  # with an item
    with_horizon: int  # people with a harm horizon known to have been met or passed
    horizon_passed: int  # of them, helped after their horizon or not at all
    passed_at_start: int  # of them, whose horizon had passed before the start
    contacts: int
    people_contacted: int
    hours_worked: float

    @property
    def still_open(self) -> int:
        return len(self.arrived) - len(self.completed)

    @property
    def share_passed(self) -> float | None:
        return self.horizon_passed / self.with_horizon if self.with_horizon else None

    @property
    def touches_per_person(self) -> float | None:
        return self.contacts / self.people_contacted if self.people_contacted else None


def new_arrivals(
    daily: dict[str, Sequence[float]],
    recent: dict[str, list[SimItem]],
    waiting: Sequence[SimItem],
    households: dict[int, Household],
    parameters: Parameters,
) -> list[SimItem]:
    """Items arriving over the simulated days: `daily[kind][day]` expected a day of each
    type, each like one of `recent[kind]` (the last eight weeks' items); `households`
    gains the new ones'."""
    rng = random.Random(parameters.seed)
    known = {
        item.item_id: item for item in [*waiting, *(i for kind in recent.values() for i in kind)]
    }
    next_id = max(known, default=0) + 1
    next_key = max([*households, *(item.household for item in known.values()), 0]) + 1
    next_person = max((item.person for item in known.values()), default=0) + 1
    seen = deque(sorted(known.values(), key=lambda item: (item.received, item.item_id)))
    made: list[SimItem] = []
    for day in range(parameters.days):
        today = parameters.start + timedelta(days=day)
        while seen and (today - seen[0].received).days > RECENT_DAYS:
            seen.popleft()
        people = list({item.person: item for item in seen}.values())  # the latest item each
        arriving = [kind for kind in sorted(daily) for _ in range(_poisson(rng, daily[kind][day]))]
        for kind in arriving:
            like = rng.choice(recent[kind]) if recent.get(kind) else None
            if people and rng.random() < parameters.repeat_share:
                about = rng.choice(people)
                person, key = about.person, about.household
            else:
                person, key = next_person, next_key
                next_person, next_key = next_person + 1, next_key + 1
                households[key] = (
                    households.get(like.household, Household()) if like else Household()
                )
            due = like.due - like.received if like and like.due else None
            item = SimItem(
                item_id=next_id,
                item_type=kind,
                person=person,
                household=key,
                arrives=day + rng.random(),
                received=today,
                flags=like.flags if like else (),
                need=like.need if like else None,
                due=today + due if due is not None else None,
            )
            next_id += 1
            made.append(item)
            seen.append(item)
    return sorted(made, key=lambda item: item.arrives)


def run(
    policy: str,
    items: Sequence[SimItem],
    households: dict[int, Household],
    parameters: Parameters,
    rule: Rule,
) -> Result:
    """Work `items` (those waiting at the start first, in the order received, then the
    new ones as they arrive) under `policy` for the parameters' days."""
    env = simpy.Environment()
    queue = _Items() if policy == ITEMS else _Cases(households, rule)
    arrived: list[int] = []
    completed: list[tuple[int, float]] = []
    contacts: dict[int, int] = defaultdict(int)
    worked = [0.0]
    state = {"work arrived": env.event()}

    def arrivals() -> Generator[simpy.Event, object, None]:
        for item in sorted(items, key=lambda item: (item.arrives, item.received, item.item_id)):
            if item.arrives > env.now:
                yield env.timeout(item.arrives - env.now)
            queue.add(item)
            arrived.append(item.item_id)
            if not state["work arrived"].triggered:
                state["work arrived"].succeed()

    def worker() -> Generator[simpy.Event, object, None]:
        while True:
            taken = queue.take()
            if not taken:
                if state["work arrived"].triggered:
                    state["work arrived"] = env.event()
                yield state["work arrived"]
                continue
            hours = _hours(taken, parameters, contact_each=policy == ITEMS)
            yield env.timeout(hours / parameters.hours_a_day)
            worked[0] += hours
            completed.extend((item.item_id, env.now) for item in taken)
            people = [item.person for item in taken]  # an item, or a household's case
            for person in set(people) if policy == CASES else people:
                contacts[person] += 1

    def mornings() -> Generator[simpy.Event, object, None]:
        while True:
            queue.rerank(parameters.start + timedelta(days=round(env.now)))
            yield env.timeout(1)

    env.process(arrivals())
    env.process(mornings())
    for _ in range(parameters.workers if parameters.hours_a_day > 0 else 0):
        env.process(worker())
    env.run(until=parameters.days)
    return _result(policy, items, arrived, completed, contacts, worked[0], parameters, rule)


def _hours(taken: list[SimItem], parameters: Parameters, contact_each: bool) -> float:
    """Item by item: each item's standard time (one contact's set-up within it). A case:
    one set-up, then each item's standard time less a set-up."""
    minutes = [parameters.minutes[item.item_type] for item in taken]
    if contact_each:
        return sum(minutes) / 60
    set_up = parameters.set_up_minutes
    return (set_up + sum(max(m - set_up, 0.0) for m in minutes)) / 60


def _result(
    policy: str,
    items: Sequence[SimItem],
    arrived: list[int],
    completed: list[tuple[int, float]],
    contacts: dict[int, int],
    worked: float,
    parameters: Parameters,
    rule: Rule,
) -> Result:
    done = dict(completed)
    at_start = [item.item_id for item in items if item.arrives == 0]
    cleared = (
        max((done[i] for i in at_start), default=0.0) if all(i in done for i in at_start) else None
    )
    first_harm: dict[int, tuple[date, int]] = {}  # person -> (horizon, the item it is on)
    for item in items:
        horizon = item.harm_by(rule)
        if horizon and (item.person not in first_harm or horizon < first_harm[item.person][0]):
            first_harm[item.person] = (horizon, item.item_id)
    known = passed = before = 0
    end = parameters.start + timedelta(days=parameters.days)
    for horizon, item_id in first_harm.values():
        helped = done.get(item_id)
        helped_on = (
            None if helped is None else parameters.start + timedelta(days=math.floor(helped))
        )
        if helped_on is None and horizon >= end:
            continue  # still waiting, its horizon after the simulated days: not yet known
        known += 1
        late = helped_on is None or helped_on > horizon
        passed += late
        before += late and horizon < parameters.start
    return Result(
        policy=policy,
        arrived=arrived,
        completed=completed,
        cleared_day=cleared,
        people=len({item.person for item in items}),
        with_horizon=known,
        horizon_passed=passed,
        passed_at_start=before,
        contacts=sum(contacts.values()),
        people_contacted=len(contacts),
        hours_worked=worked,
    )


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; a day's arrivals are tens at most)."""
    if mean <= 0:
        return 0
    if mean > 500:  # by the normal approximation
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class _Items:
    """Item by item, first in first out."""

    def __init__(self) -> None:
        self.waiting: deque[SimItem] = deque()

    def add(self, item: SimItem) -> None:
        self.waiting.append(item)

    def take(self) -> list[SimItem]:
        return [self.waiting.popleft()] if self.waiting else []

    def rerank(self, today: date) -> None:
        """First in first out has no order to remake."""


@dataclass
class _Cases:
    """Household cases, taken whole (every waiting item of the household) in the order of
    the priority rule, re-ranked each morning; new cases wait at the end until then."""

    households: dict[int, Household]
    rule: Rule
    waiting: dict[int, list[SimItem]] = field(default_factory=dict)
    order: deque[int] = field(default_factory=deque)

    def add(self, item: SimItem) -> None:
        if item.household not in self.waiting:
            self.waiting[item.household] = []
            self.order.append(item.household)
        self.waiting[item.household].append(item)

    def take(self) -> list[SimItem]:
        return self.waiting.pop(self.order.popleft()) if self.order else []

    def rerank(self, today: date) -> None:
        facts = [self._facts(key, items) for key, items in self.waiting.items()]
        self.order = deque(
            p.case_id for p in rank((score(f, self.rule, today) for f in facts), self.rule.order)
        )

    def _facts(self, key: int, items: list[SimItem]) -> CaseFacts:
        household = self.households.get(key, Household())
        flags: dict[str, date] = {}
        for item in items:
            for flag in item.flags:
                flags[flag] = min(flags.get(flag, item.received), item.received)
        dues = [item.due for item in items if item.due]
        return CaseFacts(
            case_id=key,
            oldest_received=min(item.received for item in items),
            flags=flags,
            next_due=min(dues) if dues else None,
            needs={item.need.strip().lower() for item in items if item.need},
            people=household.people,
            child_under_5=household.child_under_5 or "child_under_5" in flags,
            over_75=household.over_75 or "over_75" in flags,
            living_alone=household.living_alone or "lives_alone" in flags,
        )
