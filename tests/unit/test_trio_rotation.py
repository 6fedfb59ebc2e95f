"""Who makes the trio when the count is odd: it rotates, whatever the members' ids, and the member left over
is whoever was in a trio longest ago."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from bot.domain.pairing import Candidate, RoundInput, history_from_groups, plan_round


@pytest.mark.parametrize("id_seed", [1, 2, 3, 42])
def test_the_trio_rotates_over_a_stable_odd_group(id_seed):
    ids = random.Random(id_seed).sample(range(10_000, 99_999), 9)  # random order, not ascending
    members = [Candidate(i) for i in ids]
    met: dict[tuple[int, int], int] = {}
    places: Counter[int] = Counter()
    for week in range(9):
        plan = plan_round(RoundInput(members, dict(met), seed=week))
        (trio,) = [g for g in plan.groups if len(g) == 3]
        assert plan.sat_out == [] and len(plan.groups) == 4
        places.update(trio)
        met.update(history_from_groups([(week, plan.groups)]))
    # 27 places in trios among 9 members: 3 each if shared evenly; nobody in more than 4 of the 9.
    assert max(places.values()) <= 4, places
    assert set(places) == set(ids), "everyone was in a trio at least once"


@pytest.mark.parametrize("lowest_in_trio", [True, False])
def test_last_weeks_trio_is_not_this_weeks(lowest_in_trio):
    ids = random.Random(7).sample(range(10_000, 99_999), 11)
    ids.sort(reverse=not lowest_in_trio)  # last week's trio holds the lowest ids, or the highest
    trio, rest = ids[:3], ids[3:]
    last_week = [tuple(trio), *(tuple(rest[i : i + 2]) for i in range(0, 8, 2))]
    met = history_from_groups([(10, last_week)])
    members = [Candidate(i) for i in random.Random(8).sample(ids, len(ids))]
    for seed in range(6):
        plan = plan_round(RoundInput(members, dict(met), seed=seed))
        (this_trio,) = [g for g in plan.groups if len(g) == 3]
        assert plan.repeats == 0
        assert not set(this_trio) & set(trio), (seed, this_trio, trio)


@pytest.mark.parametrize("id_seed", [1, 2, 3])
def test_setting_the_odd_one_aside_never_costs_a_pair(id_seed):
    # Three members and one block: whoever the rotation sets aside, a pair must still meet. Setting aside the
    # member outside the block would leave only the blocked pair, so the matching chooses instead.
    ids = random.Random(id_seed).sample(range(10_000, 99_999), 3)
    blocker, blocked, free = ids
    members = [Candidate(i) for i in ids]
    blocks = frozenset({(min(blocker, blocked), max(blocker, blocked))})
    for seed in range(12):
        plan = plan_round(RoundInput(members, {}, blocks, seed=seed))
        assert plan.blocked == 0 and len(plan.groups) == 1, (seed, plan)
        (pair,) = plan.groups
        assert free in pair and len(plan.sat_out) == 1


def test_setting_the_odd_one_aside_never_forces_a_repeat():
    # Five members; every pair has met except fresh-a, fresh-b and c-d. The best round is fresh-a, c-d and b
    # joining fresh-a (one repeat: a-b). Setting c or d aside would force b-d or a-c, then a trio: three.
    ids = random.Random(5).sample(range(10_000, 99_999), 5)
    fresh, a, b, c, d = ids
    met = {
        (min(x, y), max(x, y)): 3
        for i, x in enumerate(ids)
        for y in ids[i + 1 :]
        if {x, y} not in ({fresh, a}, {fresh, b}, {c, d})
    }
    members = [Candidate(i) for i in random.Random(6).sample(ids, 5)]
    for seed in range(12):
        plan = plan_round(RoundInput(members, dict(met), seed=seed))
        assert plan.sat_out == [] and plan.repeats == 1, (seed, plan)
