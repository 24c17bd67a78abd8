"""Building items from rows, in worker processes for a large CSV file.

Building an item (mapping, checking and normalising every field) is the costliest step
of an import. For a large CSV file, worker processes each read a piece of the file (see
csv_pieces) and build its items, while the importer's process stores the pieces before,
in order. Everything else is built right in the importer's process, batch by batch.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from kinfold.ingest.csv_pieces import PieceError, pieces, read_piece
from kinfold.ingest.items import ItemBuilder, Rejected
from kinfold.ingest.mapping import FieldRule, Mapping
from kinfold.ingest.tables import CsvPlan, RowProblem, SourceRow, Value
from kinfold.store.items import ItemEncoder, KnownItem

# What became of a row: None when its digest shows it unchanged; why it goes to
# quarantine; or its digest and item (a driver row if new, a dict if it changed).
Result = None | Rejected | tuple[str, tuple[Any, ...] | dict[str, Any]]
# (row number, source_ref, result, the row's values if it goes to quarantine)
Outcome = tuple[int, str | None, Result, dict[str, Value] | None]

NO_SOURCE = "source is empty, and the file holds items of several sources"
PARALLEL_FROM_ROWS = 50_000
PIECE_BYTES = 2 << 20

_worker: SourcesBuilder | None = None  # a worker process's own


class RowBuilder:
    """Turns one source's rows into outcomes, knowing the items the source already has."""

    def __init__(
        self,
        mapping: Mapping,
        source: str,
        columns: list[str],
        stamp: dict[str, Any],
        encode: ItemEncoder,
        known: dict[str, KnownItem],
    ) -> None:
        self.items = ItemBuilder(mapping, source, columns)
        self.stamp = stamp  # source and import ids, for new items
        self.encode = encode
        self.known = known
        self.ref_columns = ", ".join(mapping.rules["source_ref"].columns) or None

    def outcomes(self, rows: Iterable[SourceRow]) -> list[Outcome]:
        items, known = self.items, self.known
        done: list[Outcome] = []
        for number, values, problem in rows:
            digest = items.fingerprint(values)
            ref = items.reference(values)
            try:
                if problem is not None:
                    raise Rejected(problem.reason, problem.column)
                if ref is None:
                    raise Rejected(
                        "source_ref is empty, and every item needs one", self.ref_columns
                    )
                found = known.get(ref)
                if found is not None and found.row_hash == digest:
                    done.append((number, ref, None, None))
                    continue
                item = items.build(values, digest)
            except Rejected as rejected:
                rejected.digest = digest
                done.append((number, ref, rejected, values))
                continue
            if found is None:
                item.update(self.stamp)
                done.append((number, ref, (digest, self.encode(item)), None))
            else:
                done.append((number, ref, (digest, item), None))
        return done


class SourcesBuilder:
    """Builds each row with the builder of the source it names in its `source` column
    (`split`), or every row with the one source's. A row naming no source, or one that
    cannot be read, is the first source's to quarantine."""

    def __init__(self, builders: dict[str, RowBuilder], split: FieldRule | None) -> None:
        self.builders = builders
        self.split = split
        self.first = next(iter(builders))

    def outcomes(self, rows: Iterable[SourceRow]) -> dict[str, list[Outcome]]:
        """Each source's outcomes, in file order."""
        if self.split is None:
            return {self.first: self.builders[self.first].outcomes(rows)}
        column = self.builders[self.first].items.columns.get("source")
        grouped: dict[str, list[SourceRow]] = {name: [] for name in self.builders}
        for number, values, problem in rows:
            named = None if problem else source_named(self.split, values)
            if named is None:
                problem = problem or RowProblem(NO_SOURCE, column)
                named = self.first
            elif named not in grouped:  # the file changed since it was first read
                problem, named = RowProblem(f"source '{named}' was not in the file when "
                                            "the import began", column), self.first  # fmt: skip
            grouped[named].append(SourceRow(number, values, problem))
        return {name: self.builders[name].outcomes(group) for name, group in grouped.items()}


def source_named(rule: FieldRule, values: dict[str, Value]) -> str | None:
    """The source a row names in its `source` column, if any."""
    value = rule.extract(values)
    return value.strip() or None if isinstance(value, str) else None


class Builders:
    """Builds here, or (`parallel`, for a CSV file) in worker processes piece by piece."""

    def __init__(self, builder: SourcesBuilder, plan: CsvPlan | None, parallel: bool) -> None:
        self.builder = builder
        self.plan = plan if parallel else None
        self.pool: ProcessPoolExecutor | None = None
        if self.plan is not None:
            # as many as there are cores: storing, here, leaves a core idle half the time
            self.workers = max(1, min(4, os.cpu_count() or 2))
            self.pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_start_worker,
                initargs=(builder,),
            )

    @property
    def parallel(self) -> bool:
        return self.pool is not None

    def build(self, rows: Iterable[SourceRow]) -> dict[str, list[Outcome]]:
        return self.builder.outcomes(rows)

    def pieces(self) -> Iterator[tuple[int, dict[str, list[Outcome]]]]:
        """(records, each source's outcomes) of each piece of the file, in file order."""
        assert self.pool is not None and self.plan is not None
        in_flight: deque[Future[tuple[int, dict[str, list[Outcome]]]]] = deque()
        for start, end in pieces(self.plan, PIECE_BYTES):
            in_flight.append(self.pool.submit(_build_piece, self.plan, start, end))
            if len(in_flight) > self.workers + 1:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def _start_worker(builder: SourcesBuilder) -> None:
    global _worker
    _worker = builder


def _build_piece(plan: CsvPlan, start: int, end: int) -> tuple[int, dict[str, list[Outcome]]]:
    assert _worker is not None
    counter = [0]
    outcomes = _worker.outcomes(read_piece(plan, start, end, counter))
    return counter[0], outcomes


__all__ = [
    "PARALLEL_FROM_ROWS",
    "Builders",
    "Outcome",
    "PieceError",
    "RowBuilder",
    "SourcesBuilder",
]
