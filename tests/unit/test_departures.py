"""Members no longer in the server: set aside before a round, never on a guess, back when they are found."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from bot.db import guilds as guild_db
from bot.db import open_database
from bot.db.connection import APPLICATION_ID, migration_scripts
from bot.services import membership, pairing

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)  # a Wednesday; the round is on Monday 00:00, already due
GUILD, OTHER_GUILD = 7, 8


async def server(tmp_path, members=(11, 12, 13, 14)):
    db = await open_database(tmp_path / "b.sqlite3")
    for guild in (GUILD, OTHER_GUILD):
        await guild_db.ensure(db, guild, NOW)
        await guild_db.set_pairing_schedule(
            db, guild, channel_id=99, day=0, at="00:00", group_size=2, odd_policy="trio"
        )
        for user in members:  # the same people in two servers
            await membership.join(db, guild, user, timezone=None, interests="family", frequency=None, now=NOW)
    return db


def present_except(*gone: int):
    asked: list[list[int]] = []

    async def check(user_ids: list[int]) -> set[int] | None:
        asked.append(list(user_ids))
        return {u for u in user_ids if u not in gone}

    check.asked = asked  # type: ignore[attr-defined]
    return check


async def paired(db, guild) -> set[int]:
    rows = await db.fetchall("SELECT user_id FROM group_members WHERE guild_id = ?", (guild,))
    return {r["user_id"] for r in rows}


async def test_departed_member_is_not_paired_and_is_set_aside_not_erased(tmp_path):
    db = await server(tmp_path)
    try:
        outcome = await pairing.create_round(db, GUILD, NOW, force=True, presence=present_except(12))
        assert outcome.status == "created"
        assert await paired(db, GUILD) == {11, 13, 14}
        view = await membership.status(db, GUILD, 12)
        assert view.active and view.interests == ("family",), "their settings stay"
        # The same person is still in the other server: nothing changes there.
        await pairing.create_round(db, OTHER_GUILD, NOW, force=True, presence=present_except())
        assert await paired(db, OTHER_GUILD) == {11, 12, 13, 14}
    finally:
        await db.close()


async def test_a_check_that_fails_records_nobody_as_gone(tmp_path):
    db = await server(tmp_path)
    try:

        async def unknown(_: list[int]) -> set[int] | None:
            return None

        await pairing.create_round(db, GUILD, NOW, force=True, presence=unknown)
        assert await paired(db, GUILD) == {11, 12, 13, 14}
        rows = await db.fetchall("SELECT departed_at FROM members WHERE departed_at IS NOT NULL")
        assert rows == []
    finally:
        await db.close()


async def test_a_later_check_or_a_command_brings_them_back(tmp_path):
    db = await server(tmp_path)
    try:
        await pairing.check_presence(db, GUILD, present_except(12, 13), NOW, save=True)
        # A stored departure holds while nothing is known (a preview without a check)...
        _, plan = await pairing.plan(db, GUILD, NOW)
        assert sorted(u for g in plan.groups for u in g) == [11, 14]
        # ...until the member uses the bot in that server, or a later check finds them.
        assert await membership.mark_present(db, GUILD, 12)
        assert not await membership.mark_present(db, GUILD, 12)
        check = present_except()
        _, plan = await pairing.plan(db, GUILD, NOW, presence=check)
        assert sorted(u for g in plan.groups for u in g) == [11, 12, 13, 14]
        assert sorted(check.asked[0]) == [11, 12, 13, 14], "departed members are asked about again"
        _, plan = await pairing.plan(db, GUILD, NOW)
        assert sorted(u for g in plan.groups for u in g) == [11, 12, 14], "a preview saves nothing"
    finally:
        await db.close()


async def test_migration_keeps_only_leaves_members_made(tmp_path):
    """Version 1 marked members as having left from data Discord does not promise; only real leaves stay."""
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(migration_scripts()[0][1])
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO rounds (id, guild_id, iso_week, seed, created_at) VALUES (1, 7, '2026-W47', 1, 'x')"
    )
    conn.execute("INSERT INTO groups (id, guild_id, round_id, position) VALUES (1, 7, 1, 1)")
    conn.executemany(
        "INSERT INTO group_members (guild_id, group_id, user_id, left_at) VALUES (7, 1, ?, 'x')",
        [(11,), (12,)],
    )
    conn.execute(
        "INSERT INTO events (guild_id, user_id, kind, iso_week, round_id, created_at) "
        "VALUES (7, 11, 'left_pairing', '2026-W47', 1, 'x')"
    )
    conn.close()
    db = await open_database(path)
    try:
        rows = await db.fetchall("SELECT user_id, left_at FROM group_members ORDER BY user_id")
        assert [(r["user_id"], r["left_at"]) for r in rows] == [(11, "x"), (12, None)]
    finally:
        await db.close()
