"""domain.families.family_root: the one walk to a family's root that productions and stamping share."""

from domain.families import family_root
from domain.stamps.numbering import families


def test_the_root_is_the_top_parent_and_an_unknown_parent_roots_its_attachments():
    parents = {3: 2, 2: 1, 1: None, 5: 9}  # 9 is not in the set
    assert [family_root(e, parents) for e in (1, 2, 3)] == [1, 1, 1]
    assert family_root(5, parents) == 9  # stamping: siblings of an unrequested parent stay together
    assert family_root(5, {5: None}) == 5  # the manifest maps a parent it does not describe to None
    assert family_root(7, parents) == 7  # not in the set at all: its own family


def test_a_parent_cycle_ends_the_walk_and_groups_alike_from_every_start():
    parents = {1: 2, 2: 3, 3: 1, 4: 1, 6: 6}
    assert family_root(6, parents) == 6
    assert family_root(1, parents) == 1 and family_root(4, parents) == 1
    grouped = families([4, 1, 2, 3, 6], parents)
    assert sorted(grouped.values()) == [[2], [3], [4, 1], [6]]
