"""Migration 0006 on a database made by schema version 1: prompts and settings keep working."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from bot.db import open_database
from bot.db import prompts as prompt_db
from bot.db.connection import APPLICATION_ID, latest_version, migration_scripts

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


async def test_a_version_1_database_gains_depth_pair_text_and_calendar_columns(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(dict(migration_scripts())[1])
    old.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    old.execute("PRAGMA user_version = 1")
    old.execute(
        "INSERT INTO guild_settings (guild_id, created_at, library_seeded) VALUES (5, ?, 1)",
        (NOW.isoformat(),),
    )
    old.execute(
        "INSERT INTO prompts (guild_id, theme, text, status, source, created_at, updated_at) "
        "VALUES (5, 'stories', 'An old prompt from the first library?', 'active', 'library', ?, ?)",
        (NOW.isoformat(), NOW.isoformat()),
    )
    old.commit()
    old.close()

    db = await open_database(path)
    try:
        assert await db.schema_version() == latest_version()
        row = await prompt_db.get(db, 5, 1)
        assert (row["depth"], row["pair_text"], row["pack"], row["pack_date"]) == ("medium", None, None, None)
        settings = await db.fetchone("SELECT calendar_packs FROM guild_settings WHERE guild_id = 5")
        assert settings["calendar_packs"] == ""
        assert [r["depth"] for r in await prompt_db.rotation_candidates(db, 5)] == ["medium"]
    finally:
        await db.close()
