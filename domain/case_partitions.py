"""Which `cases` partitions may go: the rule of partition hygiene (no I/O here).

Anyone can add a key to the `cases` partition set from the UI ("999"); it then shows as Missing on
every case asset and its runs fail. A key that is no active or archived case of the core database
is removed when nothing was ever materialized for it and no live run holds it; one with
materializations is kept (a real case that left the core database: its history stays until a person
decides) and only flagged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

REMOVE = "remove"


def verdicts(
    partitions: Iterable[str],
    known: Iterable[str],
    materialized: Mapping[str, list[str]],
    held: Iterable[str],
) -> dict[str, str]:
    """For each partition that is no known case: REMOVE, or why it stays (`materialized`: key -> the
    assets materialized for it; `held`: keys a live run holds)."""
    known_keys, held_keys = set(known), set(held)
    found: dict[str, str] = {}
    for key in sorted(set(partitions) - known_keys):
        assets = materialized.get(key, [])
        if assets:
            shown = ", ".join(sorted(assets)[:5]) + (" ..." if len(assets) > 5 else "")
            found[key] = (
                f"kept: {len(assets)} asset(s) were materialized for it ({shown}) but the core database "
                "lists no active or archived case with this id; remove it by hand if the case is gone"
            )
        elif key in held_keys:
            found[key] = "kept for now: a live run holds it"
        else:
            found[key] = REMOVE
    return found
