"""Round delivery on a real SQLite file, with Discord replaced by the plain callables the service takes:
a bounded number of groups in flight, thread ids saved in batches, existing threads looked up once on resume."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.db import open_database
from bot.db import pairing as pairing_db
from bot.errors import DeliveryProblem
from bot.services import membership, pairing

GUILD = 7
NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)
CHANNEL = 555


@pytest.fixture
async def db(tmp_path):
    database = await open_database(tmp_path / "b.sqlite3")
    await membership.join(database, GUILD, 1, timezone=None, interests=None, frequency=None, now=NOW)
    await database.execute(
        "UPDATE guild_settings SET pairing_channel_id = ?, pairing_day = 0, pairing_time = '09:00' "
        "WHERE guild_id = ?",
        (CHANNEL, GUILD),
    )
    yield database
    await database.close()


async def saved_round(db, groups) -> int:
    for user_id in sorted({u for group in groups for u in group}):  # members who may be paired now
        await membership.join(db, GUILD, user_id, timezone=None, interests=None, frequency=None, now=NOW)
    async with db.transaction() as conn:
        round_id = await pairing_db.insert_round(conn, GUILD, "2026-W47", 1, None, groups, NOW)
    assert round_id is not None
    return round_id


class Discord:
    """Opens threads when told to, and remembers what it was asked."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most_in_flight = 0
        self.opened: list[pairing.GroupToOpen] = []
        self.lookups = 0
        self.existing: dict[str, int] = {}
        self.fail_at: int | None = None

    async def open_group(self, item: pairing.GroupToOpen) -> pairing.Opened:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            for _ in range(3):  # a round trip or two: let the other workers run
                await asyncio.sleep(0)
            if self.fail_at is not None and len(self.opened) >= self.fail_at:
                raise DeliveryProblem("I lack permission to open private threads")
            self.opened.append(item)
            thread = item.existing_thread_id or 10_000 + item.position
            return pairing.Opened(thread)
        finally:
            self.in_flight -= 1

    async def find_threads(self, channel_id: int) -> dict[str, int]:
        assert channel_id == CHANNEL
        self.lookups += 1
        return dict(self.existing)


async def test_many_groups_go_a_bounded_number_at_a_time_and_each_once(db):
    # Members in descending id order inside groups, trios among pairs: what is opened is what was saved.
    groups = [(2000 - 2 * i, 1000 + i) if i % 7 else (3000 + i, 2999 - i, 4000 + i) for i in range(200)]
    round_id = await saved_round(db, groups)
    discord = Discord()
    transactions = 0
    original = db.transaction

    def counting():
        nonlocal transactions
        transactions += 1
        return original()

    db.transaction = counting
    status = await pairing.deliver_round(db, GUILD, round_id, discord.open_group, None, NOW, concurrency=6)
    db.transaction = original
    assert status == "delivered"
    assert 2 <= discord.most_in_flight <= 6  # groups go side by side, never more than asked
    assert sorted(item.position for item in discord.opened) == list(range(1, 201))
    assert {item.position: tuple(item.member_ids) for item in discord.opened} == {
        p: tuple(sorted(g)) for p, g in enumerate(groups, start=1)
    }
    assert discord.lookups == 0  # a fresh round has no threads to look for
    assert transactions < 200 / pairing.SAVE_EVERY + 5  # thread ids are saved in batches, not per group
    rows = await pairing_db.groups_of_round(db, round_id)
    assert {r["position"]: r["thread_id"] for r in rows} == {p: 10_000 + p for p in range(1, 201)}


async def test_a_refusal_stops_the_round_and_resuming_adopts_threads_found_in_one_lookup(db):
    round_id = await saved_round(db, [(10 + i, 500 - i) for i in range(120)])
    discord = Discord()
    discord.fail_at = 50
    status = await pairing.deliver_round(db, GUILD, round_id, discord.open_group, None, NOW, concurrency=4)
    assert status == "stopped"
    opened = {item.position for item in discord.opened}
    assert 50 <= len(opened) < 50 + 4  # the groups already in flight finish; nothing new starts
    rows = await pairing_db.groups_of_round(db, round_id)
    saved = {r["position"] for r in rows if r["thread_id"] is not None}
    assert saved == opened  # the last partial batch is saved too
    # As if the bot had crashed after opening two more threads but before saving their ids.
    await db.execute(
        "UPDATE groups SET thread_id = NULL WHERE round_id = ? AND position IN (1, 2)", (round_id,)
    )
    name = {r["position"]: f"Bridges · week 47 · group {r['position']}" for r in rows}
    discord.existing = {name[1]: 10_001, name[2]: 10_002, "another thread": 1}
    discord.fail_at = None
    discord.opened.clear()
    status = await pairing.deliver_round(db, GUILD, round_id, discord.open_group, discord.find_threads, NOW)
    assert status == "delivered"
    assert discord.lookups == 1
    adopted = {item.position: item.existing_thread_id for item in discord.opened if item.existing_thread_id}
    assert adopted == {1: 10_001, 2: 10_002}
    assert {item.position for item in discord.opened} == {1, 2} | (set(range(1, 121)) - saved)
    rows = await pairing_db.groups_of_round(db, round_id)
    assert all(r["thread_id"] == 10_000 + r["position"] for r in rows)
    assert (await pairing_db.round_for_week(db, GUILD, "2026-W47"))["status"] == "delivered"
