"""Aggregate queries for /stats: counts per week, never a member id in the result."""

from __future__ import annotations

from bot.db.connection import Database


async def opted_in_by(db: Database, guild_id: int, week_end_iso: str) -> int:
    """Members who had joined by the end of that week and had not left by then."""
    row = await db.fetchone(
        "SELECT count(*) FROM members WHERE guild_id = ? AND joined_at <= ? "
        "AND (status = 'active' OR updated_at >= ?)",
        (guild_id, week_end_iso, week_end_iso),
    )
    return int(row[0]) if row else 0


async def event_users(db: Database, guild_id: int, weeks: list[str], kind: str) -> dict[str, int]:
    marks = ",".join("?" for _ in weeks)
    rows = await db.fetchall(
        f"SELECT iso_week, count(DISTINCT user_id) FROM events WHERE guild_id = ? AND kind = ? "
        f"AND iso_week IN ({marks}) GROUP BY iso_week",
        [guild_id, kind, *weeks],
    )
    return {r[0]: r[1] for r in rows}


async def round_figures(db: Database, guild_id: int, weeks: list[str]) -> dict[str, tuple[int, int, int]]:
    """{week: (group members, members who answered the check-in, groups where someone pressed We met)}."""
    marks = ",".join("?" for _ in weeks)
    rows = await db.fetchall(
        f"SELECT r.iso_week, count(gm.id), count(gm.checkin), "
        f"count(DISTINCT CASE WHEN gm.checkin = 'met' THEN gm.group_id END) "
        f"FROM rounds r JOIN groups g ON g.round_id = r.id JOIN group_members gm ON gm.group_id = g.id "
        f"WHERE r.guild_id = ? AND r.iso_week IN ({marks}) GROUP BY r.iso_week",
        [guild_id, *weeks],
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}
