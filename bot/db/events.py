"""The append-only participation log. Callers write events only for members who opted in."""

from __future__ import annotations

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
