"""Who is paused for going quiet, read straight from a real SQLite file: a member whose last three groups
(in this server, since any earlier quiet pause) all went without a check-in answer or a leave."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.db import members as members_db
from bot.db import open_database
from bot.db import pairing as pairing_db
from bot.services import membership

GUILD, OTHER = 7, 3
START = datetime(2026, 9, 7, 12, tzinfo=UTC)  # a Monday


def week_of(n: int) -> str:
    return f"2026-W{37 + n:02d}"


async def round_with(db, guild_id: int, n: int, groups) -> dict[int, int]:
    """Save round `n` and return member -> group id."""
    async with db.transaction() as conn:
        round_id = await pairing_db.insert_round(
            conn, guild_id, week_of(n), 1, None, groups, START + timedelta(weeks=n)
        )
    rows = await db.fetchall(
        "SELECT gm.user_id, gm.group_id FROM group_members gm JOIN groups g ON g.id = gm.group_id "
        "WHERE g.round_id = ?",
        (round_id,),
    )
    return dict(rows)  # type: ignore[arg-type]


async def answer(db, group_id: int, user_id: int) -> None:
    async with db.transaction() as conn:
        await pairing_db.set_checkin(conn, group_id, user_id, "met")


async def test_three_silent_rounds_make_a_member_quiet_and_any_answer_or_leave_does_not(tmp_path):
    db = await open_database(tmp_path / "q.sqlite3")
    try:
        rng = random.Random(5)
        ids = rng.sample(range(100, 999), 8)  # ids in random order: no bug may hide behind id order
        silent, answered_once, left_once, two_rounds, other_answer, paused = ids[:6]
        partners = ids[6:]
        for user_id in ids:
            await membership.join(db, GUILD, user_id, timezone=None, interests=None, frequency=None, now=START)
            # The same people in another server: what they do there never counts here, and the reverse.
            await membership.join(db, OTHER, user_id, timezone=None, interests=None, frequency=None, now=START)
        for n in range(3):
            everyone = [silent, answered_once, left_once, other_answer, paused, *partners]
            if n:
                everyone.append(two_rounds)
            rng.shuffle(everyone)
            groups = [tuple(everyone[i : i + 2]) for i in range(0, len(everyone) - 1, 2)]
            if len(everyone) % 2:
                groups[-1] = (*groups[-1], everyone[-1])
            here = await round_with(db, GUILD, n, groups)
            there = await round_with(db, OTHER, n, groups)
            await answer(db, there[other_answer], other_answer)  # answered only in the other server
            if n == 1:
                await answer(db, here[answered_once], answered_once)
            if n == 2:
                async with db.transaction() as conn:
                    await pairing_db.set_left(conn, here[left_once], left_once, START + timedelta(weeks=2))
            for partner in partners:
                await answer(db, here[partner], partner)
                await answer(db, there[partner], partner)
        async with db.transaction() as conn:
            await members_db.set_quiet_pause(conn, GUILD, paused, "2027-01-01", START + timedelta(weeks=3, hours=-1))
        quiet = await pairing_db.quiet_members(db, GUILD, 3, "2026-09-28")
        assert quiet == sorted([silent, other_answer])
        # The other server sees its own rounds: there, only other_answer answered (and the partners).
        assert await pairing_db.quiet_members(db, OTHER, 3, "2026-09-28") == sorted(
            [silent, answered_once, left_once, paused]
        )
        # After the pause ends, only rounds made after it count: three more silent rounds are needed.
        for n in (3, 4):
            await round_with(db, GUILD, n, [(paused, partners[0])])
        assert paused not in await pairing_db.quiet_members(db, GUILD, 3, "2027-01-02")
        await round_with(db, GUILD, 5, [(paused, partners[1])])
        assert paused in await pairing_db.quiet_members(db, GUILD, 3, "2027-01-02")
        # A later answer (in the newest round) clears it again: only the last three rounds are looked at.
        latest = await round_with(db, GUILD, 6, [(silent, partners[1])])
        assert silent in await pairing_db.quiet_members(db, GUILD, 3, "2027-01-02")
        await answer(db, latest[silent], silent)
        assert silent not in await pairing_db.quiet_members(db, GUILD, 3, "2027-01-02")
    finally:
        await db.close()
