"""The bugs members fear, each written as a member or moderator would notice it, on a real SQLite file.

Fixtures vary what a bug could hide behind: member ids in random order, two servers that share members,
blocks placed from the higher id and from the lower one. Time comes from fixed instants, never the wall clock.
"""

from __future__ import annotations

import json
import math
import random
import sqlite3
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.db import guilds as guild_db
from bot.db import members as members_db
from bot.db import open_database
from bot.db import pairing as pairing_db
from bot.db import prompts as prompt_db
from bot.domain import schedule
from bot.domain.pairing import is_due, pair_key
from bot.errors import UserError
from bot.services import circles as circle_service
from bot.services import membership, privacy, prompts, stats
from bot.services import pairing as pairing_service

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)  # a Wednesday, week 2026-W47
ONE, TWO = 111, 222  # two servers
UTC_ZONE, SEOUL = schedule.zone("UTC"), schedule.zone("Asia/Seoul")


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


async def save_round(db, guild, week: str, groups, now: datetime) -> int:
    async with db.transaction() as conn:
        round_id = await pairing_db.insert_round(conn, guild, week, 1, None, groups, now)
    assert round_id is not None
    return round_id


async def answer_all(db, guild, round_id: int, now: datetime, answer: str = "met") -> None:
    """Everyone in the round presses a check-in button (members silent three rounds in a row are paused)."""
    for group in await pairing_db.groups_of_round(db, round_id):
        for member in await pairing_db.group_member_ids(db, group["id"]):
            await pairing_service.record_checkin(db, guild, group["id"], member, answer, now)


async def post_prompt(db, guild, week: str, thread: int, now: datetime) -> None:
    """The week's prompt, posted with its public thread (where opted-in members' replies are counted)."""
    prompt_id = await prompts.add(
        db, guild, "identity", f"Which word from home has no translation? {week}", None, now
    )
    await db.execute(
        "INSERT INTO prompt_posts (guild_id, iso_week, prompt_id, thread_id, status, created_at) "
        "VALUES (?, ?, ?, ?, 'posted', ?)",
        (guild, week, prompt_id, thread, now.isoformat()),
    )


def plotted(figure) -> dict[str, list[float | None]]:
    """Each series of the /stats chart by its legend label, as drawn: None where the line has a gap."""
    return {
        line.get_label(): [None if math.isnan(v) else float(v) for v in line.get_ydata()]
        for axes in figure.axes
        for line in axes.get_lines()
    }


def paired_members(outcome) -> set[int]:
    return {member for group in outcome.plan.groups for member in group}


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
            await pairing_db.set_job_status(db, guild, week, "notice", "done", NOW)
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


async def test_the_chart_never_draws_a_count_of_one_or_two(db):
    """Weeks with 0, 1, 2 and 3 members, as the database holds them: what goes into the plot is what /stats
    shows, so a week of 1 or 2 members is a gap in every series, and so is a single group that met."""
    a, b, c = ids(3, 11)
    start = datetime(2026, 10, 28, 12, tzinfo=UTC)  # Wednesday of 2026-W44, when Bridges came
    await guild_db.ensure(db, ONE, start)
    for number, week, person, group in (
        (1, "2026-W45", a, None),
        (2, "2026-W46", b, (b, a)),
        (3, "2026-W47", c, (c, a, b)),
    ):
        moment = start + timedelta(weeks=number)
        await join(db, ONE, person, now=moment)
        await post_prompt(db, ONE, week, 7000 + number, moment)
        for member in (a, b, c)[:number]:
            assert await privacy.record_prompt_reply(db, ONE, member, 7000 + number, moment)
        if group:
            await answer_all(db, ONE, await save_round(db, ONE, week, [group], moment), moment)
    rows = await stats.weekly(db, ONE, 5, start + timedelta(weeks=4))
    # The figures behind the chart do hold 1s and 2s: the chart must not draw them.
    assert [
        (r.week, r.opted_in, r.paired, r.groups_met, r.answered, r.prompt_participants) for r in rows
    ] == [
        ("2026-W44", 0, 0, 0, 0, 0),
        ("2026-W45", 1, 0, 0, 0, 1),
        ("2026-W46", 2, 2, 1, 2, 2),
        ("2026-W47", 3, 3, 1, 3, 3),
        ("2026-W48", 3, 0, 0, 0, 0),  # the current week
    ]
    figure = stats.build_chart(rows)
    gap = None
    assert plotted(figure) == {
        "opted in": [0, gap, gap, 3, 3],
        "paired": [0, gap, gap, 3, 0],
        "wrote in the prompt thread": [0, gap, gap, 3, gap],  # the current week's only once it is over
        "groups that met": [0, gap, gap, gap, 0],  # one group that met is fewer than 3
        "check-in answers": [gap, gap, gap, 100, gap],
    }
    drawn = [v for series in plotted(figure).values() for v in series if v is not None]
    assert 1 not in drawn and 2 not in drawn
    assert any("hidden for privacy" in text.get_text() for text in figure.texts)
    assert "Opted in: 0, <3, <3, 3, 3." in stats.chart_alt_text(rows)
    png = stats.render_chart(rows)
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


async def rows_of_server(db, guild) -> dict[str, list[tuple]]:
    """Every row of every table that belongs to one server."""
    out = {}
    for (table,) in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        columns = [c[1] for c in await db.fetchall(f"PRAGMA table_info({table})")]
        if "guild_id" in columns:
            rows = await db.fetchall(f"SELECT * FROM {table} WHERE guild_id = ?", (guild,))
            out[table] = sorted((tuple(r) for r in rows), key=repr)
    return out


async def test_stats_and_data_rights_in_one_server_never_change_another_that_shares_its_members(db, tmp_path):
    shared = ids(5, 8)
    only_one, only_two = ids(2, 12)
    old = NOW - timedelta(weeks=10)  # 2026-W37
    last_week = NOW - timedelta(weeks=1)
    for guild, extra in ((ONE, only_one), (TWO, only_two)):
        await guild_db.ensure(db, guild, old)
        await setup_pairing(db, guild)
        await circle_service.set_circles(db, guild, "Asian heritage, LGBTQ+", old)
        for person in (*shared, extra):
            await join(db, guild, person, now=old, timezone="Asia/Seoul", interests="identity")
        await membership.join(
            db, guild, shared[0], timezone=None, interests=None, frequency=None, now=old, circles="LGBTQ+"
        )
        await pairing_service.set_block(db, guild, shared[0], extra, True, old)
        await pairing_service.set_block(db, guild, extra, shared[1], True, old)  # placed by someone only here
        await prompts.suggest(
            db, guild, shared[0], "identity", f"What did your grandparents celebrate? {guild}", old
        )
        first = await save_round(
            db, guild, "2026-W37", [(shared[0], shared[1]), (shared[2], shared[3], extra)], old
        )
        await answer_all(db, guild, first, old)
        second = await save_round(
            db,
            guild,
            "2026-W46",
            [(extra, shared[0], shared[2]), (shared[4], shared[1], shared[3])],
            last_week,
        )
        await answer_all(db, guild, second, last_week, "not_yet")
        await post_prompt(db, guild, "2026-W46", guild + 46, last_week)
        for person in (extra, *shared[:3]):
            assert await privacy.record_prompt_reply(db, guild, person, guild + 46, last_week)
    export_before = await privacy.export_member(db, TWO, shared[0], NOW)
    before = await rows_of_server(db, TWO)
    # What the other server's /stats would say, read from a copy, so nothing is frozen in the file itself.
    await db.backup_to(tmp_path / "copy.sqlite3")

    # In the first server: /stats, pause, skip, leave, a block, an exclusion, /exchange mydata, /exchange forget,
    # a new round, a short retention with its purge, and the removal of members who left.
    later = NOW + timedelta(weeks=5)
    await stats.weekly(db, ONE, 12, NOW)
    await membership.pause(db, ONE, shared[1], 2, now=NOW)
    await membership.skip(db, ONE, shared[2], "2026-W48", now=NOW)
    await membership.leave(db, ONE, shared[3], now=NOW)
    await pairing_service.set_block(db, ONE, shared[4], shared[0], True, NOW)
    await pairing_service.set_excluded(db, ONE, shared[4], True, NOW)
    await privacy.export_member(db, ONE, shared[0], NOW)
    await privacy.forget_member(db, ONE, shared[0], NOW)
    assert paired_members(await pairing_service.create_round(db, ONE, NOW, seed=5)) == {shared[2], only_one}
    await privacy.set_retention(db, ONE, 4, NOW)
    # The first server's three rounds go; none of the other's.
    assert (await privacy.purge_expired(db, later))[1] == 3
    assert await privacy.remove_departed_members(db, later) == 1
    await stats.weekly(db, ONE, 12, later)

    assert await rows_of_server(db, TWO) == before
    export_after = await privacy.export_member(db, TWO, shared[0], NOW)
    assert export_after == export_before
    copy = await open_database(tmp_path / "copy.sqlite3")
    try:
        for moment in (NOW, later):
            rows = await stats.weekly(db, TWO, 12, moment)
            assert rows == await stats.weekly(copy, TWO, 12, moment)
    finally:
        await copy.close()
    rows = await stats.weekly(db, TWO, 12, NOW)
    assert rows[0] == stats.WeekFigures("2026-W37", 6, 5, 2, 5, 0, True, 2, None)
    assert rows[-2] == stats.WeekFigures("2026-W46", 6, 6, 0, 6, 4, True, 2, None)
    assert [r.opted_in for r in rows] == [6] * 11


async def test_a_week_of_one_or_two_members_and_any_small_difference_are_masked_everywhere(db):
    """k = 3 on real weeks: 1 or 2 members opted in hide every figure (zeros too); in bigger weeks a count,
    its difference with opted in, and each side of the check-in rate must be 0 or 3+."""
    a, b, c, d, e, f, g, h, i = ids(9, 13)
    start = datetime(2026, 10, 14, 12, tzinfo=UTC)  # Wednesday of 2026-W42, when Bridges came
    await guild_db.ensure(db, ONE, start)

    async def week(number, week_key, joining, groups, answering, writing):
        moment = start + timedelta(weeks=number)
        for person in joining:
            await join(db, ONE, person, now=moment)
        await post_prompt(db, ONE, week_key, 4200 + number, moment)
        for person in writing:
            assert await privacy.record_prompt_reply(db, ONE, person, 4200 + number, moment)
        if groups:
            round_id = await save_round(db, ONE, week_key, groups, moment)
            for group in await pairing_db.groups_of_round(db, round_id):
                for member in await pairing_db.group_member_ids(db, group["id"]):
                    if member in answering:
                        await pairing_service.record_checkin(db, ONE, group["id"], member, "met", moment)

    await week(1, "2026-W43", [a], [], [], [a])  # one member
    await week(2, "2026-W44", [b], [(a, b)], [], [])  # two members, whose zeros are hidden too
    # Five opted in, four in the round: "paired" would single out the one who was not.
    # Three of four answered: the rate would single out the one who did not.
    await week(3, "2026-W45", [c, d, e], [(a, b), (c, d)], [a, b, c], [a, b, c, d, e])
    # Nine opted in, two answered the check-in, seven of nine wrote in the prompt thread.
    await week(
        4, "2026-W46", [f, g, h, i], [(a, b, c), (d, e), (f, g), (h, i)], [a, b], [a, b, c, d, e, f, g]
    )
    # Nine, six of nine answered, three groups met: all shown.
    await week(
        5,
        "2026-W47",
        [],
        [(a, b, c), (d, e), (f, g), (h, i)],
        [a, b, d, e, f, g],
        [a, b, c, d, e, f, g, h, i],
    )
    rows = await stats.weekly(db, ONE, 7, start + timedelta(weeks=6))
    assert [
        (r.week, r.opted_in, r.paired, r.groups_met, r.answered, r.prompt_participants) for r in rows
    ] == [
        ("2026-W42", 0, 0, 0, 0, 0),
        ("2026-W43", 1, 0, 0, 0, 1),
        ("2026-W44", 2, 2, 0, 0, 0),
        ("2026-W45", 5, 4, 2, 3, 5),
        ("2026-W46", 9, 9, 1, 2, 7),
        ("2026-W47", 9, 9, 3, 6, 9),
        ("2026-W48", 9, 0, 0, 0, 0),
    ]
    columns = ("opted_in", "paired", "groups_met", "checkin_response_rate", "prompt_participants")
    expected = {
        "2026-W42": ("0", "0", "0", "-", "0"),
        "2026-W43": ("<3", "<3", "<3", "<3", "<3"),
        "2026-W44": ("<3", "<3", "<3", "<3", "<3"),
        "2026-W45": ("5", "<3", "<3", "<3", "5"),
        "2026-W46": ("9", "9", "<3", "<3", "<3"),
        "2026-W47": ("9", "9", "3", "67%", "9"),
        "2026-W48": ("9", "0", "0", "-", stats.LATER),
    }
    assert {r.week: tuple(stats.shown(r)[k] for k in columns) for r in rows} == expected
    # The CSV, the summary and the chart carry the same masked figures.
    assert stats.to_csv(rows).decode().splitlines()[1:] == [
        ",".join((week, *figures)) for week, figures in expected.items()
    ]
    assert stats.summary(rows).splitlines()[1:] == [
        " | ".join((week, *figures)) for week, figures in expected.items()
    ]
    lines = plotted(stats.build_chart(rows))
    assert lines["opted in"][1:3] == [None, None] and lines["paired"][1:5] == [None, None, None, 9]
    assert lines["check-in answers"][1:6] == [None, None, None, None, 67]
    # No subtraction of two shown counts singles out one or two members.
    for shown in map(stats.shown, rows):
        numbers = {k: int(v) for k, v in shown.items() if v.isdigit()}
        for part in ("paired", "prompt_participants"):
            if "opted_in" in numbers and part in numbers:
                assert numbers["opted_in"] - numbers[part] not in (1, 2), shown


@pytest.mark.parametrize(
    ("timezone", "came", "now", "weeks"),
    [
        # Sunday evening in UTC is already Monday morning in Seoul: a week later there.
        (
            "UTC",
            datetime(2026, 11, 15, 20, tzinfo=UTC),
            NOW + timedelta(weeks=1),
            ["2026-W46", "2026-W47", "2026-W48"],
        ),
        (
            "Asia/Seoul",
            datetime(2026, 11, 15, 20, tzinfo=UTC),
            NOW + timedelta(weeks=1),
            ["2026-W47", "2026-W48"],
        ),
        # Across a new year (2026 has 53 ISO weeks).
        (
            "UTC",
            datetime(2026, 12, 30, 12, tzinfo=UTC),
            datetime(2027, 1, 13, 12, tzinfo=UTC),
            ["2026-W53", "2027-W01", "2027-W02"],
        ),
    ],
)
async def test_weeks_before_the_server_came_are_not_shown_nor_labelled(db, timezone, came, now, weeks):
    await guild_db.ensure(db, ONE, came)
    await guild_db.set_value(db, ONE, "timezone", timezone)
    for person in ids(4, 94):
        await join(db, ONE, person, now=came)
    rows = await stats.weekly(db, ONE, 12, now)
    assert [r.week for r in rows] == weeks
    figure = stats.build_chart(rows)
    assert [label.get_text() for label in figure.axes[-1].get_xticklabels()] == [
        w.split("-")[1] for w in weeks
    ]
    assert all(len(series) == len(weeks) for series in plotted(figure).values())
    assert [line.split(",")[0] for line in stats.to_csv(rows).decode().splitlines()[1:]] == weeks
    assert [line.split(" | ")[0] for line in stats.summary(rows).splitlines()[1:]] == weeks
    assert f"participation per week, {weeks[0]} to {weeks[-1]}." in stats.chart_alt_text(rows)
    # A server that came this week shows this week alone.
    assert [r.week for r in await stats.weekly(db, ONE, 12, came)] == [weeks[0]]


async def test_a_weeks_figures_count_up_to_its_last_second_and_show_in_full_once_it_is_over(db):
    people = ids(9, 91)
    early, late, after = people[:3], people[3:6], people[6:]
    await guild_db.ensure(db, ONE, datetime(2026, 11, 4, 12, tzinfo=UTC))  # 2026-W45
    first_of_w46 = datetime(2026, 11, 9, tzinfo=UTC)
    last_of_w47 = datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC)
    first_of_w48 = datetime(2026, 11, 23, tzinfo=UTC)
    for person in early:
        await join(db, ONE, person, now=first_of_w46)
    await post_prompt(db, ONE, "2026-W47", 4700, last_of_w47 - timedelta(days=6))
    for person in late:
        await join(db, ONE, person, now=last_of_w47)
    await membership.leave(db, ONE, early[0], now=last_of_w47)
    for person in (*early[1:], *late):
        assert await privacy.record_prompt_reply(db, ONE, person, 4700, last_of_w47)
    # A second before its end the week is the current one: its prompt-thread count waits.
    rows = await stats.weekly(db, ONE, 3, last_of_w47)
    assert [(r.week, r.opted_in, r.prompt_participants, r.complete) for r in rows] == [
        ("2026-W45", 0, 0, True),
        ("2026-W46", 3, 0, True),
        ("2026-W47", 5, 5, False),
    ]
    assert stats.shown(rows[-1])["prompt_participants"] == stats.LATER
    for person in after:
        await join(db, ONE, person, now=first_of_w48)
    rows = await stats.weekly(db, ONE, 4, first_of_w48)
    assert [(r.week, r.opted_in, r.prompt_participants, r.complete) for r in rows] == [
        ("2026-W45", 0, 0, True),
        ("2026-W46", 3, 0, True),
        ("2026-W47", 5, 5, True),  # the members who came and went on its last second count in it
        ("2026-W48", 8, 0, False),
    ]
    assert stats.shown(rows[2])["prompt_participants"] == "5"
    # The week ends at midnight in the server's timezone: in Seoul, nine hours before UTC's.
    await guild_db.ensure(db, TWO, datetime(2026, 11, 4, 12, tzinfo=UTC))
    await guild_db.set_value(db, TWO, "timezone", "Asia/Seoul")
    sunday_night = datetime(2026, 11, 22, 23, 59, 59, tzinfo=SEOUL)
    assert [r.complete for r in await stats.weekly(db, TWO, 2, sunday_night)] == [True, False]
    monday = datetime(2026, 11, 23, tzinfo=SEOUL)
    assert [(r.week, r.complete) for r in await stats.weekly(db, TWO, 2, monday)] == [
        ("2026-W47", True),
        ("2026-W48", False),
    ]


@pytest.mark.parametrize("timezone", ["America/Los_Angeles", "Asia/Seoul"])
async def test_a_join_late_on_sunday_in_the_servers_timezone_counts_in_that_week(db, timezone):
    tz = schedule.zone(timezone)
    await guild_db.ensure(db, ONE, datetime(2026, 11, 2, 12, tzinfo=UTC))
    await guild_db.set_value(db, ONE, "timezone", timezone)
    people = ids(6, 95)
    for person in people[:3]:
        await join(db, ONE, person, now=datetime(2026, 11, 11, 12, tzinfo=tz).astimezone(UTC))
    sunday_evening = datetime(2026, 11, 22, 22, 30, tzinfo=tz).astimezone(UTC)  # the bot's clock is in UTC
    for person in people[3:]:
        await join(db, ONE, person, now=sunday_evening)
    assert {
        r[0] for r in await db.fetchall("SELECT iso_week FROM events WHERE user_id = ?", (people[5],))
    } == {"2026-W47"}
    rows = await stats.weekly(db, ONE, 3, datetime(2026, 11, 25, 12, tzinfo=tz))
    assert [(r.week, r.opted_in) for r in rows] == [("2026-W46", 3), ("2026-W47", 6), ("2026-W48", 6)]


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


@pytest.mark.parametrize(("count", "seed"), [(5, 40), (7, 41)])
async def test_sitting_out_rotates_week_after_week(db, count, seed):
    people = ids(count, seed)
    await setup_pairing(db, ONE, odd_policy="sit_out")
    for person in people:
        await join(db, ONE, person, now=NOW - timedelta(weeks=1))
    sat_out = []
    for week in range(2 * count):
        moment = NOW + timedelta(weeks=week)
        outcome = await pairing_service.create_round(db, ONE, moment, seed=week)
        assert outcome.status == "created", outcome
        (who,) = outcome.plan.sat_out
        assert paired_members(outcome) == set(people) - {who}
        row = await members_db.get(db, ONE, who)
        assert row["last_sat_out_week"] == outcome.iso_week
        sat_out.append(who)
        await answer_all(db, ONE, outcome.round_id, moment + timedelta(days=3))
    # Everyone sits out once before anyone sits out twice; then the one who sat out longest ago, again.
    assert sorted(sat_out[:count]) == sorted(people), sat_out
    assert sat_out[count:] == sat_out[:count]


async def test_the_trio_is_not_the_same_member_week_after_week(db):
    people = ids(9, 42)
    await setup_pairing(db, ONE)  # odd_policy trio
    for person in people:
        await join(db, ONE, person, now=NOW - timedelta(weeks=1))
    in_trio: Counter[int] = Counter()
    weeks = 9
    for week in range(weeks):
        moment = NOW + timedelta(weeks=week)
        outcome = await pairing_service.create_round(db, ONE, moment, seed=week)
        assert outcome.status == "created" and outcome.plan.sat_out == []
        (trio,) = [group for group in outcome.plan.groups if len(group) == 3]
        in_trio.update(trio)
        await answer_all(db, ONE, outcome.round_id, moment + timedelta(days=3))
    # 27 places in trios among 9 members: nobody should fill more than half the weeks' trios.
    assert max(in_trio.values()) <= weeks // 2, in_trio


def test_a_member_is_due_at_their_frequency():
    assert is_due("weekly", None, 100) and is_due("biweekly", None, 100) and is_due("monthly", None, 100)
    assert [is_due("weekly", 100, 100 + gap) for gap in range(4)] == [False, True, True, True]
    assert [is_due("biweekly", 100, 100 + gap) for gap in range(4)] == [False, False, True, True]
    assert [is_due("monthly", 100, 100 + gap) for gap in range(6)] == [False, False, False, False, True, True]


@pytest.mark.parametrize("seed", [50, 51])
async def test_biweekly_and_monthly_members_are_paired_only_in_their_due_weeks(db, seed):
    weekly, other_weekly, biweekly, monthly = ids(4, seed)
    await setup_pairing(db, ONE)
    for person in (weekly, other_weekly):
        await join(db, ONE, person, now=NOW - timedelta(days=2))
    await join(db, ONE, biweekly, now=NOW - timedelta(days=2), frequency="biweekly")
    await join(db, ONE, monthly, now=NOW - timedelta(days=2), frequency="monthly")
    paired_in: dict[int, list[int]] = {person: [] for person in (weekly, other_weekly, biweekly, monthly)}
    for week in range(8):
        moment = NOW + timedelta(weeks=week)
        outcome = await pairing_service.create_round(db, ONE, moment, seed=week)
        assert outcome.status == "created" and outcome.plan.sat_out == []
        for member in paired_members(outcome):
            paired_in[member].append(week)
            assert (await members_db.get(db, ONE, member))["last_paired_week"] == outcome.iso_week
        await answer_all(db, ONE, outcome.round_id, moment + timedelta(days=3))
        # Once this week's round is made, the preview is of next week's: only those due then.
        next_week, preview = await pairing_service.plan(db, ONE, moment, seed=0)
        assert next_week == schedule.shift_week(outcome.iso_week, 1, UTC_ZONE)
        due = {weekly, other_weekly} | ({biweekly} if (week + 1) % 2 == 0 else set())
        due |= {monthly} if (week + 1) % 4 == 0 else set()
        assert {m for group in preview.groups for m in group} | set(preview.sat_out) == due
    assert paired_in == {
        weekly: list(range(8)),
        other_weekly: list(range(8)),
        biweekly: [0, 2, 4, 6],
        monthly: [0, 4],
    }
    assert (await members_db.get(db, ONE, monthly))["last_paired_week"] == "2026-W51"


async def test_a_biweekly_member_who_skips_a_due_week_is_paired_the_next(db):
    first, second, biweekly = ids(3, 52)
    await setup_pairing(db, ONE)
    await join(db, ONE, first, now=NOW)
    await join(db, ONE, second, now=NOW)
    await join(db, ONE, biweekly, now=NOW, frequency="biweekly")
    await membership.skip(db, ONE, biweekly, "2026-W49", now=NOW)
    weeks = []
    for week in range(6):
        moment = NOW + timedelta(weeks=week)
        outcome = await pairing_service.create_round(db, ONE, moment, seed=week)
        if biweekly in paired_members(outcome):
            weeks.append(outcome.iso_week)
        await answer_all(db, ONE, outcome.round_id, moment + timedelta(days=3))
    # Due in W49 but skipping it: paired in W50 (not W51), then every second week from there.
    assert weeks == ["2026-W47", "2026-W50", "2026-W52"]


async def test_a_round_sat_out_counts_as_a_biweekly_members_turn(db):
    first, second, biweekly = ids(3, 53)
    await setup_pairing(db, ONE, odd_policy="sit_out")
    await join(db, ONE, first, now=NOW)
    await join(db, ONE, second, now=NOW)
    await join(db, ONE, biweekly, now=NOW, frequency="biweekly")
    async with db.transaction() as conn:  # the other two sat out last week: the biweekly member's turn now
        await pairing_db.mark_sat_out(conn, ONE, [first, second], "2026-W46")
    rounds = []
    for week in range(3):
        moment = NOW + timedelta(weeks=week)
        outcome = await pairing_service.create_round(db, ONE, moment, seed=week)
        rounds.append((outcome.plan.groups, outcome.plan.sat_out))
        await answer_all(db, ONE, outcome.round_id, moment + timedelta(days=3))
    pair = tuple(sorted((first, second)))
    assert rounds[0] == ([pair], [biweekly])  # never sat out: longest ago
    assert rounds[1] == ([pair], [])  # not due: sitting out was their turn
    assert biweekly in {m for group in rounds[2][0] for m in group} and len(rounds[2][1]) == 1


# Side jobs once, across many ticks and restarts ----------------------------------------------------


class Channels:
    """What reaches Discord, in place of the bot's senders: each call of a `send_` is one message posted."""

    def __init__(self) -> None:
        self.now: datetime | None = None
        self.notices: list[tuple[str, datetime]] = []
        self.checkins: list[tuple[int, datetime]] = []  # (group, when)
        self.reminders: list[tuple[int, datetime]] = []
        self.lose_next_answer = False  # the next notice reaches the channel, but its answer is lost
        self.deleted: set[str] = set()  # notices a moderator deleted from the channel
        self.down_for: set[int] = set()  # groups whose next check-in or reminder fails (nothing is posted)

    async def send_notice(self, notice) -> None:
        self.notices.append((notice.iso_week, self.now))
        if self.lose_next_answer:
            self.lose_next_answer = False
            raise ConnectionError("the notice was posted, but the answer never came back")

    async def find_notice(self, notice) -> bool:
        return any(week == notice.iso_week and week not in self.deleted for week, _ in self.notices)

    async def send_checkin(self, thread_id: int, group_id: int) -> int:
        if group_id in self.down_for:
            self.down_for.discard(group_id)
            raise ConnectionError("Discord failed: the check-in was not posted")
        self.checkins.append((group_id, self.now))
        return 80_000 + len(self.checkins)

    async def find_checkin(self, thread_id: int, group_id: int) -> int | None:
        return next((80_001 + i for i, (group, _) in enumerate(self.checkins) if group == group_id), None)

    async def send_reminder(self, thread_id: int, group_id: int) -> None:
        if group_id in self.down_for:
            self.down_for.discard(group_id)
            raise ConnectionError("Discord failed: the reminder was not posted")
        self.reminders.append((group_id, self.now))

    async def tick(self, db, guild: int, now: datetime) -> None:
        """One pass of the scheduler's side jobs for the server, in the scheduler's order."""
        self.now = now
        await pairing_service.notice_if_due(db, guild, now, self.send_notice, self.find_notice)
        await pairing_service.checkins_if_due(db, guild, now, self.send_checkin, self.find_checkin)
        await pairing_service.reminders_if_due(db, guild, now, self.send_reminder)


async def deliver(db, round_id: int, first_thread: int) -> list[int]:
    """Open the round's threads as delivery would: returns its group ids, in order."""
    groups = [group["id"] for group in await pairing_db.groups_of_round(db, round_id)]
    for offset, group in enumerate(groups):
        await pairing_db.set_thread(db, group, first_thread + offset)
    await pairing_db.set_round_status(db, round_id, "delivered")
    return groups


async def test_notice_checkins_and_reminders_come_once_a_week_across_ticks_and_restarts(tmp_path):
    """Three weeks of scheduler passes, two at a time every 47 minutes, with a restart about daily, a
    notice whose answer was lost, a pass cut short by a Discord failure and notices a moderator deleted: each
    notice, check-in and reminder reaches Discord exactly once, in its window. Rounds are on Mondays at 09:00
    in Seoul (midnight UTC)."""
    path = tmp_path / "jobs.sqlite3"
    db = await open_database(path)
    channels = Channels()
    people = ids(5, 60)
    made: dict[int, datetime] = {}  # group -> when its round was made
    rounds: list[list[int]] = []
    try:
        await guild_db.ensure(db, ONE, NOW - timedelta(weeks=1))
        await guild_db.set_value(db, ONE, "timezone", "Asia/Seoul")
        await setup_pairing(db, ONE)
        for person in people:
            await join(db, ONE, person, now=NOW - timedelta(weeks=1))
        # This week's round was made on Monday and delivered.
        monday = datetime(2026, 11, 16, tzinfo=UTC)
        outcome = await pairing_service.create_round(db, ONE, monday, seed=1)
        rounds.append(await deliver(db, outcome.round_id, 9000))
        made.update(dict.fromkeys(rounds[-1], monday))
        channels.lose_next_answer = True
        channels.down_for = {rounds[0][1]}  # this week's second group: the first pass fails half-way
        lost = 0
        moment, step, end = NOW, 0, datetime(2026, 12, 7, tzinfo=UTC)  # until the fourth round
        while moment < end:
            step += 1
            if step % 30 == 0:  # a restart, about daily: a new process on the same file
                await db.close()
                db = await open_database(path)
            outcome = await pairing_service.create_round(db, ONE, moment, seed=step)
            if outcome.status == "created":
                rounds.append(await deliver(db, outcome.round_id, 9000 + 10 * len(rounds)))
                made.update(dict.fromkeys(rounds[-1], moment))
            for _ in range(2):
                try:
                    await channels.tick(db, ONE, moment)
                except ConnectionError:
                    lost += 1
            # A moderator tidies the channel: a notice deleted after it was sent is not posted again.
            channels.deleted.update(
                week for week, when in channels.notices if when < moment - timedelta(hours=2)
            )
            # Someone in each round's first group answers once the check-in is there: no reminder for them.
            for groups in rounds:
                checked = {group for group, _ in channels.checkins}
                if groups[0] in checked:
                    (someone, *_) = await pairing_db.group_member_ids(db, groups[0])
                    await pairing_service.record_checkin(db, ONE, groups[0], someone, "met", moment)
            moment += timedelta(minutes=47)
    finally:
        await db.close()
    assert lost == 2
    assert [week for week, _ in channels.notices] == ["2026-W48", "2026-W49", "2026-W50"]
    for week, when in channels.notices:
        slot = schedule.local_slot(week, 0, time(9), SEOUL)
        assert slot - timedelta(days=1) <= when < slot, (week, when)
    assert len(rounds) == 3 and [len(groups) for groups in rounds] == [2, 2, 2]
    assert Counter(group for group, _ in channels.checkins) == Counter(list(made))  # each group once
    for group, when in channels.checkins:
        assert made[group] + timedelta(days=3) <= when < made[group] + timedelta(days=7)
    assert sorted(group for group, _ in channels.reminders) == sorted(groups[1] for groups in rounds)
    for group, when in channels.reminders:
        assert made[group] + timedelta(days=5) <= when < made[group] + timedelta(days=7)


async def test_a_late_checkin_gets_a_day_before_its_reminder(db):
    """The bot was down from the round until Saturday: the check-in goes out at once, and the reminder not in
    the same pass but a day later, once, to the groups where nobody answered in that day (one of them on the
    next pass, as Discord failed it first)."""
    channels = Channels()
    await setup_pairing(db, ONE)
    for person in ids(6, 61):
        await join(db, ONE, person)
    monday = datetime(2026, 11, 23, 9, tzinfo=UTC)
    outcome = await pairing_service.create_round(db, ONE, monday, seed=1)
    groups = await deliver(db, outcome.round_id, 9100)
    back = monday + timedelta(days=5, hours=1)
    await channels.tick(db, ONE, back)
    assert sorted(group for group, _ in channels.checkins) == sorted(groups)
    assert channels.reminders == []
    (someone, *_) = await pairing_db.group_member_ids(db, groups[0])
    await pairing_service.record_checkin(db, ONE, groups[0], someone, "not_yet", back + timedelta(hours=2))
    for minutes in range(0, 24 * 60, 30):  # passes through the day after
        await channels.tick(db, ONE, back + timedelta(minutes=minutes))
    assert channels.reminders == []
    channels.down_for = {groups[2]}
    failed = 0
    for minutes in range(0, 6 * 60, 30):
        try:
            await channels.tick(db, ONE, back + timedelta(days=1, minutes=minutes))
        except ConnectionError:
            failed += 1
    assert failed == 1
    assert channels.reminders == [
        (groups[1], back + timedelta(days=1)),
        (groups[2], back + timedelta(days=1, minutes=30)),
    ]
    assert len(channels.checkins) == len(groups)


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


README = " ".join((Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8").split())
# What the README's Privacy section says is stored about a member who joined, and where mydata shows it.
STORED_AFTER_JOINING = {
    "your Discord user id": ("member", "user_id"),
    "your timezone, interests and frequency if you gave them": (
        "member",
        "timezone",
        "interests",
        "frequency",
    ),
    "the circles you chose, if any": ("member", "circles"),
    "pauses and skips (and when you were paused for not answering three check-ins)": (
        "member",
        "paused_until",
        "skip_week",
        "quiet_paused_at",
    ),
    "when a check before a round last did not find you in the server": (
        "member",
        "not_found_in_server_since",
    ),
    "the members you blocked": ("blocks",),
    "your groups (week, thread, the other members) and your check-in answers": ("rounds",),
    "prompts you suggested": ("member", "suggestions"),
    "and participation events": ("events",),
    "per member the last week they were paired": ("member", "last_paired_week"),
}


async def test_mydata_holds_every_field_the_readme_lists_and_nothing_about_anyone_else(db):
    me, partner, mate, blocked, blocker, outsider = ids(6, 80)
    later = NOW + timedelta(hours=1)
    await circle_service.set_circles(db, ONE, "Asian heritage, LGBTQ+", NOW)
    await membership.join(
        db,
        ONE,
        me,
        timezone="asia/seoul",
        interests="family, identity",
        frequency="biweekly",
        now=NOW,
        circles="LGBTQ+",
    )
    await membership.join(
        db,
        ONE,
        partner,
        timezone="Europe/Berlin",
        interests="stories",
        frequency=None,
        now=NOW,
        circles="Asian heritage",
    )
    for other in (mate, blocked, blocker, outsider):
        await join(db, ONE, other)
    await pairing_service.set_block(db, ONE, me, blocked, True, NOW)
    suggestion = await prompts.suggest(
        db, ONE, me, "family", "우리 할머니의 요리는 무엇이었나요? (grandmother's cooking)", NOW
    )
    round_id = await save_round(db, ONE, "2026-W45", [(partner, me, mate), (outsider, blocker)], NOW)
    mine, theirs = [group["id"] for group in await pairing_db.groups_of_round(db, round_id)]
    await pairing_db.set_thread(db, mine, 777)
    await pairing_db.set_thread(db, theirs, 778)
    await pairing_service.record_checkin(db, ONE, mine, me, "not_yet", NOW)
    await pairing_service.record_checkin(db, ONE, mine, partner, "cant_make_it", NOW)
    await pairing_service.record_checkin(db, ONE, theirs, outsider, "met", NOW)
    await pairing_service.leave_group(db, ONE, mine, me, later)
    async with db.transaction() as conn:
        await pairing_db.mark_sat_out(conn, ONE, [me], "2026-W46")
        await members_db.set_quiet_pause(conn, ONE, me, "2027-02-08", later)
    await membership.skip(db, ONE, me, "2026-W49", now=later)

    async def in_server(asked: list[int]) -> set[int]:  # Discord's answer before a round: I am not found
        return set(asked) - {me}

    await pairing_service.check_presence(db, ONE, in_server, later, save=True)

    raw = await privacy.export_member(db, ONE, me, later)
    assert raw.startswith(b'{\n  "member": {\n    "user_id"') and "우리 할머니" in raw.decode("utf-8")
    data = json.loads(raw)
    assert set(data) == {"member", "blocks", "rounds", "events", "exported_at"}
    for phrase, (section, *fields) in STORED_AFTER_JOINING.items():
        assert phrase in README, f"the README no longer says {phrase!r}: update this list"
        assert data[section] and all(data[section][field] not in (None, []) for field in fields), phrase
    assert data["member"] == {
        "user_id": str(me),
        "opted_in": True,
        "timezone": "Asia/Seoul",
        "interests": ["family", "identity"],
        "frequency": "biweekly",
        "circles": ["LGBTQ+"],
        "quiet_paused_at": later.isoformat(),
        "paused_until": "2027-02-08",
        "skip_week": "2026-W49",
        "last_sat_out_week": "2026-W46",
        "not_found_in_server_since": later.isoformat(),
        "last_paired_week": "2026-W45",
        "joined_at": NOW.isoformat(),
        "updated_at": later.isoformat(),
        "suggestions": [
            {
                "id": suggestion,
                "theme": "family",
                "text": "우리 할머니의 요리는 무엇이었나요? (grandmother's cooking)",
                "status": "pending",
                "created_at": NOW.isoformat(),
            }
        ],
    }
    assert data["blocks"] == [{"user_id": str(blocked), "since": NOW.isoformat()}]
    (group,) = data["rounds"]
    assert sorted(group["members"]) == sorted([str(partner), str(mate)])
    assert {k: v for k, v in group.items() if k != "members"} == {
        "week": "2026-W45",
        "made_at": NOW.isoformat(),
        "thread_id": "777",
        "checkin": "not_yet",
        "left_pairing_at": later.isoformat(),
    }
    assert [e["kind"] for e in data["events"]] == ["joined", "suggested", "not_yet", "left_pairing"]
    assert data["events"][2] == {
        "kind": "not_yet",
        "iso_week": "2026-W45",
        "round_id": round_id,
        "group_size": None,
        "created_at": NOW.isoformat(),
    }
    assert data["exported_at"] == later.isoformat()
    # Every past partner kept to avoid repeats (what /exchange status counts) is in the file.
    assert (await privacy.stored_about(db, ONE, me))["partners"] == len(group["members"])

    # Nothing about anyone else: not who blocked me, not a moderator's exclusion, not my partners' answers,
    # settings or circles, not the members of another group.
    await pairing_service.set_block(db, ONE, blocker, me, True, NOW)
    await pairing_service.set_excluded(db, ONE, me, True, NOW)
    text = (await privacy.export_member(db, ONE, me, later)).decode("utf-8")
    assert text == raw.decode("utf-8")
    for secret in (str(blocker), str(outsider), "778", "cant_make_it", '"met"', "Europe/Berlin", "stories"):
        assert secret not in text, secret
    assert "Asian heritage" not in text


async def test_mydata_shows_every_partner_that_status_counts_after_a_round_was_made_again(db):
    me, first, second, third = ids(4, 82)
    await setup_pairing(db, ONE)
    for person in (me, first, second, third):
        await join(db, ONE, person)
    groups = [(me, first), (second, third)]
    async with db.transaction() as conn:  # the bot stopped while saving this week's round
        round_id = await pairing_db.claim_round(conn, ONE, "2026-W47", 1, None, groups, NOW, saved=False)
        group_ids = await pairing_db.insert_group_rows(conn, ONE, round_id, 1, len(groups))
        rows = pairing_db.round_rows(ONE, "2026-W47", group_ids, 1, groups)
        await pairing_db.write_round_rows(conn, rows.members, rows.pairs, rows.last_paired)
    outcome = await pairing_service.create_round(db, ONE, NOW, seed=3)
    assert outcome.status == "created" and pair_key(me, first) not in outcome.plan.groups
    data = json.loads(await privacy.export_member(db, ONE, me, NOW))
    shown = {member for group in data["rounds"] for member in group["members"]}
    assert (await privacy.stored_about(db, ONE, me))["partners"] == len(shown)


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
    async def opted_in(guild: int) -> int:
        row = await db.fetchone("SELECT count(*) FROM members WHERE guild_id = ? AND status = 'active'", (guild,))
        return row[0]

    assert (await opted_in(ONE), await opted_in(TWO), await opted_in(999)) == (2, 1, 0)
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
