"""A workspace's settings: its kinfold.yaml, read and checked once, when the workspace
opens. A mistake in any part of it is an error at start-up that names its line, not a
failure when someone first uses that part ("Get next", the plan, the measures).

Each part of kinfold takes its own typed section from `Settings`; `Settings.raw` keeps
the file as written, for the settings a person changes from the web app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from kinfold.errors import WorkspaceError

ORIGIN = "kinfold.yaml"
NATIONS = ("england-and-wales", "scotland", "northern-ireland")

RESOLVE = {"match_threshold": 0.8, "review_from": 0.5, "review_to": 0.95}
# Requests a letter, a web page or a phone call usually settles
SIMPLE_ITEM_TYPES = (
    "Change of circumstances",
    "Change of address",
    "Single person discount review",
    "Payment arrangement request",
    "Direct debit request",
    "Housing register application",
)
HOTSPOTS: dict[str, Any] = {"smallest group": 5, "household items": 4,
                            "simple item types": SIMPLE_ITEM_TYPES}  # fmt: skip
WORK_IN_PROGRESS_CAP = 3
SKILL_LEVEL = 2  # signed off (1 is learning)
ROUTING_MATCHES = ("need", "item type", "area")
CONTACT_GOAL = ("harm within days", "contacted within working days")
BACKLOG_GOAL = ("backlog under", "by")
STUCK_AFTER_DAYS = 5
RETENTION_KEY = "closed cases kept for days"
PLAN = {
    "hours per FTE": 37.0,
    "target occupancy": 0.85,
    "backlog target hours": 0.0,
    "contact set-up minutes": 10.0,
}
PLAN_MAY_BE_ZERO = {"backlog target hours", "contact set-up minutes"}
SERVICE_LEVEL_DAYS = 5.0
TIME_ZONE = "Europe/London"
MODEL_KEYS = {"required", "order", "steps"}


@dataclass(frozen=True)
class Thresholds:
    """`resolve:`: how sure linkage must be to join two records, and which links a
    person reviews."""

    match: float = RESOLVE["match_threshold"]
    review_from: float = RESOLVE["review_from"]
    review_to: float = RESOLVE["review_to"]


@dataclass(frozen=True)
class HotspotSettings:
    smallest_group: int = HOTSPOTS["smallest group"]
    household_items: int = HOTSPOTS["household items"]
    simple_item_types: frozenset[str] = frozenset(t.lower() for t in SIMPLE_ITEM_TYPES)


@dataclass(frozen=True)
class Allocation:
    """`allocate:`: how many cases a worker holds at once, and the skill that counts."""

    cap: int = WORK_IN_PROGRESS_CAP
    skill: int = SKILL_LEVEL


@dataclass(frozen=True)
class RoutingRule:
    team: str  # as written; the workspace's teams are checked when routing is used
    match: str  # one of ROUTING_MATCHES
    value: str


@dataclass(frozen=True)
class RoutingSetting:
    """`routing:` as written: the default team and the rules, in order."""

    default_team: str
    rules: tuple[RoutingRule, ...] = ()


@dataclass(frozen=True)
class Goal:
    name: str
    team: str | None
    kind: str  # contact, backlog
    harm_days: int = 0
    within_days: int = 0
    backlog_under: int = 0
    by: date | None = None


@dataclass(frozen=True)
class ProcessModel:
    """An item type's process as a team writes it: steps it must have, steps it may
    have, and pairs of steps done in that order."""

    required: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()  # the others
    order: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Settings:
    name: str = ""
    nation: str = "england-and-wales"
    time_zone: str = TIME_ZONE  # the zone of the workspace's days, weeks and months
    created: str | None = None
    demo: bool = False
    thresholds: Thresholds = Thresholds()
    hotspots: HotspotSettings = HotspotSettings()
    allocation: Allocation = Allocation()
    routing: RoutingSetting | None = None
    goals: tuple[Goal, ...] = ()
    enough: dict[str, tuple[str, ...]] = field(default_factory=dict)  # need -> lines
    stuck_after_days: int = STUCK_AFTER_DAYS
    retention_days: int | None = None  # None: closed cases are kept
    plan: dict[str, float] = field(default_factory=lambda: dict(PLAN))
    standard_times: dict[str, float] = field(default_factory=dict)  # item type -> minutes
    service_levels: dict[str, float] = field(default_factory=dict)  # item type -> days
    service_level_days: float = SERVICE_LEVEL_DAYS
    process_models: dict[str, ProcessModel] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, compare=False)  # as written

    @classmethod
    def parse(cls, raw: dict[str, Any], lines: dict[str, int] | None = None) -> Settings:
        """The settings `raw` gives, checked; `lines` (key -> line) say where each is
        written, for the errors."""
        found: dict[str, Any] = {"raw": raw, "plan": dict(PLAN)}
        for key, value in raw.items():
            line = (lines or {}).get(key)
            where = f"{ORIGIN} line {line}" if line else ORIGIN
            if key in PLAN:
                found["plan"][key] = plan_setting(key, value, where)
            elif key not in READERS:
                raise WorkspaceError(
                    f"{where}: '{key}' is not a setting kinfold knows.",
                    f"The settings are: {', '.join([*READERS, *PLAN])}.",
                )
            elif value is not None:  # written without a value: as if not written
                name, read = READERS[key]
                found[name] = read(value, where)
        return cls(**found)

    @classmethod
    def read(cls, path: Path) -> Settings:
        """The settings of a kinfold.yaml file, checked."""
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise WorkspaceError(f"{path} is not UTF-8 text ({error.reason}).") from error
        try:
            root = yaml.compose(text)
            raw = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            raise WorkspaceError(f"{path} is not valid YAML: {error}") from error
        if not isinstance(raw, dict) or not isinstance(root, yaml.MappingNode | None):
            raise WorkspaceError(f"{path} should hold settings as `key: value` lines.")
        lines = {str(key.value): key.start_mark.line + 1 for key, _ in root.value} if root else {}
        return cls.parse(raw, lines)

    def with_setting(self, key: str, value: Any) -> Settings:
        """These settings with one changed, checked."""
        return Settings.parse({**self.raw, key: value})


def thresholds(given: Any, where: str = ORIGIN) -> Thresholds:
    """`resolve:`: match_threshold, review_from, review_to (0 to 1)."""
    if not isinstance(given, dict):
        raise WorkspaceError(f"{where}: `resolve` must be a set of settings.")
    unknown = sorted(set(given) - set(RESOLVE))
    if unknown:
        raise WorkspaceError(
            f"{where}: unknown resolve setting {', '.join(unknown)}.",
            f"The resolve settings are {', '.join(RESOLVE)}.",
        )
    values = {**RESOLVE, **given}
    for name, value in values.items():
        if not isinstance(value, int | float) or not 0 < value < 1:
            raise WorkspaceError(
                f"{where}: resolve {name} is {value!r}; it must be a number "
                "between 0 and 1, such as 0.8."
            )
    if not values["review_from"] <= values["match_threshold"] <= values["review_to"]:
        raise WorkspaceError(
            f"{where}: resolve settings must keep review_from <= match_threshold <= review_to."
        )
    return Thresholds(values["match_threshold"], values["review_from"], values["review_to"])


def hotspots(given: Any, where: str = ORIGIN) -> HotspotSettings:
    """`hotspots:`: smallest group, household items, simple item types."""
    if not isinstance(given, dict) or set(given) - set(HOTSPOTS):
        raise WorkspaceError(f"{where}: `hotspots` takes only: " + ", ".join(HOTSPOTS) + ".")
    values = {**HOTSPOTS, **given}
    for name in ("smallest group", "household items"):
        if _whole(values[name], least=2) is None:
            raise WorkspaceError(f"{where}: hotspots `{name}` must be a whole number of at "
                                 "least 2.")  # fmt: skip
    simple = values["simple item types"]
    if not isinstance(simple, list | tuple) or not all(isinstance(t, str) for t in simple):
        raise WorkspaceError(f"{where}: hotspots `simple item types` must be a list of item "
                             "types.")  # fmt: skip
    return HotspotSettings(values["smallest group"], values["household items"],
                           frozenset(t.strip().lower() for t in simple))  # fmt: skip


def allocation(given: Any, where: str = ORIGIN) -> Allocation:
    """`allocate:`: work in progress cap, skill level."""
    cap = skill = None
    if isinstance(given, dict) and set(given) <= {"work in progress cap", "skill level"}:
        cap = _whole(given.get("work in progress cap", WORK_IN_PROGRESS_CAP), least=1)
        skill = _whole(given.get("skill level", SKILL_LEVEL), least=1)
    if cap is None or skill is None or skill > 3:
        raise WorkspaceError(
            f"{where}: `allocate` takes `work in progress cap` (a whole number, at least "
            "1) and `skill level` (1 learning, 2 signed off, 3 expert)."
        )
    return Allocation(cap, skill)


def routing(given: Any, where: str = ORIGIN) -> RoutingSetting:
    """`routing:`: default team, rules (each a team and one of ROUTING_MATCHES)."""
    if not isinstance(given, dict) or set(given) - {"default team", "rules"}:
        raise WorkspaceError(f"{where}: `routing` takes `default team` and `rules`.",
                             "See docs/allocate.md for an example.")  # fmt: skip
    rules = []
    for number, rule in enumerate(given.get("rules") or [], start=1):
        if not isinstance(rule, dict) or "team" not in rule or len(rule) != 2 \
                or not set(rule) - {"team"} <= set(ROUTING_MATCHES):  # fmt: skip
            raise WorkspaceError(
                f"{where}: routing rule {number} should name a team and one of: "
                f"{', '.join(ROUTING_MATCHES)}.",
                "For example: {team: Housing team, need: housing}",
            )
        ((match, value),) = ((k, v) for k, v in rule.items() if k != "team")
        rules.append(RoutingRule(str(rule["team"]), match, " ".join(str(value).split())))
    if given.get("default team") is None:
        raise WorkspaceError(f"{where}: routing needs a `default team`, so that every case is "
                             "in a team's backlog.")  # fmt: skip
    return RoutingSetting(str(given["default team"]), tuple(rules))


def goals(given: Any, where: str = ORIGIN) -> tuple[Goal, ...]:
    """`goals:`: each a name, perhaps a team, and either a contact or a backlog goal."""
    if not isinstance(given, list):
        raise WorkspaceError(f"{where}: `goals` is a list of goals.", "See docs/allocate.md.")
    found = []
    for number, entry in enumerate(given, start=1):
        if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
            raise WorkspaceError(f"{where}: goal {number} needs a `name`.")
        keys = set(entry) - {"name", "team"}
        name, team = str(entry["name"]).strip(), entry.get("team")
        try:
            if keys == set(CONTACT_GOAL):
                found.append(Goal(name, team, "contact",
                                  harm_days=_count(entry[CONTACT_GOAL[0]]),
                                  within_days=_count(entry[CONTACT_GOAL[1]])))  # fmt: skip
            elif keys == set(BACKLOG_GOAL):
                found.append(Goal(name, team, "backlog",
                                  backlog_under=_count(entry[BACKLOG_GOAL[0]]),
                                  by=_day(entry[BACKLOG_GOAL[1]])))  # fmt: skip
            else:
                raise ValueError("a goal gives either `harm within days` and `contacted within "
                                 "working days`, or `backlog under` and `by`")  # fmt: skip
        except ValueError as error:
            raise WorkspaceError(f"{where}: goal {number} ({name}): {error}.") from None
    if len({goal.name for goal in found}) != len(found):
        raise WorkspaceError(f"{where}: two goals have the same name.")
    return tuple(found)


def enough(given: Any, where: str = ORIGIN) -> dict[str, tuple[str, ...]]:
    """`enough:`: for each need, the lines to meet before its case closes."""
    if not isinstance(given, dict) or not all(
        isinstance(lines, list) and lines and all(isinstance(line, str) for line in lines)
        for lines in given.values()
    ):
        raise WorkspaceError(
            f"{where}: `enough` gives, for each need, a list of lines to meet.",
            "For example:  enough: {food: [food for the next seven days]}",
        )
    return {str(need): tuple(lines) for need, lines in given.items()}


def stuck_after_days(given: Any, where: str = ORIGIN) -> int:
    """`checkin: stuck after days`."""
    days = None
    if isinstance(given, dict) and set(given) <= {"stuck after days"}:
        days = _whole(given.get("stuck after days", STUCK_AFTER_DAYS), least=1)
    if days is None:
        raise WorkspaceError(f"{where}: checkin `stuck after days` is a whole number of days.")
    return days


def retention_days(given: Any, where: str = ORIGIN) -> int:
    """`retention: closed cases kept for days`."""
    days = _whole(given.get(RETENTION_KEY), least=1) if isinstance(given, dict) else None
    if days is None or set(given) != {RETENTION_KEY}:
        raise WorkspaceError(
            f"{where}: `retention` takes `{RETENTION_KEY}`, a whole number of days.",
            f"For example:\nretention:\n  {RETENTION_KEY}: 2190   # six years",
        )
    return days


def plan_setting(name: str, value: Any, where: str = ORIGIN) -> float:
    """One of the plan's settings (PLAN): hours per FTE, target occupancy, ..."""
    limit = 1 if name == "target occupancy" else float("inf")
    least = "0 or more" if name in PLAN_MAY_BE_ZERO else "above zero"
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not (0 <= value <= limit)
        or (value == 0 and name not in PLAN_MAY_BE_ZERO)
    ):
        raise WorkspaceError(
            f"{where}: `{name}` should be a number {least}"
            + (" and at most 1." if limit == 1 else "."),
            f"For example:  {name}: {PLAN[name]:g}",
        )
    return float(value)


def minutes(name: str, given: Any, where: str = ORIGIN) -> dict[str, float]:
    """`standard times` or `service levels`: for each item type, a number above zero."""
    if not isinstance(given, dict) or not all(
        isinstance(value, int | float) and not isinstance(value, bool) and value > 0
        for value in given.values()
    ):
        raise WorkspaceError(
            f"{where}: `{name}` gives, for each item type, a number above zero.",
            f"For example:  {name}: {{Housing Benefit new claim: 5}}",
        )
    return {str(key): float(value) for key, value in given.items()}


def process_models(given: Any, where: str = ORIGIN) -> dict[str, ProcessModel]:
    """`process models:`: for each item type, its required steps, other steps and order."""
    hint = ("For example:  process models: {Housing Benefit new claim: "
            "{required: [Assess, Decision], order: [[Assess, Decision]]}}")  # fmt: skip
    if not isinstance(given, dict):
        raise WorkspaceError(f"{where}: `process models` names item types.", hint)
    models = {}
    for item_type, model in given.items():
        if not isinstance(model, dict) or set(model) - MODEL_KEYS:
            raise WorkspaceError(f"{where}: the process model of '{item_type}' has `required`, "
                                 "`order` and `steps`.", hint)  # fmt: skip
        required = tuple(str(step) for step in model.get("required") or [])
        others = tuple(str(step) for step in model.get("steps") or [] if step not in required)
        order = []
        for pair in model.get("order") or []:
            if not (isinstance(pair, list) and len(pair) == 2
                    and set(map(str, pair)) <= {*required, *others}):  # fmt: skip
                raise WorkspaceError(
                    f"{where}: in the process model of '{item_type}', order {pair} should be "
                    "two of its steps, the first before the second.", hint)  # fmt: skip
            order.append((str(pair[0]), str(pair[1])))
        models[str(item_type)] = ProcessModel(required, others, tuple(order))
    return models


def nation(given: Any, where: str = ORIGIN) -> str:
    if given not in NATIONS:
        raise WorkspaceError(f"{where}: nation '{given}' is not one of {', '.join(NATIONS)}.")
    return str(given)


def time_zone(given: Any, where: str = ORIGIN) -> str:
    """An IANA time zone's name (Europe/London, Europe/Rome, UTC)."""
    try:
        ZoneInfo(str(given))
    except (ZoneInfoNotFoundError, ValueError):
        raise WorkspaceError(
            f"{where}: `time zone` '{given}' is not a time zone kinfold knows.",
            "Name it as the IANA database does, for example:  time zone: Europe/London",
        ) from None
    return str(given)


def service_level_days(given: Any, where: str = ORIGIN) -> float:
    if isinstance(given, bool) or not isinstance(given, int | float) or not given > 0:
        raise WorkspaceError(
            f"{where}: `service level days` should be a number above zero.",
            f"For example:  service level days: {SERVICE_LEVEL_DAYS:g}",
        )
    return float(given)


def _whole(value: Any, least: int) -> int | None:
    """`value`, if it is a whole number of at least `least`."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= least:
        return value
    return None


def _count(value: Any) -> int:
    count = _whole(value, least=0)
    if count is None:
        raise ValueError(f"{value!r} should be a whole number, 0 or more")
    return count


def _day(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{value!r} should be a date such as 2027-01-31") from None


# top-level key -> the field of Settings it gives, and what reads it (value, where)
READERS: dict[str, tuple[str, Callable[[Any, str], Any]]] = {
    "name": ("name", lambda given, where: str(given)),
    "nation": ("nation", nation),
    "time zone": ("time_zone", time_zone),
    "created": ("created", lambda given, where: str(given)),
    "demo": ("demo", lambda given, where: bool(given)),
    "resolve": ("thresholds", thresholds),
    "hotspots": ("hotspots", hotspots),
    "allocate": ("allocation", allocation),
    "routing": ("routing", routing),
    "goals": ("goals", goals),
    "enough": ("enough", enough),
    "checkin": ("stuck_after_days", stuck_after_days),
    "retention": ("retention_days", retention_days),
    "standard times": ("standard_times", partial(minutes, "standard times")),
    "service levels": ("service_levels", partial(minutes, "service levels")),
    "service level days": ("service_level_days", service_level_days),
    "process models": ("process_models", process_models),
}
