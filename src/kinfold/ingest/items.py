"""Turn one source row into a canonical item, or say why it cannot be one.

A missing or unreadable required field rejects the row (it goes to quarantine). A
malformed optional field (a postcode that is not a UK one, an impossible date of birth,
a bad email) is kept as given and flagged in the item's `issues`; it never rejects it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kinfold.ingest import values as v
from kinfold.ingest.fields import CANONICAL
from kinfold.ingest.mapping import Mapping
from kinfold.ingest.readers import Value

TEXT_FIELDS = (
    "need",
    "first_name",
    "last_name",
    "full_name",
    "address_line_1",
    "address_line_2",
    "address_line_3",
    "town",
    "school",
    "gp_practice",
    "notes",
)
CHECKED_FIELDS = {
    "postcode": v.normalise_postcode,
    "email": v.normalise_email,
    "phone": v.normalise_phone,
    "ni_number": v.normalise_ni_number,
    "uprn": v.normalise_uprn,
}
# The stored fields of an item, in the order they are hashed.
ITEM_FIELDS = (*(name for name in CANONICAL if name != "source"), "extra", "issues")


@dataclass(frozen=True)
class Rejected(Exception):
    """The row cannot be an item; it goes to quarantine with this reason."""

    reason: str
    column: str | None = None


def build_item(row: dict[str, Value], mapping: Mapping, source: str) -> dict[str, Any]:
    """The canonical item of `row`: every field of ITEM_FIELDS, plus `row_hash`."""
    item: dict[str, Any] = {}
    issues: list[dict[str, str]] = []

    def raw(name: str) -> Value:
        rule = mapping.rules.get(name)
        return None if rule is None else rule.extract(row)

    def column(name: str) -> str | None:
        rule = mapping.rules.get(name)
        return ", ".join(rule.columns) if rule is not None and rule.columns else None

    for name in ("source_ref", "item_type"):
        item[name] = v.text(raw(name))
        if item[name] is None:
            raise Rejected(f"{name} is empty, and every item needs one", column(name))
    row_source = v.text(raw("source"))
    if row_source is not None and row_source != source:
        raise Rejected(f"the row is from source '{row_source}', not '{source}'", column("source"))

    try:
        item["received_at"] = v.parse_datetime(
            raw("received_at"), mapping.formats_for("received_at")
        )
    except v.BadValue as error:
        raise Rejected(f"received_at: {error}", column("received_at")) from error

    status = v.text(raw("status"))
    try:
        item["status"] = "open" if status is None else v.normalise_status(status)
    except v.BadValue as error:
        raise Rejected(str(error), column("status")) from error

    item["due_at"] = None
    due = raw("due_at")
    if v.text(due) is not None:
        try:
            item["due_at"] = v.parse_datetime(due, mapping.formats_for("due_at"))
        except v.BadValue as error:
            issues.append({"field": "due_at", "value": str(due), "problem": str(error)})

    for name in TEXT_FIELDS:
        item[name] = v.text(raw(name))
    if item["full_name"] and not (item["first_name"] or item["last_name"]):
        item["first_name"], item["last_name"] = v.split_full_name(item["full_name"])

    item["date_of_birth"] = _birth_date(raw("date_of_birth"), mapping, item, issues)

    for name, normalise in CHECKED_FIELDS.items():
        given = v.text(raw(name))
        item[name] = given
        if given is not None:
            try:
                item[name] = normalise(given)
            except v.BadValue as error:
                issues.append({"field": name, "value": given, "problem": str(error)})

    item["flags"] = _flags(raw("flags"), mapping)

    used = mapping.used_columns()
    extra = {key: v.text(value) for key, value in row.items() if key not in used}
    extra = {key: value for key, value in extra.items() if value is not None}
    item["extra"] = json.dumps(extra, ensure_ascii=False) if extra else None
    item["issues"] = json.dumps(issues, ensure_ascii=False) if issues else None
    item["row_hash"] = item_hash(item)
    return item


def _birth_date(
    given: Value, mapping: Mapping, item: dict[str, Any], issues: list[dict[str, str]]
) -> str | None:
    text = v.text(given)
    if text is None:
        return None
    try:
        born = v.parse_date(given, mapping.formats_for("date_of_birth"))
        v.check_birth_date(born, item["received_at"].date())
    except v.BadValue as error:
        issues.append({"field": "date_of_birth", "value": text, "problem": str(error)})
        return text
    return born.isoformat()


def _flags(given: Value, mapping: Mapping) -> str | None:
    text = v.text(given)
    if text is None:
        return None
    rule = mapping.rules["flags"]
    separator = rule.split or ";"
    flags: list[str] = []
    for part in text.split(separator):
        if part.strip():
            flag = v.normalise_flag(rule.translate(part))
            if flag and flag not in flags:
                flags.append(flag)
    return ";".join(flags) or None


def item_hash(item: dict[str, Any]) -> str:
    """A stable digest of an item's content: equal content, equal hash."""
    parts = [_hashable(item.get(name)) for name in ITEM_FIELDS]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def row_hash(row: dict[str, Value]) -> str:
    """A digest of a source row as read, to recognise the same bad row when re-imported."""
    parts = [f"{key}={_hashable(value)}" for key, value in row.items()]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def _hashable(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
