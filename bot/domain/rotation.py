"""Which prompt comes next: deterministic, given the library and what was posted before."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    id: int
    theme: str
    times_posted: int
    depth: str = "medium"


DEPTHS = ("light", "medium", "deep")
LIGHT_ONLY_WEEKS = 4  # a server's first posts ask little of anyone
NO_DEEP_WEEKS = 8  # then light and medium; deep ones only after this many posts
DEEP_GAP = 3  # and then at most one deep prompt in any four weeks


def allowed_depths(depth_history: Sequence[str]) -> tuple[str, ...]:
    """The depths the next post may have, given the depths posted so far (oldest first).

    Light first in a server's life, then light and medium, then a mix with at most one deep prompt in
    any four weeks.
    """
    posted = len(depth_history)
    if posted < LIGHT_ONLY_WEEKS:
        return ("light",)
    if posted < NO_DEEP_WEEKS:
        return ("light", "medium")
    if "deep" in depth_history[-DEEP_GAP:]:
        return ("light", "medium")
    return DEPTHS


def _by_depth(
    pool: Sequence[Candidate], allowed: Sequence[str], depth_history: Sequence[str]
) -> list[Candidate]:
    """The waiting prompts of the allowed depth posted longest ago (so depths take turns); when none of
    the allowed depths is waiting, those of the lightest depth that is."""
    last_seen = {depth: index for index, depth in enumerate(depth_history)}
    for depth in sorted(allowed, key=lambda d: (last_seen.get(d, -1), DEPTHS.index(d))):
        fitting = [c for c in pool if c.depth == depth]
        if fitting:
            return fitting
    lightest = min(DEPTHS.index(c.depth) for c in pool)
    return [c for c in pool if DEPTHS.index(c.depth) == lightest]


def next_prompt(
    active: Sequence[Candidate], theme_history: Sequence[str], depth_history: Sequence[str] | None = None
) -> Candidate | None:
    """Pick the next prompt to post.

    - Never repeat a prompt until every active prompt has been posted: only the least-posted prompts qualify.
    - Never the same theme as last week when another theme qualifies.
    - Among the rest, the theme with the most prompts still waiting (so no theme is left alone at the end of
      a cycle), then the theme posted longest ago, then library order, then the lowest id.
      `theme_history` is the themes posted so far, oldest first.
    - When `depth_history` is given (the depths posted so far, oldest first), the depths take turns among
      those `allowed_depths` names (light only at first, deep at most one week in four).
    """
    if not active:
        return None
    fewest = min(c.times_posted for c in active)
    pool = [c for c in active if c.times_posted == fewest]
    if depth_history is not None:
        pool = _by_depth(pool, allowed_depths(depth_history), depth_history)
    waiting = Counter(c.theme for c in pool)  # counted before excluding last week's theme
    last_theme = theme_history[-1] if theme_history else None
    others = [c for c in pool if c.theme != last_theme]
    if others:
        pool = others
    last_seen = {theme: index for index, theme in enumerate(theme_history)}
    order: dict[str, int] = {}
    for c in sorted(active, key=lambda c: c.id):
        order.setdefault(c.theme, len(order))

    def key(c: Candidate) -> tuple[int, int, int, int]:
        return (-waiting[c.theme], last_seen.get(c.theme, -1), order[c.theme], c.id)

    return min(pool, key=key)
