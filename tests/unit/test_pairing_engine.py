"""The pairing engine: blocks, odd counts, repeats (the round-robin bound), determinism, properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.pairing import (
    Candidate,
    RoundInput,
    circle_round,
    history_from_groups,
    is_due,
    pair_key,
    plan_round,
)


def members(n: int, **kwargs) -> list[Candidate]:
    return [Candidate(id=1000 + i, **kwargs) for i in range(n)]


def simulate(n: int, weeks: int, seed: int, blocks=frozenset()) -> list[int]:
    """Run `weeks` rounds on a stable group; returns the repeats of each round."""
    people = members(n)
    history: dict[tuple[int, int], int] = {}
    repeats = []
    for week in range(weeks):
        plan = plan_round(RoundInput(people, dict(history), blocks, seed=seed * 1000 + week))
        repeats.append(plan.repeats)
        history.update(history_from_groups([(week, plan.groups)]))
    return repeats


@pytest.mark.parametrize("n", [10, 20, 50])
@pytest.mark.parametrize("seed", range(5))
def test_stable_group_gets_n_minus_1_repeat_free_rounds(n, seed):
    assert simulate(n, n - 1, seed) == [0] * (n - 1)


def test_two_hundred_members_get_199_repeat_free_rounds():
    assert simulate(200, 199, seed=7) == [0] * 199


def test_odd_stable_group_never_repeats_within_its_table():
    # 11 members: the round-robin table has a "bye" seat, and whoever holds it joins a trio.
    repeats = simulate(11, 5, seed=3)
    assert repeats == [0, 0, 0, 0, 0]


def test_circle_rounds_are_disjoint_perfect_matchings():
    ids = list(range(12))
    seen = set()
    for r in range(11):
        pairs = circle_round(ids, r)
        assert sorted(m for p in pairs for m in p) == ids
        keys = {pair_key(*p) for p in pairs}
        assert not keys & seen
        seen |= keys
    assert len(seen) == 12 * 11 // 2


def test_blocks_in_either_direction_are_never_grouped():
    people = members(6)
    blocks = frozenset({pair_key(1000, 1001), pair_key(1003, 1002)})
    for seed in range(30):
        plan = plan_round(RoundInput(people, {}, blocks, seed=seed))
        assert plan.blocked == 0
        for group in plan.groups:
            assert not {pair_key(a, b) for a in group for b in group if a != b} & blocks


def test_odd_count_makes_one_trio_or_sits_out_the_longest_waiting():
    people = members(7)
    trio = plan_round(RoundInput(people, seed=3))
    assert sorted(len(g) for g in trio.groups) == [2, 2, 3] and trio.sat_out == []
    with_history = [Candidate(m.id, last_sat_out=(5 if m.id != 1004 else -1)) for m in people]
    sit = plan_round(RoundInput(with_history, seed=3, odd_policy="sit_out"))
    assert sit.sat_out == [1004] and sorted(len(g) for g in sit.groups) == [2, 2, 2]


def test_repeat_only_when_unavoidable_and_then_the_oldest():
    people = members(4)
    # 1000 met everyone; (1000,1001) longest ago.
    last = {pair_key(1000, 1001): 1, pair_key(1000, 1002): 5, pair_key(1000, 1003): 6}
    plan = plan_round(RoundInput(people, last, seed=1))
    assert (1000, 1001) in plan.groups and plan.repeats == 1


def test_preferences_pick_close_timezones_and_shared_interests():
    people = [
        Candidate(1, 540, frozenset({"family", "heritage"})),
        Candidate(2, -300, frozenset({"advocacy"})),
        Candidate(3, 540, frozenset({"family", "heritage"})),
        Candidate(4, -300, frozenset({"advocacy"})),
    ]
    plan = plan_round(RoundInput(people, seed=9))
    assert plan.groups == [(1, 3), (2, 4)]


def test_groups_of_four_and_deterministic():
    people = members(18)
    a = plan_round(RoundInput(people, seed=42, group_size=4))
    b = plan_round(RoundInput(people, seed=42, group_size=4))
    assert a == b
    assert sorted(len(g) for g in a.groups) == [4, 4, 5, 5]
    assert sorted(m for g in a.groups for m in g) == [m.id for m in people]


def test_large_server_uses_the_fast_path_and_stays_clean():
    people = [Candidate(i, (i % 24) * 60, frozenset({f"t{i % 5}"})) for i in range(2001)]
    plan = plan_round(RoundInput(people, seed=1))
    assert plan.sat_out == [] and plan.blocked == 0 and plan.repeats == 0
    assert sorted(m for g in plan.groups for m in g) == [m.id for m in people]


def test_frequency():
    assert is_due("weekly", 10, 11)
    assert not is_due("biweekly", 10, 11) and is_due("biweekly", 10, 12)
    assert not is_due("monthly", 10, 13) and is_due("monthly", 10, 14)
    assert is_due("monthly", None, 1)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=0, max_value=40),
    size=st.integers(min_value=2, max_value=4),
    policy=st.sampled_from(["trio", "sit_out"]),
    seed=st.integers(min_value=0, max_value=2**31),
    block_pairs=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=15),
)
def test_every_member_is_in_exactly_one_group_or_sits_out(n, size, policy, seed, block_pairs):
    people = members(n)
    blocks = frozenset(pair_key(1000 + a, 1000 + b) for a, b in block_pairs if a != b and a < n and b < n)
    plan = plan_round(RoundInput(people, {}, blocks, seed=seed, group_size=size, odd_policy=policy))
    placed = [m for g in plan.groups for m in g] + plan.sat_out
    assert sorted(placed) == [m.id for m in people]
    assert plan.blocked == 0
    assert all(len(g) >= 2 for g in plan.groups)
    if policy == "trio" and not blocks and n >= 2:
        assert plan.sat_out == []
