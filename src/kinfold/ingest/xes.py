"""Read XES event logs (IEEE 1849), plain or gzipped, in one pass.

Each event becomes a row: its own attributes under their keys (`concept:name`,
`time:timestamp`, `org:resource`, `lifecycle:transition`, ...) and its trace's attributes
under `case:` and theirs (`case:concept:name` is the case id), as process-mining tools
name them. The columns are every key any event or trace has, in the order first met, so
an attribute the first events lack is kept too. Values are kept as written; dates are
parsed later, like any other file's. Nested attributes (lists, containers) are not read.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, cast
from xml.etree.ElementTree import ParseError, iterparse

from kinfold.errors import FileFormatError
from kinfold.heap import fewer_collections
from kinfold.ingest.tables import SourceRow, SourceTable, Value

ATTRIBUTES = frozenset({"string", "date", "int", "float", "boolean", "id"})


def read_xes(path: Path) -> SourceTable:
    """The events of an XES log, every attribute of each (see the module's docstring)."""
    columns: dict[str, None] = {}  # every key met, in order
    kept: list[dict[str, Value]] = []
    with fewer_collections():
        for values in _events(path):
            if not values.keys() <= columns.keys():
                columns.update(dict.fromkeys(values))
            kept.append(values)
    if not kept:
        raise FileFormatError(f"{path.name} holds no events.", "Export the log again.")
    rows = (SourceRow(number, values) for number, values in enumerate(kept, start=1))
    return SourceTable(path.name, "xes", list(columns), rows, estimated_rows=len(kept))


def _open(path: Path) -> BinaryIO:
    with path.open("rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    return cast(BinaryIO, gzip.open(path, "rb") if gzipped else path.open("rb"))


def _events(path: Path) -> Iterator[dict[str, Value]]:
    """Each event's attributes and its trace's (under `case:`), in file order. A value
    other than a date is kept once however often it is written (activities, resources
    and lifecycles repeat)."""
    number = 0
    trace: dict[str, str] = {}
    depth = 0  # of <trace> and <event> elements we are inside
    seen: dict[str, str] = {}
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
                    values: dict[str, Value] = {f"case:{k}": v for k, v in trace.items()}
                    for child in element:
                        kind = _local(child.tag)
                        if kind in ATTRIBUTES:
                            value = child.get("value", "")
                            values[child.get("key", "")] = (
                                value if kind == "date" else seen.setdefault(value, value)
                            )
                    yield values
                    element.clear()
                    depth -= 1
                elif tag == "trace":
                    trace = {}
                    element.clear()
                    depth -= 1
                elif tag in ATTRIBUTES and depth == 1:  # written in a <trace>, not an <event>
                    trace[element.get("key", "")] = element.get("value", "")
        except (ParseError, EOFError, OSError) as error:
            raise FileFormatError(
                f"{path.name} is not a readable XES log after event {number:,} ({error}).",
                "Export the log again; kinfold reads XES as plain XML or gzipped.",
            ) from error


@lru_cache(maxsize=256)  # a log has a handful of tags, met millions of times
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
