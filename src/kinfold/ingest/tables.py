"""What every reader gives: a file's columns and its rows, each row numbered as a person
finds it, with the values as read and any problem that keeps it from being imported."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

Value = str | datetime | date | None


@dataclass(frozen=True)
class RowProblem:
    reason: str
    column: str | None = None


class SourceRow(NamedTuple):
    number: int  # as a person finds it: the spreadsheet row (header = 1), or the record
    values: dict[str, Value]
    problem: RowProblem | None = None


@dataclass
class SourceTable:
    file_name: str
    format: str  # csv, xlsx, json, jsonl
    columns: list[str]
    rows: Iterator[SourceRow]
    estimated_rows: int | None = None
    notes: list[str] = field(default_factory=list)  # things a person should know
    csv_plan: CsvPlan | None = None  # set when the file can be read in pieces, in parallel


@dataclass(frozen=True)
class CsvPlan:
    """How to read a CSV file, so that pieces of it can be read apart (see csv_pieces)."""

    path: Path
    encoding: str
    delimiter: str
    columns: list[str]

    @property
    def splittable(self) -> bool:
        """A newline byte is a newline in these encodings (not in UTF-16)."""
        return self.encoding in ("utf-8", "utf-8-sig", "cp1252")
