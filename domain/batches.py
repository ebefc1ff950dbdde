"""One chunking helper for the whole platform, and the batch sizes that mean the same thing everywhere.

`batched` mirrors `itertools.batched` (Python 3.12): tuples of `size` items in order, the last one
shorter, nothing for an empty input, ValueError for a size under one. Python 3.11 is still supported;
when 3.12 is the floor, replace it with `from itertools import batched` at its importers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")

#: Values bound in one SQL `IN (...)` list: under SQLite's 999 host parameters (its oldest default)
#: with room for a statement's other parameters, and far under MySQL's 65,535: one number serves every driver.
IN_LIST_SIZE = 500


def batched(items: Iterable[T], size: int) -> Iterator[tuple[T, ...]]:
    """`items` in tuples of `size` (the last may be shorter), like itertools.batched."""
    if size < 1:
        raise ValueError("size must be at least one")
    iterator = iter(items)
    while chunk := tuple(islice(iterator, size)):
        yield chunk
