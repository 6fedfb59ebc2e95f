"""A server's circles and members' own choice of them (private: read only for that member, or as counts)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.db.connection import Database


async def of_guild(db: Database, guild_id: int) -> list[sqlite3.Row]:
    """The server's circles in the order the moderators listed them."""
    return await db.fetchall(
        "SELECT id, name FROM circles WHERE guild_id = ? ORDER BY position, id", (guild_id,)
    )


async def replace(
    db: Database,
    guild_id: int,
    keep: Sequence[tuple[int, str]],
    new: Sequence[str],
    now: datetime,
) -> None:
    """Make the server's circles exactly `keep` (existing ids, perhaps renamed) followed by `new`.

    Circles not kept are deleted, and with them every member's choice of them."""
    kept_ids = [cid for cid, _ in keep]
    async with db.transaction() as conn:
        marks = ",".join("?" for _ in kept_ids)
        await conn.execute(
            f"DELETE FROM circles WHERE guild_id = ? AND id NOT IN ({marks})", (guild_id, *kept_ids)
        )
        # Two steps, so swapping two names never trips the unique name index half-way.
        for cid, _ in keep:
            await conn.execute("UPDATE circles SET name = ? WHERE id = ?", (f"\u2060{cid}", cid))
        for position, (cid, name) in enumerate(keep):
            await conn.execute(
                "UPDATE circles SET name = ?, position = ? WHERE id = ? AND guild_id = ?",
                (name, position, cid, guild_id),
            )
        for position, name in enumerate(new, start=len(keep)):
            await conn.execute(
                "INSERT INTO circles (guild_id, name, position, created_at) VALUES (?, ?, ?, ?)",
                (guild_id, name, position, now.isoformat()),
            )


async def of_member(db: Database, guild_id: int, user_id: int) -> list[sqlite3.Row]:
    """The member's own circles (for that member's eyes only)."""
    return await db.fetchall(
        "SELECT c.id, c.name FROM member_circles mc JOIN circles c ON c.id = mc.circle_id "
        "WHERE mc.guild_id = ? AND mc.user_id = ? ORDER BY c.position, c.id",
        (guild_id, user_id),
    )


async def set_for_member(
    conn: aiosqlite.Connection, guild_id: int, user_id: int, circle_ids: Sequence[int]
) -> None:
    """Replace the member's circles inside the caller's transaction."""
    await conn.execute("DELETE FROM member_circles WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    await conn.executemany(
        "INSERT INTO member_circles (guild_id, user_id, circle_id) VALUES (?, ?, ?)",
        [(guild_id, user_id, cid) for cid in circle_ids],
    )


async def by_member(db: Database, guild_id: int) -> dict[int, frozenset[int]]:
    """Every member's circle ids, for the pairing engine only."""
    rows = await db.fetchall("SELECT user_id, circle_id FROM member_circles WHERE guild_id = ?", (guild_id,))
    chosen: dict[int, set[int]] = {}
    for user_id, circle_id in rows:
        chosen.setdefault(user_id, set()).add(circle_id)
    return {user_id: frozenset(ids) for user_id, ids in chosen.items()}
