"""Participation per week, in aggregate only: numbers and a chart, small counts masked."""

from __future__ import annotations

import csv
import io
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import accumulate

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
    groups: int = 0
    cross_circle_groups: int | None = None  # None: the server had no circles that week

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.paired if self.paired else None


def _k_safe(*counts: int) -> bool:
    """Every count of members behind a figure is 0 or at least k (3)."""
    return all(c == 0 or abs(c) >= SMALL for c in counts)


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
        columns = COLUMNS if row.cross_circle_groups is None else (*COLUMNS, CIRCLE_COLUMN)
        return {key: (row.week if key == "week" else MASK) for key in columns}
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
    } | ({} if row.cross_circle_groups is None else {CIRCLE_COLUMN: cross_circle_share(row)})


def _running_totals(by_minute: dict[str, int]) -> Callable[[str], int]:
    """A function giving how many were counted before a minute, by binary search over running totals (a
    server may have a different minute for every member)."""
    minutes = sorted(by_minute)
    totals = list(accumulate((by_minute[m] for m in minutes), initial=0))
    return lambda limit: totals[bisect_left(minutes, limit)]


async def _live(db: Database, guild_id: int, keys: list[str], tz, now: datetime) -> list[WeekFigures]:
    prompt_people = await stats_db.event_counts(db, guild_id, keys, "prompt_reply")
    rounds = await stats_db.round_figures(db, guild_id, keys)
    mixing = await stats_db.circle_mixing(db, guild_id, keys)
    joined_by_minute, left_by_minute = await stats_db.joins_and_leaves_by_minute(db, guild_id)
    joined, left = _running_totals(joined_by_minute), _running_totals(left_by_minute)
    result = []
    for key in keys:
        week_end = schedule.week_start(key, tz) + timedelta(days=7)
        # Minutes before `limit` count: the whole week up to its last minute at the server's midnight, or
        # everything so far for the current week.
        limit = week_end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") if week_end <= now else "9999"
        # Members who had joined by the end of that week, less those who had left by then.
        opted = joined(limit) - left(limit)
        members_in_groups, answered, met = rounds.get(key, (0, 0, 0))
        groups, cross = mixing.get(key, (0, None))
        result.append(
            WeekFigures(
                key,
                opted,
                members_in_groups,
                met,
                answered,
                prompt_people.get(key, 0),
                week_end <= now,
                groups,
                cross,
            )
        )
    return result


async def weekly(db: Database, guild_id: int, weeks: int, now: datetime) -> list[WeekFigures]:
    """The last `weeks` weeks. A completed week is frozen the first time it is shown (or just before an
    erasure or a rejoin could change it), so a later `/exchange forget` never changes a past week's figure."""
    settings = await guild_db.get(db, guild_id)
    tz = schedule.zone(settings["timezone"] if settings else "UTC")
    current = schedule.week_key(now, tz)
    keys = [schedule.shift_week(current, -i, tz) for i in range(weeks - 1, -1, -1)]
    if settings is not None:
        # Weeks before Bridges came to this server are not zeros: they are simply not shown.
        first = schedule.week_key(datetime.fromisoformat(settings["created_at"]), tz)
        keys = [key for key in keys if key >= first] or [current]
    frozen = await stats_db.published(db, guild_id, keys)
    live = await _live(db, guild_id, keys, tz, now)
    new = [
        (r.week, r.opted_in, r.paired, r.groups_met, r.answered, r.prompt_participants)
        for r in live
        if r.complete and r.week not in frozen
    ]
    await stats_db.publish(db, guild_id, new, now.isoformat())
    # The mixing share is of groups, which an erasure never changes: it comes from the round itself.
    return [
        replace(WeekFigures(r.week, *frozen[r.week]), groups=r.groups, cross_circle_groups=r.cross_circle_groups)
        if r.week in frozen
        else r
        for r in live
    ]


async def freeze_past_weeks(db: Database, guild_id: int, now: datetime) -> None:
    """Freeze every completed week /stats can show, before a change that would alter them."""
    await weekly(db, guild_id, 52, now)


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
        writer.writerow({k: csv_cell(v) for k, v in shown(row).items()})
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


# Okabe-Ito colours (distinguishable with every common colour-vision deficiency), each series also with its
# own marker and line style, so the chart reads in greyscale and without colour at all.
SERIES_STYLE = {
    "opted_in": ("opted in", "#0072B2", "o", "-"),
    "paired": ("paired", "#E69F00", "s", "--"),
    "prompt_participants": ("wrote in the prompt thread", "#CC79A7", "^", ":"),
    "groups_met": ("groups that met", "#009E73", "D", "-."),
    "checkin_response_rate": ("check-in answers", "#D55E00", "v", "-"),
}
MASK_NOTE = "Gaps are weeks hidden for privacy: figures from fewer than 3 people are not shown."


def _value(text: str) -> float | None:
    """A shown figure as a number for the chart: None for a masked or empty one (drawn as a gap)."""
    try:
        return float(text.rstrip("%"))
    except ValueError:  # "<3", "-", or a figure not shown yet
        return None


def chart_alt_text(rows: list[WeekFigures]) -> str:
    """The chart's numbers in words, as the attachment's alt text (Discord allows up to 1,024 characters)."""
    figures = [shown(r) for r in rows]
    weeks = [f["week"] for f in figures]
    parts = [f"Line charts of participation per week, {weeks[0]} to {weeks[-1]}." if weeks else "No weeks yet."]
    for key, (label, *_rest) in SERIES_STYLE.items():
        parts.append(f"{label.capitalize()}: {', '.join(f[key] for f in figures)}.")
    parts.append("<3 means hidden for privacy.")
    text = " ".join(parts)
    return text if len(text) <= 1024 else text[:1023] + "…"


def render_chart(rows: list[WeekFigures]) -> bytes:
    """The chart as PNG bytes. CPU work: call it off the event loop."""
    buffer = io.BytesIO()
    build_chart(rows).savefig(buffer, format="png")
    return buffer.getvalue()


def build_chart(rows: list[WeekFigures]):
    """Three stacked panels sharing the weeks: members, groups that met, and the check-in rate (its own axis).
    Masked figures are gaps, with a note saying why."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figures = [shown(r) for r in rows]
    labels = [f["week"].split("-")[1] for f in figures]
    x = list(range(len(labels)))
    figure = Figure(figsize=(8, 7), dpi=100)
    members_ax, groups_ax, rate_ax = figure.subplots(3, 1, sharex=True, height_ratios=(2, 1, 1))
    panels = {
        "opted_in": members_ax,
        "paired": members_ax,
        "prompt_participants": members_ax,
        "groups_met": groups_ax,
        "checkin_response_rate": rate_ax,
    }
    masked_any = False
    for key, axes in panels.items():
        label, colour, marker, style = SERIES_STYLE[key]
        values = [_value(f[key]) for f in figures]
        masked_any = masked_any or any(v is None and f[key].startswith("<") for v, f in zip(values, figures, strict=True))
        axes.plot(
            x,
            [float("nan") if v is None else v for v in values],
            color=colour,
            marker=marker,
            linestyle=style,
            linewidth=2,
            markersize=6,
            label=label,
        )
    for axes, title, unit in (
        (members_ax, "Members", "members"),
        (groups_ax, "Groups that met", "groups"),
        (rate_ax, "Check-in answers (share of paired members)", "%"),
    ):
        axes.set_title(title, fontsize="medium", loc="left")
        axes.set_ylabel(unit)
        axes.grid(alpha=0.3)
        axes.set_ylim(bottom=0)
    rate_ax.set_ylim(0, 100)
    for axes in (members_ax, groups_ax):
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    members_ax.legend(loc="upper left", fontsize="small", frameon=False)
    rate_ax.set_xticks(x, labels)
    rate_ax.set_xlabel("ISO week")
    figure.suptitle("Bridges participation per week")
    if masked_any:
        figure.text(0.5, 0.005, MASK_NOTE, ha="center", fontsize="small", style="italic")
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    return figure
