"""Bates numbering order: families kept together, one number per page, no gaps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.families import family_root


def family_order(exhibit_ids: Sequence[int], parents: Mapping[int, int | None]) -> list[int]:
    """Request order, except that each family is numbered as one run: families in the order
    their first member was named, each parent followed depth-first by its attachments."""
    position = {e: i for i, e in enumerate(exhibit_ids)}
    ordered: list[int] = []
    for members in families(exhibit_ids, parents).values():
        ordered.extend(_depth_first(members, parents, position))
    return ordered


def _depth_first(
    members: list[int], parents: Mapping[int, int | None], position: dict[int, int]
) -> list[int]:
    member_set = set(members)
    children: dict[int | None, list[int]] = {}
    for e in sorted(members, key=position.__getitem__):
        parent = parents.get(e)
        children.setdefault(parent if parent in member_set else None, []).append(e)
    # Members caught in a parent cycle (hostile data) have no top: they follow in request order.
    stack = list(reversed(children.get(None, []) + sorted(members, key=position.__getitem__)))
    out: list[int] = []
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        out.append(node)
        stack.extend(reversed(children.get(node, [])))
    return out


def allocate(order: Sequence[int], pages: Mapping[int, int], start: int) -> dict[int, tuple[int, int]]:
    """(first, last) number of every exhibit, consecutive from `start` in `order`."""
    ranges: dict[int, tuple[int, int]] = {}
    number = start
    for exhibit_id in order:
        count = pages[exhibit_id]
        if count < 1:
            raise ValueError(f"exhibit {exhibit_id} has no pages to number")
        ranges[exhibit_id] = (number, number + count - 1)
        number += count
    return ranges


def families(exhibit_ids: Sequence[int], parents: Mapping[int, int | None]) -> dict[int, list[int]]:
    """Requested exhibits grouped by family root (a parent that was not requested still roots its
    attachments: `parents` maps each requested exhibit to its parent, requested or not)."""
    groups: dict[int, list[int]] = {}
    for exhibit_id in exhibit_ids:
        groups.setdefault(family_root(exhibit_id, parents), []).append(exhibit_id)
    return groups
