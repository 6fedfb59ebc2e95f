"""Server settings."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.db.connection import Database


async def ensure(db: Database, guild_id: int, now: datetime) -> None:
    await db.execute(
        "INSERT INTO guild_settings (guild_id, created_at) VALUES (?, ?) ON CONFLICT (guild_id) DO NOTHING",
        (guild_id, now.isoformat()),
    )


async def get(db: Database, guild_id: int) -> sqlite3.Row | None:
    return await db.fetchone("SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,))


async def timezone_of(db: Database, guild_id: int) -> str:
    row = await db.fetchone("SELECT timezone FROM guild_settings WHERE guild_id = ?", (guild_id,))
    return row["timezone"] if row else "UTC"
