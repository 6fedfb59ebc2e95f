"""Aggregate queries for /stats: counts per week, never a member id in the result."""

from __future__ import annotations

from bot.db.connection import Database


async def opted_in_by(db: Database, guild_id: int, week_end_iso: str) -> int:
    """Members who had joined by the end of that week, less those who had left by then (two index counts)."""
    joined = await db.fetchone(
        "SELECT count(*) FROM members WHERE guild_id = ? AND joined_at <= ?", (guild_id, week_end_iso)
    )
    left = await db.fetchone(
        "SELECT count(*) FROM members WHERE guild_id = ? AND status = 'left' AND updated_at <= ?",
        (guild_id, week_end_iso),
    )
    return int(joined[0] if joined else 0) - int(left[0] if left else 0)


async def event_counts(db: Database, guild_id: int, weeks: list[str], kind: str) -> dict[str, int]:
    """Events of one kind per week (for kinds written at most once per member and week)."""
    marks = ",".join("?" for _ in weeks)
    rows = await db.fetchall(
        f"SELECT iso_week, count(*) FROM events WHERE guild_id = ? AND kind = ? AND iso_week IN ({marks}) "
        "GROUP BY iso_week",
        [guild_id, kind, *weeks],
    )
    return {r[0]: r[1] for r in rows}


async def round_figures(db: Database, guild_id: int, weeks: list[str]) -> dict[str, tuple[int, int, int]]:
    """{week: (group members, members who answered the check-in, groups where someone pressed We met)}."""
    marks = ",".join("?" for _ in weeks)
    rows = await db.fetchall(
        f"SELECT iso_week, member_count, answered_count, met_groups FROM rounds WHERE guild_id = ? "
        f"AND iso_week IN ({marks})",
        [guild_id, *weeks],
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}
