"""Cleaning names, phone numbers and addresses before records are compared.

Pure functions, each a single step a person can check: what a record says goes in, the
form kinfold compares comes out. Address parsing understands the ways UK records write
the same home: "Flat 2, 10 High St", "2/10 High Street", "10 High Street, Flat 2".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib import resources
from itertools import product

from kinfold.ingest.values import BadValue, normalise_postcode

STREET_TYPES = {
    "rd": "road", "road": "road", "st": "street", "str": "street", "street": "street",
    "ave": "avenue", "av": "avenue", "avenue": "avenue", "ln": "lane", "la": "lane",
    "lane": "lane", "cl": "close", "close": "close", "dr": "drive", "drv": "drive",
    "drive": "drive", "cres": "crescent", "cresc": "crescent", "crescent": "crescent",
    "gr": "grove", "gro": "grove", "grove": "grove", "terr": "terrace", "ter": "terrace",
    "terrace": "terrace", "wy": "way", "way": "way", "pl": "place", "place": "place",
    "sq": "square", "square": "square", "ct": "court", "court": "court",
    "gdns": "gardens", "gardens": "gardens", "pk": "park", "park": "park",
}  # fmt: skip
FLAT_WORDS = "flat|apartment|apt|unit|room|suite|maisonette"
FLOORS = {"ground": "ground", "gf": "ground", "first": "first", "1st": "first",
          "second": "second", "2nd": "second", "third": "third", "3rd": "third",
          "top": "top", "basement": "basement", "lower ground": "basement"}  # fmt: skip
NOT_WORD = re.compile(r"[^a-z0-9 ]+")
SPACES = re.compile(r"\s+")
# "flat 5", "apartment 4a", "unit b", leading a part; "flat 5 36 windsor drive" goes on
FLAT_FIRST = re.compile(rf"^(?:{FLAT_WORDS})\s*(\w+)(?:\s+(.*))?$")
FLAT_LAST = re.compile(rf"^(.*\D)\s+(?:{FLAT_WORDS})\s*(\w+)$")  # 36 windsor drive flat 5
FLOOR_FLAT = re.compile(rf"^({'|'.join(FLOORS)})(?:\s+floor)?\s+(?:{FLAT_WORDS})(?:\s+(.*))?$")
NUMBER_FIRST = re.compile(r"^(?:no\s+)?(\d+[a-z]?(?:\s*-\s*\d+[a-z]?)?)\s+(\D.*)$")  # 10 High St
# "2 10 High Street", and "2/10 High Street" once `plain` has taken the slash out
TWO_NUMBERS = re.compile(r"^(\w*\d\w*|[a-z])\s+(\d+[a-z]?)\s+(\D.+)$")
NUMBER_ALONE = re.compile(r"^(?:no\s+)?(\d+[a-z]?)$")  # "36", then "Windsor Drive"
# a word's first letter a scanner read as a digit: "8urley", "0ak", "5treet" (not "1st")
MISREAD_FIRST = re.compile(r"\b[0158](?=[a-z]{2,}\b)(?!(?:st|nd|rd|th)\b)")


@lru_cache(maxsize=1 << 18)  # names and streets repeat across a backlog's items
def plain(text: str | None) -> str:
    """Lower case, accents and punctuation gone, one space between words."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = decomposed.encode("ascii", "ignore").decode().lower()
    return SPACES.sub(" ", NOT_WORD.sub(" ", ascii_text.replace("'", ""))).strip()


# digits a scanner or a clerk reading a form takes for letters: "0liver", "WIL5ON"
MISREAD_DIGITS = str.maketrans("0158", "olsb")


# letters a scanner takes for others: "rn" for "m", "cl" for "d", "i" for "l", "u" for "v"
SCANNED_PAIRS = (("rn", "m"), ("cl", "d"), ("vv", "w"))
SCANNED_LETTERS = str.maketrans("iuh", "lvb")


def as_scanned(name: str) -> str:
    """A name (or street) with each group of letters a scanner confuses written as one."""
    for pair, letter in SCANNED_PAIRS:
        name = name.replace(pair, letter)
    return name.translate(SCANNED_LETTERS)


def plain_name(text: str | None) -> str:
    """A name as `plain` gives it, with the digits in it read as the letters they stand
    for (no name has digits)."""
    return plain(text).translate(MISREAD_DIGITS)


@cache
def nicknames() -> dict[str, tuple[str, ...]]:
    """variant -> the formal names it may stand for (shipped in nicknames.txt)."""
    table: dict[str, list[str]] = {}
    text = resources.files("kinfold.resolve").joinpath("nicknames.txt").read_text("utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        formal, _, variants = line.partition(":")
        formal = formal.strip()
        for name in (formal, *(part.strip() for part in variants.split(","))):
            if name and formal not in table.setdefault(name, []):
                table[name].append(formal)
    return {name: tuple(formals) for name, formals in table.items()}


@lru_cache(maxsize=1 << 16)
def formal_first_name(name: str | None) -> str:
    """The formal form of a first name when it is a known short form ("bob" -> "robert");
    a name that stands for several ("sam") keeps itself."""
    cleaned = plain_name(name).split(" ")[0] if name else ""
    formals = nicknames().get(cleaned, ())
    return formals[0] if len(formals) == 1 else cleaned


def phone_digits(phone: str | None) -> str:
    """A UK number's national digits, for comparing ("+44 7700 900123" -> "07700900123")."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("44") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    return digits


@dataclass(frozen=True)
class Address:
    flat: str
    number: str
    street: str
    locality: str
    postcode: str  # "LS6 2AB", or "" when missing or not a UK postcode

    def display(self) -> str:
        """The address as a letter would show it: "Flat 2, 10 High Street, LS6 2AB"."""
        parts = [
            f"Flat {self.flat.upper()}" if self.flat else "",
            " ".join(part for part in (_house(self.number), self.street.title()) if part),
            self.locality.title(),
            self.postcode,
        ]
        return ", ".join(part for part in parts if part)

    def key(self) -> str:
        """What says two records name the same home: a number (or house name) or flat on
        a street, or a house with its postcode; empty when there is too little."""
        return self._key

    @cached_property
    def _key(self) -> str:  # asked of each address many times over
        if (self.street and (self.number or self.flat)) or (self.number and self.postcode):
            return "|".join((self.postcode.replace(" ", ""), self.number, self.flat, self.street))
        return ""

    def partial(self) -> bool:
        """Does it say anything of where the person lives, short of a home?"""
        return bool(self.street or self.postcode or self.locality or self.flat)


def _house(number: str) -> str:
    """ "36A" as a number is written; "Rose Cottage" as a name is."""
    return number.upper() if any(ch.isdigit() for ch in number) else number.title()


def parse_address(lines: list[str | None], postcode: str | None) -> Address:
    """Flat, house number (or name), street and locality of an address written any
    common way: "Flat 5, 36 Windsor Dr", "Flat 5 36 Windsor Drive", "5/36 Windsor Drive",
    "36 Windsor Drive, Flat 5", "Ground Floor Flat, 36 ...", "36, Windsor Drive",
    "Rose Cottage, Mill Lane". A house's name stands for its number when it has none."""
    parts = [_read_first_letters(plain(part)) for line in lines if line for part in line.split(",")]
    flat = number = street = name = ""
    rest: list[str] = []
    pending = [part for part in parts if part]
    while pending:
        part = pending.pop(0)
        if match := FLOOR_FLAT.match(part):
            flat = FLOORS[match.group(1)]
            if match.group(2):
                pending.insert(0, match.group(2))
        elif (match := FLAT_FIRST.match(part)) and _flat_number(match.group(1)):
            flat = match.group(1)
            if match.group(2):
                pending.insert(0, match.group(2))
        elif not street and (match := FLAT_LAST.match(part)):
            flat = match.group(2)
            pending.insert(0, match.group(1))
        elif not street and (match := TWO_NUMBERS.match(part)):
            flat, number, street = match.group(1), match.group(2), match.group(3)
        elif not street and (match := NUMBER_FIRST.match(part)):
            number, street = match.group(1).replace(" ", ""), match.group(2)
        elif not street and not number and (match := NUMBER_ALONE.match(part)):
            number = match.group(1)
        elif not street and _looks_like_street(part):
            street = part
        elif not street and not number and not name and not rest:
            name = part  # a house's name, before its street
        else:
            rest.append(part)
    code = _postcode(postcode)
    if name and (number or not (street or code)):  # a building's name, or just a place
        rest.insert(0, name)
        name = ""
    street, beyond = _street(street)
    return Address(
        flat=flat,
        number=number or name,
        street=street,
        locality=" ".join([beyond, *rest]).strip(),
        postcode=code,
    )


def _read_first_letters(part: str) -> str:
    """ "146 8urley crescent" -> "146 burley crescent": a word that starts with a digit and
    goes on in letters began with a letter."""
    return MISREAD_FIRST.sub(lambda digit: digit.group().translate(MISREAD_DIGITS), part)


def _flat_number(word: str) -> bool:
    """A flat's number or letter ("5", "4a", "b"), not a word ("flat lane")."""
    return any(ch.isdigit() for ch in word) or len(word) == 1


def _looks_like_street(part: str) -> bool:
    return any(word in STREET_TYPES for word in part.split(" ")[1:])


def _street(street: str) -> tuple[str, str]:
    """The street with its type in full ("windsor dr" -> "windsor drive"), and any words
    after the type (a locality written on the same line)."""
    # a street's words have no digits: "qveens c1" is "queens cl" misread, "hollin 5t" is
    # "hollin st"
    words = [word.translate(MISREAD_DIGITS)
             if word[0].isalpha() or word.translate(MISREAD_DIGITS) in STREET_TYPES else word
             for word in street.split(" ") if word]  # fmt: skip
    for position in range(len(words) - 1, 0, -1):
        if words[position] in STREET_TYPES:
            kept = [*words[:position], STREET_TYPES[words[position]]]
            return " ".join(kept), " ".join(words[position + 1 :])
    return " ".join(words), ""


def _postcode(postcode: str | None) -> str:
    if not postcode:
        return ""
    try:
        return normalise_postcode(postcode)
    except BadValue:
        return misread_postcode(postcode)


# what a scanner takes a postcode's letters and digits for: "L517 7LH", "HX8 3F8"
AS_LETTER = {"0": "O", "1": "L", "5": "S", "8": "B"}
AS_DIGIT = {"O": "0", "I": "1", "L": "1", "S": "5", "B": "8"}


@lru_cache(maxsize=1 << 14)
def misread_postcode(written: str) -> str:
    """A postcode with a digit read as a letter or a letter as a digit, read back when
    the fewest changes that make it a UK postcode give one postcode; "" otherwise."""
    compact = SPACES.sub("", written).upper()
    if not 5 <= len(compact) <= 7:
        return ""
    choices = [sorted({ch, AS_LETTER.get(ch, ch), AS_DIGIT.get(ch, ch)}) for ch in compact]
    readings: dict[int, set[str]] = {}  # changes -> postcodes
    for reading in product(*choices):
        try:
            code = normalise_postcode("".join(reading))
        except BadValue:
            continue
        changes = sum(a != b for a, b in zip(reading, compact, strict=True))
        readings.setdefault(changes, set()).add(code)
    fewest = readings[min(readings)] if readings else set()
    return next(iter(fewest)) if len(fewest) == 1 else ""
