"""Key-value facts about this installation (such as the hash of the last synced command tree)."""

from __future__ import annotations

from bot.db.connection import Database


async def get(db: Database, key: str) -> str | None:
    row = await db.fetchone("SELECT value FROM bot_meta WHERE key = ?", (key,))
    return row["value"] if row else None


async def put(db: Database, key: str, value: str) -> None:
    await db.execute(
        "INSERT INTO bot_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
