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
from bot.domain.text import csv_cell

SMALL = 3  # k: no figure shown may come from 1 or 2 members
MASK = f"<{SMALL}"
LATER = "after the week"  # the current week's prompt-thread count, which would step by one as people post


@dataclass(frozen=True)
class WeekFigures:
    week: str
    opted_in: int
    paired: int
    groups_met: int
    answered: int
    prompt_participants: int
    complete: bool = True  # the week is over; the current week is not

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.paired if self.paired else None


def _k_safe(*counts: int) -> bool:
    """Every count of members behind a figure is 0 or at least k (3)."""
    return all(c == 0 or abs(c) >= SMALL for c in counts)


def masked(value: int, week_small: bool) -> str:
    if value == 0 and not week_small:
        return "0"
    if week_small or value < SMALL:
        return MASK
    return str(value)


def shown(row: WeekFigures) -> dict[str, str]:
    """The figures as moderators see them, k-anonymous with k = 3.

    - A week with 1 or 2 members opted in shows only "<3".
    - A count of members is shown when it is 0 or at least 3, and so is its difference with the figure it is
      part of (paired and prompt participants are parts of opted in), so no subtraction singles anyone out.
    - The check-in rate is shown only when both those who answered and those who did not are 0 or 3+.
    - Groups that met are groups (two or more members each): fewer than 3 groups show "<3".
    - The current week's prompt-thread count is shown only after the week, as it would step by one as
      people post and so tie a post to an opt-in.
    """
    small = 0 < row.opted_in < SMALL
    if small:
        return {key: (row.week if key == "week" else MASK) for key in COLUMNS}
    paired = masked(row.paired, False) if _k_safe(row.opted_in - row.paired) else MASK
    prompt = (
        masked(row.prompt_participants, False) if _k_safe(row.opted_in - row.prompt_participants) else MASK
    )
    if not row.complete:
        prompt = LATER
    rate = row.response_rate
    return {
        "week": row.week,
        "opted_in": masked(row.opted_in, False),
        "paired": paired,
        "groups_met": masked(row.groups_met, False),
        "checkin_response_rate": "-"
        if rate is None
        else (f"{rate:.0%}" if _k_safe(row.paired, row.answered, row.paired - row.answered) else MASK),
        "prompt_participants": prompt,
    }


async def _live(db: Database, guild_id: int, keys: list[str], tz, now: datetime) -> list[WeekFigures]:
    prompt_people = await stats_db.event_counts(db, guild_id, keys, "prompt_reply")
    rounds = await stats_db.round_figures(db, guild_id, keys)
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
        result.append(
            WeekFigures(
                key, opted, members_in_groups, met, answered, prompt_people.get(key, 0), week_end <= now
            )
        )
    return result


async def weekly(db: Database, guild_id: int, weeks: int, now: datetime) -> list[WeekFigures]:
    """The last `weeks` weeks. A completed week is frozen the first time it is shown (or just before an
    erasure or a rejoin could change it), so a later `/exchange forget` never changes a past week's figure."""
    tz = schedule.zone(await guild_db.timezone_of(db, guild_id))
    current = schedule.week_key(now, tz)
    keys = [schedule.shift_week(current, -i, tz) for i in range(weeks - 1, -1, -1)]
    frozen = await stats_db.published(db, guild_id, keys)
    live = await _live(db, guild_id, keys, tz, now)
    new = [
        (r.week, r.opted_in, r.paired, r.groups_met, r.answered, r.prompt_participants)
        for r in live
        if r.complete and r.week not in frozen
    ]
    await stats_db.publish(db, guild_id, new, now.isoformat())
    return [WeekFigures(r.week, *frozen[r.week]) if r.week in frozen else r for r in live]


async def freeze_past_weeks(db: Database, guild_id: int, now: datetime) -> None:
    """Freeze every completed week /stats can show, before a change that would alter them."""
    await weekly(db, guild_id, 52, now)


COLUMNS = ("week", "opted_in", "paired", "groups_met", "checkin_response_rate", "prompt_participants")


def to_csv(rows: list[WeekFigures]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_cell(v) for k, v in shown(row).items()})
    return out.getvalue().encode("utf-8")


def summary(rows: list[WeekFigures]) -> str:
    lines = ["week | opted in | paired | groups met | check-in answers | prompt thread"]
    for row in rows:
        s = shown(row)
        lines.append(
            f"{s['week']} | {s['opted_in']} | {s['paired']} | {s['groups_met']} | {s['checkin_response_rate']} | "
            f"{s['prompt_participants']}"
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
        "opted in": "opted_in",
        "paired": "paired",
        "groups that met": "groups_met",
        "prompt thread": "prompt_participants",
    }
    figures = [shown(r) for r in rows]
    for name, key in series.items():
        # The chart shows exactly what the numbers show: a masked figure is a gap.
        plotted = [int(f[key]) if f[key].isdigit() else float("nan") for f in figures]
        axes.plot(labels, plotted, marker="o", label=name)
    axes.set_title("Participation per week (counts under 3 are hidden)")
    axes.set_xlabel("ISO week")
    axes.set_ylabel("members / groups")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=4, fontsize="small", frameon=False)
    axes.grid(alpha=0.3)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
