"""Schedule maths: ISO weeks in the server's timezone, DST changes, catch-up within the week."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.domain import schedule
from bot.errors import UserError


def test_week_key_follows_the_server_timezone():
    moment = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)  # Sunday night in UTC...
    assert schedule.week_key(moment, schedule.zone("UTC")) == "2026-W47"
    assert schedule.week_key(moment, schedule.zone("Asia/Seoul")) == "2026-W48"  # ...Monday morning in Seoul
    assert schedule.week_key(moment, schedule.zone("America/Los_Angeles")) == "2026-W47"


def test_iso_week_53_and_year_boundary():
    tz = schedule.zone("UTC")
    assert schedule.week_key(datetime(2026, 12, 31, tzinfo=UTC), tz) == "2026-W53"
    assert schedule.week_key(datetime(2027, 1, 3, tzinfo=UTC), tz) == "2026-W53"
    assert schedule.week_key(datetime(2027, 1, 4, tzinfo=UTC), tz) == "2027-W01"
    assert schedule.shift_week("2026-W53", 1, tz) == "2027-W01"


@pytest.mark.parametrize(
    ("zone_name", "before", "after"),
    [
        # Europe/Berlin leaves summer time on Sunday 25 October 2026: 18:00 local is 16:00 UTC before, 17:00 after.
        (
            "Europe/Berlin",
            datetime(2026, 10, 19, 16, 0, tzinfo=UTC),
            datetime(2026, 10, 26, 17, 0, tzinfo=UTC),
        ),
        # America/New_York leaves it on Sunday 1 November 2026: 18:00 local is 22:00 UTC before, 23:00 after.
        (
            "America/New_York",
            datetime(2026, 10, 26, 22, 0, tzinfo=UTC),
            datetime(2026, 11, 2, 23, 0, tzinfo=UTC),
        ),
    ],
)
def test_weekly_slot_keeps_local_time_across_dst(zone_name, before, after):
    slot = schedule.WeeklySlot(0, time(18, 0), schedule.zone(zone_name))  # Mondays 18:00 local
    assert slot.next_after(before.replace(hour=0)) == before
    assert slot.next_after(before) == after


def test_spring_forward_gap_still_has_a_slot():
    tz = schedule.zone("Europe/Berlin")  # 29 March 2026: 02:00 jumps to 03:00
    slot = schedule.WeeklySlot(6, time(2, 30), tz)  # Sundays 02:30, which does not exist that day
    moment = slot.next_after(datetime(2026, 3, 28, tzinfo=UTC))
    assert moment.astimezone(tz).date().isoformat() == "2026-03-29"


def test_due_only_after_the_slot_and_until_the_week_ends():
    tz = schedule.zone("UTC")
    slot = schedule.WeeklySlot(2, time(9, 0), tz)  # Wednesdays 09:00
    assert slot.due(datetime(2026, 11, 18, 8, 59, tzinfo=UTC)) is None
    assert slot.due(datetime(2026, 11, 18, 9, 0, tzinfo=UTC)) == "2026-W47"
    assert slot.due(datetime(2026, 11, 22, 23, 59, tzinfo=UTC)) == "2026-W47"  # Sunday: still that week
    assert slot.due(datetime(2026, 11, 23, 0, 1, tzinfo=UTC)) is None  # next week, before its slot


@pytest.mark.parametrize("value", ["25:00", "9am", "12:60", "", "7"])
def test_bad_times_are_refused_with_an_example(value):
    with pytest.raises(UserError, match="18:30"):
        schedule.parse_time(value)


@pytest.mark.parametrize("value", ["Mars/Olympus", "../etc/passwd", "", "Asia", "x" * 300, "Asia/Seoul/x", "\x00"])
def test_bad_timezones_are_refused_with_an_example(value):
    with pytest.raises(UserError, match="UTC"):
        schedule.zone(value)


def test_days_are_lower_case_names():
    assert schedule.parse_day("monday") == 0 and schedule.parse_day("sunday") == 6
    with pytest.raises(UserError):
        schedule.parse_day("funday")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("asia/seoul", "Asia/Seoul"), (" UTC", "UTC"), ("america/new york", "America/New_York"), ("utc", "UTC")],
)
def test_timezones_are_accepted_in_any_case_and_stored_canonically(typed, stored):
    assert schedule.canonical_timezone(typed) == stored
    assert schedule.zone(typed).key == stored


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("korea", "Asia/Seoul"), ("Vietnam", "Asia/Ho_Chi_Minh"), ("seoul", "Asia/Seoul"), ("philippines", "Asia/Manila")],
)
def test_timezone_search_finds_cities_and_countries(typed, expected):
    assert expected in [name for _, name in schedule.search_timezones(typed)]


def test_timezone_search_never_raises_and_is_bounded():
    for odd in ["", "x" * 5000, "(((", "\x00", "/"]:
        assert len(schedule.search_timezones(odd)) <= 25
