"""Weekly side jobs (the pre-round notice, the mid-week check-in) happen exactly once, across Discord
outages, lost answers and restarts; an outage logs one warning and one recovery line."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.db import open_database

PRIVATE = 12
MESSAGES = r"^/channels/\d+/messages$"


async def ask(fake, guild, who, command, options=None):
    return await (await fake.slash(guild, who, command, options)).reply()


@pytest.fixture
async def eight(fake, runner, world):
    """Eight members who joined; pairing on Fridays at 18:00 UTC."""
    w = world(members=8)
    w["pairs"] = fake.add_text_channel(w["guild"], "pairs")
    await runner.start()
    for member in w["members"]:
        await ask(fake, w["guild"], member, "exchange join")
    await ask(
        fake, w["guild"], w["mod"], "setup pairing", {"channel": w["pairs"], "day": "friday", "time": "18:00"}
    )
    return w


def scheduler(runner):
    return runner.bot.get_cog("Scheduler")


async def ticks(fake, runner, count: int = 2) -> None:
    """Let the scheduler's own loop run `count` more full passes, at a fast interval."""
    loop = scheduler(runner).tick
    loop.change_interval(seconds=0.05)
    target = loop.current_loop + count
    await fake.wait_for(lambda: loop.current_loop >= target, timeout=15, what=f"{count} scheduler passes")


def checkins(fake, thread) -> list:
    return [m for m in fake.channel_messages(thread) if m.content.startswith("Mid-week check-in")]


def notices(fake, channel) -> list:
    return [m for m in fake.channel_messages(channel) if m.content.startswith("The next pairing round")]


def outside_warnings(caplog) -> list:
    return [
        r for r in caplog.records if r.levelno == logging.WARNING and "cannot reach Discord" in r.getMessage()
    ]


async def test_checkins_lost_in_an_outage_are_sent_once_when_discord_recovers(
    fake, runner, eight, clock, caplog
):
    g, mod = eight["guild"], eight["mod"]
    assert "8 members take part" in (await ask(fake, g, mod, "pairing run-now")).text
    threads = fake.threads_in(eight["pairs"], PRIVATE)
    await runner.stop()
    clock.moment += timedelta(days=3, hours=1)
    # Discord takes the first two check-ins, then answers 503 to everything.
    fake.fail("POST", MESSAGES, 503, count=10_000, after=2)
    with caplog.at_level(logging.INFO, logger="cogs.scheduler"):
        await runner.start()
        await ticks(fake, runner, 3)
        clock.moment += timedelta(minutes=5)  # past the first backoff: tried again, still failing
        await ticks(fake, runner, 3)
        assert sum(len(checkins(fake, t)) for t in threads) == 2
        assert len(outside_warnings(caplog)) == 1, "one warning for the whole outage"
        assert all(r.exc_info is None for r in caplog.records if r.levelno >= logging.WARNING), "no traceback"
        fake.clear_faults()
        clock.moment += timedelta(hours=1)
        await fake.wait_for(lambda: all(checkins(fake, t) for t in threads), what="every group's check-in")
        await ticks(fake, runner, 2)
    assert [len(checkins(fake, t)) for t in threads] == [1, 1, 1, 1]
    recovered = [r for r in caplog.records if "works again" in r.getMessage()]
    assert len(recovered) == 1 and recovered[0].levelno == logging.INFO
    assert len(outside_warnings(caplog)) == 1


async def test_a_checkin_that_reached_discord_before_a_crash_is_adopted_not_repeated(
    fake, runner, eight, clock
):
    g, mod = eight["guild"], eight["mod"]
    await ask(fake, g, mod, "pairing run-now")
    threads = fake.threads_in(eight["pairs"], PRIVATE)
    await runner.stop()
    db = await open_database(runner.database_path)
    groups = await db.fetchall("SELECT id, thread_id FROM groups ORDER BY position")
    # Group 1 was being sent when the bot died, and Discord never got it; the others come later.
    await db.execute("UPDATE groups SET checkin_status = 'sending' WHERE id = ?", (groups[0]["id"],))
    await db.close()
    clock.moment += timedelta(days=3, hours=1)
    await runner.start()
    await fake.wait_for(lambda: all(checkins(fake, t) for t in threads), what="every group's check-in")
    await runner.stop()
    # A crash after Discord accepted every check-in but before any was recorded as sent.
    db = await open_database(runner.database_path)
    await db.execute("UPDATE groups SET checkin_status = 'sending', checkin_message_id = NULL")
    await db.execute("DELETE FROM weekly_jobs")
    await db.close()
    await runner.start()
    await ticks(fake, runner, 2)
    await runner.stop()
    assert [len(checkins(fake, t)) for t in threads] == [1, 1, 1, 1]
    db = await open_database(runner.database_path)
    rows = await db.fetchall("SELECT thread_id, checkin_status, checkin_message_id FROM groups")
    await db.close()
    by_thread = {t.id: checkins(fake, t)[0].id for t in threads}
    assert {(r["thread_id"], r["checkin_status"], r["checkin_message_id"]) for r in rows} == {
        (tid, "sent", mid) for tid, mid in by_thread.items()
    }, "the check-ins on Discord were adopted"


async def test_notice_waits_out_an_outage_and_is_sent_once(fake, runner, eight, clock, caplog):
    await runner.stop()
    clock.moment = datetime(2026, 11, 19, 19, 0, tzinfo=UTC)  # a day before Friday's round
    fake.fail("POST", MESSAGES, 503, count=10_000)
    with caplog.at_level(logging.INFO, logger="cogs.scheduler"):
        await runner.start()
        await ticks(fake, runner, 3)
        assert notices(fake, eight["pairs"]) == []
        fake.clear_faults()
        clock.moment += timedelta(hours=2)
        await fake.wait_for(lambda: notices(fake, eight["pairs"]), what="the notice after the outage")
        await ticks(fake, runner, 2)
        clock.moment += timedelta(hours=2)
        await ticks(fake, runner, 2)
    assert len(notices(fake, eight["pairs"])) == 1
    assert len(outside_warnings(caplog)) == 1
    # A restart after Discord took the notice but before it was recorded: found, not posted again.
    await runner.stop()
    db = await open_database(runner.database_path)
    await db.execute("UPDATE weekly_jobs SET status = 'sending' WHERE job = 'notice'")
    await db.close()
    await runner.start()
    await ticks(fake, runner, 2)
    assert len(notices(fake, eight["pairs"])) == 1


async def test_a_notice_whose_round_has_come_is_dropped_not_sent_late(fake, runner, eight, clock):
    await runner.stop()
    clock.moment = datetime(2026, 11, 19, 19, 0, tzinfo=UTC)
    fake.fail("POST", MESSAGES, 503, count=10_000)
    await runner.start()
    await ticks(fake, runner, 2)
    fake.clear_faults()
    clock.moment = datetime(2026, 11, 20, 18, 1, tzinfo=UTC)  # the outage lasted until the round
    await fake.wait_for(lambda: len(fake.threads_in(eight["pairs"], PRIVATE)) == 4, what="the round")
    await ticks(fake, runner, 2)
    assert notices(fake, eight["pairs"]) == []


async def test_a_round_failing_in_an_outage_logs_once_and_completes(fake, runner, eight, clock, caplog):
    await runner.stop()
    clock.moment = datetime(2026, 11, 20, 18, 1, tzinfo=UTC)
    fake.fail("POST", r"^/channels/\d+/threads$", 503, count=10_000, after=1)
    with caplog.at_level(logging.INFO):
        await runner.start()
        await ticks(fake, runner, 2)
        for _ in range(4):  # an hour of outage, the scheduler still passing by
            clock.moment += timedelta(minutes=15)
            await ticks(fake, runner, 2)
        assert len(fake.threads_in(eight["pairs"], PRIVATE)) == 1
        health = runner.bot.get_cog("Operations")
        await health.health()
        fake.clear_faults()
        clock.moment += timedelta(minutes=15)
        await fake.wait_for(lambda: len(fake.threads_in(eight["pairs"], PRIVATE)) == 4, what="the round")
        await ticks(fake, runner, 2)
    assert len(outside_warnings(caplog)) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info], "no traceback for Discord's failure"
    line = [r.getMessage() for r in caplog.records if r.getMessage().startswith("health:")][-1]
    assert "5 failed job tries from outside causes" in line
    assert len([r for r in caplog.records if "works again" in r.getMessage()]) == 1


async def test_the_bots_own_error_keeps_its_traceback(fake, runner, eight, caplog):
    async def broken_job(guild_id: int) -> None:
        raise KeyError("a bug")

    scheduler(runner).jobs.append(broken_job)
    with caplog.at_level(logging.ERROR, logger="cogs.scheduler"):
        await ticks(fake, runner, 2)
    failures = [r for r in caplog.records if "broken_job failed" in r.getMessage()]
    assert failures and failures[0].exc_info is not None
