"""Meeting times a group would notice: the exact hours offered, on the hour, inside everyone's day, and how
offsets and Discord timestamps read. Every instant is fixed: nothing here depends on today's date."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import meeting


def suggest(zones, after, fallback="UTC"):
    times, fits = meeting.suggest_times(
        [ZoneInfo(z) if z else None for z in zones], after, ZoneInfo(fallback)
    )
    return [t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") for t in times], fits


def test_of_two_equally_good_hours_the_earlier_is_offered():
    # Kolkata (UTC+5:30) and Adelaide (UTC+10:30 in its summer): 06:00 UTC is 11:30 and 16:30, 07:00 UTC is
    # 12:30 and 17:30; both keep everyone 2.5 hours inside their day, and the earlier one is offered.
    times, fits = suggest(["Australia/Adelaide", "Asia/Kolkata"], datetime(2026, 11, 20, 18, 0, tzinfo=UTC))
    assert fits
    assert times == [
        "2026-11-21 06:00:00.000000",
        "2026-11-23 06:00:00.000000",
        "2026-11-25 06:00:00.000000",
    ]


def test_a_one_hour_overlap_is_offered_and_ends_at_nine_in_the_evening():
    # Los Angeles (UTC−8) and Moscow (UTC+3): 17:00 UTC is 09:00 in Los Angeles and 20:00 in Moscow, so a
    # one-hour talk ends at 21:00 there. It is the only hour that fits, and it does fit.
    times, fits = suggest(["Europe/Moscow", "America/Los_Angeles"], datetime(2026, 11, 20, 18, 0, tzinfo=UTC))
    assert fits
    assert times == [
        "2026-11-21 17:00:00.000000",
        "2026-11-23 17:00:00.000000",
        "2026-11-25 17:00:00.000000",
    ]


def test_only_the_days_that_fit_are_offered_when_a_clock_change_closes_the_overlap():
    # Los Angeles (UTC−7 until 1 November 2026, then UTC−8) and Dubai (UTC+4): before the change 16:00 UTC
    # is 09:00 and 20:00; after it no hour is inside both days. Only the one day before the change is offered.
    times, fits = suggest(["America/Los_Angeles", "Asia/Dubai"], datetime(2026, 10, 30, 5, 0, tzinfo=UTC))
    assert fits
    assert times == ["2026-10-31 16:00:00.000000"]


def test_a_clock_change_inside_a_day_does_not_offer_one_time_twice():
    # London leaves summer time on 25 October 2026 (UTC+1 -> UTC+0) and Auckland is in summer time (UTC+13):
    # the evening hour that suits both moves by an hour that night. Each day still gets its own time.
    times, fits = suggest(["Pacific/Auckland", "Europe/London"], datetime(2026, 10, 23, 8, 0, tzinfo=UTC))
    assert fits
    assert times == [
        "2026-10-25 20:00:00.000000",
        "2026-10-26 20:00:00.000000",
        "2026-10-27 20:00:00.000000",
    ]


def test_the_first_suggestion_is_twelve_hours_away_at_the_earliest():
    # After 02:00 UTC the first possible start is 14:00 UTC, which is also the best hour in UTC itself
    # (five hours inside the day at each end, and earlier than 15:00, which is as good).
    times, fits = suggest(["UTC", None], datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    assert fits
    assert times == [
        "2026-11-20 14:00:00.000000",
        "2026-11-22 14:00:00.000000",
        "2026-11-24 14:00:00.000000",
    ]
    # An hour later, 14:00 is less than 12 hours away: 15:00, as good, is offered that day.
    later, _ = suggest(["UTC"], datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    assert later[0] == "2026-11-20 15:00:00.000000"


@pytest.mark.parametrize("zones", [["Asia/Seoul", "America/New_York"], ["Asia/Kolkata", "Europe/London"]])
def test_times_are_on_the_hour_whatever_the_minute_of_the_request(zones):
    after = datetime(2026, 11, 20, 18, 7, 42, 123456, tzinfo=UTC)
    times, _ = meeting.suggest_times([ZoneInfo(z) for z in zones], after, ZoneInfo("UTC"))
    for moment in times:
        assert (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)
        assert moment - after >= timedelta(hours=11)


def test_times_are_on_the_utc_hour_on_a_machine_in_a_half_hour_timezone(monkeypatch):
    if not hasattr(time, "tzset"):
        pytest.skip("needs time.tzset")
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        times, fits = suggest(["UTC"], datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert fits and times[0] == "2026-11-20 14:00:00.000000"


def test_offsets_read_naturally_at_zero_and_either_side():
    assert meeting.fmt_offset(0) == "UTC+0"
    assert meeting.fmt_offset(1) == "UTC+0:01"
    assert meeting.fmt_offset(-1) == "UTC−0:01"
    assert meeting.fmt_offset(-570) == "UTC−9:30"
    assert meeting.fmt_offset(765) == "UTC+12:45"


def test_the_gap_of_nobody_or_one_timezone_is_zero():
    at = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    assert meeting.gap_hours([], at) == 0.0
    assert meeting.gap_hours([ZoneInfo("Asia/Kathmandu")], at) == 0.0
    assert meeting.gap_hours([ZoneInfo("Asia/Kathmandu"), ZoneInfo("America/St_Johns")], at) == 9.25


def test_offsets_follow_the_clock_change():
    zone = ZoneInfo("America/Los_Angeles")
    assert meeting.offset_minutes(zone, datetime(2026, 10, 31, 12, tzinfo=UTC)) == -420
    assert meeting.offset_minutes(zone, datetime(2026, 11, 2, 12, tzinfo=UTC)) == -480
    assert meeting.offset_minutes(ZoneInfo("Asia/Kathmandu"), datetime(2026, 11, 2, 12, tzinfo=UTC)) == 345


def test_a_discord_timestamp_shows_the_full_date_unless_asked_otherwise():
    moment = datetime(2026, 11, 21, 17, 0, 59, 999999, tzinfo=UTC)
    assert meeting.discord_time(moment) == "<t:1795280459:F>"
    assert meeting.discord_time(moment, "R") == "<t:1795280459:R>"
