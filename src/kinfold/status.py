"""What a workspace holds and how fresh it is: the figures behind `kinfold status`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from kinfold.store import events
from kinfold.store import items as item_store
from kinfold.store import workforce as workforce_store
from kinfold.store.items import SourceCounts


@dataclass(frozen=True)
class Status:
    sources: list[SourceCounts]
    quarantined: int
    workforce: dict[str, int]
    events: int
    as_of: datetime

    @property
    def items(self) -> int:
        return sum(source.items for source in self.sources)

    @property
    def open(self) -> int:
        return sum(source.open for source in self.sources)

    @property
    def closed(self) -> int:
        return sum(source.closed for source in self.sources)


def workspace_status(engine: Engine, as_of: datetime) -> Status:
    with engine.connect() as conn:
        return Status(
            sources=item_store.counts_by_source(conn),
            quarantined=item_store.quarantine_count(conn),
            workforce=workforce_store.counts(conn),
            events=events.count(conn),
            as_of=as_of,
        )
