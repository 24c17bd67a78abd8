"""Households: people who live together, and the communities each household belongs to.

A person lives where their most recent item with an address says, filled in from their
other items at the same building (a flat number or postcode one record left out). People
then share a household when they share a UPRN or a home (postcode, number, flat, street);
a home written without its postcode joins the one household at that number and street;
one whose street was mistyped joins the household at the same postcode, number and flat;
a phone number shared within one postcode joins homes written two different ways; a
family left at a home someone moved from follows them when the workspace's own moves say
families here go together (`_follow_moves`).

Everyone has a household. A person whose items give only part of an address (a street
and postcode, but no number) joins the one household there, or lives alone at it; a
person with no address at all is a household of one, and says so (`basis`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from typing import Any

from kinfold.resolve.cleaning import STREET_TYPES, Address, as_scanned
from kinfold.resolve.records import ItemPerson

BASES = ("uprn", "address", "part of an address", "no address")
NO_ADDRESS = Address(flat="", number="", street="", locality="", postcode="")
NO_ADDRESS_SHOWN = "(no address)"
SAME_STREET = 0.85  # how alike two spellings of a street at one postcode and number are
GENERATION = 16  # years between a parent's birth and their child's, at the least


@dataclass
class Home:
    address: Address
    uprn: str | None
    basis: str = "address"  # one of BASES

    def shown(self) -> str:
        """The address as a letter would show it, or that there is none."""
        return self.address.display() or NO_ADDRESS_SHOWN


def nowhere() -> Home:
    """The home of a person none of whose items gives an address: a household of one."""
    return Home(NO_ADDRESS, None, "no address")


def partial_homes(
    items: Sequence[ItemPerson], person_of: Sequence[int], person_homes: Sequence[Home | None]
) -> dict[int, Home]:
    """person -> the part of an address their latest item gives (a street and postcode
    with no number, say), for the people with no home whose items give any."""
    latest: dict[int, ItemPerson] = {}
    for item, person in zip(items, person_of, strict=True):
        if person_homes[person] is None and item.address.partial():
            current = latest.get(person)
            if current is None or item.received_at > current.received_at:
                latest[person] = item
    return {
        person: Home(item.address, None, "part of an address") for person, item in latest.items()
    }


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
        found.append(Home(address, uprn, "uprn" if uprn else "address"))
    return found


def households(
    items: Sequence[ItemPerson], person_of: Sequence[int], people: int
) -> tuple[list[Household], list[int]]:
    """The households, and each person's household index: everyone has one."""
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

    # (number, flat, street) -> postcode -> UPRNs; (postcode, number, flat) -> street -> ...
    postcodes: dict[tuple[str, str, str], dict[str, set[str | None]]] = {}
    streets: dict[tuple[str, str, str], dict[str, set[str | None]]] = {}
    living: dict[tuple[str, str, str], dict[str, list[int]]] = {}  # -> postcode -> people
    for person, home in enumerate(person_homes):
        if home and home.address.postcode and home.address.street:
            address = home.address
            place, in_postcode = _place(address), _in_postcode(address)
            postcodes.setdefault(place, {}).setdefault(address.postcode, set()).add(home.uprn)
            streets.setdefault(in_postcode, {}).setdefault(address.street, set()).add(home.uprn)
            living.setdefault(place, {}).setdefault(address.postcode, []).append(person)
    bonds = family_bonds(items, person_of)
    first_with: dict[str, int] = {}
    for person, home in enumerate(person_homes):
        if home is None:
            continue
        # written without its postcode, or without its street ("Rose Cottage", BD22 8DX):
        # the one home at that number and street, or at that number in that postcode,
        # unless its UPRN says it is another; of several, the one where family lives
        address = home.address
        if not address.postcode and (
            filled := _the_one(postcodes.get(_place(address)), home)
            or _where_family_lives(living.get(_place(address)), bonds[person], bonds)
        ):
            address = replace(address, postcode=filled)
        if not address.street and (filled := _the_one(streets.get(_in_postcode(address)), home)):
            address = replace(address, street=filled)
        home.address = address
        for key in household_keys(address, home.uprn):
            join(person, first_with.setdefault(key, person))

    phones_in_postcode: dict[tuple[str, str], int] = {}
    for item, person in zip(items, person_of, strict=True):
        home = person_homes[person]
        if item.phone and home and home.address.postcode:
            phone_key = (item.phone, home.address.postcode)
            join(person, phones_in_postcode.setdefault(phone_key, person))

    _join_mistyped_streets(person_homes, join)
    _follow_moves(items, person_of, person_homes, bonds, find, join)
    _place_the_rest(items, person_of, person_homes, find, join)

    index: dict[int, int] = {}
    found: list[Household] = []
    household_of: list[int] = [0] * people
    for person in range(people):
        root = find(person)
        if root not in index:
            index[root] = len(found)
            found.append(Household(people=[], home=nowhere()))
        household = found[index[root]]
        household_of[person] = index[root]
        household.people.append(person)
        home = person_homes[person]
        if home is not None and BASES.index(home.basis) < BASES.index(household.home.basis):
            household.home = home  # the surest of its people's homes
    _add_communities(found, items, person_of, household_of)
    return found, household_of


def _the_one(written: dict[str, set[str | None]] | None, home: Home) -> str:
    """The one way the rest of a home is written elsewhere (its postcode, or its
    street), when there is one and no UPRN there differs from the home's own."""
    if not written or len(written) > 1:
        return ""
    ((spelling, uprns),) = written.items()
    return spelling if not home.uprn or uprns <= {home.uprn, None} else ""


def _where_family_lives(
    living: dict[str, list[int]] | None, bond: set[str], bonds: dict[int, set[str]]
) -> str:
    """Of the postcodes a home's number and street are found at, the one where someone
    shares a surname, phone or email with the person ("" when none or more than one)."""
    family = {
        code for code, people in (living or {}).items() if any(bonds[p] & bond for p in people)
    }
    return family.pop() if len(family) == 1 else ""


def _join_mistyped_streets(
    person_homes: Sequence[Home | None], join: Callable[[int, int], None]
) -> None:
    """Homes at one postcode, number and flat whose streets differ by a slip are one; so
    are homes at one number, flat and street whose postcodes differ by one character."""
    streets: dict[tuple[str, str, str], dict[str, int]] = {}  # -> street -> a person there
    postcodes: dict[tuple[str, str, str], dict[str, int]] = {}  # -> postcode -> a person
    for person, home in enumerate(person_homes):
        address = home.address if home else None
        if address and address.postcode and address.street:
            streets.setdefault(_in_postcode(address), {}).setdefault(address.street, person)
            postcodes.setdefault(_place(address), {}).setdefault(address.postcode, person)
    for written, alike in ((streets, _similar_streets), (postcodes, _one_character_apart)):
        for spellings in written.values():
            if len(spellings) < 2:
                continue
            ordered = sorted(spellings)
            for position, spelling in enumerate(ordered):
                for other in ordered[position + 1 :]:
                    if alike(spelling, other):
                        join(spellings[spelling], spellings[other])


@dataclass
class _Trail:
    """Where and when each person's records put them."""

    moved_in: dict[int, Any] = field(default_factory=dict)  # first record at current home
    latest: dict[int, Any] = field(default_factory=dict)  # latest record
    left: dict[str, list[int]] = field(default_factory=dict)  # earlier home -> who left it
    bonds: dict[int, set[str]] = field(default_factory=dict)  # `family_bonds`
    born: dict[int, int] = field(default_factory=dict)  # the year they were born


def family_bonds(items: Sequence[ItemPerson], person_of: Sequence[int]) -> dict[int, set[str]]:
    """person -> what ties them to family: their surnames, phones and emails."""
    bonds: dict[int, set[str]] = {person: set() for person in person_of}
    for item, person in zip(items, person_of, strict=True):
        bonds[person].update(value for value in (item.surname, item.phone, item.email) if value)
    return bonds


def _trail(
    items: Sequence[ItemPerson],
    person_of: Sequence[int],
    person_homes: Sequence[Home | None],
    bonds: dict[int, set[str]],
) -> _Trail:
    trail = _Trail(bonds=bonds)
    earlier: set[tuple[int, str]] = set()  # (person, a home their records give before)
    for item, person in zip(items, person_of, strict=True):
        if item.born:
            trail.born[person] = int(item.born[:4])
        home, when, key = person_homes[person], item.received_at, item.address.key()
        trail.latest[person] = max(when, trail.latest.get(person, when))
        if home is None or not key:
            continue
        if _building(item.address) == _building(home.address):
            trail.moved_in[person] = min(when, trail.moved_in.get(person, when))
        else:
            earlier.add((person, key))
    for person, key in earlier:
        if person in trail.moved_in:
            trail.left.setdefault(key, []).append(person)
    return trail


def _follow_moves(
    items: Sequence[ItemPerson],
    person_of: Sequence[int],
    person_homes: Sequence[Home | None],
    bonds: dict[int, set[str]],
    find: Callable[[int], int],
    join: Callable[[int, int], None],
) -> None:
    """A family that moved together, though only some of them have a record since.

    Someone's older records are at a home where family of theirs (a shared surname,
    phone or email) still lives on every record there is, and none of that family has a
    record from after the move. Whether they went too is learned from the homes where
    the records tell: family seen at the new home after the move (they went together),
    or at the old one (they stayed). Where families more often went together, the family
    left at the old home joins the household at the new one. Moves of someone a
    generation younger than a person they left (a grown-up child leaving home, say) are
    learned apart from the rest.
    """
    trail = _trail(items, person_of, person_homes, bonds)
    living: dict[str, list[int]] = {}  # a home -> who lives there now
    members: dict[int, list[int]] = {}  # a household (its root) -> its people
    for person, home in enumerate(person_homes):
        if home and home.address.key():
            living.setdefault(home.address.key(), []).append(person)
        members.setdefault(find(person), []).append(person)
    seen: dict[bool, list[int]] = {False: [0, 0], True: [0, 0]}  # -> [together, stayed]
    behind: list[tuple[int, int, bool]] = []  # (family left behind, who moved, a child?)
    for earlier, movers in trail.left.items():
        if len({find(mover) for mover in movers}) > 1:
            continue  # they went different ways: nothing says where the rest went
        first = min(movers, key=trail.moved_in.__getitem__)
        moved, bond, gone_to = trail.moved_in[first], trail.bonds[first], find(first)
        still_there = [p for p in living.get(earlier, ()) if find(p) != gone_to]
        at_home = [p for p in still_there if trail.bonds[p] & bond]
        with_them = [p for p in members[gone_to] if p != first and trail.bonds[p] & bond]
        child = _a_generation_younger(
            trail.born.get(first), [trail.born.get(p) for p in still_there]
        )
        if any(trail.latest[p] > moved for p in at_home):
            seen[child][1] += 1
        else:
            seen[child][0] += any(trail.latest[p] > moved for p in with_them)
            behind.extend((p, first, child) for p in at_home)
    for person, mover, child in behind:
        together, stayed = seen[child]
        if together > stayed:
            join(person, mover)


def _a_generation_younger(year: int | None, others: Sequence[int | None]) -> bool:
    """Whether someone born in `year` is a generation younger than one of `others`."""
    return year is not None and any(
        other is not None and year - other >= GENERATION for other in others
    )


def _similar_streets(street: str, other: str) -> bool:
    """Two spellings of one street: alike once letters a scanner confuses are one
    ("rnill road", "mill road"), or one name whose type was mistyped ("windsor crcs",
    "windsor crescent"; not "windsor close")."""
    if (
        SequenceMatcher(None, _as_scanned_street(street), _as_scanned_street(other)).ratio()
        >= SAME_STREET
    ):
        return True
    *name, kind = street.split(" ")
    *other_name, other_kind = other.split(" ")
    return (
        bool(name)
        and name == other_name
        and kind[0] == other_kind[0]
        and (kind not in STREET_TYPES or other_kind not in STREET_TYPES)
    )


def _one_character_apart(code: str, other: str) -> bool:
    return len(code) == len(other) and sum(a != b for a, b in zip(code, other, strict=True)) == 1


def _place_the_rest(
    items: Sequence[ItemPerson],
    person_of: Sequence[int],
    person_homes: list[Home | None],
    find: Callable[[int], int],
    join: Callable[[int, int], None],
) -> None:
    """People with no home: part of an address (a street and postcode with no number,
    say) joins the one household on that street in that postcode, or is a household of
    its own, there; no address at all is a household of one."""
    on_street: dict[tuple[str, str], set[int]] = {}  # (postcode, street) -> households
    for person, home in enumerate(person_homes):
        if home and home.address.postcode and home.address.street:
            on_street.setdefault((home.address.postcode, home.address.street), set()).add(
                find(person)
            )
    for person, home in partial_homes(items, person_of, person_homes).items():
        person_homes[person] = home
        address = home.address
        there = on_street.get((address.postcode, address.street), set())
        if address.postcode and address.street and len(there) == 1:
            join(person, next(iter(there)))


def _add_communities(
    found: list[Household],
    items: Sequence[ItemPerson],
    person_of: Sequence[int],
    household_of: Sequence[int],
) -> None:
    schools: list[Counter[str]] = [Counter() for _ in found]
    practices: list[Counter[str]] = [Counter() for _ in found]
    for item, person in zip(items, person_of, strict=True):
        household = household_of[person]
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
    """Number, flat and street, the street as a scanner reads it ("armlcy close")."""
    return (address.number, address.flat, _as_scanned_street(address.street))


def _as_scanned_street(street: str) -> str:
    """`as_scanned`, with "e" and "c" one letter as well: one street name differs from
    another by more than that (a first name may not: "jack", "jake")."""
    return as_scanned(street).replace("e", "c")


def _in_postcode(address: Address) -> tuple[str, str, str]:
    return (address.postcode, address.number, address.flat)
