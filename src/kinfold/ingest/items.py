"""Turn one source row into a canonical item, or say why it cannot be one.

A missing or unreadable required field rejects the row (it goes to quarantine). A
malformed optional field (a postcode that is not a UK one, an impossible date of birth,
a bad email) is kept as given and flagged in the item's `issues`; it never rejects it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from kinfold.ingest import values as v
from kinfold.ingest.fields import CANONICAL, DATE_FIELDS
from kinfold.ingest.mapping import Mapping
from kinfold.ingest.tables import Value

CHECKED_FIELDS = {
    "postcode": v.normalise_postcode,
    "email": v.normalise_email,
    "phone": v.normalise_phone,
    "ni_number": v.normalise_ni_number,
    "uprn": v.normalise_uprn,
}
# The stored content of an item (and what an update compares).
ITEM_FIELDS = (*(name for name in CANONICAL if name != "source"), "extra", "issues")
NORMALISATION = 1
"""Raise when the way values are normalised changes, so re-imports rebuild every item."""


class Rejected(Exception):
    """The row cannot be an item; it goes to quarantine with this reason."""

    def __init__(self, reason: str, column: str | None = None, digest: str | None = None) -> None:
        super().__init__(reason, column, digest)  # as args, so it crosses between processes
        self.reason = reason
        self.column = column
        self.digest = digest  # of the row, once known


class OtherSource(Rejected):
    """The row names another source than the one the import is for."""

    def __init__(
        self, reason: str, column: str | None = None, digest: str | None = None, source: str = ""
    ) -> None:
        super().__init__(reason, column, digest)
        self.args = (reason, column, digest, source)  # as made: it crosses between processes
        self.source = source


class ItemBuilder:
    """Builds canonical items from one file's rows under one mapping.

    What depends only on the mapping (which column feeds which field, date formats, which
    columns are extra) is worked out once here, not once per row: a million-row import
    spends its time on rows.
    """

    def __init__(self, mapping: Mapping, source: str, columns: list[str]) -> None:
        self.source = source
        self.direct = [
            (name, rule.columns[0])
            for name, rule in mapping.rules.items()
            if len(rule.columns) == 1 and not rule.values and rule.constant is None
        ]
        simple = {name for name, _ in self.direct}
        self.unmapped = [name for name in CANONICAL if name not in mapping.rules]
        self.derived = [(name, rule) for name, rule in mapping.rules.items() if name not in simple]
        used = mapping.used_columns()
        self.extra_columns = [column for column in columns if column not in used]
        self.formats = {name: mapping.formats_for(name) for name in DATE_FIELDS}
        self.columns = {
            name: ", ".join(rule.columns) or None for name, rule in mapping.rules.items()
        }
        self.flag_rule = mapping.rules.get("flags")
        self.flag_cache: dict[str, str | None] = {}
        self.ref_rule = mapping.rules["source_ref"]
        signature = repr(
            (
                NORMALISATION,
                source,
                sorted(repr(rule) for rule in mapping.rules.values()),
                mapping.date_format,
            )
        )
        self.signature = hashlib.blake2b(signature.encode(), digest_size=8).hexdigest()

    def fingerprint(self, row: dict[str, Value]) -> str:
        """A digest of the row as read and of how it is read: equal digest, equal item."""
        try:
            text = "\x1f".join(row.values())  # type: ignore[arg-type]
        except TypeError:  # not all text: a workbook's dates, JSON's empty values
            text = "\x1f".join(_hashable(value) for value in row.values())
        text = self.signature + "\x1e" + "\x1f".join(row) + "\x1e" + text
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    def reference(self, row: dict[str, Value]) -> str | None:
        return _clean(self.ref_rule.extract(row))

    def build(self, row: dict[str, Value], digest: str) -> dict[str, Any]:
        """The canonical item of `row`: every field of ITEM_FIELDS, plus `row_hash`."""
        get = row.get
        item: dict[str, Any] = {
            name: (value.strip() or None)
            if (value := get(column)).__class__ is str
            else _clean(value)
            for name, column in self.direct
        }
        for name in self.unmapped:
            item[name] = None
        for name, rule in self.derived:
            item[name] = _clean(rule.extract(row))
        raw_received, raw_due, raw_born = item["received_at"], item["due_at"], item["date_of_birth"]
        issues: list[dict[str, str]] = []

        for name in ("source_ref", "item_type"):
            if item[name] is None:
                raise Rejected(f"{name} is empty, and every item needs one", self.columns.get(name))
        row_source = item.pop("source")
        if row_source is not None and row_source != self.source:
            raise OtherSource(
                f"the row is from source '{row_source}', not '{self.source}'",
                self.columns.get("source"),
                source=row_source,
            )
        try:
            item["received_at"] = v.parse_datetime(raw_received, self.formats["received_at"])
        except v.BadValue as error:
            raise Rejected(f"received_at: {error}", self.columns.get("received_at")) from error

        status = item["status"]
        try:
            item["status"] = v.normalise_status(status) if status is not None else None
        except v.BadValue as error:
            raise Rejected(str(error), self.columns.get("status")) from error
        item["closed_at"] = self._closed_at(item, issues)

        if raw_due is not None:
            try:
                item["due_at"] = v.parse_datetime(raw_due, self.formats["due_at"])
            except v.BadValue as error:
                item["due_at"] = None
                issues.append({"field": "due_at", "value": str(raw_due), "problem": str(error)})

        if item["full_name"] and not (item["first_name"] or item["last_name"]):
            item["first_name"], item["last_name"] = v.split_full_name(item["full_name"])
        item["date_of_birth"] = self._birth_date(raw_born, item, issues)
        for name, normalise in CHECKED_FIELDS.items():
            given = item[name]  # already a stripped string, or None
            if given is not None:
                try:
                    item[name] = normalise(given)
                except v.BadValue as error:
                    issues.append({"field": name, "value": str(given), "problem": str(error)})
        item["flags"] = self._flags(item["flags"])

        extra = {}
        for column in self.extra_columns:
            value = _clean(row.get(column))
            if value is not None:
                extra[column] = value
        item["extra"] = json.dumps(extra, ensure_ascii=False) if extra else None
        item["issues"] = json.dumps(issues, ensure_ascii=False) if issues else None
        item["row_hash"] = digest
        return item

    def _closed_at(self, item: dict[str, Any], issues: list[dict[str, str]]) -> datetime | None:
        """When the source completed the item. A row with a completion date and no status
        is closed; a date that cannot be right (unreadable, on an open item, before the item
        was received) is flagged, not used."""
        given = item["closed_at"]
        if given is None:
            item["status"] = item["status"] or "open"
            return None
        item["status"] = item["status"] or "closed"
        try:
            closed = v.parse_datetime(given, self.formats["closed_at"])
        except v.BadValue as error:
            problem = str(error)
        else:
            if item["status"] != "closed":
                problem = "a completion date on an item whose status is open"
            elif closed < item["received_at"]:
                problem = "completed before the item was received"
            else:
                return closed
        issues.append({"field": "closed_at", "value": str(given), "problem": problem})
        return None

    def _birth_date(
        self, given: Value, item: dict[str, Any], issues: list[dict[str, str]]
    ) -> str | None:
        text = _clean(given)
        if text is None:
            return None
        try:
            born = v.parse_date(given, self.formats["date_of_birth"])
            v.check_birth_date(born, item["received_at"].date())
        except v.BadValue as error:
            issues.append({"field": "date_of_birth", "value": text, "problem": str(error)})
            return text
        return born.isoformat()

    def _flags(self, text: str | None) -> str | None:
        if text is None or self.flag_rule is None:
            return None
        if text in self.flag_cache:  # a backlog repeats its few combinations of flags
            return self.flag_cache[text]
        rule = self.flag_rule
        flags: list[str] = []
        for part in text.split(rule.split or ";"):
            if part.strip():
                flag = v.normalise_flag(rule.translate(part))
                if flag and flag not in flags:
                    flags.append(flag)
        if len(self.flag_cache) > 10_000:
            self.flag_cache.clear()
        found = self.flag_cache[text] = ";".join(flags) or None
        return found


def _clean(value: Value) -> str | None:
    """A stripped string, or None for an empty value."""
    if value is None:
        return None
    if value.__class__ is str:
        return value.strip() or None
    return v.text(value)


def _hashable(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def row_digest(row: dict[str, Value]) -> str:
    """A digest of a row as read, to recognise the same bad row when it is read again."""
    text = "\x1f".join(f"{key}={_hashable(value)}" for key, value in row.items())
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
