"""The bot process is killed (SIGKILL) in the middle of a round's delivery and started again."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path

from bot.db import guilds as guild_db
from bot.db import open_database
from bot.services import membership
from tests.fakediscord.launch import spawn_bot

ROOT = Path(__file__).resolve().parents[2]
PRIVATE = 12


# The bot process's own clock: Monday 2026-11-23 00:05 UTC, just after the round became due.
CLOCK_START = datetime(2026, 11, 23, 0, 5, tzinfo=UTC)


async def start_process(fake, db_path: Path) -> asyncio.subprocess.Process:
    return await spawn_bot(
        fake,
        db_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        clock_start=CLOCK_START,
    )


async def test_sigkill_mid_delivery_then_restart_leaves_one_thread_per_group(fake, tmp_path):
    guild = fake.add_guild()
    channel = fake.add_text_channel(guild, "pairs")
    people = [fake.add_member(guild, f"member{i}") for i in range(12)]
    db_path = tmp_path / "b.sqlite3"
    db = await open_database(db_path)
    now = datetime(2026, 11, 22, 23, 59, tzinfo=UTC)  # a Sunday just before midnight: the data's own time
    await guild_db.ensure(db, guild["id"], now)
    for person in people:
        await membership.join(
            db, guild["id"], person.id, timezone=None, interests=None, frequency=None, now=now
        )
    # The process's clock starts five minutes after Monday 00:00 (UTC): the round is due as soon as it
    # starts, whatever today's date is.
    await guild_db.set_pairing_schedule(
        db, guild["id"], channel_id=channel.id, day=0, at="00:00", group_size=2, odd_policy="trio"
    )
    await db.close()
    fake.rate_limit = 1  # one thread a second: slow enough to be killed halfway
    fake.rate_window = 1.0

    proc = await start_process(fake, db_path)
    try:
        await fake.wait_for(
            lambda: len(fake.threads_in(channel, PRIVATE)) >= 2, timeout=60, what="two threads"
        )
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
    killed_at = len(fake.threads_in(channel, PRIVATE))
    assert killed_at < 6, "the kill came before the round was delivered"

    fake.rate_limit = 50
    proc = await start_process(fake, db_path)
    try:

        def delivered() -> bool:
            threads = fake.threads_in(channel, PRIVATE)
            return len(threads) == 6 and all(
                sum(1 for m in fake.channel_messages(t) if m.buttons()) == 1 for t in threads
            )

        await fake.wait_for(delivered, timeout=60, what="the round to finish after the restart")
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 20)
    threads = fake.threads_in(channel, PRIVATE)
    assert len({t.name for t in threads}) == 6
    placed = [m for t in threads for m in fake.thread_members[t.id] if m != fake.bot_user.id]
    assert sorted(placed) == sorted(p.id for p in people), "everyone is in exactly one thread"
    db = await open_database(db_path)
    try:
        weeks = [r[0] for r in await db.fetchall("SELECT iso_week FROM rounds")]
    finally:
        await db.close()
    assert weeks == ["2026-W48"], "the process made its round in the week of its injected clock"
