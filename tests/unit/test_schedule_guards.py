"""Schedule maths a moderator would notice: the exact slot, the exact week, the words of each refusal."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.domain import schedule
from bot.errors import UserError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("18:30", time(18, 30)),
        (" 7:05 ", time(7, 5)),
        ("00:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("09:07", time(9, 7)),
        ("19:00", time(19, 0)),
    ],
)
def test_times_are_read_as_24_hour_clock(value, expected):
    assert schedule.parse_time(value) == expected


def test_a_bad_time_is_named_in_the_refusal():
    with pytest.raises(UserError) as error:
        schedule.parse_time("6pm")
    assert str(error.value) == "`6pm` is not a time: use 24-hour HH:MM, such as `18:30`."


@pytest.mark.parametrize(("value", "day"), [("Monday", 0), (" friday ", 4), ("SUNDAY", 6), ("wednesday", 2)])
def test_days_ignore_case_and_spaces(value, day):
    assert schedule.parse_day(value) == day


def test_a_bad_day_lists_every_day():
    with pytest.raises(UserError) as error:
        schedule.parse_day("Someday")
    assert str(error.value) == (
        "`Someday` is not a day: use one of monday, tuesday, wednesday, thursday, friday, saturday, sunday."
    )


def test_timezone_refusals_name_a_valid_example():
    with pytest.raises(UserError) as error:
        schedule.zone("Mars/Olympus")
    assert "`Mars/Olympus` is not a timezone I know" in str(error.value)
    assert "`Asia/Seoul`" in str(error.value)
    for unsafe in ("../etc/passwd", "/etc/localtime", "Europe/../UTC"):
        with pytest.raises(UserError) as error:
            schedule.zone(unsafe)
        assert f"`{unsafe}` is not a timezone I know" in str(error.value)
        assert "`Asia/Seoul`" in str(error.value)
    # Spaces around a name are forgiven, and the stored name is the canonical one.
    assert schedule.zone(" UTC").key == schedule.zone("UTC ").key == "UTC"
    assert schedule.zone("Asia/Seoul").key == "Asia/Seoul"


def test_the_timezone_list_is_sorted_and_has_utc():
    names = schedule.all_timezones()
    assert list(names) == sorted(names)
    assert "UTC" in names and "Asia/Seoul" in names and "America/New_York" in names
    assert len(names) > 300


def test_week_start_and_slots_are_exact():
    seoul = schedule.zone("Asia/Seoul")
    start = schedule.week_start("2026-W47", seoul)
    assert start == datetime(2026, 11, 16, 0, 0, tzinfo=seoul)
    assert start.astimezone(UTC) == datetime(2026, 11, 15, 15, 0, tzinfo=UTC)
    assert schedule.local_slot("2026-W47", 4, time(18, 30), seoul) == datetime(
        2026, 11, 20, 9, 30, tzinfo=UTC
    )
    assert schedule.local_slot("2026-W47", 4, time(18, 30), seoul).tzinfo == UTC
    assert schedule.shift_week("2026-W47", -47, seoul) == "2025-W52"
    assert schedule.shift_week("2026-W47", 0, seoul) == "2026-W47"
    assert schedule.shift_week("2026-W01", -1, schedule.zone("UTC")) == "2025-W52"


def test_next_after_is_strictly_after():
    slot = schedule.WeeklySlot(4, time(18, 0), schedule.zone("UTC"))  # Fridays 18:00
    at = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    assert slot.in_week("2026-W47") == at
    assert slot.next_after(at - timedelta(seconds=1)) == at
    assert slot.next_after(at) == at + timedelta(weeks=1)
    assert slot.next_after(datetime(2026, 11, 22, 23, 59, tzinfo=UTC)) == at + timedelta(weeks=1)
    assert slot.due(at) == "2026-W47" and slot.due(at - timedelta(seconds=1)) is None


def test_week_keys_pad_the_week_number():
    assert schedule.week_key(datetime(2026, 1, 5, tzinfo=UTC), schedule.zone("UTC")) == "2026-W02"


def test_local_times_are_shown_with_day_date_and_zone():
    seoul = schedule.zone("Asia/Seoul")
    moment = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert schedule.fmt_local(moment, seoul) == "Friday 20 Nov 2026, 18:30 (Asia/Seoul)"
    assert schedule.fmt_local(moment, schedule.zone("UTC")) == "Friday 20 Nov 2026, 09:30 (UTC)"


@pytest.fixture(params=["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def machine_timezone(request, monkeypatch):
    """The machine's own timezone is far from UTC: nothing may depend on it, only on the server's."""
    import time as time_module

    monkeypatch.setenv("TZ", request.param)
    time_module.tzset()
    yield request.param
    monkeypatch.undo()
    time_module.tzset()


@pytest.mark.parametrize("server", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
def test_nothing_depends_on_the_machines_timezone(machine_timezone, server):
    tz = schedule.zone(server)
    assert schedule.shift_week("2026-W47", 1, tz) == "2026-W48"
    assert schedule.shift_week("2026-W47", -1, tz) == "2026-W46"
    slot = schedule.WeeklySlot(0, time(9, 0), tz)  # Mondays 09:00 in the server's zone
    monday = datetime(2026, 11, 16, 9, 0, tzinfo=tz)
    assert slot.in_week("2026-W47") == monday
    assert slot.in_week("2026-W47").utcoffset() == timedelta(0)
    assert slot.next_after(monday - timedelta(minutes=1)) == monday
    assert slot.next_after(monday) == datetime(2026, 11, 23, 9, 0, tzinfo=tz)
    late_sunday = datetime(2026, 11, 22, 23, 0, tzinfo=tz)
    assert slot.due(late_sunday) == "2026-W47"
    assert slot.next_after(late_sunday) == datetime(2026, 11, 23, 9, 0, tzinfo=tz)
    assert slot.due(datetime(2026, 11, 16, 8, 0, tzinfo=tz)) is None
