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


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; a UserError naming a valid example otherwise."""
    # Only names in the IANA list: a folder such as `Asia`, a path, or 300 characters never reach the
    # file system, where they would raise something other than "not found".
    if not isinstance(name, str) or name not in _known_zones():
        raise UserError(
            f"`{echo(name)}` is not a timezone I know. Use an IANA name such as `Asia/Seoul`, "
            "`America/New_York` or `UTC`."
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise UserError(f"`{echo(name)}` is not a timezone I know. Use an IANA name such as `UTC`.") from exc


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(all_timezones())


@lru_cache(maxsize=1)
def all_timezones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones() | {"UTC"}))


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
