"""Mapping files: renames, joined columns, date formats, value translations, constants."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from kinfold.errors import MappingError
from kinfold.ingest.importer import import_items
from kinfold.ingest.mapping import canonical_mapping, load_mapping
from kinfold.store.schema import items
from kinfold.workspace import Workspace
from tests.conftest import write

MAPPING = """\
source: revenues
date_format: "%d/%m/%Y"
fields:
  source_ref: Account Ref
  item_type: Case Type
  received_at: Date Received
  status: {column: Stage, values: {Live: open, Arrangement: open, Closed: closed}}
  full_name: Customer Name
  date_of_birth: {column: DOB, format: "%d.%m.%Y"}
  address_line_1: {columns: [House, Street], join: " "}
  postcode: Post Code
  flags: {column: Risk, split: ",", values: {EVICT: eviction_notice, U5: child_under_5}}
  need: {value: income}
"""
ROWS = """\
Account Ref,Case Type,Date Received,Stage,Customer Name,DOB,House,Street,Post Code,Risk,Ward
CT1,Council tax arrears,03/11/2026,Live,"SMITH, John",02.04.1980,10,High Street,kf1 2ab,\
"EVICT, U5, Other Thing",North
CT2,Council tax arrears,04/11/2026,CLOSED,Mary Jones,,,Mill Lane,,,
"""


def test_a_mapped_layout_imports(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    mapping = write(tmp_path / "revenues.yaml", MAPPING)
    result = import_items(
        sqlite_workspace.engine, write(tmp_path / "accounts.csv", ROWS), mapping_path=mapping
    )
    assert (result.source, result.new, result.quarantined) == ("revenues", 2, 0)
    with sqlite_workspace.engine.connect() as conn:
        found = {row.source_ref: row for row in conn.execute(select(items))}
    one, two = found["CT1"], found["CT2"]
    assert (one.first_name, one.last_name, one.full_name) == ("John", "SMITH", "SMITH, John")
    assert one.received_at.date().isoformat() == "2026-11-03"
    assert one.date_of_birth == "1980-04-02"
    assert one.address_line_1 == "10 High Street"
    assert one.postcode == "KF1 2AB"
    assert one.flags == "eviction_notice;child_under_5;other_thing"
    assert one.need == "income" and one.status == "open"
    assert one.extra == '{"Ward": "North"}'
    assert (two.status, two.first_name, two.last_name) == ("closed", "Mary", "Jones")
    assert two.address_line_1 == "Mill Lane"


def test_column_names_match_whatever_their_case(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    mapping = write(tmp_path / "m.yaml", MAPPING.replace("Account Ref", "account ref"))
    result = import_items(
        sqlite_workspace.engine, write(tmp_path / "a.csv", ROWS), mapping_path=mapping
    )
    assert result.new == 2


def test_canonical_headers_match_loosely() -> None:
    mapping = canonical_mapping(["Source Ref", "Item-Type", "RECEIVED_AT", "Last Name", "Ward"])
    assert {name: rule.columns for name, rule in mapping.rules.items()} == {
        "source_ref": ("Source Ref",),
        "item_type": ("Item-Type",),
        "received_at": ("RECEIVED_AT",),
        "last_name": ("Last Name",),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "fields:\n  source_ref: Ref\n  colour: Colour\n",
            "line 3: 'colour' is not a kinfold field",
        ),
        ("fields:\n  source_ref: {colum: Ref}\n", "line 2: field 'source_ref' has unknown setting"),
        ("fields:\n  source_ref: {join: ' '}\n", "needs `column`, `columns` or `value`"),
        ("sheets: A\nfields: {}\n", "unknown setting(s) sheets"),
        ("just: text\n", "should hold a `fields:` section"),
        ("fields: [a, b]\n", "`fields:` should map field names to columns"),
        ("fields:\n  status: {column: S, values: [a]}\n", "`values` of 'status'"),
    ],
)
def test_bad_mapping_files_say_where(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(MappingError) as raised:
        load_mapping(write(tmp_path / "m.yaml", text))
    assert message in str(raised.value)


def test_mapping_missing_a_required_field_is_refused(tmp_path: Path) -> None:
    mapping = load_mapping(
        write(tmp_path / "m.yaml", "fields:\n  source_ref: Ref\n  last_name: N\n")
    )
    with pytest.raises(MappingError, match="no column gives item_type, received_at"):
        mapping.bind(["Ref", "N"], "a.csv")
