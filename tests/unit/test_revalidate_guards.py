"""Repairs at delivery that a member would notice: sitting out when a partner could have been found, or a
group bigger than the round's size when the server asked for pairs and sit-outs. Ids come in every order,
and blocks are given from the higher id to the lower and the reverse."""

from __future__ import annotations

import itertools

import pytest

from bot.domain.pairing import pair_key
from bot.domain.revalidate import revalidate

IDS = (907, 12, 455, 88)


def _orders():
    """Every assignment of four real-looking ids to the roles a, b, c, d."""
    return list(itertools.permutations(IDS))


def _groups(result):
    return sorted(sorted(g) for g in [*result.groups, *result.new_groups] if g)


@pytest.mark.parametrize(("a", "b", "c", "d"), _orders())
def test_a_pair_that_now_blocks_each_other_each_get_a_partner_from_another_pair(a, b, c, d):
    # c and d were paired, and one now blocks the other (the orders cover a block from the higher id and from
    # the lower). With sit-outs instead of trios, the other pair splits so that c and d each get one of its
    # members: nobody sits out.
    result = revalidate([[a, b], [c, d]], {a, b, c, d}, {pair_key(d, c)}, group_size=2, odd_policy="sit_out")
    assert result.sat_out == ()
    groups = _groups(result)
    assert len(groups) == 2 and all(len(g) == 2 for g in groups)
    assert not any(c in g and d in g for g in groups)
    assert result.changed


def test_the_split_pair_and_the_two_left_over_exactly():
    # 455 and 88 block each other; 88 is placed first: it takes 907, and 12 takes 455.
    result = revalidate(
        [[907, 12], [455, 88]], {907, 12, 455, 88}, {(88, 455)}, group_size=2, odd_policy="sit_out"
    )
    assert result.groups == ((12, 455), ())
    assert result.new_groups == ((88, 907),)
    assert result.sat_out == ()


@pytest.mark.parametrize(("a", "b", "c", "d"), _orders())
def test_a_left_over_member_who_blocks_one_of_a_pair_takes_the_other(a, b, c, d):
    # c and d block each other, and d also blocks a: d still gets b, and a gets c.
    forbidden = {pair_key(c, d), pair_key(d, a)}
    result = revalidate([[a, b], [c, d]], {a, b, c, d}, forbidden, group_size=2, odd_policy="sit_out")
    assert result.sat_out == ()
    groups = _groups(result)
    assert len(groups) == 2
    for g in groups:
        assert all(pair_key(x, y) not in forbidden for x, y in itertools.combinations(g, 2))


@pytest.mark.parametrize(("a", "b", "c", "x", "y", "z"), [(5, 61, 23, 70, 2, 44), (90, 3, 47, 1, 88, 12)])
def test_members_re_planned_among_themselves_stay_in_groups_of_the_rounds_size(a, b, c, x, y, z):
    # x, y and z left before delivery: a, b and c lost their partners. With pairs and sit-outs, two of them
    # make a pair and the third sits out; with trios, the third joins them.
    saved = [[a, x], [b, y], [c, z]]
    sit = revalidate(saved, {a, b, c}, set(), group_size=2, odd_policy="sit_out")
    assert sit.new_groups == ((a, b),) and sit.sat_out == (c,)
    assert all(len(g) <= 2 for g in [*sit.groups, *sit.new_groups])
    trio = revalidate(saved, {a, b, c}, set(), group_size=2, odd_policy="trio")
    assert trio.new_groups == ((a, b, c),) and trio.sat_out == ()
    # Groups of three: the three of them are one group either way.
    threes = revalidate(saved, {a, b, c}, set(), group_size=3, odd_policy="sit_out")
    assert threes.new_groups == ((a, b, c),) and threes.sat_out == ()
