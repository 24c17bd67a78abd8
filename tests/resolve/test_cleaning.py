"""Cleaning before comparison: names, nicknames, phones, and UK addresses written any way."""

from __future__ import annotations

import pytest

from kinfold.resolve.cleaning import (
    Address,
    formal_first_name,
    nicknames,
    parse_address,
    phone_digits,
    plain,
)


def test_plain_text() -> None:
    assert plain("  O'Brien-SMITH ") == "obrien smith"
    assert plain("Zoë  Brontë") == "zoe bronte"
    assert plain(None) == ""


@pytest.mark.parametrize(
    ("given", "formal"),
    [("Bob", "robert"), ("bobby", "robert"), ("LIZ", "elizabeth"), ("Robert", "robert"),
     ("Sam", "sam"), ("Okonkwo", "okonkwo"), ("Mary Jane", "mary"), ("Jess", "jessica"),
     (None, "")],
)  # fmt: skip
def test_formal_first_names(given: str | None, formal: str) -> None:
    assert formal_first_name(given) == formal


def test_a_variant_of_several_names_is_left_alone() -> None:
    assert set(nicknames()["sam"]) == {"samantha", "samuel"}
    assert nicknames()["robert"] == ("robert",)


def test_phone_digits() -> None:
    assert phone_digits("+44 7700 900123") == "07700900123"
    assert phone_digits("0113 496 0000") == "01134960000"
    assert phone_digits(None) == ""


SAME_FLAT = [
    (["Flat 2, 10 High St"], "ls6 2ab"),
    (["Flat 2", "10 High Street"], "LS62AB"),
    (["2/10 High Street", "Headingley"], "LS6  2AB"),
    (["10 High Street, Flat 2"], "LS6 2AB"),
    (["2 10 high st."], "ls6 2ab"),
]


@pytest.mark.parametrize(("lines", "postcode"), SAME_FLAT)
def test_one_flat_written_five_ways(lines: list[str | None], postcode: str) -> None:
    address = parse_address(lines, postcode)
    assert (address.flat, address.number, address.street, address.postcode) == (
        "2",
        "10",
        "high street",
        "LS6 2AB",
    )
    assert address.key() == "LS62AB|10|2|high street"


def test_houses_streets_and_localities() -> None:
    house = parse_address(["55 Castle Terr", "Westholme"], "KF6 3EG")
    assert house == Address("", "55", "castle terrace", "westholme", "KF6 3EG")
    assert parse_address(["12a Mill Rd"], None).key() == "|12a||mill road"
    assert parse_address(["Mill Lane"], "nowhere") == Address("", "", "mill lane", "", "")
    assert parse_address(["Mill Lane"], None).key() == ""  # no number: not enough for a home
    assert parse_address([None, ""], None) == Address("", "", "", "", "")


def test_letters_a_scanner_read_as_digits_are_read_back() -> None:
    assert parse_address(["No. 146 8urley Crescent"], None) == Address(
        "", "146", "burley crescent", "", ""
    )
    assert parse_address(["20/199 0tley Terrace"], None).key() == "|199|20|otley terrace"
    assert parse_address(["168 Hollin 5t"], None).street == "hollin street"
    # ordinals and numbered houses are what they say
    assert parse_address(["1st Floor Flat, 10 High St"], None).flat == "first"
    assert parse_address(["8 Acre Lane"], None).number == "8"


def test_the_next_flat_is_another_home() -> None:
    one = parse_address(["Flat 1, 10 High Street"], "LS6 2AB")
    two = parse_address(["Flat 2, 10 High Street"], "LS6 2AB")
    assert one.key() != two.key()


@pytest.mark.parametrize(
    ("written", "read"),
    [("L517 7LH", "LS17 7LH"), ("HX8 3F8", "HX8 3FB"), ("1s27 5bf", "LS27 5BF"),
     ("8D1 8PF", "BD1 8PF"), ("LS6 2AB", "LS6 2AB"), ("ZZZZZ", ""), ("LS", "")],
)  # fmt: skip
def test_a_postcode_misread_by_a_scanner_is_read_back(written: str, read: str) -> None:
    assert parse_address(["10 High Street"], written).postcode == read
