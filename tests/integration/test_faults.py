"""Faults a long-running bot meets: outages, rate limits, dropped gateways, busy databases, two servers."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from datetime import UTC, datetime

import pytest

PRIVATE = 12


async def ask(fake, guild, who, command, options=None, timeout=15, **kwargs):
    return await (await fake.slash(guild, who, command, options, **kwargs)).reply(timeout=timeout)


@pytest.fixture
async def server(fake, runner, world):
    w = world(members=4)
    w["prompts"] = fake.add_text_channel(w["guild"], "weekly-prompt")
    w["pairs"] = fake.add_text_channel(w["guild"], "pairs")
    await runner.start()
    for member in w["members"]:
        await ask(fake, w["guild"], member, "exchange join")
    return w


def posts(fake, channel):
    return [m for m in fake.channel_messages(channel) if m.embeds]


async def test_rate_limits_and_server_errors_delay_but_do_not_double(fake, server):
    g, mod = server["guild"], server["mod"]
    fake.fail("POST", r"^/channels/\d+/messages$", 429, count=2, retry_after=0.2)
    fake.fail("POST", r"^/channels/\d+/messages/\d+/threads$", 502, count=1)  # discord.py retries these
    await ask(fake, g, mod, "setup prompts", {"channel": server["prompts"], "day": "sunday", "time": "23:00"})
    fake.fail("POST", r"^/channels/\d+/messages$", 503, count=1)  # ...not this one: the week waits
    first = await ask(fake, g, mod, "prompts post-now", timeout=20)
    assert "HTTP 503" in first.text and posts(fake, server["prompts"]) == []
    reply = await ask(fake, g, mod, "prompts post-now", timeout=20)
    assert "Posted" in reply.text
    assert len(posts(fake, server["prompts"])) == 1 and len(fake.threads_in(server["prompts"], 11)) == 1

    fake.fail("POST", r"^/channels/\d+/threads$", 429, count=1, retry_after=0.3)
    fake.fail("POST", r"^/channels/\d+/messages$", 502, count=1)
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "sunday", "time": "23:00"})
    reply = await ask(fake, g, mod, "pairing run-now", timeout=20)
    assert "4 members take part" in reply.text and "Delivery stopped" not in reply.text
    threads = fake.threads_in(server["pairs"], PRIVATE)
    assert len(threads) == 2
    assert all(sum(1 for m in fake.channel_messages(t) if m.buttons()) == 1 for t in threads)


async def test_gateway_drop_resumes_and_commands_keep_working(fake, runner, server):
    g = server["guild"]
    await fake.drop_gateway(code=1006)
    await fake.wait_for(lambda: fake.resumes == 1 and fake.sessions, timeout=20, what="the bot to resume")
    assert fake.identifies == 1, "a resume, not a new session"
    assert "You are in pairing" in (await ask(fake, g, server["members"][0], "exchange status")).text


async def test_ready_after_a_long_outage_catches_up(fake, runner, server, clock):
    g, mod = server["guild"], server["mod"]
    await ask(fake, g, mod, "setup prompts", {"channel": server["prompts"], "day": "friday", "time": "09:00"})
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "10:00"})
    assert posts(fake, server["prompts"]) == []
    clock.moment = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)  # Saturday: both slots passed during the outage
    fake.forget_sessions()
    await fake.drop_gateway(code=4000)
    await fake.wait_for(lambda: fake.identifies == 2, timeout=20, what="a new session")
    await fake.wait_for(lambda: posts(fake, server["prompts"]), timeout=10, what="the missed post")
    await fake.wait_for(
        lambda: len(fake.threads_in(server["pairs"], PRIVATE)) == 2, timeout=10, what="the round"
    )


async def test_busy_database_makes_writes_wait_not_fail(fake, runner, server):
    g, newcomer = server["guild"], fake.add_member(server["guild"], "newcomer")
    locked = threading.Event()
    released = threading.Event()

    def hold_lock() -> None:
        """Another process (a backup tool, say) holds the database for a second."""
        other = sqlite3.connect(runner.database_path, timeout=5)
        other.execute("BEGIN EXCLUSIVE")
        locked.set()
        released.wait(1.0)  # nobody sets it: this is the length of the hold
        released.set()
        other.rollback()
        other.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    await asyncio.to_thread(locked.wait, 5)
    reply = await ask(fake, g, newcomer, "exchange join", timeout=20)
    assert released.is_set(), "the reply came while the database was still locked"
    assert "You're in" in reply.text
    await asyncio.to_thread(holder.join, 5)
    assert "You are in pairing" in (await ask(fake, g, newcomer, "exchange status")).text


async def run_a_week(fake, w):
    """Everything a server does in a week: joins, a block, a suggestion, setup, the post and the round."""
    g, mod, people = w["guild"], w["mod"], w["members"]
    for member in people:
        await ask(fake, g, member, "exchange join", {"interests": "family"})
    await ask(fake, g, people[0], "exchange block", {"member": people[1]})
    await ask(
        fake,
        g,
        people[2],
        "prompt suggest",
        {"text": f"Only in {g['name']}: what do you cook?", "theme": "family"},
    )
    await ask(
        fake, g, mod, "prompts add", {"theme": "family", "text": f"Added in {g['name']}: who raised you?"}
    )
    await ask(fake, g, mod, "setup prompts", {"channel": w["prompts"], "day": "sunday", "time": "23:00"})
    await ask(fake, g, mod, "setup pairing", {"channel": w["pairs"], "day": "sunday", "time": "23:00"})
    await ask(fake, g, mod, "prompts post-now")
    await ask(fake, g, mod, "pairing run-now")


async def test_two_servers_never_see_each_others_data(fake, runner, world):
    a, b = world(members=4), world(members=3)
    a["guild"]["name"], b["guild"]["name"] = "server A", "server B"
    for w in (a, b):
        w["prompts"] = fake.add_text_channel(w["guild"], "prompts")
        w["pairs"] = fake.add_text_channel(w["guild"], "pairs")
    await runner.start()
    await run_a_week(fake, a)
    gb, mod_b = b["guild"], b["mod"]
    a_ids = {str(m.id) for m in [*a["members"], a["mod"]]} | {str(a["prompts"].id), str(a["pairs"].id)}

    def clean(text: str) -> None:
        assert "server A" not in text and not any(i in text for i in a_ids), text[:300]

    # Every command of server B, before and after B's own week, shows nothing of server A.
    for stage in ("before", "after"):
        if stage == "after":
            await run_a_week(fake, b)
        member = b["members"][0]
        for who, command, options in [
            (member, "exchange status", None),
            (member, "exchange history", None),
            (member, "prompt current", None),
            (mod_b, "setup show", None),
            (mod_b, "prompts list", None),
            (mod_b, "prompts list", {"status": "pending"}),
            (mod_b, "prompts review", None),
            (mod_b, "pairing preview", None),
        ]:
            clean((await ask(fake, gb, who, command, options)).text)
        clean(json.dumps((await ask(fake, gb, member, "exchange mydata")).file_json()))
        clean((await ask(fake, gb, mod_b, "prompts export")).files[0][1].decode())
        clean((await ask(fake, gb, mod_b, "stats", {"weeks": 1, "format": "csv"})).files[0][1].decode())
    a_export = (await ask(fake, a["guild"], a["mod"], "prompts export")).files[0][1].decode()
    a_only_id = next(r.split(",")[0] for r in a_export.splitlines() if "Added in server A" in r)
    refused = await ask(
        fake, gb, mod_b, "prompts edit", {"id": int(a_only_id), "text": "Changed from server B?"}
    )
    assert "no prompt" in refused.text.lower()
    assert "no prompt" in (await ask(fake, gb, mod_b, "prompts remove", {"id": int(a_only_id)})).text.lower()
    csv_b = (await ask(fake, gb, mod_b, "stats", {"weeks": 1, "format": "csv"})).files[0][1].decode()
    assert csv_b.splitlines()[1].split(",")[1] == "3"  # B's own three members opted in, not A's four
    # Each server got exactly its own post and round.
    assert len(posts(fake, a["prompts"])) == 1 and len(posts(fake, b["prompts"])) == 1
    assert len(fake.threads_in(a["pairs"], PRIVATE)) == 2 and len(fake.threads_in(b["pairs"], PRIVATE)) == 1


async def test_everyone_pings_in_prompts_reach_nobody(fake, runner, server):
    g, mod = server["guild"], server["mod"]
    # Prompt #1 comes first in the rotation (its theme has the most prompts, then library order).
    await ask(fake, g, mod, "prompts edit", {"id": 1, "text": "@everyone what story do you tell most often?"})
    await ask(fake, g, mod, "setup prompts", {"channel": server["prompts"], "day": "sunday", "time": "23:00"})
    assert "Posted" in (await ask(fake, g, mod, "prompts post-now")).text
    post = posts(fake, server["prompts"])[0]
    assert post.embeds[0]["description"].startswith("@everyone")
    assert post.allowed_mentions == {"parse": []} or post.allowed_mentions.get("parse") == []


async def test_join_leave_toggling_is_rate_limited(fake, runner, world):
    w = world(members=1)
    await runner.start()
    g, ana = w["guild"], w["members"][0]
    for i in range(6):
        await ask(fake, g, ana, "exchange leave" if i % 2 else "exchange join")
    refused = await ask(fake, g, ana, "exchange join")
    assert refused.ephemeral and "try again in" in refused.text
    assert "You left pairing" in (await ask(fake, g, ana, "exchange status")).text


async def test_one_broken_server_does_not_stop_the_others(fake, runner, world, clock):
    a, b = world(members=1), world(members=1)
    for w in (a, b):
        w["prompts"] = fake.add_text_channel(w["guild"], "prompts")
    await runner.start()
    for w in (a, b):
        await ask(
            fake,
            w["guild"],
            w["mod"],
            "setup prompts",
            {"channel": w["prompts"], "day": "friday", "time": "09:00"},
        )
    await runner.stop()
    from tests.fakediscord import payloads as p

    fake.deny(a["prompts"], p.SEND_MESSAGES)
    clock.moment = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    await runner.start()
    await fake.wait_for(lambda: posts(fake, b["prompts"]), what="server B's post")
    # post-now waits for server A's own scheduled attempt (same lock), then fails the same way.
    assert "could not post" in (await ask(fake, a["guild"], a["mod"], "prompts post-now")).text
    assert posts(fake, a["prompts"]) == []
    assert "Prompt problem" in (await ask(fake, a["guild"], a["mod"], "setup show")).text
