"""Engine quality against a per-week exact matching, for stable groups and with churn.

    python benchmarks/engine_quality.py --members 50 100 150 200 --seeds 5 --weeks 26
    python benchmarks/engine_quality.py --members 100 200 --churn 3 --seeds 3 --baseline e48bacf

Each case simulates weekly rounds of synthetic members (random timezones, 0-5 of 16 interests) with the
engine, and separately with the reference: each week an exact maximum-weight matching over the pairs that
have not met yet (rustworkx; from the `bench` extra). Stable cases run the engine for N−1 weeks and report
the first repeat; `--churn K` replaces K members every week. `--baseline REV` also runs the engine of that
git revision on the same weeks. Prints one JSON line per case; `--runs` repeats the timing and reports the
median.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.domain import pairing  # noqa: E402
from bot.domain.pairing import Candidate, history_from_groups, pair_key, preference  # noqa: E402

THEMES = [f"theme{i}" for i in range(16)]
OFFSETS = list(range(-600, 781, 60))


def new_member(member_id: int, rng: random.Random) -> Candidate:
    return Candidate(member_id, rng.choice(OFFSETS), frozenset(rng.sample(THEMES, rng.randint(0, 5))))


def engine_at(revision: str) -> ModuleType:
    """The pairing module of another git revision, loaded under its own name."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:bot/domain/pairing.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "pairing_baseline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("pairing_baseline", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def exact_round(members: list[Candidate], last_met: dict) -> list[tuple[int, ...]]:
    """Reference: the maximum-weight matching over never-met pairs this week (odd one joins the last pair)."""
    import rustworkx as rx

    graph = rx.PyGraph()
    graph.add_nodes_from(range(len(members)))
    for i, a in enumerate(members):
        for j in range(i + 1, len(members)):
            if pair_key(a.id, members[j].id) not in last_met:
                graph.add_edge(i, j, preference(a, members[j]) + 1)
    chosen = rx.max_weight_matching(graph, max_cardinality=True, weight_fn=lambda w: w)
    groups = [tuple(sorted((members[i].id, members[j].id))) for i, j in chosen]
    paired = {m for g in groups for m in g}
    left = [m.id for m in members if m.id not in paired]
    if len(left) >= 2:  # nothing new for them: pair them anyway (a repeat)
        groups += [tuple(left[k : k + 2]) for k in range(0, len(left) - 1, 2)]
        left = left[len(left) - len(left) % 2 :]
    if left and groups:
        groups[-1] = (*groups[-1], left[0])
    return groups


def round_figures(groups, members, last_met) -> tuple[float, int, int]:
    by_id = {m.id: m for m in members}
    pairs = [(a, b) for g in groups for i, a in enumerate(g) for b in g[i + 1 :]]
    total = sum(preference(by_id[a], by_id[b]) for a, b in pairs)
    return total, len(pairs), sum(1 for a, b in pairs if pair_key(a, b) in last_met)


def simulate(planner, n: int, weeks: int, seed: int, churn: int) -> dict:
    rng = random.Random(seed)
    members = [new_member(1000 + i, rng) for i in range(n)]
    next_id = 1000 + n
    last_met: dict[tuple[int, int], int] = {}
    scores: list[float] = []
    repeats: list[int] = []
    seconds: list[float] = []
    for week in range(weeks):
        if churn and week:
            for index in rng.sample(range(n), churn):
                members[index] = new_member(next_id, rng)
                next_id += 1
        start = time.perf_counter()
        groups = planner(members, last_met, seed * 1000 + week)
        seconds.append(time.perf_counter() - start)
        total, count, repeated = round_figures(groups, members, last_met)
        scores.append(total / max(1, count))
        repeats.append(repeated)
        last_met.update(history_from_groups([(week, groups)]))
    return {"scores": scores, "repeats": repeats, "seconds": seconds}


def engine_planner(module: ModuleType):
    def plan(members, last_met, seed):
        return module.plan_round(module.RoundInput(list(members), dict(last_met), seed=seed)).groups

    return plan


def reference_planner(members, last_met, seed):
    return exact_round(members, last_met)


def case(n: int, weeks: int, seed: int, churn: int, baseline: ModuleType | None, full_cycle: bool) -> dict:
    engine_weeks = n - 1 if full_cycle and not churn else weeks
    engine = simulate(engine_planner(pairing), n, engine_weeks, seed, churn)
    reference = simulate(reference_planner, n, weeks, seed, churn)
    first_repeat = next((w + 1 for w, r in enumerate(engine["repeats"]) if r), None)
    result = {
        "case": "churn" if churn else "stable",
        "members": n,
        "seed": seed,
        "churn_per_week": churn,
        "weeks": weeks,
        "engine_mean_preference": round(statistics.fmean(engine["scores"][:weeks]), 3),
        "exact_mean_preference": round(statistics.fmean(reference["scores"]), 3),
        "engine_repeats_per_100_member_weeks": round(100 * sum(engine["repeats"][:weeks]) / (n * weeks), 3),
        "exact_repeats_per_100_member_weeks": round(100 * sum(reference["repeats"]) / (n * weeks), 3),
        "engine_max_round_s": round(max(engine["seconds"]), 3),
        "engine_median_round_s": round(statistics.median(engine["seconds"]), 3),
    }
    result["gap_to_exact"] = round(result["exact_mean_preference"] - result["engine_mean_preference"], 3)
    if not churn:
        result["engine_weeks_run"] = engine_weeks
        result["first_repeat_week"] = first_repeat
    if baseline is not None:
        old = simulate(engine_planner(baseline), n, weeks, seed, churn)
        result["baseline_mean_preference"] = round(statistics.fmean(old["scores"]), 3)
        result["baseline_repeats_per_100_member_weeks"] = round(100 * sum(old["repeats"]) / (n * weeks), 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, nargs="+", default=[50, 100, 150, 200])
    parser.add_argument("--weeks", type=int, default=26, help="weeks compared with the exact reference")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--churn", type=int, default=0, help="members replaced every week")
    parser.add_argument("--baseline", default=None, help="git revision of an engine to compare with")
    parser.add_argument(
        "--no-full-cycle", action="store_true", help="stable groups: stop at --weeks instead of N−1"
    )
    args = parser.parse_args()
    baseline = engine_at(args.baseline) if args.baseline else None
    machine = {"python": platform.python_version(), "machine": platform.machine()}
    for n in args.members:
        for seed in range(args.seeds):
            row = case(n, args.weeks, seed, args.churn, baseline, not args.no_full_cycle)
            print(json.dumps({**row, **machine}), flush=True)


if __name__ == "__main__":
    main()
