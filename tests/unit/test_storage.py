"""Storage on a real SQLite file: migrations, pragmas, constraints, refusal of foreign files, backup."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from bot.db import DatabaseError, open_database
from bot.db.connection import APPLICATION_ID, latest_version
from bot.services import membership

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)


async def test_migrate_sets_version_pragmas_and_tables(tmp_path):
    db = await open_database(tmp_path / "nested" / "b.sqlite3")
    try:
        assert await db.schema_version() == latest_version() >= 4
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
        assert (await db.fetchone("PRAGMA busy_timeout"))[0] >= 5000
        assert (await db.fetchone("PRAGMA application_id"))[0] == APPLICATION_ID
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table in (
            "guild_settings",
            "members",
            "blocks",
            "prompts",
            "prompt_posts",
            "rounds",
            "groups",
            "group_members",
            "events",
        ):
            assert table in tables
    finally:
        await db.close()


async def test_reopen_does_not_migrate_again(tmp_path):
    path = tmp_path / "b.sqlite3"
    db = await open_database(path)
    await db.close()
    db = await open_database(path)
    assert await db.migrate() == latest_version()
    await db.close()


async def test_rounds_and_prompt_posts_are_unique_per_guild_week(tmp_path):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        await db.execute(
            "INSERT INTO rounds (guild_id, iso_week, seed, created_at) VALUES (1, '2026-W47', 7, ?)",
            (NOW.isoformat(),),
        )
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(
                "INSERT INTO rounds (guild_id, iso_week, seed, created_at) VALUES (1, '2026-W47', 8, ?)",
                (NOW.isoformat(),),
            )
        # Another server may have its own round that week.
        await db.execute(
            "INSERT INTO rounds (guild_id, iso_week, seed, created_at) VALUES (2, '2026-W47', 9, ?)",
            (NOW.isoformat(),),
        )
    finally:
        await db.close()


async def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "b.sqlite3"
    db = await open_database(path)
    await db.conn.execute("PRAGMA user_version = 99")
    await db.close()
    with pytest.raises(DatabaseError, match="newer than this Bridges"):
        await open_database(path)


async def test_not_a_database_is_refused(tmp_path):
    path = tmp_path / "b.sqlite3"
    path.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(DatabaseError, match="not a usable SQLite database"):
        await open_database(path)


async def test_failed_migration_rolls_back_whole(tmp_path, monkeypatch):
    from bot.db import connection

    real = connection.migration_scripts()
    monkeypatch.setattr(
        connection, "migration_scripts", lambda: [*real, (2, "CREATE TABLE x (a); BROKEN SQL;")]
    )
    with pytest.raises(DatabaseError, match="rolled back"):
        await open_database(tmp_path / "b.sqlite3")
    monkeypatch.setattr(connection, "migration_scripts", lambda: real)
    db = await open_database(tmp_path / "b.sqlite3", migrate=False)
    try:
        assert await db.schema_version() == 0
        assert await db.fetchone("SELECT name FROM sqlite_master WHERE name = 'members'") is None
    finally:
        await db.close()


async def test_backup_is_a_working_copy(tmp_path):
    db = await open_database(tmp_path / "b.sqlite3")
    await membership.join(db, 1, 10, timezone="UTC", interests="stories", frequency="weekly", now=NOW)
    await db.backup_to(tmp_path / "copy.sqlite3")
    await db.close()
    copy = await open_database(tmp_path / "copy.sqlite3")
    try:
        view = await membership.status(copy, 1, 10)
        assert view.active and view.interests == ("stories",)
    finally:
        await copy.close()


async def test_join_again_updates_and_keeps_unset_values(tmp_path):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        _, new = await membership.join(
            db, 1, 10, timezone="Asia/Tokyo", interests="family", frequency=None, now=NOW
        )
        assert new
        view, new = await membership.join(
            db, 1, 10, timezone=None, interests=None, frequency="monthly", now=NOW
        )
        assert not new
        assert view.timezone == "Asia/Tokyo" and view.interests == ("family",) and view.frequency == "monthly"
        other = await membership.status(db, 2, 10)
        assert not other.joined, "a membership in one server is invisible from another"
        kinds = [r["kind"] for r in await db.fetchall("SELECT kind FROM events WHERE guild_id = 1")]
        assert kinds == ["joined"]
    finally:
        await db.close()
