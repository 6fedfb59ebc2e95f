"""The pairing engine: pure, deterministic for a seed in any process, no Discord and no I/O.

Pairs of up to `EXACT_LIMIT` members: each week the best set of never-met pairs (a maximum-weight matching,
`bot.domain.matching.best_matching`), as long as the pairs left over still make a repeat-free schedule for
every remaining week. While every member still has more never-met partners than half the group, the
leftover graph is dense enough that such a schedule exists (Dirac's condition gives next week's round; the
1-factorisation theorem for dense regular graphs the rest); after that the engine builds the schedule
explicitly (`schedule_ahead`) and, if this week's best matching would leave none, plays the first week of
one that exists instead. The schedule depends only on who has not met whom, so next week finds it again:
a stable group of N members meets N−1 weeks without a repeat. When a repeat cannot be avoided, the
matching takes as few as possible, and the pairs that met longest ago.

Above that size, history is sparse and a greedy matching over a candidate graph of preference neighbours
(timezone, then interests) is fast and close to the best score; a local search with a fixed budget of
tries (and, when mixing across circles, swaps toward cross-circle pairs) improves it, and a repair step
swaps partners away from blocked and repeated pairs. Groups of 3-4 grow each group with the member that
adds the least cost. An odd member joins a trio or sits out (whoever sat out longest ago); up to
`EXACT_LIMIT` members the trio rotates as well (whoever was in a trio longest ago is the odd one, and joins
the pair whose members were in the fewest trios).

The pair score is `score()`: `preference()` (0-6) plus `CROSS_BONUS` for a cross-circle pair when the
round mixes across circles. Blocked pairs are never placed; a repeat outweighs any score.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bot.domain import matching

EXACT_LIMIT = 400
NEIGHBOUR_WINDOW = 5
CROSS_NEIGHBOURS = 10  # the window when mixing across circles: more candidates, as a third are same-circle
GREEDY_PASSES = 6
IMPROVE_SWEEPS = 30  # tries per pair of the local search, within IMPROVE_BUDGET
IMPROVE_BUDGET = 15_000  # swap tries of the local search above EXACT_LIMIT, in all
CROSS_WINDOW = 48  # pairs compared by the cross-circle swaps above EXACT_LIMIT
CROSS_BONUS = 4  # a cross-circle pair outscores a same-circle pair with up to 3 more preference points
BLOCKED = 10**9
REPEAT = 10**6


@dataclass(frozen=True)
class Candidate:
    """A member who may be paired this round."""

    id: int
    utc_offset_minutes: int | None = None
    interests: frozenset[str] = frozenset()
    last_sat_out: int = -1  # week ordinal of the last round they sat out; -1 if never
    circles: frozenset[int] = frozenset()  # circle ids the member chose; empty = neutral


@dataclass(frozen=True)
class RoundInput:
    members: Sequence[Candidate]
    last_met: dict[tuple[int, int], int] = field(default_factory=dict)  # pair -> week ordinal, higher = later
    blocks: frozenset[tuple[int, int]] = frozenset()  # either direction, stored as (low, high)
    seed: int = 0
    group_size: int = 2
    odd_policy: str = "trio"
    mix: str = "any"  # "across": prefer cross-circle pairs; "any": circles play no part


@dataclass(frozen=True)
class RoundPlan:
    groups: list[tuple[int, ...]]
    sat_out: list[int]
    repeats: int
    blocked: int


def pair_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def tz_points(a: int | None, b: int | None) -> int:
    """0-3: 3 within an hour, 2 within three, 1 within six or when either timezone is unknown, else 0."""
    if a is None or b is None:
        return 1
    gap = abs(a - b) % (24 * 60)
    gap = min(gap, 24 * 60 - gap)
    return 3 if gap <= 60 else 2 if gap <= 180 else 1 if gap <= 360 else 0


def preference(a: Candidate, b: Candidate) -> int:
    """0-6: timezones within a few hours (up to 3) and shared interests (up to 3)."""
    return tz_points(a.utc_offset_minutes, b.utc_offset_minutes) + min(3, len(a.interests & b.interests))


def crosses(a: Candidate, b: Candidate) -> bool:
    """A cross-circle pair: both members chose circles and their sets differ. No circle is neutral."""
    return bool(a.circles) and bool(b.circles) and a.circles != b.circles


def score(a: Candidate, b: Candidate, mix: str = "any") -> int:
    """The pair score the engine maximises: preference, plus CROSS_BONUS across circles when mixing."""
    bonus = CROSS_BONUS if mix == "across" and crosses(a, b) else 0
    return preference(a, b) + bonus


class _Costs:
    """Cost of putting two members together: blocked ≫ repeat (later meetings cost more) ≫ −score."""

    def __init__(self, data: RoundInput, by_id: dict[int, Candidate]) -> None:
        self.last_met = data.last_met
        self.blocks = data.blocks
        self.by_id = by_id
        self.mix = data.mix
        self.across = data.mix == "across"
        self.newest = max(data.last_met.values(), default=0)

    def pair(self, a: int, b: int) -> int:
        key = (a, b) if a < b else (b, a)
        if key in self.blocks:
            return BLOCKED
        met = self.last_met.get(key)
        if met is not None:
            return REPEAT + min(REPEAT - 1, max(0, met - self.newest + 10_000))  # met longer ago: cheaper
        x, y = self.by_id[a], self.by_id[b]
        value = tz_points(x.utc_offset_minutes, y.utc_offset_minutes) + min(3, len(x.interests & y.interests))
        if self.across and x.circles and y.circles and x.circles != y.circles:
            value += CROSS_BONUS
        return -value

    def group(self, members: Sequence[int]) -> int:
        return sum(self.pair(a, b) for i, a in enumerate(members) for b in members[i + 1 :])


def plan_round(data: RoundInput) -> RoundPlan:
    """Split the eligible members into groups. Every member is in exactly one group or sits out.

    The engine makes no reference cycles, so Python's cyclic garbage collector is paused while it runs: at
    100,000 members its passes over the round's tuples found nothing and took a tenth of the time."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _plan_round(data)
    finally:
        if collecting:
            gc.enable()


def _plan_round(data: RoundInput) -> RoundPlan:
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
    trio_weeks: dict[int, int] = {}
    trio_counts: dict[int, int] = {}
    odd_one: list[int] = []
    if leftover_count and size == 2 and data.odd_policy != "sit_out" and len(ids) <= EXACT_LIMIT:
        # The trio rotates: the odd one is whoever was in a trio longest ago (never counts as longest ago),
        # and joins the group whose members were in the fewest trios, unless that costs a repeat.
        trio_weeks, trio_counts = _trios(data.last_met, by_id)
        chosen = min(ids, key=lambda i: (trio_weeks.get(i, -1), rng.random()))
        odd_one = [chosen]
        ids = [i for i in ids if i != chosen]
    if size == 2:
        pairs, extra = _pairs(ids, costs, rng)
        if odd_one and (extra or _repeats(pairs, costs)):
            # Setting this member aside left someone unpaired (a block) or forced a repeat: let the matching
            # choose the odd one among everyone instead, if that pairs more people or repeats less.
            everyone = sorted([*ids, *odd_one])
            others, others_extra = _pairs(everyone, costs, rng)
            if (len(others), -_repeats(others, costs)) > (len(pairs), -_repeats(pairs, costs)):
                pairs, extra, odd_one = others, others_extra, []
        extra = odd_one + extra
        groups = [list(p) for p in pairs]
    else:
        groups, extra = _groups(ids, size, costs, rng)
    for member in extra:
        if data.odd_policy == "sit_out" or not groups:
            sat_out.append(member)
        else:
            # On a large server a sample of groups is plenty to find a good home for one extra member.
            pool = groups if len(groups) <= 2000 else rng.sample(groups, 2000)
            order = {id(g): rng.random() for g in pool}  # equally good groups: any, not the lowest ids

            def rank(
                g: list[int], member: int = member, order: dict[int, float] = order
            ) -> tuple[bool, int, bool, int, int, int, float]:
                blocked = any(pair_key(member, other) in data.blocks for other in g)
                added = costs.group([*g, member]) - costs.group(g)
                in_trios = sum(trio_counts.get(other, 0) for other in g)
                last_trio = max((trio_weeks.get(other, -1) for other in g), default=-1)
                return (blocked, len(g), added >= REPEAT, in_trios, last_trio, added, order[id(g)])

            best = min(pool, key=rank)
            if rank(best)[0]:  # no group can take them without a blocked pair
                sat_out.append(member)
            else:
                best.append(member)
    final = [(g[0], g[1]) if len(g) == 2 and g[0] < g[1] else tuple(sorted(g)) for g in groups]
    final.sort()
    repeats = blocked = 0
    last_met, blocks = data.last_met, data.blocks
    for g in final:  # every group is sorted, so (g[i], g[j]) with i < j is already a pair key
        if len(g) == 2:
            repeats += g in last_met
            blocked += g in blocks
            continue
        for i in range(len(g) - 1):
            for j in range(i + 1, len(g)):
                key = (g[i], g[j])
                repeats += key in last_met
                blocked += key in blocks
    return RoundPlan(final, sorted(sat_out), repeats, blocked)


def _repeats(pairs: list[tuple[int, int]], costs: _Costs) -> int:
    return sum(costs.pair(a, b) >= REPEAT for a, b in pairs)


def _trios(
    last_met: dict[tuple[int, int], int], by_id: dict[int, Candidate]
) -> tuple[dict[int, int], dict[int, int]]:
    """The last week each member was in a trio, and in how many weeks they were, read from the pair history:
    a week in which they met two partners. (A partner met again later moves that pair's week on, so this can
    miss a trio: it only steers who makes the trio.) For rounds of up to `EXACT_LIMIT` members, whose history
    is small."""
    partners: dict[tuple[int, int], int] = {}
    for (a, b), week in last_met.items():
        for member in (a, b):
            if member in by_id:
                partners[member, week] = partners.get((member, week), 0) + 1
    last: dict[int, int] = {}
    count: dict[int, int] = {}
    for (member, week), met in partners.items():
        if met >= 2:
            count[member] = count.get(member, 0) + 1
            if week > last.get(member, -1):
                last[member] = week
    return last, count


# --------------------------------------------------------------------------------------------- pairs


def _pairs(ids: list[int], costs: _Costs, rng: random.Random) -> tuple[list[tuple[int, int]], list[int]]:
    """A perfect (or near-perfect) matching of `ids`; returns the pairs and who is left unpaired."""
    if len(ids) <= EXACT_LIMIT:
        pairs, extra = _exact_pairs(ids, costs)
    else:
        pairs, extra = _greedy_pairs(ids, costs, rng)
        pairs = _repair(pairs, costs, rng)
    # A blocked pair that nothing could undo is split; its members go to the leftovers.
    kept = []
    blocks = costs.blocks
    for a, b in pairs:
        if ((a, b) if a < b else (b, a)) in blocks:
            extra += [a, b]
        else:
            kept.append((a, b))
    return kept, extra


def _exact_pairs(ids: list[int], costs: _Costs) -> tuple[list[tuple[int, int]], list[int]]:
    """This week's best never-met pairs that keep a repeat-free schedule for the weeks ahead (module doc).

    Members are numbered by id order; with an odd count a "bye" (number n) is everyone's possible partner,
    and whoever gets it joins another group or sits out.
    """
    n = len(ids)
    nodes = n + n % 2
    by_id, blocks, last_met, mix = costs.by_id, costs.blocks, costs.last_met, costs.mix
    people = [by_id[i] for i in ids]
    fresh: list[set[int]] = [set() for _ in range(nodes)]
    for a in range(n):
        for b in range(a + 1, n):
            key = (ids[a], ids[b])
            if key not in blocks and key not in last_met:
                fresh[a].add(b)
                fresh[b].add(a)
    if nodes > n:
        for a in range(n):
            fresh[a].add(n)
            fresh[n].add(a)
    scores: dict[tuple[int, int], int] = {}

    def weight(a: int, b: int) -> int:  # ≥ 1 for a real pair, 0 for the bye
        if a >= n or b >= n:
            return 0
        key = (a, b) if a < b else (b, a)
        value = scores.get(key)
        if value is None:
            value = scores[key] = score(people[a], people[b], mix) + 1
        return value

    wide = matching.CROSS_CANDIDATES if mix == "across" else matching.CANDIDATES
    best = matching.best_matching(nodes, fresh, weight, wide)
    if len(best) * 2 == nodes:
        weeks = min(len(partners) for partners in fresh)  # weeks until someone runs out of new partners
        if weeks - 1 < nodes // 2 + 1:  # not dense enough to be sure: check the weeks ahead explicitly
            rest = [set(partners) for partners in fresh]
            for a, b in best:
                rest[a].discard(b)
                rest[b].discard(a)
            if matching.schedule_ahead(nodes, rest, weight, weeks - 1) is None:
                ahead = matching.schedule_ahead(nodes, fresh, weight, weeks)
                if ahead is not None:
                    mate = ahead[0]
                    best = [(a, mate[a]) for a in range(nodes) if a < mate[a]]
    else:  # no repeat-free round exists: fewest repeats, the oldest ones, among all unblocked pairs
        allowed: list[set[int]] = [set(partners) for partners in fresh]
        for a in range(n):
            for b in range(a + 1, n):
                if (ids[a], ids[b]) in last_met and (ids[a], ids[b]) not in blocks:
                    allowed[a].add(b)
                    allowed[b].add(a)
        top = 3 * REPEAT

        def weight_with_repeats(a: int, b: int) -> int:
            if a >= n or b >= n:
                return top
            return top - costs.pair(ids[a], ids[b])

        best = matching.best_matching(nodes, allowed, weight_with_repeats, wide)
    paired = {m for pair in best for m in pair}
    pairs = [(ids[a], ids[b]) for a, b in best if b < n]
    extra = [ids[a] for a, b in best if b >= n] + [ids[a] for a in range(n) if a not in paired]
    return pairs, extra


def _fast_cost(costs: _Costs, offsets: dict[int, int], masks: dict[int, int]):
    """`costs.pair` on precomputed timezones and interest bitmasks: the same values, about 3 times faster."""
    blocks, last_met = costs.blocks, costs.last_met
    newest = costs.newest
    across = costs.across
    by_id = costs.by_id
    unknown = _UNKNOWN

    def cost(a: int, b: int) -> int:
        key = (a, b) if a < b else (b, a)
        if key in blocks:
            return BLOCKED
        met = last_met.get(key)
        if met is not None:
            return REPEAT + min(REPEAT - 1, max(0, met - newest + 10_000))
        off_a, off_b = offsets[a], offsets[b]
        if off_a == off_b:
            tz = 1 if off_a == unknown else 3
        elif off_a == unknown or off_b == unknown:
            tz = 1
        else:
            gap = abs(off_a - off_b) % 1440
            if gap > 720:
                gap = 1440 - gap
            tz = 3 if gap <= 60 else 2 if gap <= 180 else 1 if gap <= 360 else 0
        shared = (masks[a] & masks[b]).bit_count()
        value = tz + (shared if shared < 3 else 3)
        if across:
            x, y = by_id[a].circles, by_id[b].circles
            if x and y and x != y:
                value += CROSS_BONUS
        return -value

    return cost


_UNKNOWN = 10**6  # the sort key of an unknown timezone: after every real offset


def _greedy_pairs(
    ids: list[int], costs: _Costs, rng: random.Random
) -> tuple[list[tuple[int, int]], list[int]]:
    """Greedy matching over each member's nearest neighbours in (timezone, interests) order.

    Written for speed at 100,000 members: interests become bitmasks (bits in an order of the theme names
    that the seed shuffles, so the same in every process) and the inner loop stays on locals.
    """
    by_id = costs.by_id
    themes = sorted({theme for i in ids for theme in by_id[i].interests})
    # The first pass sorts by interests as bits: an order of the themes that changes with the seed gives
    # each week new neighbours of similar interests (a fixed order gives last week's, who have met).
    rng.shuffle(themes)
    theme_bits = {theme: 1 << bit for bit, theme in enumerate(themes)}
    unknown = _UNKNOWN
    shift = len(themes)
    masks: dict[int, int] = {}
    offsets: dict[int, int] = {}
    # One row per member: (id, UTC offset, interest bits, timezone sort key); offset + 1440 > 0.
    remaining: list[tuple[int, int, int, int]] = []
    for i in ids:
        member = by_id[i]
        mask = 0
        for theme in member.interests:
            mask |= theme_bits[theme]
        offset = member.utc_offset_minutes
        if offset is None:
            offset = unknown
        masks[i] = mask
        offsets[i] = offset
        remaining.append((i, offset, mask, (offset + 1440) << shift))
    across = costs.mix == "across"
    window = CROSS_NEIGHBOURS if across else NEIGHBOUR_WINDOW
    circles = {i: by_id[i].circles for i in ids} if across else {}
    last_met, blocks = costs.last_met, costs.blocks
    taken: set[int] = set()
    pairs: list[tuple[int, int]] = []
    pair_costs: list[int] = []  # the cost of each pair, as the local search counts it
    # Each pass sorts who is still unpaired by (timezone, interests, fresh jitter) and matches neighbours,
    # best score first. Later passes see new neighbours, once history has used up the nearest ones.
    for attempt in range(GREEDY_PASSES):
        if len(remaining) < 2:
            break
        # One integer per member as the sort key (faster than a tuple): timezone, then interests, then jitter.
        bits = rng.getrandbits
        if attempt == 0:
            ordered = sorted(remaining, key=lambda row: (row[3] | row[2]) << 32 | bits(32))
        else:  # same timezone, random order: new neighbours every pass
            ordered = sorted(remaining, key=lambda row: row[3] << 32 | bits(32))
        if across and attempt:
            # Later passes alternate circle sets, so that the members an uneven timezone left over see
            # cross-circle neighbours in other timezones.
            seen: dict[frozenset[int], int] = {}
            turn = {}
            for row in ordered:
                group = circles[row[0]]
                turn[row[0]] = seen[group] = seen.get(group, -1) + 1
            ordered.sort(key=lambda row: (turn[row[0]], row[1]))
        # Scores are small integers, so edges go into one bucket per score instead of being sorted.
        buckets: list[list[tuple[int, int]]] = [[] for _ in range(7 + CROSS_BONUS)]
        add = [bucket.append for bucket in buckets]
        count = len(ordered)
        # by_shared[tz][k]: where a pair with this timezone score and k shared interests goes.
        by_shared = [[add[tz + min(3, k)] for k in range(shift + 1)] for tz in range(4)]
        for index, (a, off_a, mask_a, _) in enumerate(ordered):
            window_rows = ordered[index + 1 : index + 1 + window]
            if not across and window_rows and window_rows[-1][1] == off_a:
                # The common case: rows are in timezone order and the whole window shares this timezone.
                put = by_shared[1 if off_a == unknown else 3]
                for b, _, mask_b, _ in window_rows:
                    key = (a, b) if a < b else (b, a)
                    if key in last_met or key in blocks:
                        continue
                    put[(mask_a & mask_b).bit_count()](key)
                continue
            for b, off_b, mask_b, _ in window_rows:
                key = (a, b) if a < b else (b, a)
                if key in last_met or key in blocks:
                    continue
                if off_a == off_b:
                    tz = 1 if off_a == unknown else 3
                elif off_a == unknown or off_b == unknown:
                    tz = 1
                else:
                    gap = abs(off_a - off_b) % 1440
                    if gap > 720:
                        gap = 1440 - gap
                    tz = 3 if gap <= 60 else 2 if gap <= 180 else 1 if gap <= 360 else 0
                shared = (mask_a & mask_b).bit_count()
                value = tz + (shared if shared < 3 else 3)
                if across and circles[a] and circles[b] and circles[a] != circles[b]:
                    value += CROSS_BONUS
                add[value](key)
        for value in range(len(buckets) - 1, -1, -1):
            for pair in buckets[value]:
                a, b = pair
                if a not in taken and b not in taken:
                    taken.add(a)
                    taken.add(b)
                    pairs.append(pair)
                    pair_costs.append(-value)
        remaining = [row for row in ordered if row[0] not in taken]
        if len(remaining) < max(2, count // 50):
            break
    rest = [row[0] for row in remaining]
    rng.shuffle(rest)
    extra = [rest.pop()] if len(rest) % 2 else []
    cost = _fast_cost(costs, offsets, masks)
    for i in range(0, len(rest), 2):
        pairs.append((rest[i], rest[i + 1]))
        pair_costs.append(cost(rest[i], rest[i + 1]))
    pairs = _improve(pairs, pair_costs, cost, rng, offsets)
    if across:
        pairs = _cross_swaps(pairs, costs, cost, offsets)
    return pairs, extra


def _improve(
    pairs: list[tuple[int, int]],
    pair_costs: list[int],
    cost: Callable[[int, int], int],
    rng: random.Random,
    offsets: dict[int, int],
) -> list[tuple[int, int]]:
    """Local search: swap partners between two pairs of nearby timezones when that raises the score
    without creating a repeat or a blocked pair. At most `IMPROVE_BUDGET` tries in all, so its time
    grows smoothly with the server and never switches off. `pair_costs[k]` is `cost(*pairs[k])`."""
    zones = [offsets[a] for a, _ in pairs]
    order = sorted(range(len(pairs)), key=zones.__getitem__)  # stable: the same input gives the same order
    pairs = [pairs[k] for k in order]
    current = [pair_costs[k] for k in order]
    count = len(pairs)
    if count < 2:
        return pairs
    span = 40
    width = 2 * span + 1
    random_ = rng.random
    for step in range(min(IMPROVE_SWEEPS * count, IMPROVE_BUDGET)):
        i = step % count
        j = i + int(random_() * width) - span
        if j == i or not 0 <= j < count:
            continue
        a, b = pairs[i]
        c, d = pairs[j]
        before = current[i] + current[j]
        first, second = cost(a, c), cost(b, d)
        if first + second < before:
            pairs[i], pairs[j] = (a, c), (b, d)
            current[i], current[j] = first, second
            continue
        first, second = cost(a, d), cost(b, c)
        if first + second < before:
            pairs[i], pairs[j] = (a, d), (b, c)
            current[i], current[j] = first, second
    return pairs


def _cross_swaps(
    pairs: list[tuple[int, int]], costs: _Costs, cost: Callable[[int, int], int], offsets: dict[int, int]
) -> list[tuple[int, int]]:
    """Swap partners between a pair that is not cross-circle (but has a member in a circle) and a nearby
    pair when that raises the total score: the greedy's neighbours miss cross pairs a timezone away, and
    an uneven circle needs the other circles' members spread over its pairs. Each such pair is compared
    with the `CROSS_WINDOW` pairs on either side in timezone order, so the cost stays linear."""
    by_id = costs.by_id

    def open_pair(pair: tuple[int, int]) -> bool:
        a, b = by_id[pair[0]], by_id[pair[1]]
        return (bool(a.circles) or bool(b.circles)) and not crosses(a, b)

    pairs = sorted(pairs, key=lambda p: offsets[p[0]])  # stable: the same input gives the same order
    count = len(pairs)
    for _ in range(2):
        for i in range(count):
            if not open_pair(pairs[i]):
                continue
            for j in range(max(0, i - CROSS_WINDOW), min(count, i + CROSS_WINDOW + 1)):
                if j == i:
                    continue
                (a, b), (c, d) = pairs[i], pairs[j]
                before = cost(a, b) + cost(c, d)
                for first, second in (((a, c), (b, d)), ((a, d), (b, c))):
                    if cost(*first) + cost(*second) < before:
                        pairs[i], pairs[j] = first, second
                        break
                if not open_pair(pairs[i]):
                    break
    return pairs


def _repair(pairs: list[tuple[int, int]], costs: _Costs, rng: random.Random) -> list[tuple[int, int]]:
    """Swap partners between two pairs while that lowers the cost of a blocked or repeated pair."""
    pairs = list(pairs)
    flagged = costs.blocks.__contains__, costs.last_met.__contains__
    keys = [(a, b) if a < b else (b, a) for a, b in pairs]
    bad = [i for i, key in enumerate(keys) if flagged[0](key) or flagged[1](key)]
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


# --------------------------------------------------------------------------------------------- groups of 3-4


def _groups(
    ids: list[int], size: int, costs: _Costs, rng: random.Random
) -> tuple[list[list[int]], list[int]]:
    """About `size` members per group, sizes differing by at most one (7 in fours: 4 and 3, not one group
    of 7): seeded order, each group grown with the member that adds the least cost."""
    remaining = list(ids)
    rng.shuffle(remaining)
    count = max(1, round(len(remaining) / size))  # fewer members than a group: one smaller group
    targets = [len(remaining) // count + (1 if k < len(remaining) % count else 0) for k in range(count)]
    groups: list[list[int]] = []
    extra: list[int] = []
    window = 200
    for target in targets:
        if not remaining:
            break
        group = [remaining.pop(0)]
        while len(group) < target and remaining:
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
