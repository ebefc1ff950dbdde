"""Document families (a parent and its attachments): the one walk up to a family's root.

Both the production plan (domain/productions) and Bates numbering (domain/stamps) keep a family
together by its root; they differ only in which parents they pass (see `family_root`).
"""

from __future__ import annotations

from collections.abc import Mapping


def family_root(exhibit_id: int, parents: Mapping[int, int | None]) -> int:
    """The exhibit at the top of `exhibit_id`'s family: parent after parent while `parents` names one.

    An exhibit missing from `parents`, or mapped to None, has no parent: a caller that wants a parent
    outside its set to stop the walk maps it to None (the manifest); one that passes it on gets that
    parent as the root, so its attachments stay one family (stamping). Hostile data may hold a parent
    cycle: the walk ends at the first exhibit it reaches a second time, so it always ends and every
    start inside one cycle is grouped the same way.
    """
    seen: set[int] = set()
    current = exhibit_id
    while (parent := parents.get(current)) is not None and current not in seen:
        seen.add(current)
        current = parent
    return current
