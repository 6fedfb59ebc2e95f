"""A large prompt import in chunks: staged a few hundred rows per transaction, then published at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.db.connection import Database


async def drop_stale(db: Database, now: datetime) -> None:
    """Staged rows of an import that never finished (the bot stopped mid-way) are dropped after an hour."""
    async with db.transaction() as conn:
        await conn.execute(
            "DELETE FROM prompt_import_staging WHERE created_at < ?",
            ((now - timedelta(hours=1)).isoformat(),),
        )


async def stage(db: Database, batch: str, guild_id: int, rows: Sequence[tuple], now: datetime) -> None:
    """Stage one chunk of (line, theme, text, content note, pair text, depth, pack, pack date) in its own
    short transaction."""
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO prompt_import_staging (batch, guild_id, line, theme, text, content_note, pair_text, "
            "depth, pack, pack_date, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(batch, guild_id, *row, now.isoformat()) for row in rows],
        )


async def publish(db: Database, batch: str, guild_id: int, now: datetime) -> int:
    """Move the whole staged import into the library in one statement; returns how many were added."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO prompts (guild_id, theme, text, content_note, pair_text, depth, pack, pack_date, status, "
            "source, created_at, updated_at) SELECT guild_id, theme, text, content_note, pair_text, depth, pack, "
            "pack_date, 'active', 'import', ?, ? FROM prompt_import_staging "
            "WHERE batch = ? AND guild_id = ? ORDER BY line",
            (now.isoformat(), now.isoformat(), batch, guild_id),
        )
        return cursor.rowcount


async def discard(db: Database, batch: str, chunk: int = 500) -> None:
    """Remove a batch's staged rows, a chunk per transaction (after publishing, or when an import fails)."""
    while True:
        async with db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM prompt_import_staging WHERE rowid IN "
                "(SELECT rowid FROM prompt_import_staging WHERE batch = ? LIMIT ?)",
                (batch, chunk),
            )
        if cursor.rowcount < chunk:
            return
