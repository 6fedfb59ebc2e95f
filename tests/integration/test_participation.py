"""The opt-in participation log, /stats in aggregate, and members' export and erasure."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta

import pytest

PRIVATE = 12


async def ask(fake, guild, who, command, options=None, **kwargs):
    return await (await fake.slash(guild, who, command, options, **kwargs)).reply()


async def my_data(fake, guild, who):
    reply = await ask(fake, guild, who, "exchange mydata")
    assert reply.ephemeral and reply.files[0][0] == "bridges-my-data.json"
    return reply.file_json()


@pytest.fixture
async def server(fake, runner, world):
    w = world(members=5)
    w["prompts"] = fake.add_text_channel(w["guild"], "weekly-prompt")
    w["pairs"] = fake.add_text_channel(w["guild"], "pairs")
    await runner.start()
    return w


async def prompt_thread(fake, server):
    g, mod = server["guild"], server["mod"]
    await ask(fake, g, mod, "setup prompts", {"channel": server["prompts"], "day": "monday", "time": "09:00"})
    # post-now waits for the scheduled post to finish (same lock) and finds the week done.
    assert "already posted" in (await ask(fake, g, mod, "prompts post-now")).text
    return fake.threads_in(server["prompts"], 11)[0]


async def test_prompt_replies_are_logged_only_for_members_who_opted_in(fake, runner, server):
    g, (joined, outsider) = server["guild"], server["members"][:2]
    await ask(fake, g, joined, "exchange join")
    thread = await prompt_thread(fake, server)
    await fake.post_as(outsider, thread, "My grandmother's dumplings!")
    await fake.post_as(joined, thread, "Songs from my childhood.")
    await fake.post_as(joined, thread, "And one more thought.")
    events: list[str] = []
    for _ in range(5):  # each reply is logged by its own task; each /exchange mydata round trip lets them run
        events = [e["kind"] for e in (await my_data(fake, g, joined))["events"]]
        if "prompt_reply" in events:
            break
    assert events.count("prompt_reply") == 1, events
    theirs = await my_data(fake, g, outsider)
    assert theirs == {**theirs, "member": None, "blocks": [], "rounds": [], "events": []}
    rows = await runner.bot.db.fetchall("SELECT * FROM events WHERE user_id = ?", (outsider.id,))
    assert rows == [], "a member who did not join leaves no trace"
    texts = await runner.bot.db.fetchall("SELECT * FROM events WHERE kind = 'prompt_reply'")
    assert all("dumplings" not in str(tuple(r)) and "Songs" not in str(tuple(r)) for r in texts)


async def test_stats_chart_and_csv_are_aggregate_and_mask_small_counts(fake, runner, server, clock):
    g, mod, people = server["guild"], server["mod"], server["members"]
    for member in people:
        await ask(fake, g, member, "exchange join")
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "18:00"})
    await ask(fake, g, mod, "pairing run-now")
    threads = fake.threads_in(server["pairs"], PRIVATE)
    assert len(threads) == 2

    reply = await ask(fake, g, mod, "stats", {"weeks": 4})
    assert reply.ephemeral
    name, png = reply.files[0]
    assert name.endswith(".png") and png.startswith(b"\x89PNG")
    # The current week's prompt-thread count waits for the week's end (it would step as people post).
    assert "2026-W47 | 5 | 5 | 0 | 0% | after the week" in reply.text
    assert "2026-W46" not in reply.text, "weeks before Bridges came to the server are not shown as zeros"
    everything = reply.text + png.decode("latin-1")
    for person in [*people, mod]:
        assert str(person.id) not in everything and person.user.name not in reply.text

    csv_reply = await ask(fake, g, mod, "stats", {"weeks": 2, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(csv_reply.files[0][1].decode())))
    assert rows[-1] == {
        "week": "2026-W47",
        "opted_in": "5",
        "paired": "5",
        "groups_met": "0",
        "checkin_response_rate": "0%",
        "prompt_participants": "after the week",
    }

    # Two members leave: a week with fewer than 3 participants shows only "<3".
    for member in people[:3]:
        await ask(fake, g, member, "exchange leave")
    await runner.stop()
    clock.moment += timedelta(weeks=1)
    await runner.start()
    csv_reply = await ask(fake, g, mod, "stats", {"weeks": 2, "format": "csv"})
    last = list(csv.DictReader(io.StringIO(csv_reply.files[0][1].decode())))[-1]
    assert last["opted_in"] == "<3" and last["paired"] == "<3"


async def test_members_cannot_see_stats(fake, server):
    from tests.fakediscord import CommandHidden

    with pytest.raises(CommandHidden):
        await fake.slash(server["guild"], server["members"][0], "stats")


async def test_mydata_keys_then_forget_erases_while_the_block_on_them_holds(fake, runner, server):
    g, mod, (ana, ben) = server["guild"], server["mod"], server["members"][:2]
    await ask(fake, g, ana, "exchange join", {"timezone": "Asia/Seoul", "interests": "family"})
    await ask(fake, g, ben, "exchange join")
    await ask(fake, g, ana, "exchange block", {"member": ben})
    await ask(fake, g, ben, "exchange block", {"member": ana})
    await ask(fake, g, ben, "prompt suggest", {"text": "What song reminds you of home?", "theme": "heritage"})

    data = await my_data(fake, g, ben)
    assert set(data) == {"member", "blocks", "rounds", "events", "exported_at"}
    assert data["member"]["opted_in"] and data["member"]["suggestions"][0]["status"] == "pending"
    assert data["blocks"] == [{"user_id": str(ana.id), "since": data["blocks"][0]["since"]}]
    assert [e["kind"] for e in data["events"]] == ["joined", "suggested"]
    assert str(ben.id) not in str(data["blocks"]) and "ana" not in str(await my_data(fake, g, ana))

    confirm = await ask(fake, g, ben, "exchange forget")
    assert "cannot be undone" in confirm.text
    button = confirm.button("Confirm")
    assert "confirm" in button["custom_id"]
    done = await (await fake.click(g, ben, confirm, "Confirm")).reply()
    assert "erased" in done.text

    data = await my_data(fake, g, ben)
    assert data["member"] is None and data["blocks"] == [] and data["rounds"] == [] and data["events"] == []
    assert "not joined" in (await ask(fake, g, ben, "exchange status")).text

    # Ben comes back; Ana's block on him still keeps them apart.
    await ask(fake, g, ben, "exchange join")
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "18:00"})
    reply = await ask(fake, g, mod, "pairing run-now")
    # The reply does not show the block (moderators never learn of one); no thread puts them together.
    assert "2 members take part" in reply.text
    assert fake.threads_in(server["pairs"], PRIVATE) == []


async def test_forget_keeps_others_history_as_a_former_member(fake, runner, server):
    g, mod, (ana, ben) = server["guild"], server["mod"], server["members"][:2]
    for member in (ana, ben):
        await ask(fake, g, member, "exchange join")
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "18:00"})
    await ask(fake, g, mod, "pairing run-now")
    assert f"<@{ben.id}>" in (await ask(fake, g, ana, "exchange history")).text
    confirm = await ask(fake, g, ben, "exchange forget")
    await (await fake.click(g, ben, confirm, "Confirm")).reply()
    history = await ask(fake, g, ana, "exchange history")
    assert "a former member" in history.text and str(ben.id) not in history.text
    assert (await my_data(fake, g, ana))["rounds"][0]["members"] == ["a former member"]


async def test_cancel_forget_changes_nothing(fake, server):
    g, ana = server["guild"], server["members"][0]
    await ask(fake, g, ana, "exchange join", {"interests": "identity"})
    before = await my_data(fake, g, ana)
    confirm = await ask(fake, g, ana, "exchange forget")
    cancelled = await (await fake.click(g, ana, confirm, "Cancel")).reply()
    assert "nothing was changed" in cancelled.text
    after = await my_data(fake, g, ana)
    assert after["member"]["opted_in"] is True and after["member"]["interests"] == ["identity"]
    assert [e["kind"] for e in after["events"]] == ["joined"]
    before["exported_at"] = after["exported_at"]
    assert after == before


async def test_retention_purge_deletes_old_events_and_rounds(fake, runner, server, clock, caplog, request):
    import logging

    g, mod, people = server["guild"], server["mod"], server["members"]
    purge_done = asyncio.Event()

    class PurgeDone(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("retention purge removed"):
                purge_done.set()

    caplog.set_level(logging.INFO, logger="bot.services.privacy")
    watcher = PurgeDone()
    logging.getLogger("bot.services.privacy").addHandler(watcher)
    request.addfinalizer(lambda: logging.getLogger("bot.services.privacy").removeHandler(watcher))
    for member in people[:2]:
        await ask(fake, g, member, "exchange join")
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "18:00"})
    await ask(fake, g, mod, "pairing run-now")
    assert (
        "Participation events and pairing history older than 4 weeks"
        in (await ask(fake, g, mod, "setup retention", {"weeks": 4})).text
    )
    await runner.stop()
    clock.moment += timedelta(weeks=5)
    await runner.start()  # the daily purge also runs once at start, in short chunks
    await asyncio.wait_for(purge_done.wait(), 10)
    await ask(fake, g, people[0], "exchange pause", {"weeks": 1})  # a fresh event, kept

    async def purged():
        data = await my_data(fake, g, people[0])
        return [e["kind"] for e in data["events"]], data["rounds"]

    kinds, rounds = await purged()
    assert kinds == ["paused"] and rounds == []


async def test_info_logs_name_nobody(fake, runner, server, caplog):
    import logging

    g, mod, people = server["guild"], server["mod"], server["members"]
    with caplog.at_level(logging.INFO):
        for member in people:
            await ask(fake, g, member, "exchange join", {"timezone": "Europe/Paris"})
        await ask(fake, g, people[0], "exchange block", {"member": people[1]})
        await ask(
            fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "18:00"}
        )
        await ask(fake, g, mod, "pairing run-now")
        thread = await prompt_thread(fake, server)
        await fake.post_as(people[0], thread, "a private story")
        confirm = await ask(fake, g, people[2], "exchange forget")
        await (await fake.click(g, people[2], confirm, "Confirm")).reply()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "made the round" in logged and "erased a member's data" in logged
    for person in [*people, mod]:
        assert str(person.id) not in logged and person.user.name not in logged
    assert "a private story" not in logged and fake.token not in logged
