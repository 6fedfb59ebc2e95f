"""What is stored about one member, its erasure, and the retention purge."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.db import pairing
from bot.db.connection import Database


async def member_blocks(db: Database, guild_id: int, user_id: int) -> list[sqlite3.Row]:
    return await db.fetchall(
        "SELECT blocked_id, created_at FROM blocks WHERE guild_id = ? AND blocker_id = ? ORDER BY created_at",
        (guild_id, user_id),
    )


async def member_events(db: Database, guild_id: int, user_id: int) -> list[sqlite3.Row]:
    return await db.fetchall(
        "SELECT kind, iso_week, round_id, group_size, created_at FROM events WHERE guild_id = ? AND user_id = ? "
        "ORDER BY id",
        (guild_id, user_id),
    )


async def member_suggestions(db: Database, guild_id: int, user_id: int) -> list[sqlite3.Row]:
    return await db.fetchall(
        "SELECT id, theme, text, status, created_at FROM prompts WHERE guild_id = ? AND suggested_by = ? ORDER BY id",
        (guild_id, user_id),
    )


async def forget(db: Database, guild_id: int, user_id: int) -> None:
    """Erase everything stored about the member in this server, in one transaction.

    Their past groups stay for the other members, with this member as an anonymous "former member".
    Blocks that others placed on them, and moderator exclusions, stay: they protect other people.
    """
    async with db.transaction() as conn:
        answered = await (
            await conn.execute(
                "SELECT group_id FROM group_members WHERE guild_id = ? AND user_id = ? AND checkin IS NOT NULL",
                (guild_id, user_id),
            )
        ).fetchall()
        for (group_id,) in answered:
            await pairing.set_checkin(conn, group_id, user_id, None)  # keeps the round's counters right
        await conn.execute("DELETE FROM members WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
        await conn.execute(
            "DELETE FROM member_circles WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        await conn.execute("DELETE FROM blocks WHERE guild_id = ? AND blocker_id = ?", (guild_id, user_id))
        await conn.execute("DELETE FROM events WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
        await conn.execute(
            "UPDATE group_members SET user_id = NULL, checkin = NULL, left_at = NULL WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        await conn.execute(
            "DELETE FROM prompts WHERE guild_id = ? AND suggested_by = ? AND status IN ('pending', 'rejected')",
            (guild_id, user_id),
        )
        await conn.execute(
            "UPDATE prompts SET suggested_by = NULL WHERE guild_id = ? AND suggested_by = ?",
            (guild_id, user_id),
        )


async def purge_before(db: Database, guild_id: int, cutoff: datetime, cutoff_week: str) -> tuple[int, int]:
    """Delete participation events and pairing rounds older than the cutoff; returns (events, rounds)."""
    async with db.transaction() as conn:
        events = await conn.execute(
            "DELETE FROM events WHERE guild_id = ? AND created_at < ?", (guild_id, cutoff.isoformat())
        )
        rounds = await conn.execute(
            "DELETE FROM rounds WHERE guild_id = ? AND iso_week < ?", (guild_id, cutoff_week)
        )
        await conn.execute(
            "DELETE FROM weekly_jobs WHERE guild_id = ? AND iso_week < ?", (guild_id, cutoff_week)
        )
        return events.rowcount, rounds.rowcount


async def all_guild_retention(db: Database) -> list[sqlite3.Row]:
    return await db.fetchall("SELECT guild_id, timezone, retention_weeks FROM guild_settings")
