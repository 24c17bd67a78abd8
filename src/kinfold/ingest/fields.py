"""The canonical item fields of DESIGN.md: the columns a file needs no mapping for."""

from __future__ import annotations

REQUIRED = ("source_ref", "item_type", "received_at")
NAME_FIELDS = ("first_name", "last_name", "full_name")
DATE_FIELDS = ("received_at", "due_at", "closed_at", "date_of_birth")

# What an item says of the person it is about: the fields privacy erases and exports
PERSONAL = (
    "first_name",
    "last_name",
    "full_name",
    "date_of_birth",
    "address_line_1",
    "address_line_2",
    "address_line_3",
    "town",
    "postcode",
    "uprn",
    "phone",
    "email",
    "ni_number",
    "person_ref",
    "school",
    "gp_practice",
)

CANONICAL = (
    "source",
    "source_ref",
    "item_type",
    "need",
    "received_at",
    "due_at",
    "status",
    "closed_at",
    *PERSONAL,
    "flags",
    "notes",
)

STANDARD_FLAGS = frozenset(
    {
        "eviction_notice",
        "homeless",
        "domestic_abuse",
        "safeguarding_concern",
        "self_harm_risk",
        "no_heating",
        "no_food",
        "no_income",
        "utilities_disconnected",
        "hospital_discharge",
        "pregnant",
        "child_under_5",
        "over_75",
        "disabled",
        "mental_health",
        "lives_alone",
        "carer",
        "care_leaver",
        "language_barrier",
        "digital_exclusion",
    }
)


def header_key(name: str) -> str:
    """How a header is matched to a field: `Date of Birth` and `date-of-birth` both fit."""
    return "_".join(name.strip().casefold().replace("-", " ").split())
