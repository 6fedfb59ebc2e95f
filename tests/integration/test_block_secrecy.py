"""No moderator-visible output depends on whether a particular block exists. Three servers are driven through
the same moderator session: one without a block, one where A blocked B, one where B blocked A; the moderator
excludes all but two, three or four members (the state that used to give a block away) and every moderator
command's reply, file and chart must be the same in all three."""

from __future__ import annotations

import re

import pytest

SNOWFLAKE = re.compile(r"\d{15,21}")


async def ask(fake, guild, who, command, options=None, timeout=15, **kwargs):
    return await (await fake.slash(guild, who, command, options, **kwargs)).reply(timeout=timeout)


def normal(reply) -> tuple:
    """What the moderator sees, with the server's own ids taken out (they differ between servers)."""
    files = tuple(
        (name, data if name.endswith(".png") else SNOWFLAKE.sub("<id>", data.decode()))
        for name, data in reply.files
    )
    return SNOWFLAKE.sub("<id>", reply.text), files


async def moderator_session(fake, w, eligible: int, policy: str, block: tuple[int, int] | None) -> list:
    g, mod, people = w["guild"], w["mod"], w["members"]
    for member in people:
        await ask(fake, g, member, "exchange join")
    if block is not None:
        a, b = block
        await ask(fake, g, people[a], "exchange block", {"member": people[b]})
    seen = []
    for member in people[eligible:]:
        seen.append(normal(await ask(fake, g, mod, "pairing exclude", {"member": member})))
    seen.append(
        normal(
            await ask(
                fake,
                g,
                mod,
                "setup pairing",
                {"channel": w["pairs"], "day": "friday", "time": "18:00", "odd_policy": policy},
            )
        )
    )
    commands = [
        ("setup show", None),
        ("pairing preview", None),
        ("stats", {"weeks": 2, "format": "csv"}),
        ("pairing run-now", None),
        ("pairing run-now", None),
        ("pairing preview", None),
        ("stats", {"weeks": 2}),
        ("stats", {"weeks": 2, "format": "csv"}),
        ("setup show", None),
    ]
    for command, options in commands:
        seen.append((command, normal(await ask(fake, g, mod, command, options, timeout=25))))
    return seen


@pytest.mark.parametrize(("eligible", "policy"), [(2, "trio"), (3, "trio"), (3, "sit_out"), (4, "trio")])
async def test_moderator_outputs_are_the_same_with_and_without_a_block(fake, runner, world, eligible, policy):
    servers = [world(members=6) for _ in range(3)]
    for w in servers:
        w["pairs"] = fake.add_text_channel(w["guild"], "pairs")
    await runner.start()
    sessions = [
        await moderator_session(fake, w, eligible, policy, block)
        for w, block in zip(servers, [None, (0, 1), (1, 0)], strict=True)
    ]
    # The test can see the block: the member threads differ (the blocked two never share one).
    together = [
        any(
            {w["members"][0].id, w["members"][1].id} <= fake.thread_members[t.id]
            for t in fake.threads_in(w["pairs"], 12)
        )
        for w in servers
    ]
    assert together[1:] == [False, False]
    for command_index, (without, *with_block) in enumerate(zip(*sessions, strict=True)):
        for other in with_block:
            assert other == without, f"step {command_index} differs with a block: {other} vs {without}"
