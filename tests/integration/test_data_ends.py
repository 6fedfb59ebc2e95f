"""Member rows of people who left pairing, or the server, end with the retention period."""

from __future__ import annotations

from datetime import timedelta

PRIVATE = 12


async def ask(fake, guild, who, command, options=None):
    return await (await fake.slash(guild, who, command, options)).reply()


async def member_row(runner, guild, member):
    return await runner.bot.db.fetchone(
        "SELECT status, departed_at FROM members WHERE guild_id = ? AND user_id = ?", (guild["id"], member.id)
    )


async def test_people_who_left_are_removed_after_the_retention_period(fake, runner, world, clock):
    w = world(members=7)
    g, mod, people = w["guild"], w["mod"], w["members"]
    pairs = fake.add_text_channel(g, "pairs")
    await runner.start()
    for member in people:
        await ask(fake, g, member, "exchange join", {"timezone": "Asia/Seoul"})
    await ask(fake, g, mod, "setup pairing", {"channel": pairs, "day": "friday", "time": "18:00"})
    await ask(fake, g, mod, "setup retention", {"weeks": 8})
    quitter, gone, stayer = people[0], people[4], people[2]
    await ask(fake, g, quitter, "exchange leave")
    fake.remove_member(g, gone)  # leaves the server without a word: the bot hears nothing until the round
    assert "groups" in (await ask(fake, g, mod, "pairing run-now")).text
    assert (await member_row(runner, g, gone))["departed_at"] is not None, "found gone at the round: set aside"
    assert (await member_row(runner, g, stayer))["status"] == "active"

    clock.moment += timedelta(weeks=4)  # within the retention period: everything stays
    await runner.bot.get_cog("Participation").purge()
    assert await member_row(runner, g, quitter) is not None and await member_row(runner, g, gone) is not None

    clock.moment += timedelta(weeks=5)  # now past it
    await runner.bot.get_cog("Participation").purge()
    assert await member_row(runner, g, quitter) is None
    assert await member_row(runner, g, gone) is None
    assert (await member_row(runner, g, stayer))["status"] == "active", "an opted-in member stays"
    assert (await my_data(fake, g, quitter))["member"] is None
    # The one who left the server is no longer paired: the next round places only the five who remain.
    await ask(fake, g, mod, "pairing run-now")
    newest = await runner.bot.db.fetchone("SELECT member_count FROM rounds ORDER BY id DESC LIMIT 1")
    assert newest["member_count"] == 5


async def my_data(fake, guild, who):
    reply = await ask(fake, guild, who, "exchange mydata")
    return reply.file_json()
