"""Prompt rotation: no repeat before the library is exhausted, no theme twice running, deterministic."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

from bot.domain.rotation import Candidate, next_prompt
from bot.domain.themes import library


def simulate(prompts: list[tuple[int, str]], weeks: int) -> list[Candidate]:
    counts = Counter()
    history: list[str] = []
    posted = []
    for _ in range(weeks):
        active = [Candidate(i, theme, counts[i]) for i, theme in prompts]
        choice = next_prompt(active, history)
        assert choice is not None
        counts[choice.id] += 1
        history.append(choice.theme)
        posted.append(choice)
    return posted


def shipped() -> list[tuple[int, str]]:
    return [(i + 1, p["theme"]) for i, p in enumerate(library()["prompts"])]


def test_no_prompt_repeats_until_all_were_posted():
    prompts = shipped()
    posted = simulate(prompts, len(prompts) * 2 + 5)
    first_cycle = [c.id for c in posted[: len(prompts)]]
    assert sorted(first_cycle) == [i for i, _ in prompts]
    second_cycle = [c.id for c in posted[len(prompts) : 2 * len(prompts)]]
    assert sorted(second_cycle) == [i for i, _ in prompts]


def test_never_the_same_theme_two_weeks_running_when_another_is_available():
    posted = simulate(shipped(), 300)
    assert all(a.theme != b.theme for a, b in pairwise(posted))


def test_a_single_theme_library_still_posts():
    posted = simulate([(1, "family"), (2, "family")], 4)
    assert [c.id for c in posted] == [1, 2, 1, 2]


def test_deterministic_and_empty():
    assert [c.id for c in simulate(shipped(), 40)] == [c.id for c in simulate(shipped(), 40)]
    assert next_prompt([], []) is None


def test_shipped_library_covers_every_theme():
    data = library()
    assert len(data["prompts"]) >= 120
    slugs = {t["slug"] for t in data["themes"]}
    assert len(slugs) == 16
    per_theme = Counter(p["theme"] for p in data["prompts"])
    assert set(per_theme) == slugs and min(per_theme.values()) >= 7
    assert all(10 <= len(p["text"]) <= 1000 for p in data["prompts"])


def test_the_bigger_theme_goes_first_so_the_cycle_does_not_end_on_a_repeat():
    posted = simulate([(1, "stories"), (2, "stories"), (3, "family")], 3)
    assert [c.theme for c in posted] == ["stories", "family", "stories"]


def simulate_with_depth(prompts: list[tuple[int, str, str]], weeks: int) -> list[Candidate]:
    counts: Counter[int] = Counter()
    themes: list[str] = []
    depths: list[str] = []
    posted = []
    for _ in range(weeks):
        active = [Candidate(i, theme, counts[i], depth) for i, theme, depth in prompts]
        choice = next_prompt(active, themes, depths)
        assert choice is not None
        counts[choice.id] += 1
        themes.append(choice.theme)
        depths.append(choice.depth)
        posted.append(choice)
    return posted


def shipped_with_depth() -> list[tuple[int, str, str]]:
    return [(i + 1, p["theme"], p["depth"]) for i, p in enumerate(library()["prompts"])]


def test_a_new_server_starts_light_then_mixes_in_deeper_prompts():
    posted = simulate_with_depth(shipped_with_depth(), 40)
    depths = [c.depth for c in posted]
    assert depths[:4] == ["light"] * 4
    assert "deep" not in depths[4:8] and "medium" in depths[4:8]
    assert "deep" in depths[8:20]
    assert all(depths[i : i + 4].count("deep") <= 1 for i in range(len(depths)))
    assert set(depths[8:20]) == {"light", "medium", "deep"}


def test_depth_rules_never_stop_the_rotation_or_cause_repeats():
    prompts = shipped_with_depth()
    posted = simulate_with_depth(prompts, len(prompts) * 2)
    assert sorted(c.id for c in posted[: len(prompts)]) == [i for i, _, _ in prompts]
    assert sorted(c.id for c in posted[len(prompts) :]) == [i for i, _, _ in prompts]


def test_a_library_with_no_light_prompts_still_posts():
    prompts = [(7, "stories", "deep"), (3, "family", "medium"), (5, "identity", "deep")]
    posted = simulate_with_depth(prompts, 3)
    assert sorted(c.id for c in posted) == [3, 5, 7]
    assert posted[0].id == 3  # no light prompt waiting: the lightest that is
