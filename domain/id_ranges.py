"""Sets of ids written as compact ranges ('1-5,7,9-12'): a sensor cursor that stays small over years."""

from __future__ import annotations


def encode_ids(ids: set[int]) -> str:
    """A set of ids as compact ranges, '1-5,7,9-12': a cursor that stays small over years of exports."""
    out: list[str] = []
    ordered = sorted(ids)
    start = prev = None
    for value in ordered + [None]:
        if start is not None and (value is None or value != prev + 1):
            out.append(str(start) if start == prev else f"{start}-{prev}")
            start = None
        if value is not None and start is None:
            start = value
        prev = value
    return ",".join(out)


def decode_ids(text: str) -> set[int]:
    ids: set[int] = set()
    for part in filter(None, (text or "").split(",")):
        low, _, high = part.partition("-")
        ids.update(range(int(low), int(high or low) + 1))
    return ids
