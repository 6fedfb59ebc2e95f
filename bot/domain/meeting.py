"""Helping a group meet: local times, the gap between them, and meeting times inside everyone's day.

Pure: takes timezones and instants, returns instants. Members without a timezone do not constrain the
suggestions; when nobody in the group has one, the server's timezone stands in (a neutral daytime).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

DAY_STARTS = 9.0  # a one-hour talk may start at 09:00 local at the earliest...
DAY_ENDS = 21.0  # ...and should be over by 21:00 local
SPREAD_DAYS = (0, 2, 4, 1, 3, 5)  # which of the next six days to use first: spread over the week


def offset_minutes(tz: ZoneInfo, at: datetime) -> int:
    delta = at.astimezone(tz).utcoffset()
    return int(delta.total_seconds() // 60) if delta is not None else 0


def fmt_offset(minutes: int) -> str:
    """UTC+9, UTC−5, UTC+5:30."""
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def gap_hours(zones: Sequence[ZoneInfo], at: datetime) -> float:
    """The largest difference in local clock time between any two of `zones` at `at`, in hours."""
    offsets = [offset_minutes(z, at) for z in zones]
    return (max(offsets) - min(offsets)) / 60 if offsets else 0.0


def _comfort(start: datetime, zones: Sequence[ZoneInfo]) -> float:
    """How far inside everyone's day a one-hour talk starting at `start` is (negative: outside someone's)."""
    worst = float("inf")
    for tz in zones:
        local = start.astimezone(tz)
        hour = local.hour + local.minute / 60
        worst = min(worst, hour - DAY_STARTS, DAY_ENDS - (hour + 1))
    return worst


def suggest_times(
    zones: Sequence[ZoneInfo | None], after: datetime, fallback: ZoneInfo, count: int = 3
) -> tuple[list[datetime], bool]:
    """Up to `count` start times on different days of the week after `after`, on the hour.

    Returns the times (sorted) and whether each one is inside the day of every member with a timezone."""
    known = [z for z in zones if z is not None] or [fallback]
    first = (after + timedelta(hours=12)).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    best_per_day: list[tuple[float, datetime]] = []
    for day in range(6):
        window = [first + timedelta(days=day, hours=h) for h in range(24)]
        # Most comfortable for the least comfortable member; on a tie, the earlier hour.
        best_per_day.append(
            max(((_comfort(t, known), t) for t in window), key=lambda c: (c[0], -c[1].timestamp()))
        )
    picked: list[tuple[float, datetime]] = []
    for day in SPREAD_DAYS:
        if len(picked) == count:
            break
        if best_per_day[day][0] >= 0:
            picked.append(best_per_day[day])
    if not picked:  # nobody's days overlap: offer the closest times there are
        picked = [best_per_day[d] for d in SPREAD_DAYS[:count]]
    times = sorted(t for _, t in picked)
    return times, all(c >= 0 for c, _ in picked)


def discord_time(moment: datetime, style: str = "F") -> str:
    """A Discord timestamp: each reader sees it in their own timezone."""
    return f"<t:{int(moment.timestamp())}:{style}>"
