"""Building millions of small objects at once (the records of a resolve, the events of a
log) without the garbage collector walking all of them again and again."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The garbage collector's rounds come less often, and leave out what is already
    built (millions of objects, none in a cycle): each round would walk every object
    built so far."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
