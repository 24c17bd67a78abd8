"""What record linkage compares: each item's person, cleaned, read from the store.

Items that say exactly the same about their person once cleaned (a claimant with twelve
claims typed the same way twelve times) share one record, so linkage compares each
distinct description once and every item follows its record.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import pyarrow as pa
from sqlalchemy import Connection, Table

from kinfold.ingest.values import BadValue, normalise_email, normalise_ni_number
from kinfold.resolve.cleaning import (
    Address,
    formal_first_name,
    parse_address,
    phone_digits,
    plain,
    plain_name,
)
from kinfold.store.database import driver_rows

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DIGIT_DATE = re.compile(r"^\d{8}$")


class Record(NamedTuple):
    """A person as one or more items describe them, in the form linkage compares."""

    first: str | None  # the first word of the first name
    first_formal: str | None
    first_whole: str | None  # every word of it, run together: "mary ann", "wil liam"
    last: str | None
    dob: str | None  # YYYY-MM-DD as recorded (possibly with a typo)
    home: str | None  # postcode|number|flat|street
    building: str | None  # number|street: the same home when the postcode is missing
    postcode: str | None
    street: str | None
    uprn: str | None
    phone: str | None
    email: str | None
    ni: str | None
    ref: str | None  # the source system's own number for the person: "<number>|<source>"
    place: str | None  # the address's other words: a building or estate name, a locality
    town: str | None


RECORD_COLUMNS = Record._fields

# Blocks of fields that, alone, would grow with the square of the backlog: a common
# name, a long street. Each is given as a column of its own (the values joined) only
# for records whose block holds at most FEW_TOGETHER of them, so that each record is
# compared with a bounded number of others on these alone. A pair in a bigger block is
# still compared when it shares more (a date of birth, a home, a phone): other rules.
TOGETHER = {
    "names": ("first_formal", "last"),
    "street_first": ("street", "first_formal"),
    "street_last": ("street", "last"),
    # everyone at a number in a street, where few are: one person's records with the
    # name and date of birth both mistyped meet here (the model weighs them; a rule that
    # holds keeps relatives apart)
    "few_at_building": ("building",),
    "few_at_place": ("place", "postcode"),
}
FEW_TOGETHER = 20


@dataclass(frozen=True)
class ItemPerson:
    """One item: who it is about (as a record) and the facts households are built from."""

    item_id: int
    record: int  # index into Records.distinct
    display: tuple[str | None, str | None, str | None]  # first and last name, date of birth
    received_at: Any  # comparable within one store: text in SQLite, datetime in PostgreSQL
    address: Address
    uprn: str | None
    phone: str | None
    school: str | None
    gp_practice: str | None
    open: bool
    surname: str | None = None  # as linkage compares it
    email: str | None = None
    born: str | None = None  # YYYY-MM-DD


@dataclass
class Records:
    items: list[ItemPerson]
    distinct: list[Record]

    def table(self) -> pa.Table:
        """The distinct records as an Arrow table with `unique_id` = their index."""
        columns: dict[str, list[Any]] = {"unique_id": list(range(len(self.distinct)))}
        for position, name in enumerate(RECORD_COLUMNS):
            columns[name] = [record[position] for record in self.distinct]
        for name, fields in TOGETHER.items():
            columns[name] = _few_together([columns[field] for field in fields])
        return pa.table(columns, schema=record_schema())


def _few_together(columns: list[list[str | None]]) -> list[str | None]:
    """Each record's values joined, where at most FEW_TOGETHER records share them all."""
    joined: list[str | None] = []
    for values in zip(*columns, strict=True):
        given = [value for value in values if value]
        joined.append("|".join(given) if len(given) == len(values) else None)
    counts = Counter(joined)
    return [value if value and counts[value] <= FEW_TOGETHER else None for value in joined]


def record_schema() -> pa.Schema:
    names = (*RECORD_COLUMNS, *TOGETHER)
    return pa.schema([("unique_id", pa.int64()), *((name, pa.string()) for name in names)])


ITEM_QUERY = """
SELECT id, first_name, last_name, date_of_birth, address_line_1, address_line_2,
       address_line_3, town, postcode, uprn, phone, email, ni_number, source, person_ref,
       received_at, school, gp_practice, status
FROM items
"""


def read_records(conn: Connection, among: Table | None = None) -> Records:
    """Every item's person (or only those of the items whose ids are in the table
    `among`), cleaned and shared out."""
    query = ITEM_QUERY
    if among is not None:
        query += f" WHERE id IN (SELECT id FROM {among.name})"
    return build_records(driver_rows(conn, query + " ORDER BY id"))


def build_records(rows: Iterable[Any]) -> Records:
    index: dict[Record, int] = {}
    items: list[ItemPerson] = []
    addresses: dict[tuple[str | None, ...], Address] = {}  # a person's items repeat theirs
    for row in rows:
        (item_id, first, last, dob, line1, line2, line3, town, postcode, uprn, phone, email, ni,
         source, person_ref, received_at, school, gp_practice, status) = row  # fmt: skip
        written = (line1, line2, line3, postcode)
        address = addresses.get(written)
        if address is None:
            address = addresses[written] = parse_address([line1, line2, line3], postcode)
        digits = phone_digits(phone) or None
        # compared without spaces: "calder cre scent" is "calder crescent" mistyped
        street = address.street.replace(" ", "")
        matched_postcode = address.postcode or _compact(postcode)
        record = Record(
            first=_first(first),
            first_formal=formal_first_name(first) or None,
            first_whole=plain_name(first).replace(" ", "") or None,
            last=plain_name(last) or None,
            dob=clean_birth_date(dob),
            home=_home(address, matched_postcode),
            building=f"{address.number}|{street}" if address.key() else None,
            postcode=matched_postcode or None,
            street=street or None,
            uprn=uprn or None,
            phone=digits,
            email=_clean(normalise_email, email),
            ni=_clean(normalise_ni_number, ni),
            ref=f"{plain(person_ref)}|{source}" if plain(person_ref) else None,
            place=address.locality.replace(" ", "") or None,
            town=plain(town).replace(" ", "") or None,
        )
        position = index.setdefault(record, len(index))
        items.append(
            ItemPerson(
                item_id=item_id,
                record=position,
                display=(first, last, dob),
                received_at=received_at,
                address=address,
                uprn=uprn or None,
                phone=digits,
                school=school or None,
                gp_practice=gp_practice or None,
                open=status == "open",
                surname=record.last,
                email=record.email,
                born=record.dob,
            )
        )
    return Records(items=items, distinct=list(index))


def clean_birth_date(value: str | None) -> str | None:
    """A date of birth as YYYY-MM-DD; None when it is missing or not a real date."""
    if not value:
        return None
    value = value.strip()
    if DIGIT_DATE.match(value):
        value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    if not ISO_DATE.match(value):
        return None
    try:
        date.fromisoformat(value)
    except ValueError:
        return None
    return value


def _home(address: Address, postcode: str) -> str | None:
    if not address.key():
        return None
    return "|".join((postcode.replace(" ", ""), address.number, address.flat,
                     address.street.replace(" ", "")))  # fmt: skip


def _compact(postcode: str | None) -> str:
    """A postcode that is not a UK one (or is mistyped) still counts when two records
    give it alike."""
    return plain(postcode).replace(" ", "").upper()


def _first(name: str | None) -> str | None:
    words = plain_name(name).split(" ")
    return words[0] or None


def _clean(normalise: Any, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(normalise(value))
    except BadValue:
        return None
