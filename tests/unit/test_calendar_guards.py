"""Calendar edges a moderator would notice: a pack dated on the Monday or the Sunday of a week, the exact week
of a key, a server's own pack with no dated prompt left, and the words of each refusal."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import calendar
from bot.errors import UserError

# The fixed days the observances' organisers name (the `when` column shown to moderators).
FIXED = {
    "trans-visibility": (3, 31),
    "aapi-heritage-month": (5, 1),
    "idahobit": (5, 17),
    "pride-month": (6, 1),
    "bi-visibility": (9, 23),
    "coming-out-day": (10, 11),
    "trans-remembrance": (11, 20),
}


@pytest.mark.parametrize(("key", "month_day"), sorted(FIXED.items()))
def test_a_fixed_day_rule_gives_that_day_in_every_year(key, month_day):
    # The shipped table is built once, at import, from these rules: each rule is checked as it runs.
    rule = calendar._fixed(*month_day)
    for year in (2026, 2027, 2028, 2100):
        assert rule(year) == date(year, *month_day) == calendar.shipped_date(key, year)


@pytest.mark.parametrize(
    ("country", "name", "year", "expected"),
    [
        ("CN", "Mid-Autumn Festival", 2025, date(2025, 10, 6)),
        ("CN", "Chinese New Year (Spring Festival)", 2027, date(2027, 2, 6)),
        ("IN", "Diwali", 2025, date(2025, 10, 20)),
    ],
)
def test_a_movable_rule_reads_that_countrys_table_for_that_year(country, name, year, expected):
    assert calendar._movable(country, name)(year) == expected


def test_a_week_key_names_its_monday_and_sunday():
    assert calendar.week_days("2026-W48") == (date(2026, 11, 23), date(2026, 11, 29))
    assert calendar.week_days("2026-W01") == (date(2025, 12, 29), date(2026, 1, 4))
    assert calendar.week_days("2033-W46") == (date(2033, 11, 14), date(2033, 11, 20))


def test_a_pack_dated_on_the_monday_or_the_sunday_is_posted_that_week():
    # Pride Month starts on Monday 1 June 2026; Transgender Day of Remembrance 2033 is Sunday 20 November.
    assert calendar.due_in_week("2026-W23", ["pride-month"]) == [
        calendar.DueOccasion("pride-month", date(2026, 6, 1))
    ]
    assert calendar.due_in_week("2026-W22", ["pride-month"]) == []
    assert calendar.due_in_week("2033-W46", ["trans-remembrance"]) == [
        calendar.DueOccasion("trans-remembrance", date(2033, 11, 20))
    ]
    assert calendar.due_in_week("2033-W47", ["trans-remembrance"]) == []
    # A server's own dates on either edge of 2026-W48 (Monday 23 to Sunday 29 November).
    custom = {
        "zeta-sunday": ["11-29"],
        "alpha-monday": ["2026-11-23"],
        "after": ["11-30"],
        "before": ["11-22"],
    }
    due = calendar.due_in_week("2026-W48", ["zeta-sunday", "before", "alpha-monday", "after"], custom)
    assert due == [
        calendar.DueOccasion("zeta-sunday", date(2026, 11, 29)),
        calendar.DueOccasion("alpha-monday", date(2026, 11, 23)),
    ]


def test_a_chosen_pack_with_no_dated_prompt_left_is_simply_not_due():
    # A server turned on its own pack, then removed the pack's prompts: the week goes on without it.
    assert calendar.due_in_week("2026-W23", ["our-day", "pride-month"], {}) == [
        calendar.DueOccasion("pride-month", date(2026, 6, 1))
    ]
    assert calendar.due_in_week("2026-W23", ["our-day"], {"other": ["06-02"]}) == []
    assert calendar.due_in_week("2026-W23", ["our-day"]) == []


def test_a_pack_the_server_no_longer_has_is_dropped_from_its_choice():
    assert calendar.order_packs(["gone", "pride-month", "mine"], ["mine", "pride-month"]) == (
        "pride-month",
        "mine",
    )
    assert calendar.order_packs(["gone"], []) == ()


def test_refusals_of_a_date_say_what_is_wrong():
    with pytest.raises(UserError) as error:
        calendar.parse_custom_date("31/12")
    assert (
        str(error.value) == "`31/12` is not a pack date: write `MM-DD` (every year) or `YYYY-MM-DD` (once)."
    )
    with pytest.raises(UserError) as error:
        calendar.parse_custom_date("2027-02-29")
    assert str(error.value) == "`2027-02-29` is not a day of the calendar."
    assert calendar.parse_custom_date(" 02-29 ") == (None, 2, 29)
    assert calendar.parse_custom_date("2028-02-29") == (2028, 2, 29)


def test_an_unknown_pack_is_refused_with_three_examples():
    known = ["holi", "diwali", "pride-month", "our-day"]
    with pytest.raises(UserError) as error:
        calendar.parse_pack_list("holi, christmas", known)
    assert str(error.value) == (
        "`christmas` is not a calendar pack here. Pick from the suggestions, for example "
        "`holi, diwali, pride-month`, or `none`."
    )
