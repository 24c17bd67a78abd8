"""A held-out council backlog: a second generator, written from another error model than
`kinfold demo`'s, for measuring linkage on data kinfold was not built around.

    .venv/bin/python -m bench.council --items 100000 --out bench/out/council-100000.csv

Writes one canonical CSV holding four sources in its `source` column, and beside it
`<name>.truth.csv` (source, source_ref, person_id, household_id, harm_in_days).

Where the demo's clerks make keyboard typos and use nicknames, these records were
scanned, phoned in and re-keyed:

- OCR-style slips: rn/m, cl/d, 0/O, 1/l, 5/S, 8/B in names, streets and postcodes; digits
  misread in dates of birth (3/8, 1/7, 5/6);
- phonetic spellings (Steven/Stephen, Mohammed/Muhammad, Thomson/Thompson, Clark/Clarke),
  middle names written or not, initials, SURNAME, First in one system;
- names changed on marriage (older records keep the maiden name; some double-barrelled,
  written whole, hyphenated or in part);
- moves: households that moved (older items at the old address), grown-up children who
  left home (their older items at their parents');
- families sharing a landline and an email address; dates of birth day/month swapped by
  a system that stores them American-style, or missing;
- every way a UK address is written: flats with and without commas, "4/147", "Flat 4A",
  house names, Apartment and Unit, floors, Rd/St/Ave/Gdns/Cl/Ter/Cres/Dr/Ln, postcodes
  without their space or in lower case, UPRNs from two of the four systems.

The truth is what the records could tell: a leaver none of whose records is from after
they left is still at home, as every record says; a household that moved, none of whose
people has records at both homes and none of whose phones or emails is given at both, is
two households, one at each home.

Each household has a hidden harm horizon (days until it comes to harm if no one helps;
most have none in the window), which its items' flags and due dates reveal in part.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from kinfold.ingest.fields import CANONICAL

TODAY = date(2026, 11, 30)
FIRST = {
    "f": ("Aisha", "Amelia", "Ann", "Bethany", "Catherine", "Chloe", "Claire", "Deborah",
          "Eleanor", "Emily", "Fatima", "Gemma", "Grace", "Hannah", "Isabel", "Jasmine",
          "Joanne", "Karen", "Lindsey", "Lucy", "Maria", "Megan", "Nadia", "Olivia", "Priya",
          "Rachel", "Sarah", "Siobhan", "Sophie", "Teresa", "Victoria", "Zoe", "Agnieszka",
          "Oluwaseun", "Yasmin", "Margaret", "Patricia", "Jennifer", "Louise", "Naomi"),
    "m": ("Adam", "Ahmed", "Alexander", "Andrew", "Benjamin", "Callum", "Christopher",
          "Daniel", "David", "Declan", "Geoffrey", "George", "Harry", "Imran", "Jack", "James",
          "John", "Joseph", "Kieran", "Liam", "Matthew", "Michael", "Mohammed", "Nathan",
          "Nicholas", "Oliver", "Patrick", "Philip", "Ryan", "Samuel", "Sean", "Stephen",
          "Thomas", "William", "Wojciech", "Yusuf", "Kwame", "Arjun", "Connor", "Peter"),
}  # fmt: skip
SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clark", "Khan", "Hussain", "Ahmed", "Begum", "Singh", "Kaur", "Murphy",
    "O'Neill", "McKenzie", "Phillips", "Reid", "Kowalski", "Nowak", "Okafor", "Mensah",
    "Campbell", "Stewart", "Hughes", "Edwards", "Lewis", "Harrison", "Morgan", "Baker",
    "Turner", "Parker", "Cooper", "Morris", "Ward", "Bailey", "Richardson", "Shaw", "Holmes",
    "Fletcher", "Hartley", "Sutcliffe", "Ackroyd", "Brearley", "Haigh", "Crowther",
)  # fmt: skip
SPELLINGS = [  # phonetic variants, each a set written for one name
    ("Stephen", "Steven"), ("Catherine", "Katherine", "Kathryn"), ("Sean", "Shaun"),
    ("Mohammed", "Muhammad", "Mohamed", "Mohammad"), ("Aisha", "Ayesha"), ("Philip", "Phillip"),
    ("Geoffrey", "Jeffrey"), ("Claire", "Clare"), ("Rachel", "Rachael"), ("Lindsey", "Lindsay"),
    ("Zoe", "Zoey"), ("Ann", "Anne"), ("Sarah", "Sara"), ("Teresa", "Theresa"),
    ("Isabel", "Isobel", "Isabelle"), ("Matthew", "Mathew"), ("Nicholas", "Nicolas"),
    ("Yusuf", "Yousef", "Yusef"), ("Siobhan", "Shevaun"), ("Wojciech", "Voytek"),
    ("Thompson", "Thomson"), ("Phillips", "Philips"), ("McKenzie", "Mackenzie"),
    ("O'Neill", "O'Neil"), ("Clark", "Clarke"), ("Reid", "Read"), ("Davies", "Davis"),
    ("Hussain", "Hussein"), ("Begum", "Begam"), ("Okafor", "Okafo"),
]  # fmt: skip
VARIANTS = {name: group for group in SPELLINGS for name in group}
OCR = (("rn", "m"), ("m", "rn"), ("cl", "d"), ("o", "0"), ("l", "1"), ("i", "l"), ("e", "c"),
       ("h", "b"), ("u", "v"), ("s", "5"), ("b", "8"), ("n", "h"))  # fmt: skip
DIGITS = {"3": "8", "8": "3", "1": "7", "7": "1", "5": "6", "6": "5", "0": "8"}
STREETS = ("Windsor", "Kirkstall", "Cliff", "Moor", "Mill", "Station", "Church", "Park",
           "Victoria", "Albert", "Queens", "Kings", "Manor", "Grange", "Beech", "Oak",
           "Hollin", "Otley", "Harehills", "Chapeltown", "Roundhay", "Burley", "Meanwood",
           "Armley", "Bramley", "Calverley", "Pudsey", "Farsley", "Horsforth",
           "Rawdon")  # fmt: skip
TYPES = (("Road", "Rd"), ("Street", "St"), ("Avenue", "Ave"), ("Gardens", "Gdns"),
         ("Close", "Cl"), ("Terrace", "Ter"), ("Crescent", "Cres"), ("Drive", "Dr"),
         ("Lane", "Ln"), ("Grove", "Gr"))  # fmt: skip
HOUSE_NAMES = ("Rose Cottage", "The Old Rectory", "Ivy House", "Holly Lodge", "Fern Bank",
               "The Laurels", "Orchard House", "Mill House", "Brook Cottage",
               "Hill Top")  # fmt: skip
AREAS = ("LS", "BD", "HX", "WF", "HD")
SOURCES = {  # source -> (item types with their need and due days, share of items)
    "benefits": ((("Housing Benefit claim", "income", 14), ("Council Tax Support", "income", 21),
                  ("Crisis payment", "food", 2)), 40),
    "revenues": ((("Council tax arrears", "debt", 28), ("Hardship relief", "income", 14)), 25),
    "housing": ((("Homelessness prevention", "housing", 5), ("Repair: no heating", "housing", 3),
                 ("Rehousing", "housing", 56)), 20),
    "social care": ((("Care assessment", "care", 28), ("Hospital discharge", "care", 3)), 15),
}  # fmt: skip
HARM_FLAGS = {"Homelessness prevention": "eviction_notice", "Repair: no heating": "no_heating",
              "Crisis payment": "no_food", "Hospital discharge": "hospital_discharge",
              "Council tax arrears": "utilities_disconnected"}  # fmt: skip


@dataclass
class Home:
    number: str  # a number, or a house's name
    flat: str
    street: str
    kind: int  # index into TYPES
    postcode: str
    uprn: str


@dataclass
class Person:
    person_id: str
    first: str
    middle: str | None
    last: str
    born: date
    sex: str
    maiden: str | None = None  # an earlier surname, on older records
    ni: str | None = None
    mobile: str | None = None
    email: str | None = None


@dataclass
class Household:
    household_id: str
    home: Home
    members: list[Person]
    landline: str | None
    family_email: str | None
    old_home: Home | None = None  # moved here within the window
    moved_days_ago: int = 0
    harm_in_days: int | None = None
    # grown up and moved out within the window: their own household now, at their new
    # home, with older items at their parents'
    leavers: list[tuple[Person, Home, int]] = field(default_factory=list)


class Council:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.people = 0
        self.homes = 0

    def home(self) -> Home:
        rng = self.rng
        self.homes += 1
        area = rng.choice(AREAS)
        unit = "".join(rng.choice("ABDEFGHJLNPQRSTUWXY") for _ in range(2))
        postcode = f"{area}{rng.randint(1, 29)} {rng.randint(1, 9)}{unit}"
        roll = rng.random()
        number = rng.choice(HOUSE_NAMES) if roll < 0.04 else str(rng.randint(1, 240))
        if rng.random() < 0.05 and number.isdigit():
            number += rng.choice("AB")
        flat = str(rng.randint(1, 24)) if number[0].isdigit() and rng.random() < 0.3 else ""
        if flat and rng.random() < 0.1:
            flat += rng.choice("ABC")
        street = rng.choice(STREETS)
        return Home(number, flat, street, rng.randrange(len(TYPES)), postcode,
                    str(10_000_000 + self.homes))  # fmt: skip

    def person(self, last: str, born: date, sex: str | None = None) -> Person:
        rng = self.rng
        self.people += 1
        sex = sex or rng.choice("fm")
        first = rng.choice(FIRST[sex])
        middle = rng.choice(FIRST[sex]) if rng.random() < 0.3 else None
        adult = (TODAY - born).days > 16 * 365
        return Person(
            person_id=f"P{self.people}", first=first, middle=middle, last=last, born=born, sex=sex,
            ni=f"{rng.choice('ABCEGHJKLMNPRSTWXYZ')}{rng.choice('ABCEGHJKLMNPRSTWXYZ')}"
            f"{rng.randint(0, 999999):06d}{rng.choice('ABCD')}" if adult else None,
            mobile=f"07{rng.randint(100000000, 999999999)}"
            if adult and rng.random() < 0.6 else None,
            email=f"{first.lower()}.{last.lower().replace(chr(39), '')}{self.people}@example.org"
            if adult and rng.random() < 0.4 else None,
        )  # fmt: skip

    def household(self, number: int) -> Household:
        rng = self.rng
        last = rng.choice(SURNAMES)
        if rng.random() < 0.05:
            last = f"{last}-{rng.choice(SURNAMES)}"
        size = rng.choices((1, 2, 3, 4, 5, 6), weights=(30, 30, 17, 14, 6, 3))[0]
        first_born = TODAY - timedelta(days=rng.randint(19 * 365, 85 * 365))
        lead = self.person(last, first_born)
        members = [lead]
        if size > 1:  # a partner, perhaps married in, perhaps with another name
            partner_last = last if rng.random() < 0.75 else rng.choice(SURNAMES)
            born = first_born + timedelta(days=rng.randint(-2500, 2500))
            partner = self.person(partner_last, born,
                                  "f" if lead.sex == "m" else "m")  # fmt: skip
            if partner.sex == "f" and partner_last == last and rng.random() < 0.4:
                partner.maiden = rng.choice(SURNAMES)
            members.append(partner)
        parent_age = (TODAY - first_born).days // 365
        twins = rng.random() < 0.04
        for child in range(size - len(members)):
            if parent_age < 20:
                break
            born = TODAY - timedelta(days=rng.randint(0, min(parent_age - 18, 30) * 365))
            if twins and child == 1:
                born = members[-1].born
            kid = self.person(last, born)
            if rng.random() < 0.05 and lead.sex == kid.sex:  # named after a parent
                kid.first = lead.first
            members.append(kid)
        home = self.home()
        house = Household(
            household_id=f"H{number}", home=home, members=members,
            landline=f"0113{rng.randint(1000000, 9999999)}" if rng.random() < 0.4 else None,
            family_email=f"the{last.lower().replace(chr(39), '')}s{number}@example.net"
            if rng.random() < 0.2 else None,
        )  # fmt: skip
        if rng.random() < 0.12:
            house.old_home, house.moved_days_ago = self.home(), rng.randint(10, 110)
        for kid in members[2:]:
            if (TODAY - kid.born).days > 18 * 365 and rng.random() < 0.3:
                members.remove(kid)
                house.leavers.append((kid, self.home(), rng.randint(10, 110)))
        if rng.random() < 0.2:
            house.harm_in_days = rng.choice((1, 2, 3, 4, 5, 7, 10, 14, 21, 30, 45, 60))
        return house


class Clerk:
    """How each system records a person and a home: its own habits, and slips."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def slip(self, text: str, chance: float) -> str:
        if self.rng.random() >= chance or not text:
            return text
        lowered = text.lower()
        candidates = [(a, b) for a, b in OCR if a in lowered]
        if not candidates:
            return text
        a, b = self.rng.choice(candidates)
        at = lowered.index(a)
        replaced = text[:at] + b + text[at + len(a) :]
        if text[:1].isupper() and replaced[:1].isalpha():
            replaced = replaced[:1].upper() + replaced[1:]
        return replaced

    def names(self, person: Person, source: str, when: int) -> tuple[str, str, str]:
        """first, last, full_name (only one of the two ways is filled)."""
        rng = self.rng
        first = person.first
        if first in VARIANTS and rng.random() < 0.2:
            first = rng.choice(VARIANTS[first])
        if person.middle and rng.random() < 0.3:
            first = f"{first} {person.middle}"
        if source == "revenues" and rng.random() < 0.25:
            first = first[0]
        last = person.maiden if person.maiden and when > 60 and rng.random() < 0.7 else person.last
        if "-" in last and rng.random() < 0.4:
            last = rng.choice((last.split("-")[1], last.replace("-", " ")))
        if last in VARIANTS and rng.random() < 0.2:
            last = rng.choice(VARIANTS[last])
        first, last = self.slip(first, 0.06), self.slip(last, 0.06)
        if source == "social care":
            return "", "", f"{last.upper()}, {first}"
        if source == "revenues":
            last = last.upper()
        return first, last, ""

    def born(self, person: Person, source: str) -> str:
        rng = self.rng
        if rng.random() < {"revenues": 0.5, "housing": 0.1}.get(source, 0.05):
            return ""
        day = person.born
        text = day.isoformat()
        if source == "housing" and day.day <= 12 and rng.random() < 0.3:  # stored month-first
            text = f"{day.year:04d}-{day.day:02d}-{day.month:02d}"
        if rng.random() < 0.04:
            at = rng.choice([i for i, ch in enumerate(text) if ch in DIGITS])
            text = text[:at] + DIGITS[text[at]] + text[at + 1 :]
        return text

    def address(self, home: Home) -> tuple[str, str, str]:
        """address_line_1, address_line_2, postcode"""
        rng = self.rng
        full, short = TYPES[home.kind]
        street = f"{home.street} {short if rng.random() < 0.4 else full}"
        street = self.slip(street, 0.03)
        number = home.number
        if not number[0].isdigit():  # a house's name
            line1, line2 = (number, street) if rng.random() < 0.8 else (number.upper(), "")
        elif home.flat:
            line1, line2 = rng.choice((
                (f"Flat {home.flat}, {number} {street}", ""),
                (f"Flat {home.flat} {number} {street}", ""),
                (f"{home.flat}/{number} {street}", ""),
                (f"Flat {home.flat}", f"{number} {street}"),
                (f"{number} {street}, Flat {home.flat}", ""),
                (f"Apartment {home.flat}", f"{number} {street}"),
                (f"Unit {home.flat}, {number} {street}", ""),
            ))  # fmt: skip
        else:
            line1, line2 = rng.choice(((f"{number} {street}", ""), (f"{number}, {street}", ""),
                                       (f"No. {number} {street}", "")))  # fmt: skip
        postcode = home.postcode
        roll = rng.random()
        if roll < 0.15:
            postcode = postcode.replace(" ", "")
        elif roll < 0.25:
            postcode = postcode.lower()
        elif roll < 0.28:
            postcode = ""
        elif roll < 0.31:
            postcode = self.slip(postcode, 1.0)
        if rng.random() < 0.1:
            line1 = line1.upper()
        return line1, line2, postcode


def backlog(items: int, seed: int) -> Iterator[tuple[list[str], list[str]]]:
    """(canonical row, truth row) of `items` items."""
    council = Council(seed)
    clerk = Clerk(council.rng)
    rng = council.rng
    refs = dict.fromkeys(SOURCES, 0)
    made = number = 0
    weights = [share for _, share in SOURCES.values()]
    while made < items:
        number += 1
        house = council.household(number)
        count = rng.choices((1, 2, 3, 4, 6, 8, 12), weights=(25, 25, 18, 12, 10, 6, 4))[0]
        adults = [p for p in house.members if (TODAY - p.born).days > 16 * 365] or house.members
        made_here = []
        for _ in range(min(count, items - made)):
            source = rng.choices(list(SOURCES), weights=weights)[0]
            item_type, need, due_days = rng.choice(SOURCES[source][0])
            person = rng.choice(adults) if rng.random() < 0.85 else rng.choice(house.members)
            when = rng.randint(0, 120)
            home = house.old_home if house.old_home and when > house.moved_days_ago else house.home
            refs[source] += 1
            truth = [source, _ref(source, refs[source]), person.person_id, house.household_id,
                     str(house.harm_in_days or "")]  # fmt: skip
            made_here.append((_row(clerk, house, person, home, source, item_type, need,
                                   due_days, when, refs[source]), truth, home))  # fmt: skip
            made += 1
        yield from _as_records_tell(house, made_here)
        for leaver, new_home, moved in house.leavers:
            alone = Household(f"{house.household_id}-{leaver.person_id}", new_home, [leaver],
                              None, None, house.home, moved)  # fmt: skip
            rows = []
            for _ in range(min(rng.choice((1, 2, 3)), items - made)):
                source = rng.choices(list(SOURCES), weights=weights)[0]
                item_type, need, due_days = rng.choice(SOURCES[source][0])
                when = rng.randint(0, 120)
                home = house.home if when > moved else new_home
                refs[source] += 1
                rows.append((_row(clerk, alone, leaver, home, source, item_type, need, due_days,
                                  when, refs[source]), [source, _ref(source, refs[source])],
                             when <= moved))  # fmt: skip
                made += 1
            # a leaver none of whose records is from after they left is, on every record
            # there is, still at home: no one could know otherwise
            left = any(after for _, _, after in rows)
            household_id = alone.household_id if left else house.household_id
            for row, key, _ in rows:
                yield row, [*key, leaver.person_id, household_id, ""]


def _as_records_tell(
    house: Household, made: list[tuple[list[str], list[str], Home]]
) -> Iterator[tuple[list[str], list[str]]]:
    """A household that moved is one in the truth when its records can tell: someone
    has records at both homes, or a phone or email is given at both. Otherwise its
    people seen only at the old home are, as every record says, another household."""
    if house.old_home:
        phone, email = CANONICAL.index("phone"), CANONICAL.index("email")
        seen: dict[bool, tuple[set[str], set[str]]] = {True: (set(), set()), False: (set(), set())}
        for row, truth, home in made:
            people, contacts = seen[home is house.old_home]
            people.add(truth[2])
            contacts.update(value for value in (row[phone], row[email]) if value)
        (old_people, old_contacts), (new_people, new_contacts) = seen[True], seen[False]
        if new_people and not old_people & new_people and not old_contacts & new_contacts:
            for _, truth, _ in made:
                if truth[2] in old_people:
                    truth[3] = f"{house.household_id}-before"
    for row, truth, _ in made:
        yield row, truth


def _ref(source: str, number: int) -> str:
    return f"{source[:3].upper()}-{number:07d}"


def _row(
    clerk: Clerk, house: Household, person: Person, home: Home, source: str, item_type: str,
    need: str, due_days: int, when: int, number: int,
) -> list[str]:  # fmt: skip
    rng = clerk.rng
    first, last, full = clerk.names(person, source, when)
    line1, line2, postcode = clerk.address(home)
    received = TODAY - timedelta(days=when)
    flags = []
    if house.harm_in_days is not None and rng.random() < 0.7:
        flags.append(HARM_FLAGS.get(item_type, "no_income"))
    phone = house.landline if house.landline and rng.random() < 0.6 else person.mobile
    email = house.family_email if house.family_email and rng.random() < 0.5 else person.email
    values = {
        "source": source, "source_ref": _ref(source, number), "item_type": item_type,
        "need": need, "received_at": received.isoformat(),
        "due_at": (received + timedelta(days=due_days)).isoformat(),
        "status": "closed" if when > 30 and rng.random() < 0.5 else "open",
        "first_name": first, "last_name": last, "full_name": full,
        "date_of_birth": clerk.born(person, source), "address_line_1": line1,
        "address_line_2": line2, "town": "Leeds" if rng.random() < 0.7 else "",
        "postcode": postcode, "uprn": home.uprn if source in ("revenues", "housing")
        and rng.random() < 0.8 else "",
        "phone": phone or "" if rng.random() < 0.7 else "",
        "email": email or "" if source != "revenues" else "",
        "ni_number": person.ni or "" if source in ("benefits", "revenues") and rng.random() < 0.7
        else "",
        "flags": ";".join(flags),
    }  # fmt: skip
    return [values.get(column, "") for column in CANONICAL]


def write(items: int, out: Path, seed: int = 11) -> Path:
    """The backlog at `out` and its truth beside it (kept: made once per size)."""
    truth_path = truth_of(out)
    if out.exists() and truth_path.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with (
        out.open("w", newline="", encoding="utf-8") as rows,
        truth_path.open("w", newline="", encoding="utf-8") as truths,
    ):
        row_writer, truth_writer = csv.writer(rows), csv.writer(truths)
        row_writer.writerow(CANONICAL)
        truth_writer.writerow(["source", "source_ref", "person_id", "household_id", "harm_in_days"])
        for row, truth in backlog(items, seed):
            row_writer.writerow(row)
            truth_writer.writerow(truth)
    return out


def truth_of(path: Path) -> Path:
    return path.with_name(path.stem + ".truth.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=11)
    options = parser.parse_args()
    write(options.items, options.out, options.seed)


if __name__ == "__main__":
    main()
