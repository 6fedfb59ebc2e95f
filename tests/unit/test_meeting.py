"""Meeting times inside everyone's day, the introduction's length, circle helpers, and the masked share."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain import meeting
from bot.errors import UserError
from bot.services.circles import Circle, effective_mix, mixes_circles, parse_member_choice
from bot.services.pairing import GroupToOpen, Person
from bot.services.stats import WeekFigures, cross_circle_share, shown
from cogs.pair_intro import LIMIT, another_starter_text, introduction

AFTER = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def local_hours(moment: datetime, zone: str) -> float:
    local = moment.astimezone(ZoneInfo(zone))
    return local.hour + local.minute / 60


@pytest.mark.parametrize(
    "zones",
    [
        ("Asia/Seoul", "America/New_York"),
        ("America/Los_Angeles", "Europe/London"),
        ("Asia/Kolkata", "Australia/Adelaide"),  # half-hour offsets
        ("Asia/Tokyo", "Europe/Berlin"),  # eight hours apart: the overlap is narrow
    ],
)
def test_suggested_times_fall_in_both_days_on_different_days(zones):
    times, fits = meeting.suggest_times([ZoneInfo(z) for z in zones], AFTER, ZoneInfo("UTC"))
    assert fits and len(times) == 3 and times == sorted(times)
    assert len({t.date() for t in times}) == 3
    for moment in times:
        assert moment > AFTER and moment.minute == 0
        for zone in zones:
            assert meeting.DAY_STARTS <= local_hours(moment, zone) <= meeting.DAY_ENDS - 1


def test_no_common_daytime_still_offers_the_closest_and_says_so():
    for names in (("America/New_York", "Europe/London", "Asia/Tokyo"), ("Pacific/Auckland", "Europe/Berlin")):
        zones = [ZoneInfo(z) for z in names]
        times, fits = meeting.suggest_times(zones, AFTER, ZoneInfo("UTC"))
        assert not fits and len(times) == 3


def test_nobody_with_a_timezone_gets_daytime_in_the_servers():
    times, fits = meeting.suggest_times([None, None], AFTER, ZoneInfo("Europe/Berlin"))
    assert fits and all(9 <= local_hours(t, "Europe/Berlin") <= 20 for t in times)
    times, _ = meeting.suggest_times([None, ZoneInfo("Asia/Seoul")], AFTER, ZoneInfo("Europe/Berlin"))
    assert all(9 <= local_hours(t, "Asia/Seoul") <= 20 for t in times)


def test_offsets_and_gaps_read_naturally():
    assert meeting.fmt_offset(540) == "UTC+9" and meeting.fmt_offset(-300) == "UTC−5"
    assert meeting.fmt_offset(330) == "UTC+5:30"
    zones = [ZoneInfo("Asia/Kolkata"), ZoneInfo("Europe/Berlin")]
    assert meeting.gap_hours(zones, AFTER) == 4.5
    assert meeting.discord_time(AFTER, "F") == f"<t:{int(AFTER.timestamp())}:F>"


def group(prompt: str, size: int = 4) -> GroupToOpen:
    people = tuple(
        Person(10**17 + i, "Asia/Seoul" if i % 2 else None, frozenset({"family", "heritage"}))
        for i in range(size)
    )
    return GroupToOpen(
        1,
        2,
        3,
        1,
        "2026-W47",
        [p.user_id for p in people],
        prompt,
        people=people,
        theme_name="Family",
        made_at=AFTER,
    )


def test_a_long_starter_is_shortened_so_the_introduction_fits():
    text = introduction(group("Tell a story about home.\n" * 90))
    assert len(text) <= LIMIT and text.rstrip().endswith("feels wrong.") and "…" in text
    assert "For the four of you" in text and "You all chose to talk about" in text
    short = introduction(group("What does home taste like?", size=2))
    assert "> What does home taste like?" in short and "…" not in short
    assert len(another_starter_text("x" * 3000, 3)) <= LIMIT


def test_member_circle_choice_is_by_name_any_case_and_none_is_normal():
    circles = [Circle(7, "Asian heritage"), Circle(3, "LGBTQ+")]
    assert parse_member_choice("lgbtq+, ASIAN   heritage, LGBTQ+", circles) == [3, 7]
    assert parse_member_choice("none", circles) == [] and parse_member_choice(" ", circles) == []
    with pytest.raises(UserError):
        parse_member_choice("Elders", circles)
    assert effective_mix(None, True) == "across" and effective_mix("any", True) == "any"
    assert effective_mix("across", False) == "any"


def test_a_group_mixes_circles_only_when_two_members_with_circles_share_none():
    chosen = {1: frozenset({1}), 2: frozenset({2}), 3: frozenset({1, 2}), 4: frozenset()}
    assert mixes_circles([(1, 2), (1, 3), (3, 4), (1, 4), (1, 3, 2)], chosen) == 2


@pytest.mark.parametrize(
    ("groups", "cross", "expected"),
    [
        (10, 5, "50%"),
        (10, 0, "0%"),
        (10, 10, "100%"),
        (10, 1, "<3"),
        (10, 9, "<3"),
        (2, 0, "<3"),
        (0, None, "-"),
    ],
)
def test_cross_circle_share_is_masked_when_either_side_is_small(groups, cross, expected):
    row = WeekFigures("2026-W47", 40, 2 * groups, 0, 0, 0, groups=groups, cross_circle_groups=cross)
    assert cross_circle_share(row) == expected
    assert ("cross_circle_share" in shown(row)) == (cross is not None)
