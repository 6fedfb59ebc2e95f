"""The cultural and community calendar: which dated prompt packs fall in a given week.

Movable dates (lunisolar and Hindu calendars) come from the `holidays` library, which keeps published
tables for each country; they are never computed here. Fixed dates are the days the observances'
organisers name. A pack is posted in the ISO week that holds its date, in the server's timezone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from bot.errors import UserError

PACK_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
CUSTOM_DATE = re.compile(r"^(?:(\d{4})-)?(\d{2})-(\d{2})$")


@lru_cache(maxsize=64)
def _observed(country: str, name: str, year: int) -> date:
    """The first day `country`'s published holiday table names exactly `name` in `year`."""
    import holidays  # imported on first use: building the country tables takes a moment

    table = holidays.country_holidays(country, years=year)
    days = sorted(table.get_named(name, lookup="exact"))
    if not days:
        raise LookupError(f"the holidays library has no {name!r} for {country} in {year}")
    return days[0]


def _fixed(month: int, day: int) -> Callable[[int], date]:
    return lambda year: date(year, month, day)


def _movable(country: str, name: str) -> Callable[[int], date]:
    return lambda year: _observed(country, name, year)


@dataclass(frozen=True)
class Pack:
    key: str
    name: str
    when: str  # how the date is found, for people
    date_in: Callable[[int], date]


# Order matters only when two packs a server chose fall in the same week: the first one listed is posted.
SHIPPED_PACKS: tuple[Pack, ...] = (
    Pack(
        "lunar-new-year",
        "Lunar New Year",
        "first day of the first lunar month (China's published table)",
        _movable("CN", "Chinese New Year (Spring Festival)"),
    ),
    Pack("holi", "Holi", "Phalguna full moon, as India's holiday table gives it", _movable("IN", "Holi")),
    Pack("trans-visibility", "Trans Day of Visibility", "31 March", _fixed(3, 31)),
    Pack(
        "aapi-heritage-month",
        "Asian/Pacific American Heritage Month",
        "May (posted in the week of 1 May)",
        _fixed(5, 1),
    ),
    Pack(
        "idahobit", "International Day Against Homophobia, Biphobia and Transphobia", "17 May", _fixed(5, 17)
    ),
    Pack("pride-month", "Pride Month", "June (posted in the week of 1 June)", _fixed(6, 1)),
    Pack(
        "dragon-boat",
        "Dragon Boat Festival",
        "fifth day of the fifth lunar month (China's published table)",
        _movable("CN", "Dragon Boat Festival"),
    ),
    Pack("bi-visibility", "Bi Visibility Day", "23 September", _fixed(9, 23)),
    Pack(
        "mid-autumn",
        "Mid-Autumn Festival",
        "fifteenth day of the eighth lunar month (China's published table)",
        _movable("CN", "Mid-Autumn Festival"),
    ),
    Pack("chuseok", "Chuseok", "as South Korea's holiday table gives it", _movable("KR", "Chuseok")),
    Pack("coming-out-day", "National Coming Out Day", "11 October", _fixed(10, 11)),
    Pack("diwali", "Diwali", "as India's holiday table gives it", _movable("IN", "Diwali")),
    Pack("trans-remembrance", "Transgender Day of Remembrance", "20 November", _fixed(11, 20)),
)
SHIPPED_BY_KEY = {p.key: p for p in SHIPPED_PACKS}


def shipped_date(key: str, year: int) -> date:
    """The date of shipped pack `key` in `year`."""
    return SHIPPED_BY_KEY[key].date_in(year)


def parse_custom_date(raw: str) -> tuple[int | None, int, int]:
    """'MM-DD' (every year) or 'YYYY-MM-DD' (that year only), checked to be a real day."""
    found = CUSTOM_DATE.match(raw.strip())
    if found is None:
        raise UserError(f"`{raw}` is not a pack date: write `MM-DD` (every year) or `YYYY-MM-DD` (once).")
    year, month, day = (int(g) if g else None for g in found.groups())
    assert month is not None and day is not None
    try:
        date(year or 2024, month, day)  # 2024 is a leap year, so 02-29 is allowed for yearly dates
    except ValueError as exc:
        raise UserError(f"`{raw}` is not a day of the calendar.") from exc
    return year, month, day


def custom_date(raw: str, year: int) -> date | None:
    """The date a server's own pack falls on in `year` (None when it does not happen that year)."""
    fixed_year, month, day = parse_custom_date(raw)
    if fixed_year is not None and fixed_year != year:
        return None
    try:
        return date(year, month, day)
    except ValueError:  # 29 February outside a leap year: the 28th
        return date(year, month, day - 1)


def week_days(iso_week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week key such as '2026-W48'."""
    year, week = iso_week.split("-W")
    monday = date.fromisocalendar(int(year), int(week), 1)
    return monday, monday + timedelta(days=6)


@dataclass(frozen=True)
class DueOccasion:
    pack: str
    day: date


def due_in_week(
    iso_week: str, enabled: Sequence[str], custom_dates: dict[str, Iterable[str]] | None = None
) -> list[DueOccasion]:
    """The enabled packs whose date falls in `iso_week`, in the order of `enabled`.

    `custom_dates` maps a server's own pack keys to the dates its prompts carry.
    """
    monday, sunday = week_days(iso_week)
    years = sorted({monday.year, sunday.year})
    due: list[DueOccasion] = []
    for key in enabled:
        days: list[date] = []
        for year in years:
            if key in SHIPPED_BY_KEY:
                days.append(shipped_date(key, year))
            else:
                days.extend(d for raw in (custom_dates or {}).get(key, ()) if (d := custom_date(raw, year)))
        hits = sorted(d for d in days if monday <= d <= sunday)
        if hits:
            due.append(DueOccasion(key, hits[0]))
    return due


def parse_pack_list(raw: str, known: Sequence[str]) -> tuple[str, ...]:
    """Comma-separated pack keys, validated against `known`; `none` (or empty) turns them all off."""
    items = [part.strip().lower() for part in raw.split(",") if part.strip()]
    if not items or items == ["none"]:
        return ()
    chosen: list[str] = []
    for item in items:
        if item not in known:
            raise UserError(
                f"`{item}` is not a calendar pack here. Pick from the suggestions, for example "
                f"`{', '.join(known[:3])}`, or `none`."
            )
        if item not in chosen:
            chosen.append(item)
    return tuple(chosen)


def order_packs(chosen: Iterable[str], custom: Iterable[str]) -> tuple[str, ...]:
    """Shipped packs in calendar order, then the server's own, alphabetically."""
    wanted = set(chosen)
    shipped = [p.key for p in SHIPPED_PACKS if p.key in wanted]
    return (*shipped, *sorted(k for k in wanted if k not in SHIPPED_BY_KEY and k in set(custom)))
