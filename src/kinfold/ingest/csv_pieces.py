"""Cutting a CSV file into pieces that can be read apart, by several processes at once.

A piece ends at a newline outside quotes. In a well-formed CSV a newline is outside
quotes exactly when an even number of quote marks comes before it (a quote inside a
quoted value is written twice), so counting quote bytes finds the places to cut without
parsing. Row numbers in a piece count from its start; the reader of the pieces adds the
rows of the pieces before.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from kinfold.ingest.readers import csv_records
from kinfold.ingest.tables import CsvPlan, SourceRow

BLOCK = 1 << 20


class PieceError(Exception):
    """A row of a piece that the csv module cannot read; `number` counts from the piece."""

    def __init__(self, number: int, message: str) -> None:
        super().__init__(number, message)
        self.number = number
        self.message = message


def data_start(plan: CsvPlan) -> int:
    """The byte offset just after the header record."""
    with plan.path.open("rb") as handle:
        head = handle.read(BLOCK * 4)
    quotes = 0
    position = 0
    while True:
        newline = head.find(b"\n", position)
        if newline == -1:
            return len(head)
        quotes += head.count(b'"', position, newline)
        if quotes % 2 == 0:
            return newline + 1
        position = newline + 1


def pieces(plan: CsvPlan, size: int) -> Iterator[tuple[int, int]]:
    """(start, end) byte ranges of about `size` bytes each, covering the rows of the file."""
    start = data_start(plan)
    total = plan.path.stat().st_size
    with plan.path.open("rb") as handle:
        handle.seek(start)
        offset, parity, last = start, 0, start
        for block in iter(lambda: handle.read(BLOCK), b""):
            position = 0  # where in the block the quote parity is `parity`
            while (cut := last + size - offset) < len(block):
                odd = (parity + block.count(b'"', position, max(cut, position))) % 2
                position = max(cut, position)
                while (newline := block.find(b"\n", position)) != -1:
                    odd = (odd + block.count(b'"', position, newline)) % 2
                    position = newline + 1
                    if odd == 0:
                        break
                parity = odd
                if newline == -1:
                    break
                yield last, offset + position
                last = offset + position
            parity = (parity + block.count(b'"', position)) % 2
            offset += len(block)
    if last < total:
        yield last, total


def read_piece(plan: CsvPlan, start: int, end: int, counter: list[int]) -> Iterator[SourceRow]:
    """The rows of one piece, numbered from 1 at its start; counter[0] ends as the number
    of records in the piece (blank ones too)."""
    with plan.path.open("rb") as handle:
        handle.seek(start)
        data = handle.read(end - start)
    text = data.decode("utf-8" if plan.encoding == "utf-8-sig" else plan.encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=plan.delimiter, strict=True)
    try:
        yield from csv_records(reader, plan.columns, counter)
    except csv.Error as error:
        raise PieceError(counter[0] + 1, str(error)) from error
