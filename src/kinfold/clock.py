"""The one place kinfold asks the time, so that tests and demos can fix it."""

from __future__ import annotations

from datetime import UTC, datetime


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
