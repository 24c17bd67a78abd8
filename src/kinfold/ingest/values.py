"""Checking and normalising single values: dates, UK postcodes, emails, phones, flags.

Each `normalise_*` returns the normalised value, or raises `BadValue` with a reason a
person understands. They are pure, so the busy ones are cached: a backlog repeats its
postcodes, dates and phone numbers many times over. Whether a bad value rejects the row
or is kept and flagged is the importer's decision, not these functions'.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from kinfold import clock
from kinfold.ingest.tables import Value


class BadValue(ValueError):
    """A value that does not fit its field; the message says why."""


POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
NI_NUMBER = re.compile(
    r"^(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$"
)
UPRN = re.compile(r"^[0-9]{1,12}$")
NOT_FLAG_CHARS = re.compile(r"[^a-z0-9]+")
EARLIEST_BIRTH = date(1900, 1, 1)
EARLIEST_MOMENT = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=366)  # a due date may be up to a year ahead

STATUS_WORDS = {
    "open": "open",
    "opened": "open",
    "new": "open",
    "live": "open",
    "active": "open",
    "in progress": "open",
    "pending": "open",
    "closed": "closed",
    "close": "closed",
    "complete": "closed",
    "completed": "closed",
    "done": "closed",
    "resolved": "closed",
}


def text(value: Value) -> str | None:
    """A stripped string, or None for an empty value."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    stripped = value.strip()
    return stripped or None


@lru_cache(maxsize=1 << 16)
def normalise_postcode(value: str) -> str:
    """`sw1a1aa`, ` SW1A  1AA ` -> `SW1A 1AA`."""
    compact = re.sub(r"\s+", "", value).upper()
    if compact == "GIR0AA":
        return "GIR 0AA"
    match = POSTCODE.match(compact)
    if match is None:
        raise BadValue(f"'{value}' is not a UK postcode")
    return f"{match.group(1)} {match.group(2)}"


@lru_cache(maxsize=1 << 16)
def normalise_email(value: str) -> str:
    candidate = value.strip()
    if not EMAIL.match(candidate):
        raise BadValue(f"'{value}' is not an email address")
    local, domain = candidate.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


@lru_cache(maxsize=1 << 16)
def normalise_phone(value: str) -> str:
    """UK numbers to their national form: `+44 7700 900123` -> `07700900123`."""
    digits = re.sub(r"[\s\-().]", "", value)
    if digits.startswith("+44"):
        digits = "0" + digits[3:]
    elif digits.startswith("0044"):
        digits = "0" + digits[4:]
    if not digits.isdigit() or not digits.startswith("0") or len(digits) not in (10, 11):
        raise BadValue(f"'{value}' is not a UK phone number")
    return digits


@lru_cache(maxsize=1 << 16)
def normalise_ni_number(value: str) -> str:
    compact = re.sub(r"\s+", "", value).upper()
    if not NI_NUMBER.match(compact):
        raise BadValue(f"'{value}' is not a National Insurance number")
    return compact


@lru_cache(maxsize=1 << 16)
def normalise_uprn(value: str) -> str:
    compact = value.strip().lstrip("0") or "0"
    if not UPRN.match(compact):
        raise BadValue(f"'{value}' is not a UPRN (up to 12 digits)")
    return compact


@lru_cache(maxsize=1 << 16)
def normalise_flag(value: str) -> str:
    """`Child under 5` / `child-under-5` -> `child_under_5`."""
    return NOT_FLAG_CHARS.sub("_", value.strip().lower()).strip("_")


def normalise_status(value: str) -> str:
    status = STATUS_WORDS.get(value.strip().lower())
    if status is None:
        raise BadValue(
            f"status '{value}' is neither open nor closed; "
            "say which it is under `values:` for status in a mapping file"
        )
    return status


def parse_datetime(value: Value, formats: tuple[str, ...] = ()) -> datetime:
    """A date or date-time: ISO 8601, or one of `formats` (strftime patterns), as UTC,
    within the years work can have happened in (`plausible`)."""
    return plausible(_any_moment(value, formats))


def work_window() -> tuple[datetime, datetime]:
    """The years work can have happened in: from 1 January 1900 to a year from now."""
    return EARLIEST_MOMENT, clock.now() + LATEST_AHEAD


def plausible(moment: datetime) -> datetime:
    """`moment`, if it is within `work_window`: a date outside (0001-01-01, a typing slip
    for 2026 as 2099) would become every measure's edge, as of or start."""
    earliest, latest = work_window()
    if not earliest <= moment <= latest:
        raise BadValue(f"{moment.date().isoformat()} is outside the dates kinfold takes for work "
                       f"(from 1 January 1900 to {latest.day} {latest:%B %Y})")  # fmt: skip
    return moment


def _any_moment(value: Value, formats: tuple[str, ...] = ()) -> datetime:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise BadValue("no date given")
        return _parse_text(text, formats)
    if isinstance(value, datetime):
        return _as_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise BadValue("no date given")


def parse_date(value: Value, formats: tuple[str, ...] = ()) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return _any_moment(value, formats).date()


def parse_moment(value: Value, formats: tuple[str, ...] = ()) -> tuple[datetime, bool]:
    """As `parse_datetime`, and whether the value gave its own time zone (a time without
    one is taken to be UTC)."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise BadValue("no date given")
        moment, zoned = _moment_text(text, formats)
        return plausible(moment), zoned
    return parse_datetime(value, formats), isinstance(value, datetime) and value.tzinfo is not None


@lru_cache(maxsize=1 << 16)
def _moment_text(text: str, formats: tuple[str, ...]) -> tuple[datetime, bool]:
    """The moment `text` says, and whether it says its time zone: read once."""
    parsed = _parse_date_text(text, formats)
    return _as_utc(parsed), parsed.tzinfo is not None


@lru_cache(maxsize=1 << 16)
def _parse_text(text: str, formats: tuple[str, ...]) -> datetime:
    """Cached: a backlog repeats its dates many times over (datetimes are immutable)."""
    return _as_utc(_parse_date_text(text, formats))


def _as_utc(parsed: datetime) -> datetime:
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse_date_text(value: str, formats: tuple[str, ...]) -> datetime:
    for pattern in formats:
        try:
            return datetime.strptime(value, pattern)
        except ValueError as error:
            if "unconverted data" in str(error) or "does not match" in str(error):
                continue
            raise BadValue(f"'{value}' is not a real date ({error})") from error
    try:
        return datetime.fromisoformat(value)
    except ValueError as error:
        if re.match(r"^\d{4}-\d{2}-\d{2}", value):
            raise BadValue(f"'{value}' is not a real date ({error})") from error
        expected = " or ".join((*formats, "YYYY-MM-DD"))
        raise BadValue(f"'{value}' is not a date in the expected form ({expected})") from error


def check_birth_date(born: date, received: date) -> None:
    if born > received:
        raise BadValue(f"date of birth {born.isoformat()} is after the item was received")
    if born < EARLIEST_BIRTH:
        raise BadValue(f"date of birth {born.isoformat()} is before 1900")


def split_full_name(full_name: str) -> tuple[str | None, str | None]:
    """`SMITH, John` and `John Smith` -> (`John`, `Smith`); one word is a last name."""
    if "," in full_name:
        last, first = (part.strip() for part in full_name.split(",", 1))
        return first or None, last or None
    words = full_name.split()
    if len(words) == 1:
        return None, words[0]
    return " ".join(words[:-1]), words[-1]
