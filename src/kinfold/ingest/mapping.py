"""Mappings: how a source's own layout becomes kinfold's canonical item fields.

A mapping file is YAML a person can write (see docs/mapping.md):

    sheet: Accounts                 # XLSX: the sheet to read (default: the first)
    date_format: "%d/%m/%Y"         # for every date field that does not name its own
    fields:
      source_ref: Account Ref       # a column
      full_name: Customer Name      # "SMITH, John" and "John Smith" are both understood
      address_line_1: {columns: [Flat, House, Street], join: " "}
      status: {column: Stage, values: {Live: open, Closed: closed}}
      flags: {column: Risk, split: ",", values: {EVICT: eviction_notice}}
      need: {value: income}         # the same for every row

A file with canonical headers needs no mapping: `canonical_mapping` builds one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from kinfold.errors import MappingError
from kinfold.ingest.fields import CANONICAL, NAME_FIELDS, REQUIRED, header_key
from kinfold.ingest.tables import Value

RULE_KEYS = frozenset(
    {"column", "columns", "join", "value", "format", "formats", "values", "split"}
)
TOP_KEYS = frozenset({"source", "sheet", "records", "date_format", "fields"})
EVENT_TOP_KEYS = TOP_KEYS | {"end_activities"}


@dataclass(frozen=True)
class FieldRule:
    """Where one canonical field's value comes from."""

    name: str
    columns: tuple[str, ...] = ()
    join: str = " "
    constant: str | None = None
    formats: tuple[str, ...] = ()
    values: dict[str, str] = field(default_factory=dict)  # keys casefolded
    split: str | None = None
    line: int | None = None  # where the rule is written in the mapping file

    def extract(self, row: dict[str, Value]) -> Value:
        if self.constant is not None:
            return self.constant
        if len(self.columns) == 1:
            value = row.get(self.columns[0])
        else:
            parts = [row.get(column) for column in self.columns]
            texts = [part if isinstance(part, str) else str(part) for part in parts if part]
            value = self.join.join(text.strip() for text in texts if text.strip()) or None
        if self.values and isinstance(value, str) and self.split is None:
            return self.values.get(value.strip().casefold(), value)
        return value

    def translate(self, part: str) -> str:
        return self.values.get(part.strip().casefold(), part)


@dataclass(frozen=True)
class Mapping:
    rules: dict[str, FieldRule]
    sheet: str | None = None
    records: str | None = None
    source: str | None = None
    date_format: str | None = None
    origin: str = "the canonical columns"
    kind: str = "items"  # or "events": an event log's mapping (see ingest/eventlog.py)
    end_activities: tuple[str, ...] = ()  # events: the activities that finish a case

    def used_columns(self) -> set[str]:
        return {column for rule in self.rules.values() for column in rule.columns}

    def formats_for(self, name: str) -> tuple[str, ...]:
        rule = self.rules.get(name)
        if rule is not None and rule.formats:
            return rule.formats
        return (self.date_format,) if self.date_format else ()

    def bind(self, columns: list[str], file_name: str) -> Mapping:
        """Check the mapping against a file's columns, matching names case-insensitively."""
        by_key = {header_key(column): column for column in columns}
        rules: dict[str, FieldRule] = {}
        for name, rule in self.rules.items():
            found = []
            for column in rule.columns:
                actual = column if column in columns else by_key.get(header_key(column))
                if actual is None:
                    where = f" (line {rule.line})" if rule.line else ""
                    raise MappingError(
                        f"{self.origin}{where}: field '{name}' reads column '{column}', "
                        f"which is not in {file_name}.",
                        f"The columns of {file_name} are: {', '.join(columns)}.",
                    )
                found.append(actual)
            rules[name] = FieldRule(
                name,
                tuple(found),
                rule.join,
                rule.constant,
                rule.formats,
                rule.values,
                rule.split,
                rule.line,
            )
        bound = replace(self, rules=rules)
        if self.kind == "items":
            bound.check_complete(file_name)
        return bound

    def check_complete(self, file_name: str) -> None:
        missing = [name for name in REQUIRED if name not in self.rules]
        if missing:
            raise MappingError(
                f"{file_name}: no column gives {', '.join(missing)} (using {self.origin}).",
                "Name the columns in the file as kinfold's canonical columns "
                "or write a mapping file (--mapping); see docs/mapping.md.",
            )
        if not any(name in self.rules for name in NAME_FIELDS):
            raise MappingError(
                f"{file_name}: no column gives a name (first_name, last_name or full_name), "
                f"using {self.origin}.",
                "Without names, items cannot be linked to the people they are about. "
                "Map the name columns and import again.",
            )


def canonical_mapping(columns: list[str]) -> Mapping:
    """The mapping of a file whose headers are kinfold's canonical column names; two
    headers that name the same field ("First Name" and "first_name") are refused, as
    which one holds the values cannot be told."""
    rules: dict[str, FieldRule] = {}
    for column in columns:
        key = header_key(column)
        if key in rules:
            raise MappingError(
                f"The columns '{rules[key].columns[0]}' and '{column}' both name kinfold's "
                f"field {key}.",
                "Remove or rename one, or write a mapping file naming the column to use "
                "(--mapping).",
            )
        if key in CANONICAL:
            rules[key] = FieldRule(key, (column,))
    return Mapping(rules)


def load_mapping(path: Path, kind: str = "items", fields: tuple[str, ...] = CANONICAL) -> Mapping:
    """Read and check a mapping file of items (or, with `kind` "events" and its `fields`,
    of an event log); errors name the line and what to change."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise MappingError(f"The mapping file {path} cannot be read ({error}).") from error
    try:
        document = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        raise MappingError(f"{path.name} is not valid YAML: {error}") from error
    if not isinstance(document, dict) or "fields" not in document:
        raise MappingError(
            f"{path.name} should hold a `fields:` section naming a column per field.",
            "See docs/mapping.md for an example.",
        )
    top_keys = EVENT_TOP_KEYS if kind == "events" else TOP_KEYS
    unknown = set(document) - top_keys
    if unknown:
        raise MappingError(
            f"{path.name}: unknown setting(s) {', '.join(sorted(map(str, unknown)))}.",
            f"Settings are: {', '.join(sorted(top_keys))}.",
        )
    ends = document.get("end_activities") or []
    if not isinstance(ends, list):
        raise MappingError(f"{path.name}: `end_activities` should be a list of activities.")
    if not isinstance(document["fields"], dict):
        raise MappingError(f"{path.name}: `fields:` should map field names to columns.")
    lines = _field_lines(root)
    rules = {
        str(name): _rule(path.name, str(name), spec, lines.get(str(name)), fields)
        for name, spec in document["fields"].items()
    }
    date_format = document.get("date_format")
    return Mapping(
        rules,
        sheet=_optional_text(document.get("sheet")),
        records=_optional_text(document.get("records")),
        source=_optional_text(document.get("source")),
        date_format=_optional_text(date_format),
        origin=path.name,
        kind=kind,
        end_activities=tuple(str(activity) for activity in ends),
    )


def _rule(
    file_name: str, name: str, spec: Any, line: int | None, fields: tuple[str, ...]
) -> FieldRule:
    where = f"{file_name} line {line}" if line else file_name
    if name not in fields:
        raise MappingError(
            f"{where}: '{name}' is not a kinfold field.",
            f"The fields are: {', '.join(fields)}.",
        )
    if isinstance(spec, str | int):
        return FieldRule(name, (str(spec),), line=line)
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: field '{name}' should name a column or hold settings.")
    unknown = set(spec) - RULE_KEYS
    if unknown:
        raise MappingError(
            f"{where}: field '{name}' has unknown setting(s) {', '.join(sorted(unknown))}.",
            f"Settings are: {', '.join(sorted(RULE_KEYS))}.",
        )
    columns: tuple[str, ...]
    if "value" in spec:
        columns = ()
    elif "column" in spec:
        columns = (str(spec["column"]),)
    elif isinstance(spec.get("columns"), list) and spec["columns"]:
        columns = tuple(str(column) for column in spec["columns"])
    else:
        raise MappingError(f"{where}: field '{name}' needs `column`, `columns` or `value`.")
    formats = spec.get("formats", [spec["format"]] if "format" in spec else [])
    values = spec.get("values", {})
    if not isinstance(values, dict):
        raise MappingError(f"{where}: `values` of '{name}' should map source values to ours.")
    return FieldRule(
        name,
        columns,
        join=str(spec.get("join", " ")),
        constant=None if "value" not in spec else str(spec["value"]),
        formats=tuple(str(pattern) for pattern in formats),
        values={str(key).strip().casefold(): str(value) for key, value in values.items()},
        split=_optional_text(spec.get("split")),
        line=line,
    )


def _field_lines(root: yaml.Node | None) -> dict[str, int]:
    """The line (1-based) on which each field of `fields:` is written."""
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key, value in root.value:
        if key.value == "fields" and isinstance(value, yaml.MappingNode):
            return {node.value: node.start_mark.line + 1 for node, _ in value.value}
    return {}


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)
