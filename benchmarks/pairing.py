"""Pairing engine at community scale, against a naive shuffle and (for smaller N) an exact matching.

    python benchmarks/pairing.py --members 100000 --weeks 26 --seed 1 --runs 3
    python benchmarks/pairing.py --stable 10 20 50 --seeds 5
    python benchmarks/pairing.py --stable 400 --seeds 1 --first-seed 0   # 399 weeks of 400 members: about half an hour

Prints one JSON line per case. The history is made by the engine itself over `--weeks` past rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain.pairing import (
    Candidate,
    RoundInput,
    history_from_groups,
    pair_key,
    plan_round,
    preference,
)

THEMES = [f"theme{i}" for i in range(16)]


def synthetic_members(n: int, rng: random.Random) -> list[Candidate]:
    offsets = list(range(-600, 781, 60))
    return [
        Candidate(10**17 + i, rng.choice(offsets), frozenset(rng.sample(THEMES, rng.randint(0, 5))))
        for i in range(n)
    ]


def synthetic_blocks(members: list[Candidate], rng: random.Random) -> frozenset[tuple[int, int]]:
    ids = [m.id for m in members]
    blocks = set()
    for member in rng.sample(members, max(1, len(members) // 100)):
        for other in rng.sample(ids, rng.randint(1, 3)):
            if other != member.id:
                blocks.add(pair_key(member.id, other))
    return frozenset(blocks)


def shuffle_round(members: list[Candidate], rng: random.Random) -> list[tuple[int, ...]]:
    """What most pairing bots do: shuffle and cut into pairs (odd one joins the last pair)."""
    ids = [m.id for m in members]
    rng.shuffle(ids)
    groups = [tuple(ids[i : i + 2]) for i in range(0, len(ids) - 1, 2)]
    if len(ids) % 2 and groups:
        groups[-1] = (*groups[-1], ids[-1])
    return groups


def quality(groups, members, last_met, blocks) -> dict:
    by_id = {m.id: m for m in members}
    pairs = [(a, b) for g in groups for i, a in enumerate(g) for b in g[i + 1 :]]
    placed = {m for g in groups for m in g}
    return {
        "repeat_pairs": sum(1 for a, b in pairs if pair_key(a, b) in last_met),
        "blocked_pairs": sum(1 for a, b in pairs if pair_key(a, b) in blocks),
        "left_out": len(by_id) - len(placed),
        "mean_preference": round(
            sum(preference(by_id[a], by_id[b]) for a, b in pairs) / max(1, len(pairs)), 3
        ),
    }


def exact_mean_preference(members: list[Candidate], last_met, blocks) -> float:
    """Reference: an exact maximum-weight matching over every allowed pair (rustworkx, in Rust)."""
    import rustworkx as rx

    graph = rx.PyGraph()
    graph.add_nodes_from(range(len(members)))
    edges = []
    for i, a in enumerate(members):
        for j in range(i + 1, len(members)):
            b = members[j]
            key = pair_key(a.id, b.id)
            if key in blocks or key in last_met:
                continue
            edges.append((i, j, preference(a, b) + 1))  # +1 so every allowed pair is worth taking
    graph.add_edges_from(edges)
    matching = rx.max_weight_matching(graph, max_cardinality=True, weight_fn=lambda w: w)
    scores = [preference(members[i], members[j]) for i, j in matching]
    return round(sum(scores) / max(1, len(scores)), 3)


def run_case(n: int, weeks: int, seed: int, exact_limit: int, runs: int = 3) -> dict:
    rng = random.Random(seed)
    members = synthetic_members(n, rng)
    blocks = synthetic_blocks(members, rng)
    last_met: dict[tuple[int, int], int] = {}
    for week in range(weeks):
        plan = plan_round(RoundInput(members, last_met, blocks, seed=seed * 1000 + week))
        last_met.update(history_from_groups([(week, plan.groups)]))
    data = RoundInput(members, last_met, blocks, seed=seed * 1000 + weeks)
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        plan = plan_round(data)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    wall = statistics.median(walls)
    tracemalloc.start()
    plan_round(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result = {
        "case": "pairing",
        "members": n,
        "weeks_of_history": weeks,
        "seed": seed,
        "history_pairs": len(last_met),
        "wall_seconds": round(wall, 3),  # median of `runs` timings
        "cpu_seconds": round(statistics.median(cpus), 3),  # the engine's own CPU time, whatever the load
        "load_average_1m": round(os.getloadavg()[0], 2),
        "runs": runs,
        "peak_extra_mb": round(peak / 2**20, 1),
        **quality(plan.groups, members, last_met, blocks),
    }
    baseline = quality(shuffle_round(members, random.Random(seed)), members, last_met, blocks)
    result["shuffle_repeat_pairs"] = baseline["repeat_pairs"]
    result["shuffle_blocked_pairs"] = baseline["blocked_pairs"]
    result["shuffle_mean_preference"] = baseline["mean_preference"]
    if n <= exact_limit:
        result["exact_mean_preference"] = exact_mean_preference(members, last_met, blocks)
        result["preference_gap"] = round(result["exact_mean_preference"] - result["mean_preference"], 3)
    return result


def stable_case(n: int, seed: int) -> dict:
    """A stable group over N−1 weeks: the first repeat should not come before week N."""
    members = [Candidate(1000 + i) for i in range(n)]
    last_met: dict[tuple[int, int], int] = {}
    engine_first_repeat = shuffle_first_repeat = None
    shuffle_met: set[tuple[int, int]] = set()
    rng = random.Random(seed)
    cpu_per_round = []
    for week in range(n - 1):
        start = time.process_time()
        plan = plan_round(RoundInput(members, dict(last_met), seed=seed * 1000 + week))
        cpu_per_round.append(time.process_time() - start)
        if plan.repeats and engine_first_repeat is None:
            engine_first_repeat = week + 1
        last_met.update(history_from_groups([(week, plan.groups)]))
        naive = {
            pair_key(a, b) for g in shuffle_round(members, rng) for i, a in enumerate(g) for b in g[i + 1 :]
        }
        if naive & shuffle_met and shuffle_first_repeat is None:
            shuffle_first_repeat = week + 1
        shuffle_met |= naive
    return {
        "case": "stable_group",
        "members": n,
        "seed": seed,
        "weeks": n - 1,
        "repeat_free_weeks": (engine_first_repeat or n) - 1,
        "meets_bound": engine_first_repeat is None,
        "shuffle_first_repeat_week": shuffle_first_repeat,
        "slowest_round_cpu_s": round(max(cpu_per_round), 2),
        "median_round_cpu_s": round(statistics.median(cpu_per_round), 3),
        "total_cpu_s": round(sum(cpu_per_round), 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, nargs="*", default=[])
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--exact-limit", type=int, default=2000, help="compute the exact reference up to this N"
    )
    parser.add_argument("--runs", type=int, default=3, help="timings per case; the median is reported")
    parser.add_argument("--stable", type=int, nargs="*", default=[])
    parser.add_argument("--seeds", type=int, default=5, help="stable groups: seeds 0 .. SEEDS-1")
    parser.add_argument("--first-seed", type=int, default=0, help="stable groups: start the seeds here")
    args = parser.parse_args()
    machine = {"python": platform.python_version(), "machine": platform.machine()}
    for n in args.members:
        print(
            json.dumps({**run_case(n, args.weeks, args.seed, args.exact_limit, args.runs), **machine}),
            flush=True,
        )
    for n in args.stable:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            print(json.dumps({**stable_case(n, seed), **machine}), flush=True)


if __name__ == "__main__":
    main()
