"""The cultural calendar and the pair-thread starter, under the fake: the real bot, real discord.py."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from bot.domain.themes import library
from bot.services import prompts as prompt_service

PRIVATE = 12


async def ask(fake, guild, who, command, options=None, **kwargs):
    return await (await fake.slash(guild, who, command, options, **kwargs)).reply()


def posts(fake, channel):
    return [m for m in fake.channel_messages(channel) if m.embeds]


def pack_texts(pack: str) -> set[str]:
    return {p["text"] for p in library()["calendar"] if p["pack"] == pack}


def shipped(text: str) -> dict:
    return next(p for p in [*library()["prompts"], *library()["calendar"]] if p["text"] == text)


@pytest.fixture
async def server(fake, runner, world):
    w = world(members=4)
    w["prompts"] = fake.add_text_channel(w["guild"], "weekly-prompt")
    w["pairs"] = fake.add_text_channel(w["guild"], "pairs")
    await runner.start()
    return w


async def setup_prompts(fake, server, timezone: str = "UTC") -> None:
    await ask(
        fake,
        server["guild"],
        server["mod"],
        "setup prompts",
        {"channel": server["prompts"], "day": "monday", "time": "08:00", "timezone": timezone},
    )


async def test_a_pack_replaces_the_rotation_in_the_week_of_its_date_in_the_servers_timezone(
    fake, runner, server, clock
):
    g, mod = server["guild"], server["mod"]
    # Sunday 15 Feb 2026, 23:30 UTC is already Monday 16 Feb, 08:30 in Seoul: ISO week 8, the week of
    # Lunar New Year (Tuesday 17 Feb). In UTC it is still week 7.
    clock.moment = datetime(2026, 2, 15, 23, 30, tzinfo=UTC)
    reply = await ask(fake, g, mod, "setup calendar", {"packs": "pride-month, lunar-new-year"})
    assert reply.ephemeral and "Lunar New Year" in reply.text and "Pride Month" in reply.text
    assert reply.text.index("Lunar New Year") < reply.text.index("Pride Month")  # calendar order
    show = await ask(fake, g, mod, "setup show")
    assert "**Calendar packs:** lunar-new-year, pride-month" in show.text

    await setup_prompts(fake, server, "Asia/Seoul")
    await fake.wait_for(lambda: posts(fake, server["prompts"]), what="the week's post")
    first = posts(fake, server["prompts"])[0].embeds[0]
    assert first["description"] in pack_texts("lunar-new-year")
    assert first["title"].startswith("Lunar New Year · ")
    assert first["footer"]["text"].startswith("Week of 16 Feb 2026 ")
    async with runner.bot.get_cog("Scheduler").locks[g["id"]]:
        pass  # the job that posted holds this lock until the post is recorded
    current = await ask(fake, g, server["members"][0], "prompt current")
    assert first["description"] in current.text

    # Exactly once: a restart and post-now do not post the pack (or anything) again this week.
    await runner.restart()
    assert "already posted" in (await ask(fake, g, mod, "prompts post-now")).text
    assert len(posts(fake, server["prompts"])) == 1

    # The next week is the rotation's again, and a new server's rotation starts light.
    clock.moment = datetime(2026, 2, 23, 9, 0, tzinfo=UTC)
    await runner.restart()
    await fake.wait_for(lambda: len(posts(fake, server["prompts"])) == 2, what="the next week's post")
    assert posts(fake, server["prompts"])[1].embeds[0]["title"].startswith("This week's prompt · ")
    second = posts(fake, server["prompts"])[1].embeds[0]["description"]
    assert second not in pack_texts("lunar-new-year")
    assert shipped(second)["depth"] == "light" and "pack" not in shipped(second)


async def test_in_utc_the_same_moment_is_the_week_before_and_gets_the_rotation(fake, server, clock):
    clock.moment = datetime(2026, 2, 15, 23, 30, tzinfo=UTC)
    await ask(fake, server["guild"], server["mod"], "setup calendar", {"packs": "lunar-new-year"})
    await ask(
        fake,
        server["guild"],
        server["mod"],
        "setup prompts",
        {"channel": server["prompts"], "day": "sunday", "time": "08:00", "timezone": "UTC"},
    )
    await fake.wait_for(lambda: posts(fake, server["prompts"]), what="the week's post")
    post = posts(fake, server["prompts"])[0].embeds[0]
    assert post["footer"]["text"].startswith("Week of 9 Feb 2026 ")
    assert post["description"] not in pack_texts("lunar-new-year")


async def test_packs_left_off_are_not_posted_and_unknown_packs_are_refused(fake, server, clock):
    g, mod = server["guild"], server["mod"]
    clock.moment = datetime(2026, 2, 16, 9, 0, tzinfo=UTC)  # Lunar New Year week, but the pack is off
    refused = await ask(fake, g, mod, "setup calendar", {"packs": "diwali, christmas"})
    assert "`christmas` is not a calendar pack" in refused.text
    show = await ask(fake, g, mod, "setup show")
    assert "**Calendar packs:** none" in show.text
    await ask(fake, g, mod, "setup calendar", {"packs": "diwali"})
    await ask(fake, g, mod, "setup calendar", {"packs": "none"})
    assert "**Calendar packs:** none" in (await ask(fake, g, mod, "setup show")).text
    await setup_prompts(fake, server)
    await fake.wait_for(lambda: posts(fake, server["prompts"]), what="the week's post")
    assert posts(fake, server["prompts"])[0].embeds[0]["description"] not in pack_texts("lunar-new-year")


async def test_a_servers_own_pack_is_imported_with_a_date_and_posted_in_its_week(fake, server, clock):
    g, mod = server["guild"], server["mod"]
    own = (
        "theme,text,pair_text,depth,content_note,pack,date\n"
        'heritage,"Our founding day: what brought you to this server?",'
        '"Tell each other what brought you here.",light,,founding-day,04-02\n'
        "stories,What is a story you would tell at a birthday?,,,,,\n"
    )
    reply = await ask(fake, g, mod, "prompts import", {"file": fake.upload("own.csv", own.encode())})
    assert "Imported 2 prompts" in reply.text
    bad = "theme,text,pack,date\nheritage,A question without a date for its pack?,our-day,\n"
    refused = await ask(fake, g, mod, "prompts import", {"file": fake.upload("bad.csv", bad.encode())})
    assert "Line 2" in refused.text and "`our-day` is new" in refused.text

    clock.moment = datetime(2027, 3, 30, 12, 0, tzinfo=UTC)  # Tuesday of the week holding 2 April 2027
    on = await ask(fake, g, mod, "setup calendar", {"packs": "founding-day"})
    assert "founding-day" in on.text and "04-02" in on.text
    await setup_prompts(fake, server)
    await fake.wait_for(lambda: posts(fake, server["prompts"]), what="the week's post")
    post = posts(fake, server["prompts"])[0].embeds[0]["description"]
    assert post == "Our founding day: what brought you to this server?"

    listing = await ask(fake, g, mod, "prompts list", {"theme": "heritage", "status": "active"})
    for _ in range(3):  # heritage fills three pages; the imported prompt is on the last
        if "[heritage, light, founding-day] Our founding day" in listing.text:
            break
        listing = await (await fake.click(g, mod, listing, "Next")).reply()
    assert "[heritage, light, founding-day] Our founding day" in listing.text

    export = await ask(fake, g, mod, "prompts export")
    rows = list(csv.DictReader(io.StringIO(export.files[0][1].decode())))
    ours = next(r for r in rows if r["pack"] == "founding-day")
    assert (ours["date"], ours["depth"], ours["pair_text"]) == (
        "04-02",
        "light",
        "Tell each other what brought you here.",
    )
    plain = next(r for r in rows if r["text"] == "What is a story you would tell at a birthday?")
    assert (plain["depth"], plain["pair_text"], plain["pack"]) == ("medium", "", "")


async def pair_up(fake, server) -> list:
    g = server["guild"]
    for member in server["members"]:
        await ask(fake, g, member, "exchange join")
    await ask(
        fake,
        g,
        server["mod"],
        "setup pairing",
        {"channel": server["pairs"], "day": "friday", "time": "18:00"},
    )
    await ask(fake, g, server["mod"], "pairing run-now")
    threads = fake.threads_in(server["pairs"], PRIVATE)
    assert len(threads) == 2
    return [next(m for m in fake.channel_messages(t) if m.buttons()) for t in threads]


async def test_a_pair_thread_gets_the_one_to_one_wording_of_a_light_prompt(fake, server):
    await setup_prompts(fake, server)
    await fake.wait_for(lambda: posts(fake, server["prompts"]), what="the week's post")
    public = posts(fake, server["prompts"])[0].embeds[0]["description"]
    prompt = shipped(public)
    assert prompt["depth"] == "light" and prompt["pair_text"] != public
    for intro in await pair_up(fake, server):
        assert f"> {prompt['pair_text']}" in intro.content
        assert public not in intro.content
        assert "something light" not in intro.content


async def test_a_deep_prompt_reaches_a_pair_after_a_light_opener_with_its_content_note(fake, server, clock):
    # The week of Transgender Day of Remembrance (Friday 20 Nov 2026): its pack's first prompt is deep.
    g, mod = server["guild"], server["mod"]
    await ask(fake, g, mod, "setup calendar", {"packs": "trans-remembrance"})
    await setup_prompts(fake, server)
    await fake.wait_for(lambda: posts(fake, server["prompts"]), what="the week's post")
    post = posts(fake, server["prompts"])[0].embeds[0]
    prompt = shipped(post["description"])
    assert prompt["pack"] == "trans-remembrance" and prompt["depth"] == "deep"
    assert post["fields"][0]["value"] == prompt["content_note"]
    light_pairs = {
        p["pair_text"]
        for p in library()["prompts"]
        if p["depth"] == "light" and p["theme"] == prompt["theme"] and not p.get("content_note")
    }
    for intro in await pair_up(fake, server):
        text = intro.content
        opener = text.split("**To begin, something light:**\n> ")[1].split("\n")[0]
        assert opener in light_pairs
        assert f"(content note: {prompt['content_note']})" in text
        assert f"> {prompt['pair_text']}" in text
        assert text.index(opener) < text.index(prompt["pair_text"])


async def test_turning_a_pack_on_gives_an_older_library_its_prompts(fake, runner, server):
    g, mod = server["guild"], server["mod"]
    await ask(fake, g, mod, "prompts list")  # loads the library
    db = runner.bot.db
    await db.execute("DELETE FROM prompts WHERE guild_id = ? AND pack IS NOT NULL", (g["id"],))
    await ask(fake, g, mod, "setup calendar", {"packs": "diwali"})
    rows = await db.fetchall("SELECT text FROM prompts WHERE guild_id = ? AND pack = 'diwali'", (g["id"],))
    assert {r["text"] for r in rows} == pack_texts("diwali")
    assert len(prompt_service.shipped_prompts()) == len(library()["prompts"]) + len(library()["calendar"])


async def test_a_moderator_adds_a_prompt_with_its_depth_and_pair_wording(fake, server):
    g, mod = server["guild"], server["mod"]
    added = await ask(
        fake,
        g,
        mod,
        "prompts add",
        {
            "theme": "family",
            "text": "Which family recipe would you save from a fire?",
            "depth": "deep",
            "pair_text": "Ask each other which family recipe you would save first.",
        },
    )
    assert "Added prompt #" in added.text
    export = await ask(fake, g, mod, "prompts export")
    rows = list(csv.DictReader(io.StringIO(export.files[0][1].decode())))
    row = next(r for r in rows if r["text"] == "Which family recipe would you save from a fire?")
    assert (row["depth"], row["pair_text"]) == (
        "deep",
        "Ask each other which family recipe you would save first.",
    )


async def test_pack_names_autocomplete_item_by_item(fake, server):
    g, mod = server["guild"], server["mod"]
    choices = await fake.autocomplete(g, mod, "setup calendar", {"packs": "diwali, trans"}, "packs")
    assert [c["value"] for c in choices] == ["diwali, trans-visibility", "diwali, trans-remembrance"]
    choices = await fake.autocomplete(g, mod, "setup calendar", {"packs": "no"}, "packs")
    assert "none" in [c["value"] for c in choices]


async def test_a_server_with_an_older_library_imports_the_new_one(fake, runner, server):
    from importlib import resources

    g, mod = server["guild"], server["mod"]
    data = (resources.files("bot.data") / "library.json").read_bytes()
    total = len(prompt_service.shipped_prompts())
    upload = fake.upload("library.json", data, "application/json")
    assert (
        f"Imported 0 prompts; skipped {total}"
        in (await ask(fake, g, mod, "prompts import", {"file": upload})).text
    )

    # As if the library had been loaded before this one existed: keep one prompt, drop the rest.
    await runner.bot.db.execute("DELETE FROM prompts WHERE guild_id = ? AND id > 1", (g["id"],))
    upload = fake.upload("library.json", data, "application/json")
    reply = await ask(fake, g, mod, "prompts import", {"file": upload})
    assert f"Imported {total - 1} prompts; skipped 1" in reply.text


async def test_without_a_weekly_prompt_a_pair_thread_still_opens_with_a_light_question(fake, server):
    await ask(fake, server["guild"], server["mod"], "prompts list")  # loads the library; no prompt is set up
    light = {
        p["pair_text"] for p in library()["prompts"] if p["depth"] == "light" and not p.get("content_note")
    }
    for intro in await pair_up(fake, server):
        opener = intro.content.split("**To begin, something light:**\n> ")[1].split("\n")[0]
        assert opener in light
        assert "this week's prompt" not in intro.content
