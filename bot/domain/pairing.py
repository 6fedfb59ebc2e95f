"""The pairing engine: pure, deterministic for a seed, no Discord and no I/O.

Up to `CIRCLE_LIMIT` members it schedules from the round-robin "circle method": the N−1 rounds of the circle
are edge-disjoint perfect matchings, so a stable group meets N−1 rounds without a single repeat, which a
greedy or a per-round maximum-weight matching cannot promise. Among the circle rounds that repeat nobody and
pair no blocked members, it takes the one that best fits the members' preferences. Above that size, history
is sparse and a greedy matching over a candidate graph of preference neighbours (timezone, then interests)
is both fast and close to the best score. Both paths then repair what is left (blocked pairs must go;
repeats only stay when no swap removes them, and then the pair that met longest ago) and place an odd
member in a trio or let them sit out.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

CIRCLE_LIMIT = 400
EXACT_LIMIT = 96
NEIGHBOUR_WINDOW = 5
GREEDY_PASSES = 6
IMPROVE_LIMIT = 10_000  # pairs; beyond this the greedy result stands
IMPROVE_SWEEPS = 12
BLOCKED = 10**9
REPEAT = 10**6


@dataclass(frozen=True)
class Candidate:
    """A member who may be paired this round."""

    id: int
    utc_offset_minutes: int | None = None
    interests: frozenset[str] = frozenset()
    last_sat_out: int = -1  # week ordinal of the last round they sat out; -1 if never


@dataclass(frozen=True)
class RoundInput:
    members: Sequence[Candidate]
    last_met: dict[tuple[int, int], int] = field(default_factory=dict)  # pair -> week ordinal, higher = later
    blocks: frozenset[tuple[int, int]] = frozenset()  # either direction, stored as (low, high)
    seed: int = 0
    group_size: int = 2
    odd_policy: str = "trio"


@dataclass(frozen=True)
class RoundPlan:
    groups: list[tuple[int, ...]]
    sat_out: list[int]
    repeats: int
    blocked: int


def pair_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def preference(a: Candidate, b: Candidate) -> int:
    """0-6: timezones within a few hours (up to 3) and shared interests (up to 3)."""
    if a.utc_offset_minutes is None or b.utc_offset_minutes is None:
        tz = 1
    else:
        gap = abs(a.utc_offset_minutes - b.utc_offset_minutes)
        gap = min(gap, 24 * 60 - gap)
        tz = 3 if gap <= 60 else 2 if gap <= 180 else 1 if gap <= 360 else 0
    return tz + min(3, len(a.interests & b.interests))


class _Costs:
    """Cost of putting two members together: blocked ≫ repeat (later meetings cost more) ≫ −preference."""

    def __init__(self, data: RoundInput, by_id: dict[int, Candidate]) -> None:
        self.last_met = data.last_met
        self.blocks = data.blocks
        self.by_id = by_id
        self.newest = max(data.last_met.values(), default=0)

    def pair(self, a: int, b: int) -> int:
        key = pair_key(a, b)
        if key in self.blocks:
            return BLOCKED
        met = self.last_met.get(key)
        if met is not None:
            return REPEAT + (met - self.newest + 10_000)  # a pair that met longer ago costs less
        return -preference(self.by_id[a], self.by_id[b])

    def group(self, members: Sequence[int]) -> int:
        return sum(self.pair(a, b) for i, a in enumerate(members) for b in members[i + 1 :])


def plan_round(data: RoundInput) -> RoundPlan:
    """Split the eligible members into groups. Every member is in exactly one group or sits out."""
    rng = random.Random(data.seed)
    by_id = {m.id: m for m in data.members}
    costs = _Costs(data, by_id)
    ids = sorted(by_id)
    sat_out: list[int] = []
    if len(ids) < 2:
        return RoundPlan([], ids, 0, 0)
    size = max(2, min(4, data.group_size))
    leftover_count = len(ids) % 2 if size == 2 else (len(ids) % size if len(ids) > size else 0)
    if leftover_count and data.odd_policy == "sit_out":
        # The members who sat out least recently (never counts as longest ago) sit out this time.
        order = sorted(ids, key=lambda i: (by_id[i].last_sat_out, rng.random()))
        sat_out = sorted(order[:leftover_count])
        leaving = set(sat_out)
        ids = [i for i in ids if i not in leaving]
    if size == 2:
        pairs, extra = _pairs(ids, costs, rng)
        groups = [list(p) for p in pairs]
    else:
        groups, extra = _groups(ids, size, costs, rng)
    for member in extra:
        if data.odd_policy == "sit_out" or not groups:
            sat_out.append(member)
        else:

            def rank(g: list[int], member: int = member) -> tuple[bool, int, int]:
                blocked = any(pair_key(member, other) in data.blocks for other in g)
                return (blocked, len(g), costs.group([*g, member]) - costs.group(g))

            # On a large server a sample of groups is plenty to find a good home for one extra member.
            pool = groups if len(groups) <= 2000 else rng.sample(groups, 2000)
            best = min(pool, key=rank)
            if rank(best)[0]:  # no group can take them without a blocked pair
                sat_out.append(member)
            else:
                best.append(member)
    final = [
        ((g[0], g[1]) if g[0] < g[1] else (g[1], g[0])) if len(g) == 2 else tuple(sorted(g)) for g in groups
    ]
    final.sort()
    repeats = sum(
        1 for g in final for i, a in enumerate(g) for b in g[i + 1 :] if pair_key(a, b) in data.last_met
    )
    blocked = sum(
        1 for g in final for i, a in enumerate(g) for b in g[i + 1 :] if pair_key(a, b) in data.blocks
    )
    return RoundPlan(final, sorted(sat_out), repeats, blocked)


# --------------------------------------------------------------------------------------------- pairs


def _pairs(ids: list[int], costs: _Costs, rng: random.Random) -> tuple[list[tuple[int, int]], list[int]]:
    """A perfect (or near-perfect) matching of `ids`; returns the pairs and who is left unpaired."""
    if len(ids) <= CIRCLE_LIMIT:
        pairs, extra = _circle_pairs(ids, costs, rng)
    else:
        pairs, extra = _greedy_pairs(ids, costs, rng)
    pairs = _repair(pairs, costs, rng)
    if len(ids) <= EXACT_LIMIT and any(costs.pair(a, b) >= REPEAT for a, b in pairs):
        pairs = _exact_pairs([m for p in pairs for m in p], costs, pairs)
    # A blocked pair that no swap could undo is split; its members go to the leftovers.
    kept = []
    for a, b in pairs:
        if pair_key(a, b) in costs.blocks:
            extra += [a, b]
        else:
            kept.append((a, b))
    return kept, extra


def circle_round(ids: Sequence[int], r: int) -> list[tuple[int, int]]:
    """Round `r` of the circle method over an even number of ids (sorted, so stable across weeks)."""
    n = len(ids)
    m = n - 1
    fixed = ids[-1]
    pairs = [(ids[r % m], fixed)]
    for k in range(1, m // 2 + 1):
        pairs.append((ids[(r + k) % m], ids[(r - k) % m]))
    return pairs


def _circle_layout(ordered: list[int | None]) -> list[int | None]:
    """Place members on the circle so that mirror positions hold neighbours in preference order.

    Round r of the circle pairs positions r+k and r−k; with this layout the rounds near r = 0 pair each
    member with someone close to them in (timezone, interests) order, so the first weeks of a stable group
    are both repeat-free and well matched.
    """
    fixed, rest = ordered[-1], ordered[:-1]
    m = len(rest)
    slots: list[int | None] = [None] * m
    for index, member in enumerate(rest):
        j = index // 2
        slots[j if index % 2 == 0 else m - 1 - j] = member
    return [*slots, fixed]


def _circle_pairs(
    ids: list[int], costs: _Costs, rng: random.Random
) -> tuple[list[tuple[int, int]], list[int]]:
    by_id = costs.by_id

    def key(i: int) -> tuple[int, tuple[str, ...], int]:
        offset = by_id[i].utc_offset_minutes
        return (offset if offset is not None else 10**6, tuple(sorted(by_id[i].interests)), i)

    ordered: list[int | None] = sorted(ids, key=key)
    if len(ordered) % 2:
        ordered.append(None)  # a "bye": whoever meets it this week joins another group
    circle = _circle_layout(ordered)
    rounds = list(range(len(circle) - 1))
    rng.shuffle(rounds)
    best: tuple[int, list[tuple[int, int]], list[int]] | None = None
    for r in rounds:
        pairs: list[tuple[int, int]] = []
        extra: list[int] = []
        for a, b in circle_round(circle, r):  # type: ignore[arg-type]
            if a is None or b is None:
                extra.append(b if a is None else a)
            else:
                pairs.append((a, b))
        total = sum(costs.pair(a, b) for a, b in pairs)
        if best is None or total < best[0]:
            best = (total, pairs, extra)
    assert best is not None
    return best[1], best[2]


def _greedy_pairs(
    ids: list[int], costs: _Costs, rng: random.Random
) -> tuple[list[tuple[int, int]], list[int]]:
    """Greedy matching over each member's nearest neighbours in (timezone, interests) order.

    Written for speed at 100,000 members: interests become bitmasks and the inner loop stays on locals.
    """
    by_id = costs.by_id
    theme_bits: dict[str, int] = {}
    masks: dict[int, int] = {}
    for i in ids:
        mask = 0
        for theme in by_id[i].interests:
            mask |= 1 << theme_bits.setdefault(theme, len(theme_bits))
        masks[i] = mask
    unknown = 10**6
    offsets = {
        i: (by_id[i].utc_offset_minutes if by_id[i].utc_offset_minutes is not None else unknown) for i in ids
    }
    last_met, blocks = costs.last_met, costs.blocks
    taken: set[int] = set()
    pairs: list[tuple[int, int]] = []
    remaining = list(ids)
    # Each pass sorts who is still unpaired by (timezone, interests, fresh jitter) and matches neighbours,
    # best score first. Later passes see new neighbours, once history has used up the nearest ones.
    for attempt in range(GREEDY_PASSES):
        if len(remaining) < 2:
            break
        jitter = {i: rng.random() for i in remaining}
        if attempt == 0:
            ordered = sorted(remaining, key=lambda i: (offsets[i], masks[i], jitter[i]))
        else:  # same timezone, random order: new neighbours every pass
            ordered = sorted(remaining, key=lambda i: (offsets[i], jitter[i]))
        # Scores are small integers, so edges go into one bucket per score instead of being sorted.
        buckets: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        count = len(ordered)
        for index in range(count):
            a = ordered[index]
            off_a, mask_a = offsets[a], masks[a]
            for b in ordered[index + 1 : index + 1 + NEIGHBOUR_WINDOW]:
                key = (a, b) if a < b else (b, a)
                if key in blocks or key in last_met:
                    continue
                off_b = offsets[b]
                if off_a == unknown or off_b == unknown:
                    tz = 1
                else:
                    gap = abs(off_a - off_b)
                    if gap > 720:
                        gap = 1440 - gap
                    tz = 3 if gap <= 60 else 2 if gap <= 180 else 1 if gap <= 360 else 0
                shared = (mask_a & masks[b]).bit_count()
                buckets[tz + (shared if shared < 3 else 3)].append((a, b))
        for bucket in reversed(buckets):
            for a, b in bucket:
                if a not in taken and b not in taken:
                    taken.add(a)
                    taken.add(b)
                    pairs.append((a, b))
        remaining = [i for i in ordered if i not in taken]
        if len(remaining) < max(2, count // 50):
            break
    ordered = remaining
    rest = [i for i in ordered if i not in taken]
    rng.shuffle(rest)
    extra = [rest.pop()] if len(rest) % 2 else []
    pairs += [(rest[i], rest[i + 1]) for i in range(0, len(rest), 2)]
    if len(pairs) <= IMPROVE_LIMIT:
        pairs = _improve(pairs, costs, rng, offsets)
    return pairs, extra


def _improve(
    pairs: list[tuple[int, int]], costs: _Costs, rng: random.Random, offsets: dict[int, int]
) -> list[tuple[int, int]]:
    """Local search: swap partners between two pairs of nearby timezones when that raises the preference
    score without creating a repeat or a blocked pair."""
    pairs = sorted(pairs, key=lambda p: (offsets[p[0]], p))
    count = len(pairs)
    span = 40
    for _ in range(IMPROVE_SWEEPS):
        for i in range(count):
            j = i + rng.randint(-span, span)
            if j == i or not 0 <= j < count:
                continue
            a, b = pairs[i]
            c, d = pairs[j]
            before = costs.pair(a, b) + costs.pair(c, d)
            for first, second in (((a, c), (b, d)), ((a, d), (b, c))):
                if costs.pair(*first) + costs.pair(*second) < before:
                    pairs[i], pairs[j] = first, second
                    break
    return pairs


def _repair(pairs: list[tuple[int, int]], costs: _Costs, rng: random.Random) -> list[tuple[int, int]]:
    """Swap partners between two pairs while that lowers the cost of a blocked or repeated pair."""
    pairs = list(pairs)
    flagged = costs.blocks.__contains__, costs.last_met.__contains__
    bad = [i for i, (a, b) in enumerate(pairs) if flagged[0](pair_key(a, b)) or flagged[1](pair_key(a, b))]
    if not bad:
        return pairs
    order = list(range(len(pairs)))
    limit = len(pairs) if len(pairs) <= 5000 else 5000
    for i in bad:
        a, b = pairs[i]
        current = costs.pair(a, b)
        if current < REPEAT:
            continue
        rng.shuffle(order)
        best: tuple[int, int, tuple[int, int], tuple[int, int]] | None = None
        for j in order[:limit]:
            if j == i:
                continue
            c, d = pairs[j]
            before = current + costs.pair(c, d)
            for first, second in (((a, c), (b, d)), ((a, d), (b, c))):
                after = costs.pair(*first) + costs.pair(*second)
                if after < before and (best is None or after - before < best[0]):
                    best = (after - before, j, first, second)
            if best is not None and best[0] + before < REPEAT:
                break  # both new pairs are clean: good enough
        if best is not None:
            _, j, first, second = best
            pairs[i], pairs[j] = first, second
    return pairs


def _exact_pairs(ids: list[int], costs: _Costs, fallback: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Maximum-weight perfect matching for small groups, so a repeat is used only when nothing else fits."""
    import networkx as nx

    graph = nx.Graph()
    top = BLOCKED + REPEAT * 2
    for index, a in enumerate(ids):
        for b in ids[index + 1 :]:
            cost = costs.pair(a, b)
            if cost < BLOCKED:
                graph.add_edge(a, b, weight=top - cost)
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    if len(matching) * 2 < len(ids) - 1:
        return fallback
    chosen = [pair_key(a, b) for a, b in matching]
    if sum(costs.pair(a, b) for a, b in chosen) >= sum(costs.pair(a, b) for a, b in fallback):
        return fallback
    return sorted(chosen)


# --------------------------------------------------------------------------------------------- groups of 3-4


def _groups(
    ids: list[int], size: int, costs: _Costs, rng: random.Random
) -> tuple[list[list[int]], list[int]]:
    """Groups of `size`: seeded order, each group grown with the member that adds the least cost."""
    remaining = list(ids)
    rng.shuffle(remaining)
    count = max(1, len(remaining) // size)  # fewer members than a group: one smaller group
    groups: list[list[int]] = []
    extra: list[int] = []
    window = 200
    for _ in range(count):
        if not remaining:
            break
        group = [remaining.pop(0)]
        while len(group) < size and remaining:
            pool = remaining[:window]
            pick = min(range(len(pool)), key=lambda k: (sum(costs.pair(pool[k], g) for g in group), k))
            if any(pair_key(pool[pick], g) in costs.blocks for g in group):
                break  # everyone nearby is blocked by someone in the group: keep it smaller
            group.append(remaining.pop(pick))
        if len(group) >= 2:
            groups.append(group)
        else:
            extra += group
    return groups, extra + remaining


# --------------------------------------------------------------------------------------------- eligibility


FREQUENCY_WEEKS = {"weekly": 1, "biweekly": 2, "monthly": 4}


def is_due(frequency: str, last_paired_week: int | None, this_week: int) -> bool:
    """Whether a member's frequency wants them in this week's round."""
    if last_paired_week is None:
        return True
    return this_week - last_paired_week >= FREQUENCY_WEEKS.get(frequency, 1)


def history_from_groups(rounds: Iterable[tuple[int, Iterable[Sequence[int]]]]) -> dict[tuple[int, int], int]:
    """{pair: the latest week they were grouped} from (week ordinal, groups) items."""
    last: dict[tuple[int, int], int] = {}
    for week, groups in rounds:
        for group in groups:
            members = list(group)
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    key = pair_key(a, b)
                    if last.get(key, -(10**9)) < week:
                        last[key] = week
    return last
