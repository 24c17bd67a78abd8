"""What-if scenarios: changes to the plan's inputs, read from a YAML file.

    scenarios:
      - name: Sickness up to 8%
        sickness: 8%            # unplanned absence as a share of paid hours (replaces today's)
      - name: Two redeployed in
        staff: 2                # FTE in (or out, below zero)
      - name: Demand up 20%
        demand: +20%            # arrivals from now on, more (or fewer, below zero)
      - name: Overtime
        overtime hours: 40      # paid hours a week beyond the roster, in all
      - name: Quicker claims
        standard minutes:       # a changed standard time, per item type
          Benefit claim: 45

A scenario may change several things at once. Shares are written as `8%` or `0.08`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kinfold.errors import KinfoldError

KEYS = ("name", "sickness", "staff", "demand", "overtime hours", "standard minutes")


@dataclass(frozen=True)
class Scenario:
    name: str
    sickness: float | None = None  # None: as now
    staff: float = 0.0
    demand: float = 0.0
    overtime: float = 0.0
    standard_minutes: dict[str, float] = field(default_factory=dict)

    def changes(self) -> str:
        """In words: "sickness 8%; 2 FTE in; demand +20%"."""
        said = []
        if self.sickness is not None:
            said.append(f"sickness {self.sickness:.0%}")
        if self.staff:
            said.append(f"{abs(self.staff):g} FTE {'in' if self.staff > 0 else 'out'}")
        if self.demand:
            said.append(f"demand {self.demand:+.0%}")
        if self.overtime:
            said.append(f"{self.overtime:g} overtime hours a week")
        said += [f"{kind} {minutes:g} minutes" for kind, minutes in self.standard_minutes.items()]
        return "; ".join(said) or "no change"


AS_NOW = Scenario("As now")


def read_scenarios(path: Path) -> list[Scenario]:
    """The scenarios of a file; a clear error names the file, the scenario and the key."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise KinfoldError(f"{path}: cannot be read ({error.strerror}).") from error
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise KinfoldError(f"{path}: is not a YAML file: {error}") from error
    listed = loaded.get("scenarios") if isinstance(loaded, dict) else None
    if not isinstance(listed, list) or not listed:
        raise KinfoldError(
            f"{path}: has no list of scenarios.",
            "Write `scenarios:` and below it one `- name: ...` per scenario (see docs/plan.md).",
        )
    found = [_scenario(entry, f"{path}, scenario {n}") for n, entry in enumerate(listed, 1)]
    names = [scenario.name for scenario in found]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise KinfoldError(f"{path}: two scenarios are named {repeated[0]!r}.")
    return found


def _scenario(entry: Any, where: str) -> Scenario:
    if not isinstance(entry, dict):
        raise KinfoldError(f"{where}: should be a set of changes, each `key: value`.")
    unknown = [str(key) for key in entry if key not in KEYS]
    if unknown:
        raise KinfoldError(
            f"{where}: `{unknown[0]}` is not a change kinfold knows.",
            f"Use any of: {', '.join(KEYS)}.",
        )
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise KinfoldError(f"{where}: has no name.", "Give it one: `- name: Demand up 20%`.")
    where = f"{where} ({name.strip()})"
    sickness = entry.get("sickness")
    minutes = entry.get("standard minutes", {})
    if not isinstance(minutes, dict):
        raise KinfoldError(
            f"{where}: `standard minutes` should list item types, each with its minutes.",
            "For example:  standard minutes: {Benefit claim: 45}",
        )
    return Scenario(
        name=name.strip(),
        sickness=None if sickness is None else _share(sickness, where, "sickness", 0, 0.99),
        staff=_number(entry.get("staff", 0), where, "staff", -math.inf),
        demand=_share(entry.get("demand", 0), where, "demand", -0.99, math.inf),
        overtime=_number(entry.get("overtime hours", 0), where, "overtime hours", 0),
        standard_minutes={
            str(kind): _number(value, where, f"standard minutes: {kind}", 0, positive=True)
            for kind, value in minutes.items()
        },
    )


def _share(value: Any, where: str, key: str, least: float, most: float) -> float:
    """`8%`, `+20%`, `-10%` or a plain number such as 0.08."""
    text = str(value).strip()
    number = _number(text[:-1] if text.endswith("%") else value, where, key, -math.inf)
    share = number / 100 if text.endswith("%") else number
    if not least <= share <= most:
        raise KinfoldError(
            f"{where}: `{key}: {value}` is out of range.",
            f"Give a share from {least:.0%}" + (f" to {most:.0%}." if most != math.inf else " up."),
        )
    return share


def _number(value: Any, where: str, key: str, least: float, positive: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if (
        isinstance(value, bool)
        or not math.isfinite(number)
        or number < least
        or (positive and number <= 0)
    ):
        floor = "above 0" if positive else ("0 or more" if least == 0 else "")
        raise KinfoldError(f"{where}: `{key}: {value}` is not a number {floor}".rstrip() + ".")
    return number
