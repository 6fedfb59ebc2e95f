"""Participation per week, in aggregate only: numbers and a chart, small counts masked."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.db import Database
from bot.db import guilds as guild_db
from bot.db import stats as stats_db
from bot.domain import schedule

SMALL = 3  # counts below this (but above zero) are shown as "<3"


@dataclass(frozen=True)
class WeekFigures:
    week: str
    opted_in: int
    paired: int
    groups_met: int
    answered: int
    prompt_participants: int
    groups: int = 0
    cross_circle_groups: int | None = None  # None: the server had no circles that week

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.paired if self.paired else None


def cross_circle_share(row: WeekFigures) -> str:
    """The share of the week's groups that mixed circles, never by circle. Masked when it rests on fewer than
    3 groups, or when either side (groups that mixed, groups that did not) has 1 or 2 groups."""
    cross = row.cross_circle_groups
    if cross is None or row.groups == 0:
        return "-"
    same = row.groups - cross
    if 0 < row.opted_in < SMALL or row.groups < SMALL or 0 < cross < SMALL or 0 < same < SMALL:
        return f"<{SMALL}"
    return f"{cross / row.groups:.0%}"


def masked(value: int, week_small: bool) -> str:
    if value == 0 and not week_small:
        return "0"
    if week_small or value < SMALL:
        return f"<{SMALL}"
    return str(value)


def shown(row: WeekFigures) -> dict[str, str]:
    """The figures as shown to moderators: a week with fewer than 3 participants shows only "<3"."""
    small = 0 < row.opted_in < SMALL
    rate = row.response_rate
    return {
        "week": row.week,
        "opted_in": masked(row.opted_in, small),
        "paired": masked(row.paired, small),
        "groups_met": masked(row.groups_met, small),
        "checkin_response_rate": "-"
        if rate is None
        else (f"<{SMALL}" if small or row.paired < SMALL else f"{rate:.0%}"),
        "prompt_participants": masked(row.prompt_participants, small),
    } | ({} if row.cross_circle_groups is None else {"cross_circle_share": cross_circle_share(row)})


async def weekly(db: Database, guild_id: int, weeks: int, now: datetime) -> list[WeekFigures]:
    tz = schedule.zone(await guild_db.timezone_of(db, guild_id))
    current = schedule.week_key(now, tz)
    keys = [schedule.shift_week(current, -i, tz) for i in range(weeks - 1, -1, -1)]
    prompt_people = await stats_db.event_counts(db, guild_id, keys, "prompt_reply")
    rounds = await stats_db.round_figures(db, guild_id, keys)
    mixing = await stats_db.circle_mixing(db, guild_id, keys)
    joined, left = await stats_db.joins_and_leaves_by_day(db, guild_id)
    result = []
    for key in keys:
        week_end = schedule.week_start(key, tz) + timedelta(days=7)
        # Days before `limit` count: the whole week, or up to and including today for the current week.
        limit = (week_end if week_end <= now else now + timedelta(days=1)).astimezone(UTC).date().isoformat()
        # Members who had joined by the end of that week, less those who had left by then.
        opted = sum(n for day, n in joined.items() if day < limit) - sum(
            n for day, n in left.items() if day < limit
        )
        members_in_groups, answered, met = rounds.get(key, (0, 0, 0))
        groups, cross = mixing.get(key, (0, None))
        result.append(
            WeekFigures(
                key, opted, members_in_groups, met, answered, prompt_people.get(key, 0), groups, cross
            )
        )
    return result


COLUMNS = ("week", "opted_in", "paired", "groups_met", "checkin_response_rate", "prompt_participants")
CIRCLE_COLUMN = "cross_circle_share"


def uses_circles(rows: list[WeekFigures]) -> bool:
    return any(r.cross_circle_groups is not None for r in rows)


def to_csv(rows: list[WeekFigures]) -> bytes:
    out = io.StringIO(newline="")
    columns = (*COLUMNS, CIRCLE_COLUMN) if uses_circles(rows) else COLUMNS
    writer = csv.DictWriter(out, fieldnames=columns, restval="-")
    writer.writeheader()
    for row in rows:
        writer.writerow(shown(row))
    return out.getvalue().encode("utf-8")


def summary(rows: list[WeekFigures]) -> str:
    circles = uses_circles(rows)
    lines = [
        "week | opted in | paired | groups met | check-in answers | prompt thread"
        + (" | groups across circles" if circles else "")
    ]
    for row in rows:
        s = shown(row)
        lines.append(
            f"{s['week']} | {s['opted_in']} | {s['paired']} | {s['groups_met']} | {s['checkin_response_rate']} | "
            f"{s['prompt_participants']}" + (f" | {s.get(CIRCLE_COLUMN, '-')}" if circles else "")
        )
    return "\n".join(lines)


def render_chart(rows: list[WeekFigures]) -> bytes:
    """A PNG line chart of the weekly figures. CPU work: call it off the event loop."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4), dpi=100)
    axes = figure.add_subplot()
    labels = [r.week.split("-")[1] for r in rows]
    series = {
        "opted in": [r.opted_in for r in rows],
        "paired": [r.paired for r in rows],
        "groups that met": [r.groups_met for r in rows],
        "prompt thread": [r.prompt_participants for r in rows],
    }
    for name, values in series.items():
        # A week with fewer than 3 participants is left out of the chart, as it is masked in the numbers.
        plotted = [
            v if r.opted_in >= SMALL and (v == 0 or v >= SMALL) else float("nan")
            for v, r in zip(values, rows, strict=True)
        ]
        axes.plot(labels, plotted, marker="o", label=name)
    axes.set_title("Participation per week (counts under 3 are hidden)")
    axes.set_xlabel("ISO week")
    axes.set_ylabel("members / groups")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=4, fontsize="small", frameon=False)
    axes.grid(alpha=0.3)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
