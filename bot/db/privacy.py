"""What is stored about one member, its erasure, and the retention purge."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.db import pairing
from bot.db.chunks import Chunks, delete_in_chunks
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
        await conn.execute(
            "DELETE FROM pair_history WHERE guild_id = ? AND (user_a = ? OR user_b = ?)",
            (guild_id, user_id, user_id),
        )
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


async def purge_before(
    db: Database, guild_id: int, cutoff: datetime, cutoff_week: str, chunks: Chunks | None = None
) -> tuple[int, int]:
    """Delete participation events, pairing rounds and pair history older than the cutoff, in short
    chunks found through indexes; returns (events, rounds).

    Events go by week (the index on guild, kind and week), and in the cutoff's own week by their time."""
    chunks = chunks or Chunks()
    removed_events = 0
    kind = ""
    while row := await db.fetchone(
        "SELECT kind FROM events WHERE guild_id = ? AND kind > ? ORDER BY kind LIMIT 1", (guild_id, kind)
    ):
        kind = row[0]
        removed_events += await delete_in_chunks(
            db,
            chunks,
            [
                (
                    "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE guild_id = ? AND kind = ? "
                    "AND iso_week < ? LIMIT ?)",
                    (guild_id, kind, cutoff_week),
                )
            ],
        )
        removed_events += await delete_in_chunks(
            db,
            chunks,
            [
                (
                    "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE guild_id = ? AND kind = ? "
                    "AND iso_week = ? AND created_at < ? LIMIT ?)",
                    (guild_id, kind, cutoff_week, cutoff.isoformat()),
                )
            ],
        )
    rounds = await db.fetchall(
        "SELECT id FROM rounds WHERE guild_id = ? AND iso_week < ? ORDER BY iso_week", (guild_id, cutoff_week)
    )
    for (round_id,) in rounds:
        # A round's members, then its groups, a slice of groups per transaction; the round row goes last.
        chosen = "SELECT id FROM groups WHERE round_id = ? ORDER BY position LIMIT ?"
        await delete_in_chunks(
            db,
            chunks,
            [
                (f"DELETE FROM group_members WHERE group_id IN ({chosen})", (round_id,)),
                (f"DELETE FROM groups WHERE id IN ({chosen})", (round_id,)),
            ],
        )
        await db.execute("DELETE FROM rounds WHERE id = ?", (round_id,))
    await delete_in_chunks(
        db,
        chunks,
        [
            (
                "DELETE FROM pair_history WHERE (guild_id, user_a, user_b) IN (SELECT guild_id, user_a, user_b "
                "FROM pair_history WHERE guild_id = ? AND last_week < ? LIMIT ?)",
                (guild_id, cutoff_week),
            )
        ],
    )
    await db.execute("DELETE FROM weekly_jobs WHERE guild_id = ? AND iso_week < ?", (guild_id, cutoff_week))
    return removed_events, len(rounds)


async def remove_departed_members(db: Database, guild_id: int, cutoff: datetime, cutoff_week: str) -> int:
    """Delete the member rows (preferences, time zone) of people who left pairing or the server and whose
    last activity (leaving, an event, a round they were in) is older than the cutoff; returns how many.

    Blocks they placed and moderator exclusions stay: they protect other people if the member returns."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "DELETE FROM members WHERE guild_id = ? "
            "AND ((status = 'left' AND updated_at < ?) OR (departed_at IS NOT NULL AND departed_at < ?)) "
            "AND NOT EXISTS (SELECT 1 FROM events e WHERE e.guild_id = members.guild_id "
            "  AND e.user_id = members.user_id AND e.created_at >= ?) "
            "AND NOT EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id "
            "  JOIN rounds r ON r.id = g.round_id WHERE gm.guild_id = members.guild_id "
            "  AND gm.user_id = members.user_id AND r.iso_week >= ?)",
            (guild_id, cutoff.isoformat(), cutoff.isoformat(), cutoff.isoformat(), cutoff_week),
        )
        return cursor.rowcount


async def all_guild_retention(db: Database) -> list[sqlite3.Row]:
    return await db.fetchall("SELECT guild_id, timezone, retention_weeks FROM guild_settings")
