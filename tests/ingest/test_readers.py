"""Readers: formats, encodings, delimiters, and rows they cannot read whole."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import openpyxl
import pytest

from kinfold.errors import FileFormatError
from kinfold.ingest.readers import read_table
from kinfold.ingest.tables import Value
from tests.conftest import write


def rows_of(path: Path, **options: str) -> list[dict[str, Value]]:
    return [row.values for row in read_table(path, **options).rows]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = write(
        tmp_path / "a.csv",
        delimiter.join(["ref", "name", "note"])
        + "\nR1"
        + delimiter
        + "Ann"
        + delimiter
        + '"x, y; z"\n',
    )
    assert rows_of(path) == [{"ref": "R1", "name": "Ann", "note": "x, y; z"}]


@pytest.mark.parametrize(
    ("content", "note"),
    [
        ("ref,name\nR1,Zoë Brontë\n".encode(), None),
        (codecs.BOM_UTF8 + "ref,name\nR1,Zoë Brontë\n".encode(), None),
        ("ref,name\nR1,Zoë Brontë\n".encode("cp1252"), "read as cp1252 text"),
        ("ref,name\nR1,Zoë Brontë\n".encode("utf-16"), "read as utf-16 text"),
    ],
)
def test_encodings_are_detected(tmp_path: Path, content: bytes, note: str | None) -> None:
    table = read_table(write(tmp_path / "a.csv", content))
    assert table.columns == ["ref", "name"]
    assert [row.values for row in table.rows] == [{"ref": "R1", "name": "Zoë Brontë"}]
    assert table.notes == ([] if note is None else [note])


def test_windows_1252_curly_quotes_and_pound_sign(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "ref,note\nR1,“owes £40”\n".encode("cp1252"))
    assert rows_of(path) == [{"ref": "R1", "note": "“owes £40”"}]


def test_row_numbers_match_the_spreadsheet(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", 'ref,note\nR1,"two\nlines"\n\nR2,x\n')
    table = read_table(path)
    assert [(row.number, row.values["ref"]) for row in table.rows] == [(2, "R1"), (4, "R2")]


def test_xlsx_first_or_named_sheet(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "Summary"
    first.append(["total"])
    first.append([3])
    accounts = workbook.create_sheet("Accounts")
    accounts.append(["Ref", "Amount", "Opened", None])
    accounts.append(["A1", 12.0, "01/11/2026"])
    accounts.append([None, None, None])
    accounts.append(["A2", 7.5, None])
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    assert rows_of(path) == [{"total": "3"}]
    table = read_table(path, sheet="Accounts")
    assert table.columns == ["Ref", "Amount", "Opened"]
    assert [(row.number, row.values) for row in table.rows] == [
        (2, {"Ref": "A1", "Amount": "12", "Opened": "01/11/2026"}),
        (4, {"Ref": "A2", "Amount": "7.5", "Opened": None}),
    ]
    with pytest.raises(FileFormatError, match=r"(?s)no sheet called 'Claims'.*Summary, Accounts"):
        read_table(path, sheet="Claims")


def test_json_records_are_found_and_flattened(tmp_path: Path) -> None:
    document = {
        "export": {"system": "Housing"},
        "records": [
            {"id": "H1", "applicant": {"name": "Ann", "dob": None}, "tags": ["a", "b"], "n": 3.0},
            {"id": "H2", "applicant": {"name": "Bo"}, "late": True},
        ],
    }
    table = read_table(write(tmp_path / "x.json", json.dumps(document)))
    assert table.columns == ["id", "applicant.name", "applicant.dob", "tags", "n", "late"]
    assert [row.values for row in table.rows] == [
        {"id": "H1", "applicant.name": "Ann", "applicant.dob": None, "tags": "a;b", "n": "3"},
        {"id": "H2", "applicant.name": "Bo", "late": "true"},
    ]


def test_json_lines_with_a_broken_line(tmp_path: Path) -> None:
    path = write(tmp_path / "x.jsonl", '{"id": "A"}\n\n{"id": \n{"id": "C", "x": 1}\n')
    table = read_table(path)
    assert table.columns == ["id", "x"]
    rows = list(table.rows)
    assert [row.number for row in rows] == [1, 3, 4]
    assert rows[1].problem is not None and "not valid JSON" in rows[1].problem.reason
    assert rows[2].values == {"id": "C", "x": "1"}


def test_json_lines_detected_in_a_json_file(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "x.json", '{"id": "A"}\n{"id": "B"}\n'))
    assert table.format == "jsonl"
    assert [row.values["id"] for row in table.rows] == ["A", "B"]


def test_json_with_several_lists_asks_which(tmp_path: Path) -> None:
    path = write(tmp_path / "x.json", json.dumps({"a": [1], "b": [2]}))
    with pytest.raises(FileFormatError, match="several lists"):
        read_table(path)
    assert rows_of(path, records="b") == [{"record": "2"}]
