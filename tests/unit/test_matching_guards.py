"""The matchings under the engine, at the edges a member would feel: a perfect round that exists must be
found (nobody left without a new partner), and the weeks planned ahead keep the best pairs early."""

from __future__ import annotations

import itertools
import random

import pytest

from bot.domain import matching


def graph_of(n: int, edges) -> list[set[int]]:
    adjacency: list[set[int]] = [set() for _ in range(n)]
    for a, b in edges:
        adjacency[a].add(b)
        adjacency[b].add(a)
    return adjacency


def pairs_of(mate: list[int]) -> list[tuple[int, int]]:
    return sorted((a, m) for a, m in enumerate(mate) if a < m)


@pytest.mark.parametrize("seed", range(8))
def test_two_trios_joined_by_one_pair_still_all_get_a_partner(seed):
    # Two triangles of members who have not met, with one not-yet-met pair between them: everyone can be
    # paired (one pair across, one in each triangle), but only by going round a triangle (a blossom).
    labels = list(range(6))
    random.Random(seed).shuffle(labels)
    a0, a1, a2, b0, b1, b2 = labels
    edges = [(a0, a1), (a1, a2), (a0, a2), (b0, b1), (b1, b2), (b0, b2), (a0, b0)]
    graph = graph_of(6, edges)
    for order in ([], [(a0, a1)], [(a1, a2), (b1, b2)]):
        mate = matching.perfect_matching(6, graph, order)
        assert -1 not in mate
        assert all(mate[mate[x]] == x and mate[x] in graph[x] for x in range(6))
        assert tuple(sorted((a0, b0))) in pairs_of(mate)


def test_weeks_ahead_are_tried_heaviest_first_then_in_a_fixed_hashed_order():
    n = 8
    graph = graph_of(n, itertools.combinations(range(n), 2))

    def weight(a: int, b: int) -> int:
        return (a * 5 + b * 3) % 7

    for attempt in range(6):
        order = matching.edge_order(n, graph, weight, attempt)
        assert sorted(order) == list(itertools.combinations(range(n), 2)), "each pair once, low id first"
        if attempt % 2 == 0:
            expected = sorted(order, key=lambda e: (-weight(*e), matching.mix(attempt, *e)))
        else:
            expected = sorted(order, key=lambda e: matching.mix(attempt, *e))
        assert order == expected
    heavy = [weight(*e) for e in matching.edge_order(n, graph, weight, 2)]
    assert heavy == sorted(heavy, reverse=True)
    hashed = [weight(*e) for e in matching.edge_order(n, graph, weight, 1)]
    assert hashed != sorted(hashed, reverse=True)


def test_the_first_week_planned_ahead_is_the_best_one_when_it_can_be():
    # Four members who have not met: 0-1 and 2-3 are the good pairs (6 points), every other pair 1 point.
    # Three weeks exist; the first planned week is the good one, so it is played first.
    for ids in ((0, 1, 2, 3), (3, 0, 2, 1), (1, 3, 0, 2)):
        good = {tuple(sorted((ids[0], ids[1]))), tuple(sorted((ids[2], ids[3])))}

        def weight(a: int, b: int, good=good) -> int:
            return 6 if (min(a, b), max(a, b)) in good else 1

        weeks = matching.schedule_ahead(4, graph_of(4, itertools.combinations(range(4), 2)), weight, 3)
        assert weeks is not None and len(weeks) == 3
        assert set(pairs_of(weeks[0])) == good
        assert sorted(p for week in weeks for p in pairs_of(week)) == list(
            itertools.combinations(range(4), 2)
        )
