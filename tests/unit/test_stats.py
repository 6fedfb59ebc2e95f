"""Masking in /stats: no count small enough to single someone out."""

from __future__ import annotations

from bot.services.stats import WeekFigures, render_chart, shown, to_csv


def test_a_small_week_shows_only_under_three():
    figures = shown(
        WeekFigures("2026-W40", opted_in=2, paired=2, groups_met=1, answered=1, prompt_participants=0)
    )
    assert set(figures.values()) - {"2026-W40"} == {"<3"}


def test_small_counts_in_a_big_week_are_masked_but_zero_and_big_ones_shown():
    figures = shown(
        WeekFigures("2026-W41", opted_in=40, paired=30, groups_met=2, answered=15, prompt_participants=0)
    )
    assert figures == {
        "week": "2026-W41",
        "opted_in": "40",
        "paired": "30",
        "groups_met": "<3",
        "checkin_response_rate": "50%",
        "prompt_participants": "0",
    }


def test_empty_week_and_outputs():
    rows = [WeekFigures("2026-W42", 0, 0, 0, 0, 0), WeekFigures("2026-W43", 12, 9, 4, 6, 5)]
    assert shown(rows[0])["checkin_response_rate"] == "-"
    assert to_csv(rows).decode().splitlines()[2] == "2026-W43,12,9,4,67%,5"
    assert render_chart(rows).startswith(b"\x89PNG")
