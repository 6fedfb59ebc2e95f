"""Storage faults while the bot runs: one clear log line, then a clear reply (read-only file, full disk) or a
clean stop (the data folder deleted), and never a write acknowledged and then lost."""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3

from tests.conftest import BotRunner


async def ask(fake, guild, who, command, options=None, **kwargs):
    return await (await fake.slash(guild, who, command, options, **kwargs)).reply()


def storage_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "storage failure" in r.getMessage()]


async def test_read_only_then_full_disk_get_a_clear_reply_and_one_log_line_each(fake, runner, world, caplog):
    w = world(members=3)
    g, (ana, ben, cai) = w["guild"], w["members"]
    bot = await runner.start()
    await ask(fake, g, ana, "exchange join")
    caplog.set_level(logging.INFO)

    await bot.db.conn.execute("PRAGMA query_only = ON")  # as when the file or its folder turns read-only
    for _ in range(2):
        reply = await ask(fake, g, ben, "exchange join")
        assert "could not save" in reply.text and "read-only" in reply.text and "You're in" not in reply.text
    assert "You have joined" not in reply.text and "went wrong" not in reply.text
    assert len(storage_lines(caplog)) == 1
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a storage fault"
    # Reading still works, and nothing of Ben's was stored.
    assert "not joined" in (await ask(fake, g, ben, "exchange status")).text
    await bot.db.conn.execute("PRAGMA query_only = OFF")
    assert "You're in" in (await ask(fake, g, ben, "exchange join")).text

    pages = (await bot.db.fetchone("PRAGMA page_count"))[0]
    await bot.db.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full
    # Fill the pages the join writes to (members, events and their indexes), down to the last bytes.
    fills = [
        "INSERT INTO members (guild_id, user_id, interests, joined_at, updated_at) VALUES (9, ?, ?, '', '')",
        "INSERT INTO events (guild_id, user_id, kind, iso_week, created_at) VALUES (9, ?, 'joined', ?, '')",
    ]
    filler = 0
    for size in (2000, 300, 40, 1):
        for sql in fills:
            try:
                for _ in range(400):
                    filler += 1
                    await bot.db.conn.execute(sql, (filler, "x" * size))
            except sqlite3.OperationalError:
                pass
    reply = await ask(fake, g, cai, "exchange join")
    assert "could not save" in reply.text and "disk is full" in reply.text
    assert len(storage_lines(caplog)) == 2
    assert (await bot.db.fetchone("SELECT count(*) FROM members WHERE user_id = ?", (cai.id,)))[0] == 0


async def test_data_folder_deleted_while_running_refuses_writes_and_stops_cleanly(
    fake, world, tmp_path, clock, caplog
):
    w = world(members=2)
    g, (ana, ben) = w["guild"], w["members"]
    folder = tmp_path / "data"
    runner = BotRunner(fake, folder / "bridges.sqlite3", clock)
    caplog.set_level(logging.INFO)
    await runner.start()
    try:
        assert "You're in" in (await ask(fake, g, ana, "exchange join")).text
        shutil.rmtree(folder)
        reply = await ask(fake, g, ben, "exchange join")
        assert "could not save" in reply.text and "deleted" in reply.text and "You're in" not in reply.text
        assert runner._task is not None
        await asyncio.wait_for(asyncio.shield(runner._task), 15)  # the bot stops by itself
        assert len(storage_lines(caplog)) == 1 and "stopping" in storage_lines(caplog)[0]
    finally:
        await runner.stop()


async def test_damaged_pages_get_a_clear_reply_one_log_line_and_a_clean_stop(fake, runner, world, caplog):
    w = world(members=2)
    g, (ana, ben) = w["guild"], w["members"]
    bot = await runner.start()
    for member in (ana, ben):
        await ask(fake, g, member, "exchange join")
    await bot.db.checkpoint()  # everything in the main file
    caplog.set_level(logging.INFO)
    path = runner.database_path
    data = bytearray(path.read_bytes())
    page = 4096
    data[page : len(data)] = b"\xfe" * (len(data) - page)  # every page after the first is garbage
    path.write_bytes(bytes(data))
    await bot.db.conn.execute("PRAGMA shrink_memory")  # drop the page cache, so pages are read again
    reply = await ask(fake, g, ana, "exchange status")
    assert "damaged" in reply.text and "went wrong" not in reply.text
    assert runner._task is not None
    await asyncio.wait_for(asyncio.shield(runner._task), 15)
    lines = storage_lines(caplog)
    assert len(lines) == 1 and "damaged" in lines[0] and "stopping" in lines[0]
