"""Logs under faults tie no member to a group: no member id, no thread id, no name, at any level that is on,
including discord.py's own rate-limit WARNING for `DELETE /channels/<thread>/thread-members/<member>`."""

from __future__ import annotations

import logging

from bot.log_privacy import redact

PRIVATE = 12


async def ask(fake, guild, who, command, options=None, timeout=15, **kwargs):
    return await (await fake.slash(guild, who, command, options, **kwargs)).reply(timeout=timeout)


def test_redact_replaces_every_snowflake_and_keeps_the_rest():
    line = "DELETE https://discord.com/api/v10/channels/1177420633905441337/thread-members/987654321098765432"
    assert redact(line) == "DELETE https://discord.com/api/v10/channels/<id>/thread-members/<id>"
    assert (
        redact("retry in 0.25 s, week 2026-W47, code 3FA2B1") == "retry in 0.25 s, week 2026-W47, code 3FA2B1"
    )


def test_tracebacks_are_redacted_in_text_and_json(caplog):
    from bot import log_privacy
    from bot.config import JsonFormatter

    log_privacy.install()
    with caplog.at_level(logging.ERROR):
        try:
            raise RuntimeError("DELETE /channels/1177420633905441337/thread-members/987654321098765432")
        except RuntimeError:
            logging.getLogger("discord.http").exception("request for 987654321098765432 failed")
    record = caplog.records[-1]
    for text in (logging.Formatter().format(record), JsonFormatter().format(record)):
        assert "987654321098765432" not in text and "1177420633905441337" not in text
        assert "thread-members/<id>" in text


async def test_logs_under_rate_limits_and_failures_name_no_member_and_no_thread(fake, runner, world, caplog):
    w = world(members=5)
    g, mod, people = w["guild"], w["mod"], w["members"]
    pairs = fake.add_text_channel(g, "pairs")
    caplog.set_level(logging.DEBUG)  # whatever is on, nothing personal may be in it
    await runner.start(LOG_LEVEL="DEBUG")
    for member in people:
        await ask(fake, g, member, "exchange join", {"timezone": "Asia/Seoul"})
    await ask(fake, g, people[0], "exchange block", {"member": people[1]})
    await ask(fake, g, mod, "setup pairing", {"channel": pairs, "day": "friday", "time": "18:00"})
    # Rate limits while threads are opened and members are added or removed, a refused send, a 5xx.
    fake.fail("POST", r"^/channels/\d+/threads$", 429, count=1, retry_after=0.2)
    fake.fail("POST", r"^/channels/\d+/messages$", 502, count=1)
    await ask(fake, g, mod, "pairing run-now", timeout=25)
    threads = fake.threads_in(pairs, PRIVATE)
    assert threads
    thread = next(
        t
        for t in threads
        if people[2].id in fake.thread_members[t.id] or people[3].id in fake.thread_members[t.id]
    )
    member = next(p for p in people if p.id in fake.thread_members[thread.id])
    intro = next(m for m in fake.channel_messages(thread) if m.buttons())
    fake.fail("DELETE", r"^/channels/\d+/thread-members/\d+$", 429, count=1, retry_after=0.2)
    left = await (await fake.click(g, member, intro, "Leave this pairing")).reply()
    assert "left this pairing" in left.text
    await fake.wait_for(
        lambda: any(
            "thread-members" in r.getMessage() and r.levelno >= logging.WARNING for r in caplog.records
        ),
        timeout=10,
        what="discord.py's rate-limit warning",
    )
    confirm = await ask(fake, g, people[4], "exchange forget")
    await (await fake.click(g, people[4], confirm, "Confirm")).reply()

    records = [r for r in caplog.records if r.levelno >= logging.DEBUG]
    text = "\n".join(r.getMessage() + "\n" + (r.exc_text or "") for r in records)
    assert "thread-members/<id>" in text, "the rate-limit line is logged, with the ids taken out"
    for person in [*people, mod]:
        assert str(person.id) not in text and person.user.name not in text
    for t in threads:
        assert str(t.id) not in text
    # discord.py's gateway payloads and aiosqlite's SQL parameters stay off even at LOG_LEVEL=DEBUG.
    assert not [
        r for r in records if r.name.startswith(("aiosqlite", "discord")) and r.levelno < logging.INFO
    ]
