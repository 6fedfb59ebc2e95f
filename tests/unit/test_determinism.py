"""The same inputs give the same prompt order and the same groups in another process.

Checking twice within one process cannot catch a dependence on string hashing (set order of interests or
themes), which changes with every start of the bot. Each check here runs in fresh interpreters with
different hash seeds and compares with this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.domain.pairing import Candidate, RoundInput, plan_round
from bot.domain.rotation import Candidate as PromptCandidate
from bot.domain.rotation import next_prompt
from bot.domain.themes import library

ROOT = Path(__file__).resolve().parents[2]
THEMES = ["family", "faith", "food", "language", "music", "stories", "work"]


def rotation_order(weeks: int = 60) -> list[int]:
    prompts = [(i + 1, p["theme"]) for i, p in enumerate(library()["prompts"])]
    counts: dict[int, int] = {}
    history: list[str] = []
    order = []
    for _ in range(weeks):
        active = [PromptCandidate(i, theme, counts.get(i, 0)) for i, theme in prompts]
        choice = next_prompt(active, history)
        assert choice is not None
        counts[choice.id] = counts.get(choice.id, 0) + 1
        history.append(choice.theme)
        order.append(choice.id)
    return order


def engine_groups() -> list[list[int]]:
    people = [
        Candidate(
            5000 + (i * 37) % 101,
            ((i * 7) % 25 - 12) * 60 if i % 5 else None,
            frozenset(THEMES[(i * k) % len(THEMES)] for k in (1, 2, 3) if (i + k) % 3),
            -1 if i % 4 else 3,
        )
        for i in range(41)
    ]
    blocks = frozenset({(5000 + 37 % 101, 5000 + 74 % 101)})
    plan = plan_round(RoundInput(people, {}, blocks, seed=11, group_size=2, odd_policy="sit_out"))
    return [list(g) for g in plan.groups] + [plan.sat_out]


def both() -> dict[str, object]:
    return {"rotation": rotation_order(), "engine": engine_groups()}


def test_prompt_order_and_groups_are_the_same_in_other_processes():
    mine = json.loads(json.dumps(both()))
    script = "import json; from tests.unit.test_determinism import both; print(json.dumps(both()))"
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        assert json.loads(out.stdout) == mine, f"a different result with PYTHONHASHSEED={hash_seed}"
    assert len(set(mine["rotation"])) == len(mine["rotation"])  # and no repeat within 60 weeks
