"""Single values: postcodes, dates, emails, phones, NI numbers, names, flags, statuses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kinfold import clock
from kinfold.ingest import values as v


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("SW1A 1AA", "SW1A 1AA"),
        ("sw1a1aa", "SW1A 1AA"),
        ("  ls6   2ab ", "LS6 2AB"),
        ("M1 1AE", "M1 1AE"),
        ("EC1A1BB", "EC1A 1BB"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_postcodes_are_normalised(given: str, expected: str) -> None:
    assert v.normalise_postcode(given) == expected


@pytest.mark.parametrize("given", ["LS6", "12345", "KF2 6D", "SW1A 1AAA", "not a postcode"])
def test_non_uk_postcodes_are_refused(given: str) -> None:
    with pytest.raises(v.BadValue, match="not a UK postcode"):
        v.normalise_postcode(given)


def test_dates_in_iso_and_named_formats() -> None:
    assert v.parse_datetime("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    assert v.parse_datetime("2026-11-01 09:30") == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    assert v.parse_datetime("2026-11-01T09:30:00Z") == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    assert v.parse_datetime("2026-11-01T10:30:00+01:00") == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    assert v.parse_datetime("01/11/2026", ("%d/%m/%Y",)) == datetime(2026, 11, 1, tzinfo=UTC)
    assert v.parse_date(date(2026, 1, 2)) == date(2026, 1, 2)


@pytest.mark.parametrize(
    ("given", "formats", "message"),
    [
        ("31/02/2026", ("%d/%m/%Y",), "not a real date"),
        ("2026-02-30", (), "not a real date"),
        ("31/02/2026", (), "expected form"),
        ("next Tuesday", ("%d/%m/%Y",), r"expected form \(%d/%m/%Y or YYYY-MM-DD\)"),
        ("", (), "no date given"),
    ],
)
def test_impossible_and_unreadable_dates_say_why(
    given: str, formats: tuple[str, ...], message: str
) -> None:
    with pytest.raises(v.BadValue, match=message):
        v.parse_datetime(given, formats)


def test_birth_dates_must_be_plausible() -> None:
    v.check_birth_date(date(1980, 1, 1), date(2026, 11, 1))
    with pytest.raises(v.BadValue, match="after the item was received"):
        v.check_birth_date(date(2027, 1, 1), date(2026, 11, 1))
    with pytest.raises(v.BadValue, match="before 1900"):
        v.check_birth_date(date(1850, 1, 1), date(2026, 11, 1))


def test_contact_details() -> None:
    assert v.normalise_email("Asha.Okafor@Example.COM") == "Asha.Okafor@example.com"
    assert v.normalise_phone("+44 7700 900123") == "07700900123"
    assert v.normalise_phone("(0113) 496-0000") == "01134960000"
    assert v.normalise_ni_number("ab 12 34 56 c") == "AB123456C"
    assert v.normalise_uprn("000100023336956") == "100023336956"
    for bad, check in (
        ("asha@", v.normalise_email),
        ("12345", v.normalise_phone),
        ("BG123456C", v.normalise_ni_number),
        ("12AB", v.normalise_uprn),
    ):
        with pytest.raises(v.BadValue):
            check(bad)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("SMITH, John", ("John", "SMITH")),
        ("John Smith", ("John", "Smith")),
        ("Mary Jane O'Brien", ("Mary Jane", "O'Brien")),
        ("Okafor", (None, "Okafor")),
        ("Smith,", (None, "Smith")),
    ],
)
def test_full_names_split_both_ways(given: str, expected: tuple[str | None, str | None]) -> None:
    assert v.split_full_name(given) == expected


def test_flags_and_statuses() -> None:
    assert v.normalise_flag(" Child under 5 ") == "child_under_5"
    assert v.normalise_flag("eviction-notice") == "eviction_notice"
    assert v.normalise_status("Live") == "open"
    assert v.normalise_status("COMPLETED") == "closed"
    with pytest.raises(v.BadValue, match="neither open nor closed"):
        v.normalise_status("on hold maybe")


@pytest.mark.parametrize("given", ["0001-01-01", "1899-12-31", "2099-01-01", "9999-12-31"])
def test_dates_outside_the_years_of_work_are_refused(given: str) -> None:
    with pytest.raises(v.BadValue, match=f"{given} is outside the dates kinfold takes"):
        v.parse_datetime(given)
    with pytest.raises(v.BadValue, match="outside the dates kinfold takes"):
        v.parse_moment(given)


def test_dates_from_1900_to_a_year_ahead_are_taken() -> None:
    ahead = (clock.now() + timedelta(days=360)).date().isoformat()
    assert v.parse_datetime("1900-01-01") == datetime(1900, 1, 1, tzinfo=UTC)
    assert v.parse_datetime(ahead).date().isoformat() == ahead  # a due date next year
    assert v.parse_date("1899-05-01") == date(1899, 5, 1)  # birth dates: their own check
