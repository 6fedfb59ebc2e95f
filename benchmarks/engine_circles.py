"""Cross-circle pairs with `mix="across"`, against the best possible, and what it costs in preference.

    python benchmarks/engine_circles.py --members 100 1000 10000 --weeks 8 --runs 3

Synthetic members (random timezones, 0-5 of 16 interests) choose circles: 35% circle 1, 30% circle 2,
10% both, 25% none. Every week the engine pairs them with `mix="across"`, and, separately, the same
members with `mix="any"`. The best possible is a maximum matching on the cross-circle graph of the week
(never-met, unblocked pairs whose circle sets are both non-empty and differ): exact (rustworkx) up to
`--exact-limit` members; above it the bound min(⌊T/2⌋, T − largest set) of the complete multipartite
graph over circle sets, which history can only lower, so the share reported there is a floor. Prints one
JSON line per size (median over `--runs` seeds of the mean weekly share).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain.pairing import (
    Candidate,
    RoundInput,
    crosses,
    history_from_groups,
    pair_key,
    plan_round,
    preference,
)

THEMES = [f"theme{i}" for i in range(16)]
OFFSETS = list(range(-600, 781, 60))
CIRCLES = [(frozenset({1}), 35), (frozenset({2}), 30), (frozenset({1, 2}), 10), (frozenset(), 25)]


def synthetic(n: int, rng: random.Random) -> list[Candidate]:
    sets = [s for s, _ in CIRCLES]
    weights = [w for _, w in CIRCLES]
    return [
        Candidate(
            10**17 + i,
            rng.choice(OFFSETS),
            frozenset(rng.sample(THEMES, rng.randint(0, 5))),
            circles=rng.choices(sets, weights)[0],
        )
        for i in range(n)
    ]


def best_cross(members: list[Candidate], last_met: dict, blocks: frozenset, exact_limit: int) -> int:
    if len(members) > exact_limit:
        sizes = Counter(m.circles for m in members if m.circles)
        total = sum(sizes.values())
        return min(total // 2, total - max(sizes.values(), default=0))
    import rustworkx as rx

    graph = rx.PyGraph()
    graph.add_nodes_from(range(len(members)))
    for i, a in enumerate(members):
        for j in range(i + 1, len(members)):
            b = members[j]
            key = pair_key(a.id, b.id)
            if crosses(a, b) and key not in last_met and key not in blocks:
                graph.add_edge(i, j, 1)
    return len(rx.max_weight_matching(graph, max_cardinality=True, weight_fn=lambda w: w))


def run(n: int, weeks: int, seed: int, exact_limit: int) -> dict:
    rng = random.Random(seed)
    members = synthetic(n, rng)
    ids = [m.id for m in members]
    blocks = frozenset(
        pair_key(a, b) for a in rng.sample(ids, max(1, n // 100)) for b in rng.sample(ids, 2) if a != b
    )
    by_id = {m.id: m for m in members}
    history: dict[str, dict] = {"across": {}, "any": {}}
    shares, across_pref, any_pref, repeats, seconds = [], [], [], 0, []
    for week in range(weeks):
        for mix in ("across", "any"):
            last_met = history[mix]
            start = time.perf_counter()
            plan = plan_round(RoundInput(members, dict(last_met), blocks, seed=seed * 1000 + week, mix=mix))
            if mix == "across":
                seconds.append(time.perf_counter() - start)
            pairs = [(a, b) for g in plan.groups for i, a in enumerate(g) for b in g[i + 1 :]]
            mean = statistics.fmean(preference(by_id[a], by_id[b]) for a, b in pairs)
            if mix == "across":
                best = best_cross(members, last_met, blocks, exact_limit)
                made = sum(1 for g in plan.groups if len(g) == 2 and crosses(by_id[g[0]], by_id[g[1]]))
                shares.append(made / best if best else 1.0)
                across_pref.append(mean)
                repeats += plan.repeats + plan.blocked
            else:
                any_pref.append(mean)
            last_met.update(history_from_groups([(week, plan.groups)]))
    return {
        "share_of_best": statistics.fmean(shares),
        "worst_week_share": min(shares),
        "mean_preference_across": statistics.fmean(across_pref),
        "mean_preference_any": statistics.fmean(any_pref),
        "repeats_or_blocked": repeats,
        "round_s": statistics.median(seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3, help="seeds per size; figures are their median")
    parser.add_argument("--exact-limit", type=int, default=1000)
    args = parser.parse_args()
    machine = {"python": platform.python_version(), "machine": platform.machine()}
    for n in args.members:
        runs = [run(n, args.weeks, seed, args.exact_limit) for seed in range(args.runs)]
        row = {
            "case": "cross_circle",
            "members": n,
            "weeks": args.weeks,
            "runs": args.runs,
            "best_is": "exact" if n <= args.exact_limit else "bound",
            **{key: round(statistics.median(r[key] for r in runs), 3) for key in runs[0]},
        }
        row["repeats_or_blocked"] = max(r["repeats_or_blocked"] for r in runs)
        row["preference_cost"] = round(row["mean_preference_any"] - row["mean_preference_across"], 3)
        print(json.dumps({**row, **machine}), flush=True)


if __name__ == "__main__":
    main()
