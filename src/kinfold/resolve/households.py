"""Households: people who live together, and the communities each household belongs to.

A person lives where their most recent item with an address says, filled in from their
other items at the same building (a flat number or postcode one record left out). People
then share a household when they share a UPRN or a home (postcode, number, flat, street);
a home written without its postcode joins the one household at that number and street;
a phone number shared within one postcode joins homes written two different ways.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from kinfold.resolve.cleaning import Address
from kinfold.resolve.records import ItemPerson


@dataclass
class Home:
    address: Address
    uprn: str | None


@dataclass
class Household:
    """One household found: its people (as person indexes) and its community keys."""

    people: list[int]
    home: Home
    postcode_sector: str | None = None
    postcode_district: str | None = None
    school: str | None = None
    gp_practice: str | None = None


def homes(items: Sequence[ItemPerson], person_of: Sequence[int], people: int) -> list[Home | None]:
    """Each person's current home, or None when no item gives one (an address with a
    house number or flat and a street, or a UPRN)."""
    latest: list[ItemPerson | None] = [None] * people
    by_building: dict[tuple[int, str], list[ItemPerson]] = {}
    for item, person in zip(items, person_of, strict=True):
        if not (item.address.key() or item.uprn):
            continue
        current = latest[person]
        if current is None or item.received_at > current.received_at:
            latest[person] = item
        by_building.setdefault((person, _building(item.address)), []).append(item)
    found: list[Home | None] = []
    for person, newest in enumerate(latest):
        if newest is None:
            found.append(None)
            continue
        address, uprn = newest.address, newest.uprn
        for other in by_building[(person, _building(address))]:
            if not address.flat and other.address.flat:
                address = replace(address, flat=other.address.flat)
            if not address.postcode and other.address.postcode:
                address = replace(address, postcode=other.address.postcode)
            if not uprn and other.uprn and other.address.key() == address.key():
                uprn = other.uprn
        found.append(Home(address, uprn))
    return found


def households(
    items: Sequence[ItemPerson], person_of: Sequence[int], people: int
) -> tuple[list[Household], list[int | None]]:
    """The households, and each person's household index (None: no address to go on)."""
    person_homes = homes(items, person_of, people)
    parent = list(range(people))

    def find(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def join(left: int, right: int) -> None:
        a, b = find(left), find(right)
        if a != b:
            parent[max(a, b)] = min(a, b)

    full_keys: dict[tuple[str, str, str], set[str]] = {}  # (number, flat, street) -> postcodes
    for home in person_homes:
        if home and home.address.postcode:
            address = home.address
            full_keys.setdefault(_place(address), set()).add(address.postcode)
    first_with: dict[str, int] = {}
    for person, home in enumerate(person_homes):
        if home is None:
            continue
        address = home.address
        if not address.postcode and len(full_keys.get(_place(address), ())) == 1:
            address = replace(address, postcode=next(iter(full_keys[_place(address)])))
            home.address = address
        for key in household_keys(address, home.uprn):
            join(person, first_with.setdefault(key, person))

    phones_in_postcode: dict[tuple[str, str], int] = {}
    for item, person in zip(items, person_of, strict=True):
        home = person_homes[person]
        if item.phone and home and home.address.postcode:
            phone_key = (item.phone, home.address.postcode)
            join(person, phones_in_postcode.setdefault(phone_key, person))

    index: dict[int, int] = {}
    found: list[Household] = []
    household_of: list[int | None] = [None] * people
    for person, home in enumerate(person_homes):
        if home is None:
            continue
        root = find(person)
        if root not in index:
            index[root] = len(found)
            found.append(Household(people=[], home=person_homes[root] or home))
        household_of[person] = index[root]
        found[index[root]].people.append(person)
    _add_communities(found, items, person_of, household_of)
    return found, household_of


def _add_communities(
    found: list[Household],
    items: Sequence[ItemPerson],
    person_of: Sequence[int],
    household_of: Sequence[int | None],
) -> None:
    schools: list[Counter[str]] = [Counter() for _ in found]
    practices: list[Counter[str]] = [Counter() for _ in found]
    for item, person in zip(items, person_of, strict=True):
        household = household_of[person]
        if household is None:
            continue
        if item.school:
            schools[household][item.school] += 1
        if item.gp_practice:
            practices[household][item.gp_practice] += 1
    for place, school, practice in zip(found, schools, practices, strict=True):
        place.postcode_sector, place.postcode_district = postcode_areas(place.home.address.postcode)
        place.school = _most_common(school)
        place.gp_practice = _most_common(practice)


def household_keys(address: Address, uprn: str | None) -> list[str]:
    """What says two people live in one home: the same address, or the same UPRN."""
    keys = [f"home:{address.key()}"] if address.key() else []
    if uprn:
        keys.append(f"uprn:{uprn}")
    return keys


def postcode_areas(postcode: str) -> tuple[str | None, str | None]:
    """The sector and district of a postcode: "LS6 2AB" -> ("LS6 2", "LS6")."""
    if not postcode:
        return None, None
    return postcode[:-2], postcode.split(" ")[0]


def _most_common(counts: Counter[str]) -> str | None:
    return counts.most_common(1)[0][0] if counts else None


def _building(address: Address) -> str:
    return f"{address.number}|{address.street}"


def _place(address: Address) -> tuple[str, str, str]:
    return (address.number, address.flat, address.street)
