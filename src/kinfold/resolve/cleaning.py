"""Cleaning names, phone numbers and addresses before records are compared.

Pure functions, each a single step a person can check: what a record says goes in, the
form kinfold compares comes out. Address parsing understands the ways UK records write
the same home: "Flat 2, 10 High St", "2/10 High Street", "10 High Street, Flat 2".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

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
FLAT_WORDS = ("flat", "apartment", "apt", "unit", "room")
NOT_WORD = re.compile(r"[^a-z0-9 ]+")
SPACES = re.compile(r"\s+")
FLAT = re.compile(r"^(?:flat|apartment|apt|unit|room)\s*(\w+)$")
SLASH = re.compile(r"^(\w+)\s*/\s*(\d+[a-z]?)\s+(.+)$")  # 2/10 High Street
NUMBER_FIRST = re.compile(r"^(\d+[a-z]?)\s+(.+)$")  # 10 High Street
TWO_NUMBERS = re.compile(r"^(\d+[a-z]?)\s+(\d+[a-z]?)\s+(\D.+)$")  # 2 10 High Street


@lru_cache(maxsize=1 << 18)  # names and streets repeat across a backlog's items
def plain(text: str | None) -> str:
    """Lower case, accents and punctuation gone, one space between words."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = decomposed.encode("ascii", "ignore").decode().lower()
    return SPACES.sub(" ", NOT_WORD.sub(" ", ascii_text.replace("'", ""))).strip()


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
    cleaned = plain(name).split(" ")[0] if name else ""
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
            " ".join(part for part in (self.number.upper(), self.street.title()) if part),
            self.locality.title(),
            self.postcode,
        ]
        return ", ".join(part for part in parts if part)

    def key(self) -> str:
        """What says two records name the same home; empty when there is too little."""
        if not self.street or not (self.number or self.flat):
            return ""
        return "|".join((self.postcode.replace(" ", ""), self.number, self.flat, self.street))


def parse_address(lines: list[str | None], postcode: str | None) -> Address:
    """Flat, house number, street and locality of an address written any common way."""
    parts = [plain(part) for line in lines if line for part in line.split(",")]
    parts = [part for part in parts if part]
    flat = number = street = ""
    rest: list[str] = []
    for part in parts:
        if match := FLAT.match(part):
            flat = match.group(1)
        elif (not street and (match := SLASH.match(part))) or (
            not street and (match := TWO_NUMBERS.match(part))
        ):
            flat, number, street = match.group(1), match.group(2), match.group(3)
        elif not street and (match := NUMBER_FIRST.match(part)):
            number, street = match.group(1), match.group(2)
        elif not street and _looks_like_street(part):
            street = part
        else:
            rest.append(part)
    return Address(
        flat=flat,
        number=number,
        street=_street(street),
        locality=" ".join(rest),
        postcode=_postcode(postcode),
    )


def _looks_like_street(part: str) -> bool:
    return part.rsplit(" ", 1)[-1] in STREET_TYPES


def _street(street: str) -> str:
    words = street.split(" ")
    if words and words[-1] in STREET_TYPES:
        words[-1] = STREET_TYPES[words[-1]]
    return " ".join(word for word in words if word)


def _postcode(postcode: str | None) -> str:
    try:
        return normalise_postcode(postcode) if postcode else ""
    except BadValue:
        return ""
