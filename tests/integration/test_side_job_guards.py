"""The bot keeps running across many scheduler ticks (and a restart): the pre-round notice and the mid-week
check-in still happen once a week. Time comes only from the injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

PRIVATE = 12


async def ask(fake, guild, who, command, options=None):
    return await (await fake.slash(guild, who, command, options)).reply()


async def ticks(runner, guild_id: int, count: int) -> None:
    """Run the scheduler's work for the server `count` times, as its 30-second loop would."""
    scheduler = runner.bot.get_cog("Scheduler")
    for _ in range(count):
        await scheduler.run_guild(guild_id)


async def test_notice_and_checkin_once_across_ticks_and_a_restart(fake, runner, world, clock):
    w = world(members=4)
    g, pairs = w["guild"], fake.add_text_channel(w["guild"], "pairs")
    await runner.start()
    for member in w["members"]:
        await ask(fake, g, member, "exchange join")
    await ask(fake, g, w["mod"], "setup pairing", {"channel": pairs, "day": "friday", "time": "18:00"})

    def notices():
        return [m for m in fake.channel_messages(pairs) if "next pairing round" in m.content]

    await ticks(runner, g["id"], 2)  # Wednesday noon: more than a day before the round
    assert notices() == []
    clock.moment = datetime(2026, 11, 19, 18, 30, tzinfo=UTC)  # Thursday, within a day of the round
    await ticks(runner, g["id"], 3)
    clock.moment += timedelta(hours=2)
    await ticks(runner, g["id"], 3)
    await runner.restart()
    clock.moment += timedelta(hours=2)
    await ticks(runner, g["id"], 3)
    assert len(notices()) == 1, "the pre-round notice is sent once"

    clock.moment = datetime(2026, 11, 20, 18, 1, tzinfo=UTC)
    await ticks(runner, g["id"], 2)
    threads = fake.threads_in(pairs, PRIVATE)
    assert len(threads) == 2

    def checkins():
        return [sum("check-in" in m.content for m in fake.channel_messages(t)) for t in threads]

    clock.moment += timedelta(days=2, hours=23)  # not yet mid-week
    await ticks(runner, g["id"], 2)
    assert checkins() == [0, 0]
    clock.moment += timedelta(hours=2)
    await ticks(runner, g["id"], 3)
    await runner.restart()
    clock.moment += timedelta(hours=5)
    await ticks(runner, g["id"], 3)
    assert checkins() == [1, 1], "one check-in per group"
    # The next week's notice comes, once, a day before next Friday.
    clock.moment = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
    await ticks(runner, g["id"], 3)
    assert len(notices()) == 2
