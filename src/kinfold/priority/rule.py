"""The priority rule: read from YAML a team leader writes, checked line by line.

The rule says, in plain terms, how soon harm is likely for a case (by its risk flags, and
if it says so by its needs and due dates), how many points each thing about a case earns
(a risk flag, a due date, how long it has waited, who is affected, its need), and which
comes first in the order: the soonest harm, or the most points. `parse_rule` turns the
text into a `Rule` or raises `RuleError` naming the line and the reason; nothing else in
kinfold reads YAML rules.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from kinfold.errors import KinfoldError
from kinfold.ingest.values import BadValue, normalise_flag


class RuleError(KinfoldError):
    """A priority rule that cannot be used; the rule in force stays in force."""


@dataclass(frozen=True)
class FlagRule:
    harm_within_days: int
    points: float
    # harm is likely by the flagged item's due date (an eviction's, a disconnection's, a
    # discharge's date), where it has one; else within the days of its arrival
    by_due_date: bool = False


ORDERS = ("harm first", "points first")


@dataclass(frozen=True)
class Rule:
    # harm first: the soonest likely harm first, points only between cases whose harm is
    # as soon; points first: the most points first, the soonest harm between equal points
    order: str = "points first"
    flags: dict[str, FlagRule] = field(default_factory=dict)  # normalised flag -> rule
    overdue: float = 0
    due_within_days: int = 0
    due_soon: float = 0
    points_per_week: float = 0
    waiting_at_most: float = 0
    each_person: float = 0
    people_at_most: float = 0
    child_under_5: float = 0
    over_75: float = 0
    living_alone: float = 0
    needs: dict[str, float] = field(default_factory=dict)  # need (lower case) -> points
    # need -> harm likely within these days of its first open item's arrival, if given
    need_harm_days: dict[str, int] = field(default_factory=dict)
    due_harm_days: int | None = None  # harm likely this many days after an item's due date


SECTIONS = {
    "order": None,  # one of ORDERS
    "risk flags": None,  # any flag name -> {harm within days, points}
    "due dates": {"overdue": "overdue", "due within days": "due_within_days",
                  "due soon": "due_soon", "harm within days of due": "due_harm_days"},
    "waiting": {"points per week": "points_per_week", "at most": "waiting_at_most"},
    "who is affected": {"each person": "each_person", "at most": "people_at_most",
                        "child under 5": "child_under_5", "over 75": "over_75",
                        "living alone": "living_alone"},
    "needs": None,  # any need -> points, or {points, harm within days}
}  # fmt: skip
# (field of Rule, section, the line's words) of every line of the sections with fixed lines
LINES = [(attribute, section, words) for section, lines in SECTIONS.items()
         for words, attribute in (lines or {}).items()]  # fmt: skip
DAYS = {"due_within_days", "due_harm_days"}
FLAG_KEYS = {"harm within days", "points"}
BY_DUE_DATE = "by its due date"  # a flag's optional key: yes or no
YES_NO = {"yes": True, "true": True, "no": False, "false": False}


def default_rule_text() -> str:
    """The rule kinfold ships with: safe to start from, and meant to be changed."""
    return resources.files("kinfold.priority").joinpath("default_rule.yaml").read_text("utf-8")


@dataclass(frozen=True)
class Known:
    """The flags and needs a rule may name: those of the workspace's items, the standard
    flags, and the needs of the shipped rule. A name outside them is most often a slip
    ('homelesss'), which would silently count for nothing."""

    flags: frozenset[str]
    needs: frozenset[str]

    def check(self, kind: str, name: str, where: str) -> None:
        known = self.flags if kind == "risk flag" else self.needs
        if name in known:
            return
        close = difflib.get_close_matches(name, sorted(known), n=1)
        raise RuleError(
            f"{where}: no item has the {kind} '{name.replace('_', ' ')}', and it is not one "
            "kinfold knows" + (f": did you mean '{close[0].replace('_', ' ')}'?" if close else "."),
            f"The {kind}s known here: {', '.join(sorted(n.replace('_', ' ') for n in known))}.",
        )


def parse_rule(text: str, origin: str = "the rule", known: Known | None = None) -> Rule:
    """The rule `text` says, or a `RuleError` with the line and the reason; with `known`,
    a flag or need outside it is refused too."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{origin} line {mark.line + 1}" if mark else origin
        problem = getattr(error, "problem", error)
        raise RuleError(f"{where}: this is not valid YAML ({problem}).") from None
    if root is None:
        raise RuleError(f"{origin} is empty.", _sections_hint())
    sections = _mapping(root, origin, "the rule")
    values: dict[str, Any] = {}
    for key_node, value_node in sections:
        name = _key(key_node)
        where = f"{origin} line {key_node.start_mark.line + 1}"
        if name not in SECTIONS:
            raise RuleError(f"{where}: '{key_node.value}' is not a part of the rule.",
                            _sections_hint())  # fmt: skip
        if name == "order":
            values["order"] = _order(value_node, where)
            continue
        entries = _mapping(value_node, origin, f"'{key_node.value}'")
        if name == "risk flags":
            values["flags"] = _flags(entries, origin)
        elif name == "needs":
            values["needs"], values["need_harm_days"] = _needs(entries, origin)
        else:
            values.update(_settings(SECTIONS[name] or {}, entries, origin, key_node.value))
        if known is not None and name in ("risk flags", "needs"):
            kind = "risk flag" if name == "risk flags" else "need"
            for key, _ in entries:
                named = normalise_flag(str(key.value)) if kind == "risk flag" else _key(key)
                known.check(kind, named, f"{origin} line {key.start_mark.line + 1}")
    return Rule(**values)


WRITTEN_HEADER = """\
# The priority rule: who is likely to come to harm first if we wait.
# Saved from the rule's form. docs/priority.md explains every line.
"""
PLAIN_NAME = re.compile(r"[a-z0-9][a-z0-9 ]*")


def rule_as_text(rule: Rule) -> str:
    """`rule` written as the YAML `parse_rule` reads back to the same `Rule` (without the
    comments of a rule written by hand)."""
    lines = [
        WRITTEN_HEADER,
        f"order: {rule.order}",
        "",
        "risk flags:" + ("" if rule.flags else " {}"),
    ]
    for flag, flag_rule in rule.flags.items():
        days, figure = flag_rule.harm_within_days, written_number(flag_rule.points)
        by_due = f", {BY_DUE_DATE}: yes" if flag_rule.by_due_date else ""
        lines.append(f"  {_name(flag.replace('_', ' '))}: {{harm within days: {days}, "
                     f"points: {figure}{by_due}}}")  # fmt: skip
    for section in ("due dates", "waiting", "who is affected"):
        lines += ["", f"{section}:"]
        for attribute, of, key in LINES:
            value = getattr(rule, attribute)
            if of == section and value is not None:
                lines.append(f"  {key}: {written_number(value)}")
    lines += ["", "needs:" + ("" if rule.needs else " {}")]
    for need, points in rule.needs.items():
        if need in rule.need_harm_days:
            lines.append(f"  {_name(need)}: {{points: {written_number(points)}, harm within days: "
                         f"{rule.need_harm_days[need]}}}")  # fmt: skip
        else:
            lines.append(f"  {_name(need)}: {written_number(points)}")
    return "\n".join(lines) + "\n"


def _name(name: str) -> str:
    return name if PLAIN_NAME.fullmatch(name) else json.dumps(name, ensure_ascii=False)


def written_number(value: float) -> str:
    """`40`, `2.5`: a number as a rule writes it."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _order(node: yaml.Node, where: str) -> str:
    order = _key(node) if isinstance(node, yaml.ScalarNode) else ""
    if order not in ORDERS:
        raise RuleError(f"{where}: the order is one of: {', '.join(ORDERS)}.",
                        "For example:  order: harm first")  # fmt: skip
    return order


def _needs(
    entries: list[tuple[yaml.Node, yaml.Node]], origin: str
) -> tuple[dict[str, float], dict[str, int]]:
    """need -> points, and need -> harm within days for the needs that give them: a need
    is `food: 15`, or `food: {points: 15, harm within days: 7}`."""
    points: dict[str, float] = {}
    harm: dict[str, int] = {}
    for key_node, value_node in entries:
        need = _key(key_node).strip()
        if isinstance(value_node, yaml.ScalarNode):
            points[need] = _number(value_node, origin, f"points for need '{key_node.value}'")
            continue
        settings = {_key(key): value for key, value in _mapping(value_node, origin, f"'{need}'")}
        if set(settings) != FLAG_KEYS:
            raise RuleError(
                f"{origin} line {key_node.start_mark.line + 1}: need '{key_node.value}' is "
                "its points, or `points` and `harm within days`.",
                "For example:  food: {points: 15, harm within days: 7}",
            )
        points[need] = _number(settings["points"], origin, "`points`")
        harm[need] = int(_number(settings["harm within days"], origin, "`harm within days`",
                                 whole=True))  # fmt: skip
    return points, harm


def _flags(entries: list[tuple[yaml.Node, yaml.Node]], origin: str) -> dict[str, FlagRule]:
    flags = {}
    for key_node, value_node in entries:
        where = f"{origin} line {key_node.start_mark.line + 1}"
        try:
            flag = normalise_flag(str(key_node.value))
        except BadValue as error:
            raise RuleError(f"{where}: {error}.") from error
        settings = {_key(key): value for key, value in _mapping(value_node, origin, f"'{flag}'")}
        unknown = set(settings) - FLAG_KEYS - {BY_DUE_DATE}
        missing = FLAG_KEYS - set(settings)
        if unknown or missing:
            raise RuleError(
                f"{where}: risk flag '{key_node.value}' needs `harm within days` and `points` "
                f"(and may say `{BY_DUE_DATE}`)"
                + (f", not {', '.join(sorted(unknown))}" if unknown else "") + ".",
                "For example:  eviction notice: {harm within days: 2, points: 40, "
                f"{BY_DUE_DATE}: yes}}",
            )  # fmt: skip
        days = _number(settings["harm within days"], origin, "`harm within days`", whole=True)
        by_due = False
        if (said := settings.get(BY_DUE_DATE)) is not None:
            if _key(said) not in YES_NO:
                raise RuleError(f"{origin} line {said.start_mark.line + 1}: `{BY_DUE_DATE}` "
                                f"is yes or no, not '{said.value}'.")  # fmt: skip
            by_due = YES_NO[_key(said)]
        flags[flag] = FlagRule(int(days), _number(settings["points"], origin, "`points`"), by_due)
    return flags


def _settings(
    known: dict[str, str], entries: list[tuple[yaml.Node, yaml.Node]], origin: str, section: str
) -> dict[str, float]:
    values = {}
    for key_node, value_node in entries:
        name = _key(key_node)
        if name not in known:
            raise RuleError(
                f"{origin} line {key_node.start_mark.line + 1}: '{key_node.value}' is not a "
                f"setting of '{section}'.",
                f"Its settings are: {', '.join(known)}.",
            )
        attribute = known[name]
        values[attribute] = _number(value_node, origin, f"`{key_node.value}`",
                                    whole=attribute in DAYS)  # fmt: skip
    return values


def _mapping(node: yaml.Node, origin: str, what: str) -> list[tuple[yaml.Node, yaml.Node]]:
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return []  # an empty section: nothing in it earns points
    if not isinstance(node, yaml.MappingNode):
        raise RuleError(
            f"{origin} line {node.start_mark.line + 1}: {what} should be a list of "
            "`name: value` lines."
        )
    seen: dict[str, int] = {}
    for key, _ in node.value:
        line = key.start_mark.line + 1
        if _key(key) in seen:
            raise RuleError(
                f"{origin} line {line}: '{key.value}' is given twice (first on line "
                f"{seen[_key(key)]})."
            )
        seen[_key(key)] = line
    return list(node.value)


def _number(node: yaml.Node, origin: str, what: str, whole: bool = False) -> float:
    where = f"{origin} line {node.start_mark.line + 1}"
    text = node.value if isinstance(node, yaml.ScalarNode) else None
    try:
        value = float(text) if text is not None else None
    except ValueError:
        value = None
    if value is None or value != value or value in (float("inf"), float("-inf")):
        raise RuleError(f"{where}: {what} should be a number, not '{text or '...'}'.")
    if whole and (value < 0 or not value.is_integer()):
        raise RuleError(f"{where}: {what} should be a whole number of days, not {text}.")
    if value < 0:
        raise RuleError(f"{where}: {what} should be zero or more, not {text}.",
                        "A line that should count for nothing has 0 points.")  # fmt: skip
    return value


def _key(node: yaml.Node) -> str:
    return key_words(str(node.value))


def key_words(text: str) -> str:
    """`Harm_within-days` and `harm within days` are the same key (and `Rent-arrears`
    and `rent arrears` the same need)."""
    return " ".join(text.replace("_", " ").replace("-", " ").lower().split())


def _sections_hint() -> str:
    return f"A rule has these parts: {', '.join(SECTIONS)} (see `kinfold rule show`)."
