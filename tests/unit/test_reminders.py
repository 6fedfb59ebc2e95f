"""The end-of-week reminder to groups that left the check-in unanswered, on a real SQLite file: marked per
group once Discord accepted it, so one that failed in an outage comes later that week (never twice, never
after the week), and never in the pass that sent a late check-in."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.db import guilds as guild_db
from bot.db import open_database
from bot.db import pairing as pairing_db
from bot.services import membership
from bot.services import pairing as pairing_service

GUILD = 41
MONDAY = datetime(2026, 11, 23, 9, tzinfo=UTC)  # the round is made then


@pytest.fixture
async def db(tmp_path):
    database = await open_database(tmp_path / "reminders.sqlite3")
    yield database
    await database.close()


class Discord:
    """Stands in for the bot's senders; `down` makes every send fail as an outage would."""

    def __init__(self) -> None:
        self.down = False
        self.checkins: list[int] = []
        self.reminders: list[int] = []

    async def checkin(self, thread_id: int, group_id: int) -> int:
        if self.down:
            raise ConnectionError("Discord is unreachable")
        self.checkins.append(group_id)
        return 70_000 + len(self.checkins)

    async def find(self, thread_id: int, group_id: int) -> int | None:
        return None

    async def reminder(self, thread_id: int, group_id: int) -> None:
        if self.down:
            raise ConnectionError("Discord is unreachable")
        self.reminders.append(group_id)


async def delivered_round(db, people: list[int]) -> list[int]:
    await guild_db.ensure(db, GUILD, MONDAY - timedelta(weeks=2))
    await guild_db.set_pairing_schedule(
        db, GUILD, channel_id=GUILD * 10, day=0, at="09:00", group_size=2, odd_policy="trio"
    )
    for person in people:
        await membership.join(db, GUILD, person, timezone=None, interests=None, frequency=None, now=MONDAY)
    outcome = await pairing_service.create_round(db, GUILD, MONDAY, seed=3)
    groups = [g["id"] for g in await pairing_db.groups_of_round(db, outcome.round_id)]
    for offset, group in enumerate(groups):
        await pairing_db.set_thread(db, group, 9_000 + offset)
    await pairing_db.set_round_status(db, outcome.round_id, "delivered")
    return groups


async def passes(db, discord: Discord, at: datetime) -> None:
    """One scheduler pass: the check-in, then the reminder, as the bot's loop runs them."""
    for job in (
        pairing_service.checkins_if_due(db, GUILD, at, discord.checkin, discord.find),
        pairing_service.reminders_if_due(db, GUILD, at, discord.reminder),
    ):
        try:
            await job
        except ConnectionError:
            pass


async def test_a_reminder_lost_in_an_outage_comes_later_that_week_once(db):
    people = random.Random(4).sample(range(1000, 9999), 6)
    groups = await delivered_round(db, people)
    discord = Discord()
    await passes(db, discord, MONDAY + timedelta(days=3, hours=1))
    assert sorted(discord.checkins) == sorted(groups)
    # Someone in the first group answers: that group gets no reminder.
    (someone, *_) = await pairing_db.group_member_ids(db, groups[0])
    await pairing_service.record_checkin(db, GUILD, groups[0], someone, "met", MONDAY + timedelta(days=4))
    discord.down = True
    await passes(db, discord, MONDAY + timedelta(days=5, hours=1))  # the outage: nothing reaches Discord
    assert discord.reminders == []
    discord.down = False
    for hours in (4, 5, 30):  # later passes that week: each silent group reminded exactly once
        await passes(db, discord, MONDAY + timedelta(days=5, hours=hours))
    assert sorted(discord.reminders) == sorted(groups[1:])


async def test_a_reminder_never_comes_after_the_week(db):
    groups = await delivered_round(db, random.Random(8).sample(range(1000, 9999), 4))
    discord = Discord()
    await passes(db, discord, MONDAY + timedelta(days=3, hours=1))
    assert sorted(discord.checkins) == sorted(groups)
    discord.down = True
    await passes(db, discord, MONDAY + timedelta(days=5, hours=1))
    discord.down = False
    await passes(db, discord, MONDAY + timedelta(days=7, hours=1))  # back after the round's week
    assert discord.reminders == []


async def test_a_late_checkin_gets_a_day_before_its_reminder(db):
    groups = await delivered_round(db, random.Random(9).sample(range(1000, 9999), 4))
    discord = Discord()
    # The bot was down from the round until Saturday: the check-in goes out, the reminder does not.
    await passes(db, discord, MONDAY + timedelta(days=5, hours=1))
    assert sorted(discord.checkins) == sorted(groups) and discord.reminders == []
    await passes(db, discord, MONDAY + timedelta(days=5, hours=20))
    assert discord.reminders == []
    await passes(db, discord, MONDAY + timedelta(days=6, hours=2))  # a day after the check-in
    assert sorted(discord.reminders) == sorted(groups)
