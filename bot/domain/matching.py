"""Matchings for the pairing engine: pure, deterministic, on members numbered 0..n−1.

- `best_matching`: a maximum-weight maximum-cardinality matching (networkx's exact blossom algorithm) over
  each member's `CANDIDATES` best partners, so a 400-member round takes about a second instead of ten.
- `perfect_matching`: Edmonds' blossom algorithm for cardinality, started from a greedy matching in a
  given edge order; it finds a perfect matching whenever the graph has one.
- `schedule_ahead`: peel perfect matchings off a graph until some member has no partner left. The k-th
  matching depends only on the graph that remains and on the attempt number, never on the week or the seed,
  so when a schedule exists for this week's graph, the same attempt finds its tail again next week: the
  guarantee carries from week to week without storing anything.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

CANDIDATES = 16  # partners per member kept for the exact matching
CROSS_CANDIDATES = 32  # with the cross-circle bonus: scores tie more often, so keep more
ATTEMPTS = 4  # edge orders tried when looking for a schedule of the weeks ahead


def mix(j: int, a: int, b: int) -> int:
    """A fixed 32-bit hash of (attempt, edge) for tie-breaking: the same in every process."""
    x = (a * 0x9E3779B1 + b * 0x85EBCA77 + j * 0xC2B2AE3D + 0x27D4EB2F) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & 0xFFFFFFFF
    x ^= x >> 12
    x = (x * 0x297A2D39) & 0xFFFFFFFF
    return x ^ (x >> 15)


def best_matching(
    n: int,
    adjacency: Sequence[Sequence[int]],
    weight: Callable[[int, int], int],
    candidates: int = CANDIDATES,
) -> list[tuple[int, int]]:
    """Maximum cardinality first, then maximum total weight, over each member's best `candidates` partners;
    when those leave members unpaired who could be paired over the whole graph, they are paired over it.

    Ties among equally good partners are broken by `mix`, so the candidate graph is the same in every
    process. Weights must be non-negative integers.
    """
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    for a in range(n):
        partners = sorted(adjacency[a], key=lambda b: (-weight(a, b), mix(0, min(a, b), max(a, b))))
        for b in partners[:candidates]:
            graph.add_edge(a, b, weight=weight(a, b))
    matching = sorted((min(a, b), max(a, b)) for a, b in nx.max_weight_matching(graph, maxcardinality=True))
    if len(matching) * 2 < n - 1:
        # The candidate graph can split into odd parts (members whose best partners all resemble each other)
        # where the whole graph still pairs more people: augmenting paths over every allowed partner find
        # them, and keep everyone already matched matched.
        mate = perfect_matching(n, [set(partners) for partners in adjacency], matching)
        more = [(a, mate[a]) for a in range(n) if a < mate[a]]
        if len(more) > len(matching):
            return more
    return matching


def perfect_matching(n: int, adjacency: Sequence[set[int]], order: Sequence[tuple[int, int]]) -> list[int]:
    """A maximum matching as `mate` (−1 = unmatched): greedy over `order` (edges missing from the graph are
    skipped), then augmenting paths from every unmatched member (Edmonds' blossoms)."""
    mate = [-1] * n
    for a, b in order:
        if mate[a] == -1 and mate[b] == -1 and b in adjacency[a]:
            mate[a] = b
            mate[b] = a
    for root in range(n):
        if mate[root] == -1:
            _augment(n, adjacency, mate, root)
    return mate


def _augment(n: int, adjacency: Sequence[set[int]], mate: list[int], root: int) -> bool:
    parent = [-1] * n
    base = list(range(n))
    used = [False] * n
    used[root] = True
    queue = deque([root])

    def lca(a: int, b: int) -> int:
        seen = [False] * n
        while True:
            a = base[a]
            seen[a] = True
            if mate[a] == -1:
                break
            a = parent[mate[a]]
        while True:
            b = base[b]
            if seen[b]:
                return b
            b = parent[mate[b]]

    def mark(v: int, b: int, child: int, blossom: list[bool]) -> None:
        while base[v] != b:
            blossom[base[v]] = blossom[base[mate[v]]] = True
            parent[v] = child
            child = mate[v]
            v = parent[mate[v]]

    while queue:
        v = queue.popleft()
        for to in sorted(adjacency[v]):
            if base[v] == base[to] or mate[v] == to:
                continue
            if to == root or (mate[to] != -1 and parent[mate[to]] != -1):
                current = lca(v, to)
                blossom = [False] * n
                mark(v, current, to, blossom)
                mark(to, current, v, blossom)
                for i in range(n):
                    if blossom[base[i]]:
                        base[i] = current
                        if not used[i]:
                            used[i] = True
                            queue.append(i)
            elif parent[to] == -1:
                parent[to] = v
                if mate[to] == -1:
                    while to != -1:  # flip the path back to the root
                        back = parent[to]
                        further = mate[back]
                        mate[to] = back
                        mate[back] = to
                        to = further
                    return True
                used[mate[to]] = True
                queue.append(mate[to])
    return False


def edge_order(
    n: int, adjacency: Sequence[set[int]], weight: Callable[[int, int], int], attempt: int
) -> list:
    """Heaviest first on even attempts (the schedule keeps good pairs early), hashed order on odd ones
    (a random-like schedule, which rarely paints itself into a corner)."""
    edges = [(a, b) for a in range(n) for b in adjacency[a] if a < b]
    if attempt % 2 == 0:
        edges.sort(key=lambda e: (-weight(*e), mix(attempt, *e)))
    else:
        edges.sort(key=lambda e: mix(attempt, *e))
    return edges


def schedule_ahead(
    n: int, adjacency: Sequence[set[int]], weight: Callable[[int, int], int], weeks: int
) -> list[list[int]] | None:
    """`weeks` edge-disjoint perfect matchings of the graph (each as `mate`), or None if no attempt finds them.

    `n` must be even. The graph is not changed.
    """
    if weeks <= 0:
        return []
    for attempt in range(ATTEMPTS):
        order = edge_order(n, adjacency, weight, attempt)
        remaining = [set(partners) for partners in adjacency]
        found: list[list[int]] = []
        for _ in range(weeks):
            mate = perfect_matching(n, remaining, order)
            if -1 in mate:
                break
            found.append(mate)
            for a in range(n):
                remaining[a].discard(mate[a])
        if len(found) == weeks:
            return found
    return None
