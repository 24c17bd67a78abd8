from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kinfold.clock import ago, as_utc

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=59), "59 minutes ago"),
        (timedelta(hours=6, minutes=5), "6 hours ago"),
        (timedelta(days=1, hours=2), "1 day ago"),
        (timedelta(days=6), "6 days ago"),
        (timedelta(days=15), "2 weeks ago"),
    ],
)
def test_ago_in_plain_words(delta: timedelta, words: str) -> None:
    assert ago(NOW - delta, NOW) == words


def test_naive_times_are_utc() -> None:
    assert as_utc(datetime(2026, 11, 22, 6, 0)) == datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    assert ago(datetime(2026, 11, 22, 6, 0), NOW) == "6 hours ago"
