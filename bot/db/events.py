"""The append-only participation log. Callers write events only for members who opted in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import aiosqlite


async def record(
    conn: aiosqlite.Connection,
    guild_id: int,
    user_id: int,
    kind: str,
    iso_week: str,
    now: datetime,
    *,
    round_id: int | None = None,
    group_size: int | None = None,
) -> None:
    """Append one event inside the caller's transaction."""
    await conn.execute(
        "INSERT INTO events (guild_id, user_id, kind, iso_week, round_id, group_size, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (guild_id, user_id, kind, iso_week, round_id, group_size, now.isoformat()),
    )


async def record_once_a_week(
    conn: aiosqlite.Connection, guild_id: int, user_id: int, kind: str, iso_week: str, now: datetime
) -> bool:
    """Append the event unless the member already has one of this kind that week (stores the least)."""
    cursor = await conn.execute(
        "INSERT INTO events (guild_id, user_id, kind, iso_week, created_at) SELECT ?, ?, ?, ?, ? "
        "WHERE NOT EXISTS (SELECT 1 FROM events WHERE guild_id = ? AND user_id = ? AND kind = ? AND iso_week = ?)",
        (guild_id, user_id, kind, iso_week, now.isoformat(), guild_id, user_id, kind, iso_week),
    )
    return cursor.rowcount > 0


async def record_many(
    conn: aiosqlite.Connection,
    guild_id: int,
    user_ids: Iterable[int],
    kind: str,
    iso_week: str,
    now: datetime,
    *,
    round_id: int | None = None,
    group_size: int | None = None,
) -> None:
    """Append one event per member inside the caller's transaction, as a single batched statement
    (in member order, the order of the index on members' events)."""
    stamp = now.isoformat()
    await conn.executemany(
        "INSERT INTO events (guild_id, user_id, kind, iso_week, round_id, group_size, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(guild_id, user_id, kind, iso_week, round_id, group_size, stamp) for user_id in sorted(user_ids)],
    )


async def record_rows(
    conn: aiosqlite.Connection, rows: Iterable[tuple[int, int, str, str, int | None, int | None, str]]
) -> None:
    """Append events given as (guild, member, kind, week, round, group size, time) rows, in one statement."""
    await conn.executemany(
        "INSERT INTO events (guild_id, user_id, kind, iso_week, round_id, group_size, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
