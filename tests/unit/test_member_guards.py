"""The bugs members fear, each written as a member or moderator would notice it, on a real SQLite file.

Fixtures vary what a bug could hide behind: member ids in random order, two servers that share members,
blocks placed from the higher id and from the lower one. Time comes from fixed instants, never the wall clock.
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.db import guilds as guild_db
from bot.db import members as members_db
from bot.db import open_database
from bot.db import pairing as pairing_db
from bot.db import prompts as prompt_db
from bot.domain import schedule
from bot.domain.pairing import pair_key
from bot.errors import UserError
from bot.services import membership, privacy, prompts, stats
from bot.services import pairing as pairing_service

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)  # a Wednesday, week 2026-W47
ONE, TWO = 111, 222  # two servers


@pytest.fixture
async def db(tmp_path):
    database = await open_database(tmp_path / "guards.sqlite3")
    yield database
    await database.close()


def ids(count: int, seed: int) -> list[int]:
    """Member ids in random order (not ascending), so no code can lean on id order."""
    rng = random.Random(seed)
    out = rng.sample(range(10_000, 99_999), count)
    if out == sorted(out):
        out.reverse()
    return out


async def join(db, guild, user, now=NOW, **prefs):
    await membership.join(
        db,
        guild,
        user,
        timezone=prefs.get("timezone"),
        interests=prefs.get("interests"),
        frequency=prefs.get("frequency"),
        now=now,
    )


async def setup_pairing(db, guild, *, group_size=2, odd_policy="trio"):
    await guild_db.ensure(db, guild, NOW)
    await guild_db.set_pairing_schedule(
        db, guild, channel_id=guild * 10, day=0, at="09:00", group_size=group_size, odd_policy=odd_policy
    )


async def event_rows(db, guild, user):
    return await db.fetchall("SELECT kind FROM events WHERE guild_id = ? AND user_id = ?", (guild, user))


# A failed transaction leaves nothing -------------------------------------------------------------


async def test_a_failed_transaction_leaves_nothing_and_the_next_one_works(db):
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO guild_settings (guild_id, created_at) VALUES (1, ?)", (NOW.isoformat(),)
            )
            raise RuntimeError("a crash half-way")
    assert await guild_db.get(db, 1) is None
    assert not db.conn.in_transaction
    # The write lock was released and a later write commits.
    await guild_db.ensure(db, 2, NOW)
    assert await guild_db.get(db, 2) is not None


async def test_a_failed_transaction_is_not_seen_by_another_connection(db, tmp_path):
    await guild_db.ensure(db, 1, NOW)
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await conn.execute("UPDATE guild_settings SET retention_weeks = 9 WHERE guild_id = 1")
            await conn.execute(
                "INSERT INTO guild_settings (guild_id, created_at) VALUES (1, ?)", (NOW.isoformat(),)
            )
    other = await open_database(db.path)
    try:
        row = await other.fetchone("SELECT retention_weeks FROM guild_settings WHERE guild_id = 1")
        assert row[0] != 9
    finally:
        await other.close()


# Opted-out members leave no event -----------------------------------------------------------------


async def test_prompt_replies_are_logged_only_for_members_who_opted_in(db):
    guild = ONE
    active, gone, stranger = ids(3, 1)
    await join(db, guild, active)
    await join(db, guild, gone)
    await membership.leave(db, guild, gone, now=NOW)
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO prompts (guild_id, theme, text, status, source, created_at, updated_at) "
            "VALUES (?, 'identity', 'A prompt', 'active', 'moderator', ?, ?)",
            (guild, NOW.isoformat(), NOW.isoformat()),
        )
        prompt_id = (await (await conn.execute("SELECT max(id) FROM prompts")).fetchone())[0]
    await db.execute(
        "INSERT INTO prompt_posts (guild_id, iso_week, prompt_id, thread_id, status, created_at) "
        "VALUES (?, '2026-W47', ?, 555, 'posted', ?)",
        (guild, prompt_id, NOW.isoformat()),
    )
    assert await privacy.record_prompt_reply(db, guild, active, 555, NOW) is True
    assert await privacy.record_prompt_reply(db, guild, active, 555, NOW) is False  # once a week
    assert await privacy.record_prompt_reply(db, guild, gone, 555, NOW) is False
    assert await privacy.record_prompt_reply(db, guild, stranger, 555, NOW) is False
    assert await privacy.record_prompt_reply(db, guild, active, 556, NOW) is False  # not a prompt thread
    assert [r[0] for r in await event_rows(db, guild, active)] == ["joined", "prompt_reply"]
    assert "prompt_reply" not in [r[0] for r in await event_rows(db, guild, gone)]
    assert await event_rows(db, guild, stranger) == []


async def test_a_suggestion_from_someone_who_never_opted_in_leaves_no_event(db):
    outsider, member = ids(2, 2)
    await join(db, ONE, member)
    await prompts.suggest(db, ONE, outsider, "identity", "What name did your grandmother call you?", NOW)
    await prompts.suggest(db, ONE, member, "identity", "Which song reminds you of home?", NOW)
    assert await event_rows(db, ONE, outsider) == []
    assert [r[0] for r in await event_rows(db, ONE, member)] == ["joined", "suggested"]


# Duplicates refused ------------------------------------------------------------------------------


async def test_add_and_suggest_refuse_a_prompt_already_in_the_library(db):
    text = "What did your family never talk about at dinner?"
    await prompts.add(db, ONE, "identity", text, None, NOW)
    for variant in (text, "  what did your FAMILY never talk about at dinner?  "):
        with pytest.raises(UserError, match="already"):
            await prompts.add(db, ONE, "identity", variant, None, NOW)
        with pytest.raises(UserError, match="already"):
            await prompts.suggest(db, ONE, 42, "identity", variant, NOW)
    # Another server's library is its own.
    await prompts.add(db, TWO, "identity", text, None, NOW)
    assert await prompt_db.count(db, ONE, theme=None, status="pending") == 0


# Forget erases everything, and only in its own server --------------------------------------------


async def build_two_servers(db, shared: int, others: list[int]):
    """Both servers know `shared`: joined, blocked someone, suggested prompts, was paired and checked in."""
    state = {}
    for guild in (ONE, TWO):
        await join(db, guild, shared, timezone="Asia/Seoul", interests="identity")
        for other in others:
            await join(db, guild, other)
        await pairing_service.set_block(db, guild, shared, others[0], True, NOW)
        await pairing_service.set_block(db, guild, others[1], shared, True, NOW)  # placed on them
        pending = await prompts.suggest(db, guild, shared, "identity", f"Pending idea for {guild}", NOW)
        approved = await prompts.suggest(db, guild, shared, "identity", f"Approved idea for {guild}", NOW)
        rejected = await prompts.suggest(db, guild, shared, "identity", f"Rejected idea for {guild}", NOW)
        await prompts.decide(db, guild, approved, True, NOW)
        await prompts.decide(db, guild, rejected, False, NOW)
        async with db.transaction() as conn:
            round_id = await pairing_db.insert_round(
                conn, guild, "2026-W47", 1, None, [(shared, others[0]), (others[1], others[2])], NOW
            )
        group = (await pairing_db.groups_of_round(db, round_id))[0]["id"]
        await pairing_service.record_checkin(db, guild, group, shared, "met", NOW)
        state[guild] = {"pending": pending, "approved": approved, "rejected": rejected, "group": group}
    return state


async def stored_mentions(db, guild, user) -> dict[str, int]:
    """How many rows in each table still carry the member's id in this server."""
    queries = {
        "members": "SELECT count(*) FROM members WHERE guild_id = ? AND user_id = ?",
        "blocks placed": "SELECT count(*) FROM blocks WHERE guild_id = ? AND blocker_id = ?",
        "events": "SELECT count(*) FROM events WHERE guild_id = ? AND user_id = ?",
        "groups": "SELECT count(*) FROM group_members WHERE guild_id = ? AND user_id = ?",
        "prompts": "SELECT count(*) FROM prompts WHERE guild_id = ? AND suggested_by = ?",
    }
    return {name: (await db.fetchone(sql, (guild, user)))[0] for name, sql in queries.items()}


async def test_forget_erases_everything_in_that_server_and_nothing_in_the_other(db):
    shared, *others = ids(4, 3)
    state = await build_two_servers(db, shared, others)
    before_two = await stored_mentions(db, TWO, shared)
    export_two_before = json.loads(await privacy.export_member(db, TWO, shared, NOW))

    await privacy.forget_member(db, ONE, shared)

    assert await stored_mentions(db, ONE, shared) == dict.fromkeys(before_two, 0)
    # Their pending and rejected suggestions are gone; the approved prompt stays, without their name.
    assert await prompt_db.get(db, ONE, state[ONE]["pending"]) is None
    assert await prompt_db.get(db, ONE, state[ONE]["rejected"]) is None
    approved = await prompt_db.get(db, ONE, state[ONE]["approved"])
    assert approved is not None and approved["suggested_by"] is None
    # A block someone else placed on them still protects that person.
    assert (others[1], shared) in await pairing_db.blocks(db, ONE)
    # Their past group stays for the other member, with a former member and no answer.
    assert await pairing_db.group_member_ids(db, state[ONE]["group"]) == [others[0]]
    export_one = json.loads(await privacy.export_member(db, ONE, shared, NOW))
    assert export_one["member"] is None and export_one["blocks"] == []
    assert export_one["events"] == [] and export_one["rounds"] == []
    other_view = json.loads(await privacy.export_member(db, ONE, others[0], NOW))
    assert other_view["rounds"][0]["members"] == ["a former member"]

    # The other server is untouched.
    assert await stored_mentions(db, TWO, shared) == before_two
    assert all(before_two.values())
    export_two_after = json.loads(await privacy.export_member(db, TWO, shared, NOW))
    export_two_before["exported_at"] = export_two_after["exported_at"]
    assert export_two_after == export_two_before
    assert (await prompt_db.get(db, TWO, state[TWO]["approved"]))["suggested_by"] == shared


async def test_mydata_shows_only_this_servers_data(db):
    shared, *others = ids(4, 4)
    await build_two_servers(db, shared, others)
    await membership.pause(db, TWO, shared, 2, now=NOW)
    one = json.loads(await privacy.export_member(db, ONE, shared, NOW))
    two = json.loads(await privacy.export_member(db, TWO, shared, NOW))
    assert one["member"]["paused_until"] is None and two["member"]["paused_until"] is not None
    assert [s["text"] for s in one["member"]["suggestions"]] == [
        f"Pending idea for {ONE}",
        f"Approved idea for {ONE}",
        f"Rejected idea for {ONE}",
    ]
    assert one["member"]["timezone"] == "Asia/Seoul" and one["member"]["interests"] == ["identity"]
    assert one["blocks"] == [{"user_id": str(others[0]), "since": NOW.isoformat()}]
    assert len(one["rounds"]) == 1 and one["rounds"][0]["members"] == [str(others[0])]
    assert one["rounds"][0]["checkin"] == "met"
    assert "paused" not in [e["kind"] for e in one["events"]]
    assert "paused" in [e["kind"] for e in two["events"]]


async def test_pause_skip_and_leave_stay_in_their_server(db):
    shared = ids(2, 5)[0]
    await join(db, ONE, shared)
    await join(db, TWO, shared)
    until = await membership.pause(db, ONE, shared, 3, now=NOW)
    assert until == (NOW + timedelta(weeks=3)).date()
    await membership.skip(db, ONE, shared, "2026-W50", now=NOW)
    await membership.leave(db, ONE, shared, now=NOW)
    one = await membership.status(db, ONE, shared)
    two = await membership.status(db, TWO, shared)
    assert not one.active and one.paused_until is None and one.skip_week is None
    assert two.active and two.paused_until is None and two.skip_week is None


async def test_resume_ends_pause_and_skip_only_where_asked(db):
    shared = ids(2, 6)[0]
    for guild in (ONE, TWO):
        await join(db, guild, shared)
        await membership.pause(db, guild, shared, 2, now=NOW)
        await membership.skip(db, guild, shared, "2026-W49", now=NOW)
    assert await membership.resume(db, ONE, shared, now=NOW) is True
    assert await membership.resume(db, ONE, shared, now=NOW) is False
    one = await membership.status(db, ONE, shared)
    two = await membership.status(db, TWO, shared)
    assert (one.paused_until, one.skip_week) == (None, None)
    assert two.paused_until is not None and two.skip_week == "2026-W49"


async def test_purge_follows_each_servers_own_retention(db):
    shared, other = ids(2, 7)
    old = NOW - timedelta(weeks=10)
    for guild in (ONE, TWO):
        await join(db, guild, shared, now=old)
        await join(db, guild, other, now=NOW)
        async with db.transaction() as conn:
            await pairing_db.insert_round(
                conn, guild, schedule.week_key(old, schedule.zone("UTC")), 1, None, [(shared, other)], old
            )
            await pairing_db.insert_round(conn, guild, "2026-W47", 2, None, [(shared, other)], NOW)
        for week in ("2026-W37", "2026-W43", "2026-W47"):
            assert await pairing_db.claim_job(db, guild, week, "notice", NOW)
    await privacy.set_retention(db, ONE, 4, NOW)
    await privacy.set_retention(db, TWO, 52, NOW)
    assert await privacy.purge_expired(db, NOW) == (1, 1)
    jobs = await db.fetchall("SELECT guild_id, iso_week FROM weekly_jobs ORDER BY guild_id, iso_week")
    assert [tuple(r) for r in jobs] == [
        (ONE, "2026-W43"),
        (ONE, "2026-W47"),
        (TWO, "2026-W37"),
        (TWO, "2026-W43"),
        (TWO, "2026-W47"),
    ]
    assert [r[0] for r in await event_rows(db, ONE, shared)] == []
    assert [r[0] for r in await event_rows(db, ONE, other)] == ["joined"]
    assert [r[0] for r in await event_rows(db, TWO, shared)] == ["joined"]
    rounds = await db.fetchall("SELECT guild_id, iso_week FROM rounds ORDER BY guild_id, iso_week")
    assert [tuple(r) for r in rounds] == [(ONE, "2026-W47"), (TWO, "2026-W37"), (TWO, "2026-W47")]
    assert await privacy.purge_expired(db, NOW) == (0, 0)


# Stats: masked at 0, 1, 2, 3 members, and never counting another server -----------------------------


@pytest.mark.parametrize(("opted", "expected_opted"), [(0, "0"), (1, "<3"), (2, "<3"), (3, "3")])
def test_a_small_week_shows_no_figure(opted, expected_opted):
    row = stats.WeekFigures("2026-W47", opted, opted, min(opted, 1), opted, opted)
    shown = stats.shown(row)
    assert shown["opted_in"] == expected_opted
    for key in ("paired", "prompt_participants"):
        assert shown[key] == expected_opted
    if opted == 0:
        assert shown["checkin_response_rate"] == "-" and shown["groups_met"] == "0"
    elif opted < 3:
        assert shown["checkin_response_rate"] == "<3" and shown["groups_met"] == "<3"
    else:
        assert shown["checkin_response_rate"] == "100%" and shown["groups_met"] == "<3"


@pytest.mark.parametrize(
    ("paired", "answered", "rate"),
    # k = 3 on both sides of the rate: those who answered and those who did not must each be 0 or 3+.
    [(1, 1, "<3"), (2, 2, "<3"), (3, 2, "<3"), (4, 2, "<3"), (6, 3, "50%"), (3, 3, "100%"), (3, 0, "0%")],
)
def test_a_rate_of_one_or_two_members_is_masked_even_in_a_big_week(paired, answered, rate):
    row = stats.WeekFigures("2026-W47", 10, paired, 0, answered, 0)
    shown = stats.shown(row)
    assert shown["checkin_response_rate"] == rate
    assert shown["opted_in"] == "10" and shown["groups_met"] == "0" and shown["prompt_participants"] == "0"


def test_masked_small_values_in_a_big_week():
    assert [stats.masked(v, False) for v in (0, 1, 2, 3, 4)] == ["0", "<3", "<3", "3", "4"]
    assert [stats.masked(v, True) for v in (0, 1, 3)] == ["<3", "<3", "<3"]


def test_csv_and_summary_carry_the_masked_figures():
    rows = [stats.WeekFigures("2026-W46", 2, 2, 1, 2, 2), stats.WeekFigures("2026-W47", 9, 6, 2, 3, 0)]
    text = stats.to_csv(rows).decode()
    assert text.splitlines() == [
        ",".join(stats.COLUMNS),
        "2026-W46,<3,<3,<3,<3,<3",
        "2026-W47,9,6,<3,50%,0",
    ]
    summary = stats.summary(rows).splitlines()
    assert summary[1] == "2026-W46 | <3 | <3 | <3 | <3 | <3"
    assert summary[2] == "2026-W47 | 9 | 6 | <3 | 50% | 0"


async def test_a_member_who_left_or_was_excluded_is_not_paired(db):
    people = ids(6, 9)
    await setup_pairing(db, ONE)
    await setup_pairing(db, TWO)
    for person in people:
        await join(db, ONE, person)
        await join(db, TWO, person)
    await membership.leave(db, ONE, people[2], now=NOW)
    await pairing_db.set_excluded(db, ONE, people[4], True, NOW)
    outcome = await pairing_service.create_round(db, ONE, NOW, seed=3)
    assert outcome.status == "created"
    paired = {m for group in outcome.plan.groups for m in group}
    assert paired == set(people) - {people[2], people[4]}
    # In the other server they are still paired.
    other = await pairing_service.create_round(db, TWO, NOW, seed=3)
    assert {m for group in other.plan.groups for m in group} == set(people)
    assert await pairing_service.create_round(db, ONE, NOW, seed=4) == pairing_service.RoundOutcome(
        "already", "2026-W47", outcome.round_id
    )


async def test_paused_and_skipping_members_are_not_paired_that_week(db):
    people = ids(5, 10)
    await setup_pairing(db, ONE)
    for person in people:
        await join(db, ONE, person)
    await membership.pause(db, ONE, people[0], 1, now=NOW - timedelta(days=2))
    await membership.skip(db, ONE, people[1], "2026-W47", now=NOW)
    await membership.skip(db, ONE, people[2], "2026-W48", now=NOW)
    week, plan = await pairing_service.plan(db, ONE, NOW, seed=1)
    assert week == "2026-W47"
    assert {m for g in plan.groups for m in g} | set(plan.sat_out) == set(people) - {people[0], people[1]}


@pytest.mark.parametrize("seed", range(4))
async def test_blocks_hold_both_ways_whatever_the_id_order(db, seed):
    people = ids(6, 20 + seed)
    await setup_pairing(db, ONE)
    for person in people:
        await join(db, ONE, person)
    # One block from a higher id to a lower, one from a lower to a higher: random order decides which is which.
    low, high = sorted(people[:2])
    pairs = [(high, low), tuple(sorted(people[2:4])), (people[4], people[5])]
    for blocker, blocked in pairs:
        assert await pairing_service.set_block(db, ONE, blocker, blocked, True, NOW) is True
    assert await pairing_service.set_block(db, ONE, high, low, True, NOW) is False
    for round_seed in range(6):
        _, plan = await pairing_service.plan(db, ONE, NOW, seed=round_seed)
        for group in plan.groups:
            for a, b in pairs:
                assert not (a in group and b in group), (group, a, b)
    data = await pairing_service.round_input(
        db, ONE, "2026-W47", 0, await pairing_service.pairing_settings(db, ONE), NOW
    )
    assert data.blocks == frozenset(pair_key(a, b) for a, b in pairs)
    assert await pairing_service.set_block(db, ONE, *pairs[1], False, NOW) is True
    assert await pairing_service.set_block(db, ONE, *pairs[1], False, NOW) is False
    with pytest.raises(UserError):
        await pairing_service.set_block(db, ONE, people[0], people[0], True, NOW)


async def test_repeat_memory_covers_the_whole_history_window(db):
    a, b, c, d = ids(4, 30)
    await setup_pairing(db, ONE)
    for person in (a, b, c, d):
        await join(db, ONE, person)
    tz = schedule.zone("UTC")
    long_ago = schedule.shift_week("2026-W47", -(pairing_service.HISTORY_WEEKS - 1), tz)
    too_long_ago = schedule.shift_week("2026-W47", -(pairing_service.HISTORY_WEEKS + 1), tz)
    async with db.transaction() as conn:
        await pairing_db.insert_round(conn, ONE, too_long_ago, 1, None, [(a, d)], NOW)
        await pairing_db.insert_round(conn, ONE, long_ago, 1, None, [(a, b), (c, d)], NOW)
        await pairing_db.insert_round(conn, ONE, "2026-W44", 1, None, [(a, c, b)], NOW)
    data = await pairing_service.round_input(
        db, ONE, "2026-W47", 0, await pairing_service.pairing_settings(db, ONE), NOW
    )
    ordinal = pairing_service.week_ordinal
    assert data.last_met == {
        pair_key(a, b): ordinal("2026-W44"),
        pair_key(a, c): ordinal("2026-W44"),
        pair_key(b, c): ordinal("2026-W44"),
        pair_key(c, d): ordinal(long_ago),
    }
    assert ordinal("2026-W47") - ordinal(long_ago) == pairing_service.HISTORY_WEEKS - 1


async def test_the_engine_sees_each_members_timezone_interests_and_last_sit_out(db):
    seoul, berlin, plain, back = ids(4, 70)
    await setup_pairing(db, ONE)
    await join(db, ONE, seoul, timezone="Asia/Seoul", interests="family, identity")
    await join(db, ONE, berlin, timezone="Europe/Berlin")
    await join(db, ONE, plain)
    await join(db, ONE, back)
    async with db.transaction() as conn:
        await pairing_db.mark_sat_out(conn, ONE, [plain], "2026-W45")
    # Paused until the round's day: back in time for it. Paused a day longer: not this week.
    round_day = datetime(2026, 11, 16).date()  # Monday of 2026-W47, the pairing day
    await db.execute("UPDATE members SET paused_until = ? WHERE user_id = ?", (round_day.isoformat(), back))
    await db.execute(
        "UPDATE members SET paused_until = ? WHERE user_id = ?",
        ((round_day + timedelta(days=1)).isoformat(), berlin),
    )
    settings = await pairing_service.pairing_settings(db, ONE)
    assert settings.group_size == 2 and settings.odd_policy == "trio" and settings.channel_id == ONE * 10
    data = await pairing_service.round_input(db, ONE, "2026-W47", 5, settings, NOW)
    by_id = {c.id: c for c in data.members}
    assert set(by_id) == {seoul, plain, back}
    assert by_id[seoul].utc_offset_minutes == 540
    assert by_id[seoul].interests == frozenset({"family", "identity"})
    assert by_id[plain].utc_offset_minutes is None and by_id[plain].interests == frozenset()
    assert by_id[plain].last_sat_out == pairing_service.week_ordinal("2026-W45")
    assert by_id[seoul].last_sat_out == -1
    assert (data.seed, data.group_size, data.odd_policy) == (5, 2, "trio")


def test_week_ordinals_count_weeks_across_new_year():
    ordinal = pairing_service.week_ordinal
    assert ordinal("2026-W01") - ordinal("2025-W52") == 1
    assert ordinal("2026-W53") - ordinal("2026-W52") == 1  # 2026 has 53 ISO weeks
    assert ordinal("2027-W01") - ordinal("2026-W47") == 7


async def test_when_the_next_round_comes(db):
    await guild_db.ensure(db, ONE, NOW)
    assert await pairing_service.next_round_time(db, ONE, NOW) is None
    assert await pairing_service.next_round_week(db, ONE, NOW) == "2026-W47"
    with pytest.raises(UserError):
        await pairing_service.plan(db, ONE, NOW)
    await setup_pairing(db, ONE)  # Mondays 09:00 UTC; NOW is Wednesday of 2026-W47
    # This week's slot passed without a round: it is due now.
    assert await pairing_service.next_round_time(db, ONE, NOW) == NOW
    assert await pairing_service.next_round_week(db, ONE, NOW) == "2026-W47"
    for person in ids(2, 71):
        await join(db, ONE, person)
    assert (await pairing_service.create_round(db, ONE, NOW, seed=1)).status == "created"
    assert await pairing_service.next_round_time(db, ONE, NOW) == datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert await pairing_service.next_round_week(db, ONE, NOW) == "2026-W48"
    # Before the slot, a round is not due unless forced.
    assert (await pairing_service.create_round(db, ONE, NOW + timedelta(days=4))).status == "already"
    monday_early = datetime(2026, 11, 23, 8, 59, tzinfo=UTC)
    assert (await pairing_service.create_round(db, ONE, monday_early)).status == "not_due"
    assert (await pairing_service.create_round(db, ONE, monday_early, force=True, seed=2)).status == "created"


async def test_too_few_members_make_no_round(db):
    await setup_pairing(db, ONE)
    await join(db, ONE, 5)
    assert (await pairing_service.create_round(db, ONE, NOW)).status == "too_few"
    assert await pairing_db.round_for_week(db, ONE, "2026-W47") is None
    await guild_db.ensure(db, TWO, NOW)
    assert (await pairing_service.create_round(db, TWO, NOW)).status == "not_configured"


# /exchange mydata shows every field, exactly -------------------------------------------------------


async def test_mydata_for_someone_who_only_suggested(db):
    outsider = ids(2, 81)[0]
    await prompts.suggest(db, ONE, outsider, "family", "What did your family sing together?", NOW)
    data = json.loads(await privacy.export_member(db, ONE, outsider, NOW))
    assert data["member"]["user_id"] == str(outsider) and data["member"]["opted_in"] is False
    assert [s["text"] for s in data["member"]["suggestions"]] == ["What did your family sing together?"]
    assert set(data["member"]) == {"user_id", "opted_in", "suggestions"}
    assert data["rounds"] == [] and data["blocks"] == [] and data["events"] == []
    nobody = json.loads(await privacy.export_member(db, ONE, 1234, NOW))
    assert nobody["member"] is None


async def test_member_rows_change_only_for_active_members_of_that_server(db):
    active, gone, shared = ids(3, 90)
    for person in (active, gone, shared):
        await join(db, ONE, person)
    await join(db, TWO, shared)
    await membership.leave(db, ONE, gone, now=NOW)
    assert await members_db.count_active(db, ONE) == 2
    assert await members_db.count_active(db, TWO) == 1
    assert await members_db.count_active(db, 999) == 0
    assert await members_db.set_pause(db, ONE, active, "2026-12-01", NOW) is True
    assert await members_db.set_pause(db, ONE, gone, "2026-12-01", NOW) is False
    assert await members_db.set_skip(db, ONE, active, "2026-W49", NOW) is True
    assert await members_db.set_skip(db, ONE, gone, "2026-W49", NOW) is False
    assert await members_db.set_skip(db, ONE, 4321, "2026-W49", NOW) is False
    assert (await membership.status(db, ONE, gone)).paused_until is None


async def test_checkin_answers_and_groups_that_met_are_not_swapped(db):
    a, b, c, d = ids(4, 92)
    async with db.transaction() as conn:
        round_id = await pairing_db.insert_round(conn, ONE, "2026-W47", 1, None, [(a, b), (c, d)], NOW)
    first, second = [g["id"] for g in await pairing_db.groups_of_round(db, round_id)]
    await pairing_service.record_checkin(db, ONE, first, a, "met", NOW)
    await pairing_service.record_checkin(db, ONE, first, b, "met", NOW)
    await pairing_service.record_checkin(db, ONE, second, c, "not_yet", NOW)
    (row,) = await stats.weekly(db, ONE, 1, NOW)
    assert (row.paired, row.answered, row.groups_met) == (4, 3, 1)


async def test_retention_can_be_set_before_anything_else(db):
    await privacy.set_retention(db, 555, 8, NOW)
    assert (await guild_db.get(db, 555))["retention_weeks"] == 8
