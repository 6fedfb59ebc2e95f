"""Backups never block or wedge the database, even while a write transaction is open."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.db import guilds as guild_db
from bot.db import open_database
from bot.db.connection import latest_version
from bot.services import membership

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


def members_in(path: Path) -> list[int]:
    copy = sqlite3.connect(path)
    try:
        return [r[0] for r in copy.execute("SELECT user_id FROM members ORDER BY user_id")]
    finally:
        copy.close()


async def test_backup_while_a_write_transaction_is_open_finishes_and_the_database_stays_usable(tmp_path):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        await guild_db.ensure(db, 5, NOW)
        await membership.join(db, 5, 42, timezone=None, interests=None, frequency=None, now=NOW)
        writing = asyncio.Event()
        finish = asyncio.Event()

        async def long_write() -> None:
            async with db.transaction() as conn:
                await conn.execute("UPDATE members SET interests = 'food' WHERE user_id = 42")
                await membership_insert(conn)
                writing.set()
                await finish.wait()

        async def membership_insert(conn) -> None:
            await conn.execute(
                "INSERT INTO members (guild_id, user_id, joined_at, updated_at) VALUES (5, 7, ?, ?)",
                (NOW.isoformat(), NOW.isoformat()),
            )

        writer = asyncio.create_task(long_write())
        await asyncio.wait_for(writing.wait(), 5)
        # The backup runs while the transaction is open, and finishes without waiting for it.
        await asyncio.wait_for(db.backup_to(tmp_path / "copy.sqlite3"), 10)
        finish.set()
        await asyncio.wait_for(writer, 10)
        row = await asyncio.wait_for(db.fetchone("SELECT count(*) FROM members"), 5)
        assert row[0] == 2, "the write committed after the backup"
        await asyncio.wait_for(db.execute("UPDATE members SET frequency = 'monthly' WHERE user_id = 7"), 5)
    finally:
        await db.close()
    # The copy is the state before the open transaction: consistent, not half of it.
    assert members_in(tmp_path / "copy.sqlite3") == [42]
    assert not list(tmp_path.glob("*.partial"))
    copy = await open_database(tmp_path / "copy.sqlite3", migrate=False)
    try:
        assert await copy.schema_version() == latest_version()
        assert (await copy.fetchone("PRAGMA journal_mode"))[0] == "wal"  # reopened as Bridges does
    finally:
        await copy.close()


async def test_cli_backup_while_the_bot_holds_a_write_transaction(tmp_path):
    path = tmp_path / "b.sqlite3"
    db = await open_database(path)
    try:
        await guild_db.ensure(db, 5, NOW)
        for user in (3, 1, 2):
            await membership.join(db, 5, user, timezone=None, interests=None, frequency=None, now=NOW)
        env = {**os.environ, "DISCORD_TOKEN": TOKEN, "DATABASE_PATH": str(path), "PYTHONPATH": str(ROOT)}
        async with db.transaction() as conn:
            await conn.execute("DELETE FROM members WHERE user_id = 2")
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "backup",
                str(tmp_path / "cli.sqlite3"),
                cwd=tmp_path,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode == 0, err.decode()
            assert b"backup written" in out
        assert (await asyncio.wait_for(db.fetchone("SELECT count(*) FROM members"), 5))[0] == 2
    finally:
        await db.close()
    assert members_in(tmp_path / "cli.sqlite3") == [1, 2, 3]
