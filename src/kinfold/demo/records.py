"""How three source systems recorded the demo population: items with the flaws of real data.

Each item is about one true person in one true household (kept for the truth file), and
carries that person as one clerk typed them: nicknames, typos, swapped names, missing or
mistyped dates of birth, old addresses, Road/Rd, "Flat 2, 10 High St" / "2/10 High Street",
postcodes in any spacing and case.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from kinfold.demo import names
from kinfold.demo.population import MOVES_WITHIN_DAYS, Address, Household, Person, age

# source -> (item type, need, working days to the due date)
ITEM_TYPES: dict[str, tuple[tuple[str, str, int], ...]] = {
    "benefits": (
        ("Housing Benefit new claim", "income", 14),
        ("Council Tax Reduction claim", "income", 14),
        ("Change of circumstances", "income", 28),
        ("Discretionary Housing Payment", "housing", 10),
        ("Free School Meals application", "food", 10),
        ("Local Welfare Assistance", "food", 2),
    ),
    "revenues": (
        ("Council tax arrears", "debt", 20),
        ("Single person discount review", "income", 28),
        ("Payment arrangement request", "debt", 10),
        ("Council tax hardship relief", "income", 10),
    ),
    "housing": (
        ("Homelessness prevention", "housing", 3),
        ("Housing register application", "housing", 28),
        ("Disrepair - no heating", "housing", 2),
        ("Tenancy sustainment", "housing", 10),
        ("Adaptations referral", "care", 28),
    ),
}
SOURCE_WEIGHTS = {"benefits": 45, "revenues": 30, "housing": 25}
# flags that follow from the kind of item, with how often
TYPE_FLAGS: dict[str, tuple[tuple[str, float], ...]] = {
    "Homelessness prevention": (
        ("eviction_notice", 0.45),
        ("homeless", 0.15),
        ("domestic_abuse", 0.08),
    ),
    "Disrepair - no heating": (("no_heating", 0.8),),
    "Local Welfare Assistance": (("no_food", 0.6), ("no_income", 0.3)),
    "Housing Benefit new claim": (("no_income", 0.25),),
    "Council tax arrears": (("utilities_disconnected", 0.05),),
    "Adaptations referral": (("hospital_discharge", 0.3),),
    "Tenancy sustainment": (("mental_health", 0.2),),
}
HISTORY_DAYS = MOVES_WITHIN_DAYS
ITEM_COUNTS = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30, 40)
ITEM_COUNT_WEIGHTS = (28, 20, 14, 10, 7, 4.5, 3, 2.5, 2.5, 2, 1.6, 1.2, 0.6, 0.3)


@dataclass
class DemoItem:
    source: str
    source_ref: str
    item_type: str
    need: str
    received_at: datetime
    due_at: datetime
    status: str
    first_name: str | None
    last_name: str | None
    date_of_birth: str | None  # YYYY-MM-DD as typed (not always a real date)
    address_lines: list[str]
    town: str | None
    postcode: str | None
    uprn: str | None
    phone: str | None
    email: str | None
    ni_number: str | None
    school: str | None
    gp_practice: str | None
    flags: list[str] = field(default_factory=list)
    notes: str | None = None
    closed_at: datetime | None = None  # set from the item's work, once that is known
    person_id: str = ""
    household_id: str = ""


class RecordMaker:
    """Items for one household at a time, numbered per source."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.counters = dict.fromkeys(ITEM_TYPES, 0)

    def items(self, household: Household) -> Iterator[DemoItem]:
        rng = self.rng
        count = rng.choices(ITEM_COUNTS, weights=ITEM_COUNT_WEIGHTS)[0]
        adults = household.adults(self.today) or household.members
        applicant = adults[0]
        children = [person for person in household.members if person not in adults]
        for _ in range(count):
            source = rng.choices(list(SOURCE_WEIGHTS), weights=list(SOURCE_WEIGHTS.values()))[0]
            item_type, need, due_days = rng.choice(ITEM_TYPES[source])
            if item_type.startswith("Free School") and children:
                subject = rng.choice(children)
            elif rng.random() < 0.7:
                subject = applicant
            else:
                subject = rng.choice(adults)
            yield self.item(household, subject, source, item_type, need, due_days)
        for person in household.members:  # twins, and children named after a parent
            if person.hard_case and person is not applicant:
                item_type, need, due_days = ITEM_TYPES["benefits"][4 if person in children else 2]
                yield self.item(household, person, "benefits", item_type, need, due_days)

    def item(
        self,
        household: Household,
        person: Person,
        source: str,
        item_type: str,
        need: str,
        due_days: int,
    ) -> DemoItem:
        rng = self.rng
        self.counters[source] += 1
        number = self.counters[source]
        days_ago = rng.randint(0, 13) if rng.random() < 0.5 else rng.randint(14, HISTORY_DAYS)
        received_day = _weekday(self.today - timedelta(days=days_ago))
        received_at = datetime.combine(received_day, time(rng.randint(8, 17), rng.randint(0, 59)))
        closed_chance = 0.05 + 0.55 * days_ago / HISTORY_DAYS
        address = household.address
        if person.previous_address and person.moved_on and received_day < person.moved_on:
            address = person.previous_address
        first, last = self.names(person, source)
        item = DemoItem(
            source=source,
            source_ref=_reference(source, number),
            item_type=item_type,
            need=need,
            received_at=received_at,
            due_at=received_at + timedelta(days=due_days * 7 // 5),
            status="closed" if rng.random() < closed_chance else "open",
            first_name=first,
            last_name=last,
            date_of_birth=self.birth_date(person, source),
            address_lines=self.address_lines(address),
            town=names.TOWN if rng.random() < 0.85 else None,
            postcode=self.postcode(address.postcode),
            uprn=address.uprn
            if rng.random() < {"benefits": 0.4, "revenues": 0.9, "housing": 0.6}[source]
            else None,
            phone=self.phone(person, household),
            email=self.email(person, source),
            ni_number=self.ni_number(person, source),
            school=household.school
            if household.school and (item_type.startswith("Free School") or rng.random() < 0.15)
            else None,
            gp_practice=household.gp_practice
            if source == "housing" and rng.random() < 0.6
            else None,
            flags=self.flags(household, person, item_type),
            person_id=person.person_id,
            household_id=household.household_id,
        )
        if rng.random() < 0.003:  # a row a clerk got wrong: it must go to quarantine
            item.item_type = ""
        if rng.random() < 0.15:
            item.notes = rng.choice(
                (
                    "Customer called to chase.",
                    "Evidence requested by letter.",
                    "Landlord has been in touch.",
                    "Prefers contact by phone after 4pm.",
                    "Interpreter needed.",
                    "Said they cannot afford to top up the meter.",
                )
            )
        return item

    def names(self, person: Person, source: str) -> tuple[str | None, str | None]:
        rng = self.rng
        first, last = person.first_name, person.last_name
        roll = rng.random()
        if roll < 0.12 and first in names.NICKNAMES:
            first = rng.choice(names.NICKNAMES[first])
        elif roll < 0.18:
            first = typo(rng, first)
        elif roll < 0.20 and source == "revenues":
            first = first[0]
        if rng.random() < 0.05:
            last = typo(rng, last)
        if source != "revenues" and rng.random() < 0.02:
            first, last = last, first
        if rng.random() < 0.03:
            first = first.upper()
        return first, last

    def birth_date(self, person: Person, source: str) -> str | None:
        rng = self.rng
        missing = {"benefits": 0.08, "revenues": 0.35, "housing": 0.12}[source]
        roll = rng.random()
        born = person.born
        if roll < missing:
            return None
        roll = rng.random()
        if roll < 0.03 and born.day <= 12 and born.day != born.month:
            return date(born.year, born.day, born.month).isoformat()
        if roll < 0.06:
            moved = born + timedelta(days=rng.choice((-10, -1, 1, 10, 365, -365)))
            return moved.isoformat()
        if roll < 0.065:
            return f"{born.year}-02-{rng.choice((30, 31))}"
        return born.isoformat()

    def address_lines(self, address: Address) -> list[str]:
        rng = self.rng
        street = address.street_name
        if rng.random() < 0.3:
            street = f"{address.street} {rng.choice(names.STREET_TYPES[address.street_type])}"
        building = f"{address.number} {street}"
        if address.flat is None:
            lines = [building]
        else:
            flat = address.flat
            lines = rng.choices(
                (
                    [f"Flat {flat}, {building}"],
                    [f"Flat {flat}", building],
                    [f"{flat}/{address.number} {street}"],
                    [f"{building}, Flat {flat}"],
                    [f"{flat} {building}"],
                    [building],
                ),
                weights=(30, 25, 15, 10, 10, 3),
            )[0]
        if rng.random() < 0.5:
            lines = [*lines, address.locality]
        if rng.random() < 0.05:
            lines = [line.lower() for line in lines]
        return lines

    def postcode(self, postcode: str) -> str | None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.05:
            return None
        if roll < 0.15:
            return postcode.replace(" ", "")
        if roll < 0.22:
            return postcode.lower()
        if roll < 0.25:
            return postcode.replace(" ", "  ")
        if roll < 0.255:
            return postcode[:-1]  # a typo: no longer a valid postcode
        return postcode

    def phone(self, person: Person, household: Household) -> str | None:
        rng = self.rng
        number = person.mobile if person.mobile and rng.random() < 0.6 else None
        if number is None and household.landline and rng.random() < 0.4:
            number = household.landline
        if number and rng.random() < 0.2:
            number = "+44 " + number[1:]
        return number

    def email(self, person: Person, source: str) -> str | None:
        if person.email is None or source == "revenues" or self.rng.random() < 0.4:
            return None
        if self.rng.random() < 0.01:
            return person.email.split(".")[0]  # "name@example": not an email
        return person.email

    def ni_number(self, person: Person, source: str) -> str | None:
        if person.ni_number is None or source != "benefits" or self.rng.random() < 0.15:
            return None
        if self.rng.random() < 0.3:
            value = person.ni_number
            return f"{value[:2]} {value[2:4]} {value[4:6]} {value[6:8]} {value[8]}"
        return person.ni_number

    def flags(self, household: Household, person: Person, item_type: str) -> list[str]:
        rng = self.rng
        years = age(person.born, self.today)
        flags = [flag for flag, chance in TYPE_FLAGS.get(item_type, ()) if rng.random() < chance]
        if (
            any(age(member.born, self.today) < 5 for member in household.members)
            and rng.random() < 0.7
        ):
            flags.append("child_under_5")
        if years >= 75 and rng.random() < 0.8:
            flags.append("over_75")
        if len(household.members) == 1 and rng.random() < 0.5:
            flags.append("lives_alone")
        if person.disabled and rng.random() < 0.7:
            flags.append("disabled")
        for flag, chance in (
            ("mental_health", 0.05),
            ("carer", 0.03),
            ("language_barrier", 0.04),
            ("safeguarding_concern", 0.015),
            ("self_harm_risk", 0.005),
        ):
            if rng.random() < chance and flag not in flags:
                flags.append(flag)
        if person.sex == "F" and 18 <= years <= 45 and rng.random() < 0.03:
            flags.append("pregnant")
        if years >= 65 and rng.random() < 0.25:
            flags.append("digital_exclusion")
        if 18 <= years <= 25 and rng.random() < 0.1:
            flags.append("care_leaver")
        return flags


def typo(rng: random.Random, word: str) -> str:
    """One slip of the keyboard: a letter changed, dropped, doubled, or two swapped."""
    if len(word) < 3:
        return word
    position = rng.randint(1, len(word) - 2)
    kind = rng.choice(("change", "drop", "double", "swap"))
    if kind == "change":
        return word[:position] + rng.choice(string.ascii_lowercase) + word[position + 1 :]
    if kind == "drop":
        return word[:position] + word[position + 1 :]
    if kind == "double":
        return word[:position] + word[position] + word[position:]
    return word[: position - 1] + word[position] + word[position - 1] + word[position + 1 :]


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _reference(source: str, number: int) -> str:
    if source == "benefits":
        return f"BEN-{number:07d}"
    if source == "revenues":
        return f"CT{number:08d}"
    return f"HSG/{number:06d}"
