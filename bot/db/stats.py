"""Aggregate queries for /stats: counts per week, never a member id in the result."""

from __future__ import annotations

from bot.db.connection import Database


async def joins_and_leaves_by_minute(db: Database, guild_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """Members who joined, and members who have left, counted per UTC minute ('YYYY-MM-DDTHH:MM'; times are
    stored in UTC): every timezone's midnight falls on a whole minute, so a server's weeks can be cut exactly
    from these. The prefix of the stored text, read from the (server, joined) index, costs what a day did."""
    joined = await db.fetchall(
        "SELECT substr(joined_at, 1, 16), count(*) FROM members WHERE guild_id = ? GROUP BY 1",
        (guild_id,),
    )
    left = await db.fetchall(
        "SELECT substr(updated_at, 1, 16), count(*) FROM members "
        "WHERE guild_id = ? AND status = 'left' GROUP BY 1",
        (guild_id,),
    )
    return {r[0]: r[1] for r in joined}, {r[0]: r[1] for r in left}


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


async def published(
    db: Database, guild_id: int, weeks: list[str]
) -> dict[str, tuple[int, int, int, int, int]]:
    """{week: (opted in, paired, groups met, answered, prompt participants)} as frozen for completed weeks."""
    marks = ",".join("?" for _ in weeks)
    rows = await db.fetchall(
        f"SELECT iso_week, opted_in, paired, groups_met, answered, prompt_participants FROM published_figures "
        f"WHERE guild_id = ? AND iso_week IN ({marks})",
        [guild_id, *weeks],
    )
    return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}


async def publish(
    db: Database, guild_id: int, figures: list[tuple[str, int, int, int, int, int]], now: str
) -> None:
    """Freeze completed weeks' figures; a week frozen before keeps its first figures."""
    if not figures:
        return
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT OR IGNORE INTO published_figures (guild_id, iso_week, opted_in, paired, groups_met, answered, "
            "prompt_participants, frozen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(guild_id, *f, now) for f in figures],
        )


async def circle_mixing(db: Database, guild_id: int, weeks: list[str]) -> dict[str, tuple[int, int | None]]:
    """{week: (groups in the round, groups that mixed circles or None when circles were not in use)}."""
    marks = ",".join("?" for _ in weeks)
    rows = await db.fetchall(
        f"SELECT r.iso_week, (SELECT count(*) FROM groups g WHERE g.round_id = r.id), r.cross_circle_groups "
        f"FROM rounds r WHERE r.guild_id = ? AND r.iso_week IN ({marks})",
        [guild_id, *weeks],
    )
    return {r[0]: (r[1], r[2]) for r in rows}
