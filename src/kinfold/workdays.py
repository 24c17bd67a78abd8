"""Working days: Monday to Friday, except the bank holidays of the workspace's UK nation.

The nation is `nation:` in kinfold.yaml, in GOV.UK's three divisions (england-and-wales,
scotland, northern-ireland); the bank holidays come from the `holidays` package, which
ships them (nothing is fetched at run time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import holidays

from kinfold.settings import Settings

# England and Wales share their bank holidays
SUBDIVISIONS = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}


@dataclass
class WorkingDays:
    nation: str = "england-and-wales"
    _holidays: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._holidays = holidays.country_holidays("GB", subdiv=SUBDIVISIONS[self.nation])

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkingDays:
        """The workspace's nation."""
        return cls(settings.nation)

    def is_working(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def add(self, start: date, days: int) -> date:
        """The working day `days` working days after `start` (0: `start` itself if it is
        one, else the next)."""
        day = start
        while not self.is_working(day):
            day += timedelta(days=1)
        for _ in range(days):
            day += timedelta(days=1)
            while not self.is_working(day):
                day += timedelta(days=1)
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when `end` is not
        later): a case that arrived on Friday and was contacted on Monday took one."""
        return sum(
            self.is_working(start + timedelta(days=n)) for n in range(1, (end - start).days + 1)
        )
