"""The one place kinfold asks the time, so that tests and demos can fix it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def now() -> datetime:
    """The current time in UTC, to the microsecond."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive time (as SQLite returns them) is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def ago(then: datetime, at: datetime | None = None) -> str:
    """How long ago `then` was, in plain words: "just now", "6 hours ago", "3 days ago"."""
    seconds = int((as_utc(at or now()) - as_utc(then)).total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in ((86_400 * 7, "week"), (86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    raise AssertionError("unreachable")  # pragma: no cover


def day_of(value: Any) -> date:
    """The day of a date or time as either database gives it back in plain SQL: a date, a
    datetime, or (SQLite) ISO text."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"not a date: {value!r}")


def moment_of(value: Any) -> datetime:
    """A time as either database gives it back in plain SQL (SQLite: ISO text), in UTC."""
    return as_utc(datetime.fromisoformat(value) if isinstance(value, str) else value)
