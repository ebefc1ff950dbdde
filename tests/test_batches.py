"""domain.batches.batched keeps itertools.batched's contract (so the switch at Python 3.12 is a rename)."""

import itertools

import pytest

from domain.batches import batched


@pytest.mark.parametrize("items", [[], [1], list(range(7)), list(range(9))])
def test_tuples_in_order_the_last_one_shorter(items):
    got = list(batched(items, 3))
    assert [x for chunk in got for x in chunk] == items
    assert all(isinstance(chunk, tuple) and 1 <= len(chunk) <= 3 for chunk in got)
    assert all(len(chunk) == 3 for chunk in got[:-1])
    if hasattr(itertools, "batched"):
        assert got == list(itertools.batched(items, 3))


def test_reads_an_iterator_lazily_and_refuses_a_size_under_one():
    source = iter(range(10))
    first = next(batched(source, 4))
    assert first == (0, 1, 2, 3) and next(source) == 4  # nothing read past the first batch
    with pytest.raises(ValueError):
        list(batched([1], 0))
