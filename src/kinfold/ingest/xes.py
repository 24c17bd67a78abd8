"""Read XES event logs (IEEE 1849), plain or gzipped, one event at a time.

Each event becomes a row: its own attributes under their keys (`concept:name`,
`time:timestamp`, `org:resource`, `lifecycle:transition`, ...) and its trace's attributes
under `case:` and theirs (`case:concept:name` is the case id), as process-mining tools
name them. Values are kept as written; dates are parsed later, like any other file's.
Nested attributes (lists, containers) are not read.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast
from xml.etree.ElementTree import Element, ParseError, iterparse

from kinfold.errors import FileFormatError
from kinfold.ingest.tables import SourceRow, SourceTable, Value

ATTRIBUTES = frozenset({"string", "date", "int", "float", "boolean", "id"})


def read_xes(path: Path) -> SourceTable:
    """The events of an XES log, with the columns found in its first trace's events (a
    later event's other attributes are read as well)."""
    columns: list[str] = []
    for row in _rows(path, limit=1):
        columns = list(row.values)
    if not columns:
        raise FileFormatError(f"{path.name} holds no events.", "Export the log again.")
    return SourceTable(path.name, "xes", columns, _rows(path))


def _open(path: Path) -> BinaryIO:
    with path.open("rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    return cast(BinaryIO, gzip.open(path, "rb") if gzipped else path.open("rb"))


def _rows(path: Path, limit: int | None = None) -> Iterator[SourceRow]:
    """One row per event, numbered from 1 in file order; `limit` traces at most."""
    number = traces = 0
    trace: dict[str, str] = {}
    depth = 0  # of <trace> and <event> elements we are inside
    with _open(path) as handle:
        try:
            for action, element in iterparse(handle, events=("start", "end")):
                tag = _local(element.tag)
                if action == "start":
                    if tag in ("trace", "event"):
                        depth += 1
                    continue
                if tag == "event":
                    number += 1
                    values: dict[str, Value] = {f"case:{k}": value for k, value in trace.items()}
                    values.update(_attributes(element))
                    yield SourceRow(number, values)
                    element.clear()
                    depth -= 1
                elif tag == "trace":
                    traces += 1
                    trace = {}
                    element.clear()
                    depth -= 1
                    if limit is not None and traces >= limit:
                        return
                elif tag in ATTRIBUTES and depth == 1:  # written in a <trace>, not an <event>
                    trace[element.get("key", "")] = element.get("value", "")
        except (ParseError, EOFError, OSError) as error:
            raise FileFormatError(
                f"{path.name} is not a readable XES log after event {number:,} ({error}).",
                "Export the log again; kinfold reads XES as plain XML or gzipped.",
            ) from error


def _attributes(event: Element) -> dict[str, str]:
    return {
        child.get("key", ""): child.get("value", "")
        for child in event
        if _local(child.tag) in ATTRIBUTES
    }


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
