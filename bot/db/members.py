"""Opted-in members and their preferences."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

import aiosqlite

from bot.db.connection import Database


async def get(db: Database, guild_id: int, user_id: int) -> sqlite3.Row | None:
    return await db.fetchone("SELECT * FROM members WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))


async def upsert_active(
    conn: aiosqlite.Connection,
    guild_id: int,
    user_id: int,
    *,
    timezone: str | None,
    interests: str,
    frequency: str | None,
    now: datetime,
) -> None:
    """Opt the member in (again), keeping what they did not change: None means "leave as it was"."""
    await conn.execute(
        """
        INSERT INTO members (guild_id, user_id, status, timezone, interests, frequency, joined_at, updated_at)
        VALUES (?, ?, 'active', ?, ?, coalesce(?, 'weekly'), ?, ?)
        ON CONFLICT (guild_id, user_id) DO UPDATE SET
            status = 'active',
            timezone = coalesce(excluded.timezone, members.timezone),
            interests = CASE WHEN excluded.interests <> '' THEN excluded.interests ELSE members.interests END,
            frequency = coalesce(?, members.frequency),
            departed_at = NULL,
            updated_at = excluded.updated_at
        """,
        (guild_id, user_id, timezone, interests, frequency, now.isoformat(), now.isoformat(), frequency),
    )


async def set_left(conn: aiosqlite.Connection, guild_id: int, user_id: int, now: datetime) -> bool:
    cursor = await conn.execute(
        "UPDATE members SET status = 'left', paused_until = NULL, skip_week = NULL, updated_at = ? "
        "WHERE guild_id = ? AND user_id = ? AND status = 'active'",
        (now.isoformat(), guild_id, user_id),
    )
    return cursor.rowcount > 0


async def set_pause(db: Database, guild_id: int, user_id: int, until: str | None, now: datetime) -> bool:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE members SET paused_until = ?, updated_at = ? WHERE guild_id = ? AND user_id = ? "
            "AND status = 'active'",
            (until, now.isoformat(), guild_id, user_id),
        )
        return cursor.rowcount > 0


async def set_skip(db: Database, guild_id: int, user_id: int, week: str | None, now: datetime) -> bool:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE members SET skip_week = ?, updated_at = ? WHERE guild_id = ? AND user_id = ? AND status = 'active'",
            (week, now.isoformat(), guild_id, user_id),
        )
        return cursor.rowcount > 0


async def presence_to_check(db: Database, guild_id: int) -> list[int]:
    """Members who would be paired but for a departure: opted in and not excluded, departed or not."""
    rows = await db.fetchall(
        "SELECT m.user_id FROM members m WHERE m.guild_id = ? AND m.status = 'active' AND NOT EXISTS "
        "(SELECT 1 FROM pairing_exclusions x WHERE x.guild_id = m.guild_id AND x.user_id = m.user_id) "
        "ORDER BY m.user_id",
        (guild_id,),
    )
    return [r["user_id"] for r in rows]


async def departed_ids(db: Database, guild_id: int) -> set[int]:
    rows = await db.fetchall(
        "SELECT user_id FROM members WHERE guild_id = ? AND departed_at IS NOT NULL", (guild_id,)
    )
    return {r["user_id"] for r in rows}


async def set_departed(conn: aiosqlite.Connection, guild_id: int, user_ids: list[int], now: datetime) -> None:
    await conn.executemany(
        "UPDATE members SET departed_at = ? WHERE guild_id = ? AND user_id = ? AND departed_at IS NULL",
        [(now.isoformat(), guild_id, u) for u in user_ids],
    )


async def clear_departed(conn: aiosqlite.Connection, guild_id: int, user_ids: list[int]) -> None:
    await conn.executemany(
        "UPDATE members SET departed_at = NULL WHERE guild_id = ? AND user_id = ? AND departed_at IS NOT NULL",
        [(guild_id, u) for u in user_ids],
    )


async def set_quiet_pause(
    conn: aiosqlite.Connection, guild_id: int, user_id: int, until: str, now: datetime
) -> None:
    """Pause one member who stopped answering (see `set_quiet_pauses`)."""
    await set_quiet_pauses(conn, guild_id, [user_id], until, now)


async def set_quiet_pauses(
    conn: aiosqlite.Connection, guild_id: int, user_ids: Iterable[int], until: str, now: datetime
) -> None:
    """Pause members who stopped answering, in one batched statement; rounds before now no longer count
    toward another such pause."""
    stamp = now.isoformat()
    await conn.executemany(
        "UPDATE members SET paused_until = ?, quiet_paused_at = ?, updated_at = ? "
        "WHERE guild_id = ? AND user_id = ? AND status = 'active'",
        [(until, stamp, stamp, guild_id, user_id) for user_id in user_ids],
    )


async def profiles(db: Database, guild_id: int, user_ids: list[int]) -> list[tuple[int, str | None, str]]:
    """(user id, timezone, interests) of these members, read a few hundred at a time."""
    found = []
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        marks = ",".join("?" for _ in chunk)
        rows = await db.fetchall(
            f"SELECT user_id, timezone, interests FROM members WHERE guild_id = ? AND user_id IN ({marks})",
            (guild_id, *chunk),
        )
        found += [(r[0], r[1], r[2]) for r in rows]
    return found
