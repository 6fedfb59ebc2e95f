"""Circles under the fake: moderators name them, members choose privately, and nobody else ever learns who
chose which: not a partner, not a moderator, not /stats, not a log line."""

from __future__ import annotations

import csv
import io
import logging

import pytest

from bot.services import pairing

PRIVATE = 12


async def ask(fake, guild, who, command, options=None, **kwargs):
    return await (await fake.slash(guild, who, command, options, **kwargs)).reply()


@pytest.fixture
async def server(fake, runner, world):
    w = world(members=8)
    w["pairs"] = fake.add_text_channel(w["guild"], "pairs")
    await runner.start()
    return w


async def test_moderators_name_circles_within_the_limits(fake, server):
    g, mod = server["guild"], server["mod"]
    too_few = await ask(fake, g, mod, "setup circles", {"names": "Only one"})
    assert too_few.ephemeral and "2 to 8 circles" in too_few.text
    nine = ", ".join(f"Circle {i}" for i in range(9))
    assert "2 to 8 circles" in (await ask(fake, g, mod, "setup circles", {"names": nine})).text
    long = await ask(fake, g, mod, "setup circles", {"names": "Elders, " + "x" * 41})
    assert "1 to 40 characters" in long.text
    twice = await ask(fake, g, mod, "setup circles", {"names": "Elders, elders"})
    assert "once" in twice.text
    assert "none (use `/setup circles`)" in (await ask(fake, g, mod, "setup show")).text

    done = await ask(fake, g, mod, "setup circles", {"names": "Asian heritage, LGBTQ+, Both, Ally"})
    assert "Asian heritage, LGBTQ+, Both, Ally" in done.text and "Mix: across" in done.text
    with pytest.raises(AssertionError):  # members do not see the moderators' command
        await ask(fake, g, server["members"][0], "setup circles", {"names": "A, B"})


async def test_members_choose_circles_privately_and_rename_keeps_them(fake, runner, server):
    g, mod, (ana, ben) = server["guild"], server["mod"], server["members"][:2]
    await ask(fake, g, mod, "setup circles", {"names": "Asian heritage, LGBTQ+, Both, Ally"})

    choices = await fake.autocomplete(g, ana, "exchange join", {"circles": "asian heritage, l"}, "circles")
    assert [c["value"] for c in choices] == ["asian heritage, LGBTQ+", "asian heritage, Ally"]
    first = await fake.autocomplete(g, ana, "exchange join", {"circles": ""}, "circles")
    assert [c["value"] for c in first] == ["Asian heritage", "LGBTQ+", "Both", "Ally", "none"]

    joined = await ask(fake, g, ana, "exchange join", {"circles": "asian heritage, Ally"})
    assert joined.ephemeral and "Circles: Asian heritage, Ally (only you see this" in joined.text
    unknown = await ask(fake, g, ben, "exchange join", {"circles": "Elders"})
    assert "not one of this server's circles" in unknown.text and "Asian heritage" in unknown.text
    await ask(fake, g, ben, "exchange join")  # choosing none is normal
    assert "Circles: none chosen" in (await ask(fake, g, ben, "exchange status")).text

    status = await ask(fake, g, ana, "exchange status")
    assert status.ephemeral and "Circles: Asian heritage, Ally" in status.text
    data = (await ask(fake, g, ana, "exchange mydata")).file_json()
    assert data["member"]["circles"] == ["Asian heritage", "Ally"]
    # Updating other preferences keeps the circles; `none` clears them.
    await ask(fake, g, ana, "exchange join", {"timezone": "Asia/Seoul"})
    assert "Circles: Asian heritage, Ally" in (await ask(fake, g, ana, "exchange status")).text

    # A rename keeps the members who chose it; a circle left out is removed from them.
    renamed = await ask(
        fake, g, mod, "setup circles", {"names": "Asian heritage -> East Asian heritage, LGBTQ+, Both"}
    )
    assert "Renamed Asian heritage to East Asian heritage" in renamed.text and "Removed: Ally" in renamed.text
    assert str(ana.id) not in renamed.text and ana.user.name not in renamed.text
    assert "Circles: East Asian heritage (only you" in (await ask(fake, g, ana, "exchange status")).text

    off = await ask(fake, g, mod, "setup circles", {"names": "none"})
    assert "Circles are off" in off.text
    assert "Circles: none chosen" in (await ask(fake, g, ana, "exchange status")).text
    refused = await ask(fake, g, ana, "exchange join", {"circles": "LGBTQ+"})
    assert "no circles" in refused.text


async def test_forget_erases_circles(fake, runner, server):
    g, mod, ana = server["guild"], server["mod"], server["members"][0]
    await ask(fake, g, mod, "setup circles", {"names": "Elders, Young"})
    await ask(fake, g, ana, "exchange join", {"circles": "Elders"})
    confirm = await ask(fake, g, ana, "exchange forget")
    await (await fake.click(g, ana, confirm, "Confirm")).reply()
    rows = await runner.bot.db.fetchall("SELECT * FROM member_circles WHERE user_id = ?", (ana.id,))
    assert rows == []
    await ask(fake, g, ana, "exchange join")
    assert "Circles: none chosen" in (await ask(fake, g, ana, "exchange status")).text


async def test_mix_is_stored_shown_and_given_to_the_engine(fake, runner, server):
    g, mod, people = server["guild"], server["mod"], server["members"]
    db, guild_id = runner.bot.db, g["id"]
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "18:00"})
    show = await ask(fake, g, mod, "setup show")
    assert "**Pairing mix:** any (no circles" in show.text

    await ask(fake, g, mod, "setup circles", {"names": "Asian heritage, LGBTQ+, Both"})
    # Members in different id order from their circles, so a mix-up of ids and circles shows.
    picks = ["Both", "LGBTQ+", None, "Asian heritage, Both", "Asian heritage", None, "LGBTQ+", "Both"]
    for member, pick in zip(people, picks, strict=True):
        await ask(fake, g, member, "exchange join", {"circles": pick} if pick else None)
    show = await ask(fake, g, mod, "setup show")
    assert "**Circles:** Asian heritage, LGBTQ+, Both" in show.text and "**Pairing mix:** across" in show.text
    for person in people:
        assert str(person.id) not in show.text and person.user.name not in show.text

    settings = await pairing.pairing_settings(db, guild_id)
    data = await pairing.round_input(db, guild_id, "2026-W47", 1, settings, runner.clock())
    assert data.mix == "across"
    ids = {c["id"]: c["name"] for c in await db.fetchall("SELECT id, name FROM circles")}
    got = {m.id: sorted(ids[c] for c in m.circles) for m in data.members}
    for member, pick in zip(people, picks, strict=True):
        assert got[member.id] == sorted(p.strip() for p in pick.split(",")) if pick else got[member.id] == []

    reply = await ask(
        fake,
        g,
        mod,
        "setup pairing",
        {"channel": server["pairs"], "day": "friday", "time": "18:00", "mix": "any"},
    )
    assert "Mix: any" in reply.text
    assert "**Pairing mix:** any" in (await ask(fake, g, mod, "setup show")).text
    settings = await pairing.pairing_settings(db, guild_id)
    assert (await pairing.round_input(db, guild_id, "2026-W47", 1, settings, runner.clock())).mix == "any"
    # Options left out keep the stored mix.
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "19:00"})
    assert "**Pairing mix:** any" in (await ask(fake, g, mod, "setup show")).text
    await ask(
        fake,
        g,
        mod,
        "setup pairing",
        {"channel": server["pairs"], "day": "friday", "time": "18:00", "mix": "across"},
    )
    await ask(fake, g, mod, "setup circles", {"names": "none"})
    settings = await pairing.pairing_settings(db, guild_id)
    data = await pairing.round_input(db, guild_id, "2026-W47", 1, settings, runner.clock())
    assert data.mix == "any" and all(not m.circles for m in data.members)


async def test_stats_show_the_cross_circle_share_masked_when_small(fake, runner, server):
    g, mod, people = server["guild"], server["mod"], server["members"]
    await ask(fake, g, mod, "setup circles", {"names": "Asian heritage, LGBTQ+"})
    for i, member in enumerate(people[:6]):
        await ask(fake, g, member, "exchange join", {"circles": "Asian heritage" if i % 2 else "LGBTQ+"})
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "18:00"})
    await ask(fake, g, mod, "pairing run-now")
    groups = await runner.bot.db.fetchone("SELECT cross_circle_groups FROM rounds")
    assert groups[0] is not None and 0 <= groups[0] <= 3

    reply = await ask(fake, g, mod, "stats", {"weeks": 2})
    assert "groups across circles" in reply.text
    line = next(line for line in reply.text.splitlines() if line.startswith("2026-W47"))
    # Three groups: any share would rest on 1 or 2 groups on one side, or is exactly 0% or 100%.
    expected = {0: "0%", 3: "100%"}.get(groups[0], "<3")
    assert line.endswith(f"| {expected}")
    csv_reply = await ask(fake, g, mod, "stats", {"weeks": 2, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(csv_reply.files[0][1].decode())))
    assert rows[-1]["cross_circle_share"] == expected and len(rows) == 1  # no week before Bridges came
    for text in (reply.text, csv_reply.files[0][1].decode()):
        assert "Asian heritage" not in text and "LGBTQ+" not in text


async def test_a_members_circles_reach_nobody_else(fake, runner, server, clock, caplog):
    """Circle names may be listed to moderators; who chose which never leaves the member's own replies."""
    g, mod, people = server["guild"], server["mod"], server["members"]
    secret = {"Zephyr", "Quokka", "Marigold"}
    named = await fake.slash(g, mod, "setup circles", {"names": "Zephyr, Quokka, Marigold"})
    await named.reply()
    with caplog.at_level(logging.INFO):
        own: set[int] = set()
        for i, member in enumerate(people):
            join = await fake.slash(
                g, member, "exchange join", {"circles": sorted(secret)[i % 3], "interests": "family"}
            )
            await join.reply()
            status = await fake.slash(g, member, "exchange status")
            await status.reply()
            mine = await fake.slash(g, member, "exchange mydata")
            await mine.reply()
            own |= {join.id, status.id, mine.id}
        await ask(
            fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "18:00"}
        )
        listing = {named.id, (await fake.slash(g, mod, "setup show")).id}
        for command, options in [
            ("pairing preview", None),
            ("pairing run-now", None),
            ("stats", {"weeks": 2}),
            ("stats", {"weeks": 2, "format": "csv"}),
            ("prompts export", None),
            ("prompts list", None),
            ("prompts review", None),
            ("prompts post-now", None),
            ("setup retention", {"weeks": 52}),
            ("pairing exclude", {"member": people[0]}),
            ("pairing include", {"member": people[0]}),
        ]:
            await ask(fake, g, mod, command, options)
        await fake.wait_for(lambda: len(fake.threads_in(server["pairs"], PRIVATE)) == 4, what="threads")
        thread = fake.threads_in(server["pairs"], PRIVATE)[0]
        intro = next(m for m in fake.channel_messages(thread) if m.buttons())
        member = next(m for m in people if m.id in fake.thread_members[thread.id])
        await (await fake.click(g, member, intro, "Another starter")).reply()
        for exchange_id in listing:
            await fake.exchanges[exchange_id].reply()

    def seen(sent) -> str:
        files = " ".join(body.decode("latin-1") for _, body in sent.files)
        return f"{sent.text} {files}"

    # Every channel, thread and direct message the bot posted.
    for channel_id, messages in fake.messages.items():
        for sent in messages:
            assert not any(name in seen(sent) for name in secret), f"a circle name in channel {channel_id}"
    # Every interaction reply to anyone, except each member's own join, status and mydata.
    for exchange in fake.exchanges.values():
        if exchange.id in own:
            continue
        for sent in [exchange.original, *exchange.followups]:
            if sent is None:
                continue
            text = seen(sent)
            if exchange.id in listing:  # /setup circles and show list the names, and nobody with them
                assert all(str(p.id) not in text and p.user.name not in text for p in people)
            else:
                assert not any(name in text for name in secret), exchange.payload["data"]
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "made the round" in logged
    assert not any(name in logged for name in secret)
    for person in people:
        assert str(person.id) not in logged


async def test_mix_across_pairs_members_of_different_circles(fake, runner, server):
    """Needs the engine's cross-circle score: eight members, four in each circle, ids interleaved so that
    pairing by id order would keep circles together; across, every pair mixes circles."""
    g, mod, people = server["guild"], server["mod"], server["members"]
    await ask(fake, g, mod, "setup circles", {"names": "Quokka, Zephyr"})
    for i, member in enumerate(people):
        await ask(fake, g, member, "exchange join", {"circles": "Quokka" if i // 2 % 2 else "Zephyr"})
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "18:00"})
    # A fixed seed for which an engine blind to circles keeps some pairs within a circle.
    outcome = await pairing.create_round(runner.bot.db, g["id"], runner.clock(), force=True, seed=1)
    assert outcome.status == "created"
    row = await runner.bot.db.fetchone("SELECT cross_circle_groups FROM rounds")
    assert row[0] == 4
