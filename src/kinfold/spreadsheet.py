"""Cells for files a spreadsheet opens (CSV and xlsx): text that a spreadsheet would run as
a formula is written so that it is shown instead."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as written: text that would start a formula gets a
    leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_workbook(
    out: Path | IO[bytes], title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """A workbook of one sheet, `title`: a header of `columns`, then `rows`, every cell
    as written (`safe_cell`)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(list(columns))
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    book.save(out)
