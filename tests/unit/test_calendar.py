"""Calendar pack dates for 2026-2035, checked against published tables, and the week each one is posted in.

The movable dates come from the `holidays` library (bot/domain/calendar.py); the tables below were copied
by hand from the pages cited, so a library update that moves a festival fails here.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain import calendar
from bot.errors import UserError

YEARS = range(2026, 2036)

# Chinese (Lunar) New Year's day. Source: topmarks.co.uk, "When is Chinese New Year?" table
# (https://topmarks.co.uk/ChineseNewYear/WhenIsChineseNewYear.aspx), 2024-2035.
LUNAR_NEW_YEAR = {
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}

# Mid-Autumn Festival (15th day of the 8th lunar month). Source: days-to.com, "Mid Autumn Festival" table
# (https://days-to.com/mid-autumn-festival). That table lists 2032-09-20 and 2035-09-17: those are the
# astronomical full moons, not the 15th lunar day. The 8th month begins with the new moon of 2032-09-05
# 04:58 and 2035-09-02 10:00 Beijing time (checked below with Meeus' algorithm), so its 15th day is the
# 19th and the 16th; those two values are corrected here.
MID_AUTUMN = {
    2026: date(2026, 9, 25),
    2027: date(2027, 9, 15),
    2028: date(2028, 10, 3),
    2029: date(2029, 9, 22),
    2030: date(2030, 9, 12),
    2031: date(2031, 10, 1),
    2032: date(2032, 9, 19),
    2033: date(2033, 9, 8),
    2034: date(2034, 9, 27),
    2035: date(2035, 9, 16),
}

# Diwali (Lakshmi Puja day, as India observes it). Source: festivalforu.blogspot.com, "Diwali Festival Date
# calendar from year 2016 till year 2040"
# (https://festivalforu.blogspot.com/2016/03/diwali-festival-date-calendar-from-year.html).
DIWALI = {
    2026: date(2026, 11, 8),
    2027: date(2027, 10, 29),
    2028: date(2028, 10, 17),
    2029: date(2029, 11, 5),
    2030: date(2030, 10, 26),
    2031: date(2031, 11, 14),
    2032: date(2032, 11, 2),
    2033: date(2033, 10, 22),
    2034: date(2034, 11, 10),
    2035: date(2035, 10, 30),
}

# Holi 2026: 4 March (myflowertree.com "When is Holi?" table; some Indian states close on 3 March,
# the same ISO week). Published multi-year tables found for Holi end in 2026, so later years are checked
# against the Phalguna full moon instead (test_holi_is_the_day_of_or_after_a_full_moon).
HOLI_2026 = date(2026, 3, 4)


def _new_or_full_moon(k: float) -> datetime:
    """Meeus, Astronomical Algorithms (2nd ed.), ch. 49: a true new (k whole) or full (k + 0.5) moon, UTC.

    The main periodic terms only: good to a few minutes, enough to name the day."""
    t = k / 1236.85
    jde = 2451550.09766 + 29.530588861 * k + 0.00015437 * t * t - 0.000000150 * t**3
    e = 1 - 0.002516 * t - 0.0000074 * t * t
    m = math.radians((2.5534 + 29.10535670 * k - 0.0000014 * t * t) % 360)
    mp = math.radians((201.5643 + 385.81693528 * k + 0.0107582 * t * t) % 360)
    f = math.radians((160.7108 + 390.67050284 * k - 0.0016118 * t * t) % 360)
    full = k % 1 != 0
    terms = (
        (-0.40614 if full else -0.40720) * math.sin(mp)
        + (0.17302 if full else 0.17241) * e * math.sin(m)
        + (0.01614 if full else 0.01608) * math.sin(2 * mp)
        + (0.01043 if full else 0.01039) * math.sin(2 * f)
        + (0.00734 if full else 0.00739) * e * math.sin(mp - m)
        - (0.00515 if full else 0.00514) * e * math.sin(mp + m)
        + (0.00209 if full else 0.00208) * e * e * math.sin(2 * m)
    )
    return datetime(2000, 1, 1, 12, tzinfo=UTC) + timedelta(days=jde + terms - 2451545.0, seconds=-70)


def _moons_near(day: date, full: bool, hours: int) -> list[date]:
    """Local dates (UTC+hours) of the new or full moons within 40 days of `day`."""
    k0 = round((day.year + (day.timetuple().tm_yday - 1) / 365.25 - 2000) * 12.3685)
    found = []
    for k in range(k0 - 2, k0 + 3):
        moment = _new_or_full_moon(k + (0.5 if full else 0))
        local = (moment + timedelta(hours=hours)).date()
        if abs((local - day).days) <= 40:
            found.append(local)
    return found


@pytest.mark.parametrize("year", YEARS)
def test_lunar_new_year_matches_the_published_table(year):
    assert calendar.shipped_date("lunar-new-year", year) == LUNAR_NEW_YEAR[year]


@pytest.mark.parametrize("year", YEARS)
def test_mid_autumn_and_chuseok_match_the_published_table(year):
    assert calendar.shipped_date("mid-autumn", year) == MID_AUTUMN[year]
    # Korea's calendar is reckoned at UTC+9, China's at UTC+8; in these years the 8th month's new moon is
    # not in the hour between, so Chuseok is the same day.
    assert calendar.shipped_date("chuseok", year) == MID_AUTUMN[year]


@pytest.mark.parametrize("year", YEARS)
def test_diwali_matches_the_published_table(year):
    assert calendar.shipped_date("diwali", year) == DIWALI[year]


def test_holi_2026_matches_the_published_table():
    assert calendar.shipped_date("holi", 2026) == HOLI_2026


@pytest.mark.parametrize("year", YEARS)
def test_holi_is_the_day_of_or_after_a_full_moon(year):
    holi = calendar.shipped_date("holi", year)
    assert date(year, 2, 20) <= holi <= date(year, 3, 31)
    assert any(0 <= (holi - full).days <= 1 for full in _moons_near(holi, full=True, hours=5))  # IST is +5:30


@pytest.mark.parametrize(
    ("key", "lunar_day", "hours"),
    [("lunar-new-year", 1, 8), ("dragon-boat", 5, 8), ("mid-autumn", 15, 8), ("chuseok", 15, 9)],
)
@pytest.mark.parametrize("year", YEARS)
def test_lunar_dates_count_from_a_new_moon(year, key, lunar_day, hours):
    """An independent check of the tables: a lunar month's day n is n-1 days after its new moon."""
    day = calendar.shipped_date(key, year)
    first = day - timedelta(days=lunar_day - 1)
    assert first in _moons_near(day, full=False, hours=hours)


def test_meeus_helper_finds_a_known_new_moon():
    # The new moon of 2026-02-17 12:01 UTC began the Year of the Horse (published widely as an eclipse).
    assert date(2026, 2, 17) in _moons_near(date(2026, 2, 17), full=False, hours=8)


@pytest.mark.parametrize(
    ("key", "month_day"),
    [
        ("trans-visibility", (3, 31)),
        ("aapi-heritage-month", (5, 1)),
        ("idahobit", (5, 17)),
        ("pride-month", (6, 1)),
        ("bi-visibility", (9, 23)),
        ("coming-out-day", (10, 11)),
        ("trans-remembrance", (11, 20)),
    ],
)
def test_fixed_observances(key, month_day):
    assert [calendar.shipped_date(key, y) for y in YEARS] == [date(y, *month_day) for y in YEARS]


def test_a_pack_is_due_in_the_iso_week_of_its_date_only():
    # Lunar New Year 2026 is Tuesday 17 February: ISO week 8.
    assert [o.pack for o in calendar.due_in_week("2026-W08", ["lunar-new-year", "holi"])] == [
        "lunar-new-year"
    ]
    assert calendar.due_in_week("2026-W07", ["lunar-new-year"]) == []
    assert calendar.due_in_week("2026-W09", ["lunar-new-year"]) == []


def test_packs_sharing_a_week_come_in_the_order_given():
    due = calendar.due_in_week("2026-W39", ["chuseok", "mid-autumn"])
    assert [(o.pack, o.day) for o in due] == [
        ("chuseok", date(2026, 9, 25)),
        ("mid-autumn", date(2026, 9, 25)),
    ]


def test_a_week_across_new_year_finds_dates_in_both_years():
    custom = {"hogmanay": ["12-31"], "new-start": ["01-01"]}
    due = calendar.due_in_week("2026-W53", ["hogmanay", "new-start"], custom)  # 2026-12-28 .. 2027-01-03
    assert [(o.pack, o.day) for o in due] == [
        ("hogmanay", date(2026, 12, 31)),
        ("new-start", date(2027, 1, 1)),
    ]


def test_a_servers_own_dates():
    assert calendar.custom_date("04-02", 2031) == date(2031, 4, 2)
    assert calendar.custom_date("2030-04-02", 2031) is None
    assert calendar.custom_date("2030-04-02", 2030) == date(2030, 4, 2)
    assert calendar.custom_date("02-29", 2027) == date(2027, 2, 28)
    for bad in ("4-2", "13-01", "2030-02-30", "tomorrow"):
        with pytest.raises(UserError):
            calendar.parse_custom_date(bad)


def test_pack_lists():
    known = [p.key for p in calendar.SHIPPED_PACKS] + ["our-day"]
    assert calendar.parse_pack_list("none", known) == ()
    assert calendar.parse_pack_list(" Diwali, holi,diwali ", known) == ("diwali", "holi")
    with pytest.raises(UserError, match="not a calendar pack"):
        calendar.parse_pack_list("diwali, christmas", known)
    assert calendar.order_packs(["our-day", "diwali", "holi"], ["our-day"]) == ("holi", "diwali", "our-day")
