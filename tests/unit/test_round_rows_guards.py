"""What a round's stored rows promise members, on a real SQLite file: a round cut short by a crash and made
again counts each member once, a member who left a group is no longer counted in it, a round keeps the
prompt it was made with, and "Another starter" opens again exactly ten minutes after the last one."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.db import events, open_database
from bot.db import pairing as pairing_db
from bot.db import prompts as prompt_db
from bot.services import membership
from bot.services import pairing as pairing_service

GUILD, OTHER = 31, 4  # two servers that share members
NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)  # a Wednesday of 2026-W47
WEEK = "2026-W47"


async def join_all(db, guild_id: int, ids) -> None:
    for user_id in ids:
        await membership.join(db, guild_id, user_id, timezone=None, interests=None, frequency=None, now=NOW)


async def set_up_pairing(db, guild_id: int) -> None:
    await db.execute(
        "UPDATE guild_settings SET pairing_channel_id = 9, pairing_day = 2, pairing_time = '09:00' "
        "WHERE guild_id = ?",
        (guild_id,),
    )


async def interrupted_round(db, guild_id: int, groups) -> int:
    """What a crash half-way through saving leaves: groups, pair rows, last-paired weeks and paired events,
    but the round never marked saved."""
    async with db.transaction() as conn:
        round_id = await pairing_db.claim_round(conn, guild_id, WEEK, 1, None, groups, NOW, saved=False)
        assert round_id is not None
        await pairing_db.insert_groups(conn, guild_id, round_id, WEEK, 1, groups)
        await events.record_rows(
            conn,
            [
                (guild_id, u, "paired", WEEK, round_id, len(g), NOW.isoformat())
                for g in groups
                for u in sorted(g)
            ],
        )
    return round_id


async def paired_events(db, guild_id: int) -> list[int]:
    rows = await db.fetchall(
        "SELECT user_id FROM events WHERE guild_id = ? AND kind = 'paired' AND iso_week = ? ORDER BY user_id",
        (guild_id, WEEK),
    )
    return [r[0] for r in rows]


async def test_a_round_cut_short_and_made_again_counts_each_member_once(tmp_path):
    db = await open_database(tmp_path / "r.sqlite3")
    try:
        rng = random.Random(47)
        ids = rng.sample(range(1000, 9999), 6)  # ids in random order
        await join_all(db, GUILD, ids)
        await join_all(db, OTHER, ids)  # the same people in another server
        await set_up_pairing(db, GUILD)
        # Another server's round of the same week, with the same members: never touched here.
        shuffled = ids[:]
        rng.shuffle(shuffled)
        other_groups = [tuple(shuffled[i : i + 2]) for i in range(0, 6, 2)]
        async with db.transaction() as conn:
            await pairing_db.insert_round(conn, OTHER, WEEK, 5, None, other_groups, NOW)
            await events.record_rows(
                conn, [(OTHER, u, "paired", WEEK, None, 2, NOW.isoformat()) for u in sorted(ids)]
            )
        rng.shuffle(shuffled)
        cut = await interrupted_round(db, GUILD, [tuple(shuffled[i : i + 3]) for i in (0, 3)])

        outcome = await pairing_service.create_round(db, GUILD, NOW, force=True, seed=11)

        assert outcome.status == "created" and outcome.round_id != cut
        placed = sorted(u for g in outcome.plan.groups for u in g)
        assert placed == sorted(ids)
        # /stats counts who was paired from these events: each member once, not once per attempt.
        assert await paired_events(db, GUILD) == sorted(ids)
        assert await paired_events(db, OTHER) == sorted(ids)
        rounds = await db.fetchall(
            "SELECT guild_id, saved FROM rounds WHERE iso_week = ? ORDER BY guild_id", (WEEK,)
        )
        assert [tuple(r) for r in rounds] == [(OTHER, 1), (GUILD, 1)]
    finally:
        await db.close()


async def test_a_member_who_left_a_group_is_no_longer_counted_in_it(tmp_path):
    db = await open_database(tmp_path / "r.sqlite3")
    try:
        for seed in (1, 2):  # the one leaving has the highest id, then the lowest
            trio = sorted(random.Random(seed).sample(range(100, 999), 3), reverse=seed == 2)
            guild = GUILD + seed
            await join_all(db, guild, trio)
            async with db.transaction() as conn:
                round_id = await pairing_db.insert_round(conn, guild, WEEK, 1, None, [tuple(trio)], NOW)
            group_id = (await pairing_db.groups_of_round(db, round_id))[0]["id"]
            leaving = max(trio) if seed == 1 else min(trio)
            await pairing_service.leave_group(db, guild, group_id, leaving, NOW)
            stayed = sorted(u for u in trio if u != leaving)
            # "Another starter" is phrased for the people still in the group.
            assert await pairing_service.group_members(db, group_id) == stayed
            assert await pairing_db.group_member_ids(db, group_id, present_only=False) == sorted(trio)
    finally:
        await db.close()


async def test_a_round_keeps_the_prompt_it_was_made_with(tmp_path):
    db = await open_database(tmp_path / "r.sqlite3")
    try:
        await join_all(db, GUILD, [8, 3])
        async with db.transaction() as conn:
            prompt_id = await prompt_db.insert(
                conn,
                GUILD,
                theme="food",
                text="What dish reminds you of home?",
                content_note=None,
                status="active",
                source="moderator",
                now=NOW,
                pair_text="What dish reminds each of you of home?",
            )
            await pairing_db.insert_round(conn, GUILD, WEEK, 1, prompt_id, [(8, 3)], NOW)
        row = await pairing_db.round_for_week(db, GUILD, WEEK)
        assert row is not None and row["prompt_id"] == prompt_id
        # No weekly post this week: the pair thread still opens with the round's own prompt.
        starter = await pairing_service.pair_starter(db, GUILD, row["prompt_id"], WEEK)
        assert starter.text == "What dish reminds each of you of home?"
    finally:
        await db.close()


async def test_another_starter_opens_again_exactly_ten_minutes_after_the_last(tmp_path):
    db = await open_database(tmp_path / "r.sqlite3")
    try:
        await join_all(db, GUILD, [5, 2])
        async with db.transaction() as conn:
            round_id = await pairing_db.insert_round(conn, GUILD, WEEK, 1, None, [(5, 2)], NOW)
        group_id = (await pairing_db.groups_of_round(db, round_id))[0]["id"]
        every = pairing_service.STARTER_EVERY
        first = NOW + timedelta(hours=1)
        assert await pairing_db.next_starter(db, group_id, (first - every).isoformat(), first) == 0
        too_soon = first + every - timedelta(seconds=1)
        assert await pairing_db.next_starter(db, group_id, (too_soon - every).isoformat(), too_soon) is None
        on_time = first + every
        assert await pairing_db.next_starter(db, group_id, (on_time - every).isoformat(), on_time) == 1
        assert await pairing_db.next_starter(db, group_id, (on_time - every).isoformat(), on_time) is None
    finally:
        await db.close()


async def test_who_is_eligible_read_through_the_shared_handle_leaves_out_excluded_and_other_servers(tmp_path):
    db = await open_database(tmp_path / "r.sqlite3")
    try:
        ids = random.Random(3).sample(range(10, 99), 5)
        await join_all(db, GUILD, ids)
        await join_all(db, OTHER, ids[:3])
        excluded, gone = ids[0], ids[1]
        await pairing_service.set_excluded(db, GUILD, excluded, True, NOW)
        await pairing_service.set_excluded(db, OTHER, ids[2], True, NOW)  # another server's exclusion
        await membership.leave(db, GUILD, gone, now=NOW)
        rows = await pairing_db.eligible_members(db, GUILD)
        assert [r["user_id"] for r in rows] == sorted(u for u in ids if u not in (excluded, gone))
        other = await pairing_db.eligible_members(db, OTHER)
        assert [r["user_id"] for r in other] == sorted(ids[:2])
    finally:
        await db.close()
