"""Week keys, weekly slots and their validation, in a server's IANA timezone (DST-safe via zoneinfo)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.domain.text import echo
from bot.errors import UserError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


MAX_TIMEZONE_INPUT = 64


@lru_cache(maxsize=1)
def _timezones_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in all_timezones()}


def canonical_timezone(name: str) -> str:
    """The IANA name as the database writes it, for input in any case (`asia/seoul` -> `Asia/Seoul`);
    spaces count as underscores. Anything else, however odd, is a UserError that names valid examples."""
    cleaned = (name or "").strip().replace(" ", "_")
    found = _timezones_by_lower().get(cleaned.lower()) if len(cleaned) <= MAX_TIMEZONE_INPUT else None
    if found is None:
        shown = cleaned[:40] + ("…" if len(cleaned) > 40 else "")
        raise UserError(
            f"`{shown}` is not a timezone I know. Use an IANA name such as `Asia/Seoul`, "
            "`America/New_York` or `UTC` (the list suggests names as you type a city or country)."
        )
    return found


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name in any case; a UserError naming valid examples otherwise."""
    try:
        return ZoneInfo(canonical_timezone(name))
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise UserError(f"`{name[:40]}` is not a timezone I know. Use an IANA name such as `Asia/Seoul`.") from exc


@lru_cache(maxsize=1)
def all_timezones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones() | {"UTC"}))


@lru_cache(maxsize=1)
def _zones_by_country() -> tuple[tuple[str, str], ...]:
    """(country name, IANA zone) pairs from the tz database's own tables, shipped by the tzdata package."""
    from importlib import resources

    folder = resources.files("tzdata") / "zoneinfo"
    countries = {}
    for line in (folder / "iso3166.tab").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, _, country = line.partition("\t")
            countries[code] = country.strip()
    pairs = []
    for line in (folder / "zone.tab").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            fields = line.split("\t")
            if len(fields) >= 3 and fields[0] in countries:
                pairs.append((countries[fields[0]], fields[2]))
    return tuple(pairs)


def search_timezones(query: str, limit: int = 25) -> list[tuple[str, str]]:
    """(label, IANA name) suggestions for what a person types: a zone or city (`seoul`), or a country
    (`korea` -> Asia/Seoul, labelled with the country). Exact prefixes first; never raises."""
    needle = query.strip().lower().replace(" ", "_")[:MAX_TIMEZONE_INPUT]
    names = all_timezones()
    starts = [n for n in names if n.lower().startswith(needle) or n.lower().split("/")[-1].startswith(needle)]
    contains = [n for n in names if needle in n.lower() and n not in starts]
    by_country: list[tuple[str, str]] = []
    if needle:
        words = needle.replace("_", " ")
        seen = set(starts)
        for country, zone_name in _zones_by_country():
            if words in country.lower() and zone_name not in seen:
                seen.add(zone_name)
                by_country.append((f"{zone_name} ({country})", zone_name))
    # A zone or city that starts with the text, then the country's zones, then names that merely contain it.
    found = [(n, n) for n in starts] + by_country
    chosen = {n for _, n in found}
    found += [(n, n) for n in contains if n not in chosen]
    return found[:limit]


def parse_day(value: str) -> int:
    day = value.strip().lower()
    if day not in WEEKDAYS:
        raise UserError(f"`{echo(value)}` is not a day: use one of {', '.join(WEEKDAYS)}.")
    return WEEKDAYS.index(day)


def parse_time(value: str) -> time:
    match = _TIME.match(value.strip())
    if not match:
        raise UserError(f"`{echo(value)}` is not a time: use 24-hour HH:MM, such as `18:30`.")
    return time(int(match.group(1)), int(match.group(2)))


def week_key(moment: datetime, tz: ZoneInfo) -> str:
    """The ISO week of `moment` as seen in `tz`, such as '2026-W48'."""
    local = moment.astimezone(tz)
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(key: str, tz: ZoneInfo) -> datetime:
    """Monday 00:00 local time of the ISO week `key`, as an aware datetime in `tz`."""
    year, week = key.split("-W")
    monday = date.fromisocalendar(int(year), int(week), 1)
    return datetime.combine(monday, time(0, 0), tzinfo=tz)


def local_slot(key: str, day: int, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of weekday `day` at local time `at` in ISO week `key`.

    A wall time skipped by a DST jump resolves forward (zoneinfo's fold=0 rule), so the slot always exists.
    """
    monday = week_start(key, tz).date()
    local = datetime.combine(monday + timedelta(days=day), at, tzinfo=tz)
    # Normalise through UTC so a non-existent wall time (spring forward) lands on a real instant.
    return local.astimezone(UTC)


def shift_week(key: str, weeks: int, tz: ZoneInfo) -> str:
    return week_key(week_start(key, tz) + timedelta(days=7 * weeks, hours=12), tz)


@dataclass(frozen=True)
class WeeklySlot:
    day: int
    at: time
    tz: ZoneInfo

    def in_week(self, key: str) -> datetime:
        return local_slot(key, self.day, self.at, self.tz)

    def next_after(self, moment: datetime) -> datetime:
        """The first slot strictly after `moment`."""
        key = week_key(moment, self.tz)
        slot = self.in_week(key)
        if slot > moment:
            return slot
        return self.in_week(shift_week(key, 1, self.tz))

    def due(self, moment: datetime) -> str | None:
        """The week whose slot has passed but whose week is not over at `moment`, or None.

        A bot that was offline at the slot still catches up later the same week.
        """
        key = week_key(moment, self.tz)
        return key if self.in_week(key) <= moment else None


def fmt_local(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{WEEKDAYS[local.weekday()].capitalize()} {local:%d %b %Y, %H:%M} ({tz.key})"
