"""Blocks hold whichever member has the higher id, week after week, through the real commands."""

from __future__ import annotations

import random
from datetime import timedelta

PRIVATE = 12


async def ask(fake, guild, who, command, options=None):
    return await (await fake.slash(guild, who, command, options)).reply()


async def test_blocks_from_higher_and_lower_ids_hold_every_week(fake, runner, world, clock):
    w = world(members=6)
    g, mod, pairs = w["guild"], w["mod"], fake.add_text_channel(w["guild"], "pairs")
    await runner.start()
    people = list(w["members"])
    random.Random(16).shuffle(people)  # who blocks whom does not follow the order ids were given
    for member in people:
        await ask(fake, g, member, "exchange join")
    blocks = [(people[0], people[1]), (people[2], people[3]), (people[4], people[5])]
    assert {a.id > b.id for a, b in blocks} == {True, False}, "both directions are exercised"
    for blocker, blocked in blocks:
        await ask(fake, g, blocker, "exchange block", {"member": blocked})
    await ask(fake, g, mod, "setup pairing", {"channel": pairs, "day": "sunday", "time": "23:00"})
    seen = 0
    # Three weeks: after three rounds in a row with no check-in answer, members are paused (re-engagement).
    for week in range(3):
        if week:
            clock.moment += timedelta(weeks=1)
        reply = await ask(fake, g, mod, "pairing run-now")
        assert "6 members take part" in reply.text, reply.text
        threads = fake.threads_in(pairs, PRIVATE)
        assert len(threads) == seen + 3
        for thread in threads[seen:]:
            members = fake.thread_members[thread.id]
            for blocker, blocked in blocks:
                assert not {blocker.id, blocked.id} <= members, f"week {week}: a blocked pair shares a thread"
        seen = len(threads)
