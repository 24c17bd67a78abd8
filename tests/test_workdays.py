"""Working days skip weekends and the bank holidays of the workspace's nation."""

from __future__ import annotations

from datetime import date

from kinfold.settings import Settings
from kinfold.workdays import WorkingDays

FRIDAY = date(2026, 11, 27)  # Monday 30 November is St Andrew's Day, a Scottish holiday


def test_working_days_count_the_nations_bank_holidays() -> None:
    england = WorkingDays.from_settings(Settings())
    scotland = WorkingDays.from_settings(Settings.parse({"nation": "scotland"}))
    assert england.add(FRIDAY, 1) == date(2026, 11, 30)
    assert scotland.add(FRIDAY, 1) == date(2026, 12, 1)
    assert england.add(date(2026, 11, 28), 0) == date(2026, 11, 30)  # a Saturday moves on
    assert england.between(FRIDAY, date(2026, 12, 1)) == 2
    assert scotland.between(FRIDAY, date(2026, 12, 1)) == 1
    assert england.between(FRIDAY, FRIDAY) == 0
    # Christmas 2026: Friday 25th, Monday 28th (Boxing Day observed)
    assert england.add(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert not england.is_working(date(2026, 12, 28))
