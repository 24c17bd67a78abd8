"""The true population behind the demo backlog: households, the people in them, where they live.

Everything here is the ground truth; `records.py` then writes how each source system
recorded these people, with the typos, nicknames and address variants of real records.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from kinfold.demo import names

NI_PREFIX_LETTERS = "ABCEGHJKLMNPRSTWXYZ"
UNUSED_NI_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
# Number ranges that Ofcom keeps for drama: no real person answers them.
DRAMA_PHONE_RANGES = (
    "07700 900",
    "01632 960",
    "0113 496 0",
    "0114 496 0",
    "0115 496 0",
    "0116 496 0",
    "0117 496 0",
    "0118 496 0",
    "0121 496 0",
    "0131 496 0",
    "0141 496 0",
    "0151 496 0",
    "0161 496 0",
    "0191 498 0",
    "020 7946 0",
    "028 9649 6",
    "029 2018 0",
)
MOVES_WITHIN_DAYS = 84  # people who moved did so within the backlog's history


@dataclass
class Address:
    number: int
    street: str  # "High"
    street_type: str  # "Street"
    locality: str
    postcode: str
    uprn: str
    flat: int | None = None

    @property
    def street_name(self) -> str:
        return f"{self.street} {self.street_type}"


@dataclass
class Person:
    person_id: str
    first_name: str
    last_name: str
    sex: str
    born: date
    ni_number: str | None
    mobile: str | None
    email: str | None
    previous_address: Address | None = None
    moved_on: date | None = None  # the day they left the previous address
    disabled: bool = False
    hard_case: str | None = None  # "twin" or "named after a parent": always has an item


@dataclass
class Household:
    household_id: str
    address: Address
    landline: str | None
    school: str | None
    gp_practice: str
    members: list[Person] = field(default_factory=list)

    def adults(self, today: date) -> list[Person]:
        return [person for person in self.members if age(person.born, today) >= 18]


def age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class PopulationMaker:
    """Makes households one at a time, so a million-item backlog never sits in memory."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.surnames = list(names.SURNAMES)
        self.surname_weights = list(names.SURNAMES.values())
        self.people = 0
        self.phones = [f"{prefix}{n:03d}" for prefix in DRAMA_PHONE_RANGES for n in range(1000)]
        rng.shuffle(self.phones)
        self.phones_given = 0
        self.uprns = 100_000_000
        self.buildings: list[tuple[int, str, str, str, str]] = []
        self.homes: set[tuple[int, str, str, str, str, int | None]] = set()
        self.postcodes = [
            f"{names.POSTCODE_AREA}{district} {sector}{unit}"
            for district in range(1, 7)
            for sector in range(1, 10)
            for unit in ("AB", "AD", "BE", "DF", "EG", "HJ", "LN", "PQ", "RT", "UW", "XY")
        ]

    def households(self, count: int) -> Iterator[Household]:
        for number in range(1, count + 1):
            yield self.household(f"H{number:06d}")

    def household(self, household_id: str) -> Household:
        rng = self.rng
        kind = rng.choices(
            ("single", "couple", "single_parent", "family", "older_couple", "three_gen", "shared"),
            weights=(30, 18, 15, 20, 9, 5, 3),
        )[0]
        surname = self.surname()
        members: list[Person] = []
        if kind == "single":
            members.append(self.person(surname, self.adult_birth(18, 92)))
        elif kind in ("couple", "older_couple", "family", "three_gen"):
            low, high = (68, 92) if kind == "older_couple" else (20, 60)
            first = self.person(surname, self.adult_birth(low, high))
            partner_surname = surname if rng.random() < 0.75 else self.surname()
            second = self.person(
                partner_surname, first.born + timedelta(days=rng.randint(-2500, 2500))
            )
            second.sex = "F" if first.sex == "M" else "M"
            second.first_name = self.given_name(second.sex)
            members += [first, second]
        elif kind == "single_parent":
            members.append(self.person(surname, self.adult_birth(19, 50)))
        else:  # shared house: unrelated adults
            members += [
                self.person(self.surname(), self.adult_birth(18, 40))
                for _ in range(rng.randint(2, 4))
            ]
        if kind in ("single_parent", "family", "three_gen"):
            members += self.children(members[0], surname)
        if kind == "three_gen":
            members.append(self.person(surname, self.adult_birth(70, 95)))
        address = self.address()
        for person in members:
            if rng.random() < 0.06 and age(person.born, self.today) >= 18:
                person.previous_address = self.address()
                person.moved_on = self.today - timedelta(days=rng.randint(1, MOVES_WITHIN_DAYS))
        any_child = any(age(person.born, self.today) < 16 for person in members)
        return Household(
            household_id=household_id,
            address=address,
            landline=self.phone() if rng.random() < 0.25 else None,
            school=rng.choice(names.SCHOOLS) if any_child else None,
            gp_practice=rng.choice(names.GP_PRACTICES),
            members=members,
        )

    def children(self, parent: Person, surname: str) -> list[Person]:
        rng = self.rng
        parent_age = age(parent.born, self.today)
        children: list[Person] = []
        for _ in range(rng.choices((1, 2, 3, 4), weights=(40, 35, 18, 7))[0]):
            oldest = min(parent_age - 18, 17)
            born = self.today - timedelta(days=rng.randint(30, max(oldest, 1) * 365 + 200))
            children.append(self.person(surname, born))
        if rng.random() < 0.06:  # twins: same birthday, often similar names
            first, second = rng.choice(names.TWIN_NAMES)
            born = children[0].born
            children[0].first_name = first
            twin = self.person(surname, born)
            twin.first_name = second
            children[0].hard_case = twin.hard_case = "twin"
            children.append(twin)
        if rng.random() < 0.05 and parent_age >= 38:  # a child named after the parent
            junior = self.person(
                surname,
                parent.born + timedelta(days=rng.randint(20 * 365, parent_age * 365 - 16 * 365)),
            )
            junior.first_name, junior.sex = parent.first_name, parent.sex
            junior.hard_case = parent.hard_case = "named after a parent"
            children.append(junior)
        return children

    def person(self, surname: str, born: date) -> Person:
        rng = self.rng
        self.people += 1
        sex = rng.choice("MF")
        first = self.given_name(sex)
        adult = age(born, self.today) >= 16
        return Person(
            person_id=f"P{self.people:07d}",
            first_name=first,
            last_name=surname,
            sex=sex,
            born=born,
            ni_number=self.ni_number() if adult else None,
            mobile=self.phone() if adult and rng.random() < 0.5 else None,
            email=self.email(first, surname) if adult and rng.random() < 0.45 else None,
            disabled=rng.random() < 0.08,
        )

    def given_name(self, sex: str) -> str:
        return self.rng.choice(names.FEMALE if sex == "F" else names.MALE)

    def surname(self) -> str:
        return self.rng.choices(self.surnames, weights=self.surname_weights)[0]

    def adult_birth(self, youngest: int, oldest: int) -> date:
        days = self.rng.randint(youngest * 365 + 1, oldest * 365 + 300)
        return self.today - timedelta(days=days)

    def address(self) -> Address:
        """A home no other household has: a house, or a flat in a building of flats."""
        rng = self.rng
        self.uprns += rng.randint(1, 40)
        while True:
            if self.buildings and rng.random() < 0.25:  # another flat in a building of flats
                building = rng.choice(self.buildings)
                flat: int | None = rng.randint(1, 24)
            else:
                building = (
                    rng.randint(1, 240),
                    rng.choice(names.STREETS),
                    rng.choice(list(names.STREET_TYPES)),
                    rng.choice(names.LOCALITIES),
                    rng.choice(self.postcodes),
                )
                flat = None
                if rng.random() < 0.2:
                    flat = rng.randint(1, 24)
                    self.buildings.append(building)
            home = (*building, flat)
            if home not in self.homes:
                self.homes.add(home)
                number, street, street_type, locality, postcode = building
                return Address(
                    number, street, street_type, locality, postcode, str(self.uprns), flat
                )

    def ni_number(self) -> str:
        rng = self.rng
        while True:
            letters = rng.choice(NI_PREFIX_LETTERS[:12]) + rng.choice(NI_PREFIX_LETTERS)
            if letters not in UNUSED_NI_PREFIXES:
                return f"{letters}{rng.randint(0, 999_999):06d}{rng.choice('ABCD')}"

    def phone(self) -> str:
        """The next unused drama number (they repeat only after 17,000 have been given)."""
        self.phones_given += 1
        return self.phones[self.phones_given % len(self.phones)]

    def email(self, first: str, last: str) -> str:
        rng = self.rng
        domain = rng.choice(("example.com", "example.org", "example.net"))
        local = rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randint(1, 99)}"))
        return f"{local.lower().replace(' ', '').replace(chr(39), '')}@{domain}"
