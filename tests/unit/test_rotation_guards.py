"""Which prompt comes next, each rule alone: least posted first, not last week's theme, then the tie-breaks."""

from __future__ import annotations

from bot.domain.rotation import Candidate, next_prompt


def pick(active, history=()):
    choice = next_prompt(active, list(history))
    assert choice is not None
    return choice.id


def test_only_the_least_posted_prompts_qualify():
    active = [Candidate(1, "family", 2), Candidate(2, "family", 1), Candidate(3, "stories", 2)]
    assert pick(active, ["stories"]) == 2
    assert pick(active, ["family"]) == 2  # last week's theme, but nothing else qualifies


def test_not_last_weeks_theme_when_another_qualifies():
    active = [Candidate(1, "family", 0), Candidate(2, "family", 0), Candidate(3, "stories", 0)]
    assert pick(active, ["stories", "family"]) == 3
    assert pick(active, ["family", "stories"]) == 1


def test_the_theme_with_most_prompts_waiting_goes_first():
    active = [Candidate(9, "stories", 0), Candidate(4, "family", 0), Candidate(5, "family", 0)]
    assert pick(active) == 4  # family has two waiting, stories one; lowest id within family
    assert pick(active, ["identity"]) == 4


def test_then_the_theme_posted_longest_ago():
    active = [Candidate(1, "family", 0), Candidate(2, "stories", 0), Candidate(3, "voices", 0)]
    assert pick(active, ["stories", "family", "voices"]) == 2
    assert pick(active, ["family", "stories", "voices", "family", "voices"]) == 2
    # A theme never posted is older than any posted one.
    assert pick(active, ["family", "stories"]) == 3


def test_then_library_order_then_lowest_id():
    # Library order is the order themes first appear among the prompts sorted by id.
    active = [Candidate(7, "voices", 0), Candidate(2, "stories", 0), Candidate(5, "family", 0)]
    assert pick(active) == 2
    active = [Candidate(1, "voices", 1), Candidate(3, "family", 0), Candidate(5, "voices", 0)]
    assert pick(active) == 5  # voices appears first in the library (prompt 1), family only at prompt 3
    active = [Candidate(6, "family", 0), Candidate(4, "family", 0)]
    assert pick(active) == 4


def test_nothing_to_post():
    assert next_prompt([], ["family"]) is None
