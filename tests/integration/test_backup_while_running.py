"""Backups taken while the real bot runs and holds a write transaction: both finish, the bot keeps answering."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from bot.services.operations import rotate_backup

ROOT = Path(__file__).resolve().parents[2]


async def ask(fake, guild, who, command, options=None):
    return await (await fake.slash(guild, who, command, options)).reply()


def opted_in(path: Path) -> int:
    copy = sqlite3.connect(path)
    try:
        return copy.execute("SELECT count(*) FROM members WHERE status = 'active'").fetchone()[0]
    finally:
        copy.close()


async def test_daily_and_cli_backups_during_an_open_write_transaction(fake, runner, world, clock, tmp_path):
    w = world(members=3)
    g, people = w["guild"], w["members"]
    bot = await runner.start()
    for member in people:
        await ask(fake, g, member, "exchange join")
    env = {
        **os.environ,
        "DISCORD_TOKEN": fake.token,
        "DATABASE_PATH": str(runner.database_path),
        "PYTHONPATH": str(ROOT),
    }
    async with bot.db.transaction() as conn:
        # A write in progress (a round being saved, say) when both backups start.
        await conn.execute("UPDATE members SET status = 'left' WHERE user_id = ?", (people[0].id,))
        daily, written = await asyncio.wait_for(rotate_backup(bot.db, tmp_path / "daily", clock()), 20)
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
        assert b"backup written" in out
        assert proc.returncode == 0, err.decode()
    assert written
    # Both copies hold the state before the open transaction; the bot still answers and writes.
    assert opted_in(daily) == 3 and opted_in(tmp_path / "cli.sqlite3") == 3
    assert "You left pairing" in (await ask(fake, g, people[0], "exchange status")).text
    assert "You're in" in (await ask(fake, g, people[0], "exchange join")).text


async def test_the_daily_backup_waits_an_interval_after_start_then_runs_by_itself(
    fake, runner, world, tmp_path
):
    world(members=2)
    folder = tmp_path / "backups"
    bot = await runner.start(BACKUP_DIR=str(folder))
    loop = bot.get_cog("Operations").backup
    # The retention purge runs as the bot becomes ready; the backup's first pass only starts the interval.
    await fake.wait_for(loop.is_running, what="the backup loop")
    await bot.db.fetchone("SELECT 1")
    assert not folder.exists() or not list(folder.iterdir())
    loop.change_interval(seconds=0.05)
    await fake.wait_for(lambda: folder.exists() and list(folder.glob("bridges-*.sqlite3")), what="a backup")
    assert [p.name for p in folder.iterdir()] == ["bridges-2026-11-18.sqlite3"]
