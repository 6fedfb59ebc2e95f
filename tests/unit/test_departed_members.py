"""Member rows of people who left end with the retention period, like their events and rounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.db import events, open_database
from bot.db import guilds as guild_db
from bot.db import members as member_db
from bot.db import pairing as pairing_db
from bot.domain import schedule
from bot.services import membership, privacy

NOW = datetime(2027, 6, 2, 12, tzinfo=UTC)
LONG_AGO = NOW - timedelta(weeks=60)  # beyond the default 52 weeks
LATELY = NOW - timedelta(weeks=3)
A, B = 10, 20  # two servers that share members


async def join(db, guild, user, when):
    await membership.join(
        db, guild, user, timezone="Asia/Seoul", interests="family", frequency=None, now=when
    )


async def test_only_people_who_left_and_did_nothing_within_retention_are_removed(tmp_path):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        for guild in (A, B):
            await guild_db.ensure(db, guild, LONG_AGO)
        # 5 left long ago and did nothing since: removed. 3 left lately: kept.
        for user in (5, 3, 7, 9, 4):
            await join(db, A, user, LONG_AGO)
        await membership.leave(db, A, 5, now=LONG_AGO + timedelta(days=1))
        await membership.leave(db, A, 3, now=LATELY)
        # 7 left long ago, but was in a round within the retention period: kept.
        await membership.leave(db, A, 7, now=LONG_AGO + timedelta(days=1))
        recent_week = schedule.week_key(LATELY, schedule.zone("UTC"))
        async with db.transaction() as conn:
            await pairing_db.insert_round(conn, A, recent_week, 1, None, [[7, 4]], LATELY)
        # 9 left long ago but reported a problem lately: kept.
        await membership.leave(db, A, 9, now=LONG_AGO + timedelta(days=1))
        async with db.transaction() as conn:
            await events.record(conn, A, 9, "reported", recent_week, LATELY)
        # 4 never left, and did nothing for longer than the retention period: an active member stays.
        # In server B, 5 left lately: kept there, whatever happens in server A.
        await join(db, B, 5, LONG_AGO)
        await membership.leave(db, B, 5, now=LATELY)
        await pairing_db.add_block(db, A, 5, 4, LONG_AGO)

        assert await privacy.remove_departed_members(db, NOW) == 1
        assert await member_db.get(db, A, 5) is None
        for user in (3, 7, 9, 4):
            assert await member_db.get(db, A, user) is not None, user
        assert await member_db.get(db, B, 5) is not None
        assert await pairing_db.blocks(db, A) == [(5, 4)], "a block protects the other member if 5 returns"
        assert await privacy.remove_departed_members(db, NOW) == 0

        # A shorter retention in server B reaches its member sooner.
        await privacy.set_retention(db, B, 4, NOW)
        assert await privacy.remove_departed_members(db, NOW + timedelta(weeks=2)) == 1
        assert await member_db.get(db, B, 5) is None
    finally:
        await db.close()
