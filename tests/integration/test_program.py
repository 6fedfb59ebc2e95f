"""Running a program as a moderator meets it: setup that keeps what it is not told, the server timezone on its
own, a holiday switch, a welcome post with a Join button, and a checklist when the bot joins a server."""

from __future__ import annotations

from datetime import timedelta

import pytest

PRIVATE = 12


async def ask(fake, guild, who, command, options=None):
    return await (await fake.slash(guild, who, command, options)).reply()


def dms_to(fake, user_id: int) -> list:
    return [
        message
        for channel in fake.channels.values()
        if channel.type == 1 and channel.recipient is not None and channel.recipient.id == user_id
        for message in fake.channel_messages(channel)
    ]


@pytest.fixture
async def server(fake, runner, world):
    w = world(members=4)
    w["pairs"] = fake.add_text_channel(w["guild"], "pairs")
    w["prompts"] = fake.add_text_channel(w["guild"], "prompts")
    w["reports"] = fake.add_text_channel(w["guild"], "mod-reports")
    fake.hide_channel(w["reports"])  # reports name the reporter: only moderators (and the bot) may read them
    w["lobby"] = fake.add_text_channel(w["guild"], "lobby")
    await runner.start()
    return w


async def test_setup_pairing_changes_only_the_options_given(fake, runner, server):
    g, mod = server["guild"], server["mod"]
    first = await ask(
        fake, g, mod, "setup pairing",
        {"channel": server["pairs"], "day": "friday", "time": "18:00", "group_size": 3,
         "odd_policy": "sit_out", "report_channel": server["reports"]},
    )
    assert "groups of 3" in first.text
    again = await ask(fake, g, mod, "setup pairing", {"day": "tuesday"})
    assert "every Tuesday at 18:00" in again.text
    assert "groups of 3" in again.text and "odd count: sit_out" in again.text
    assert f"<#{server['reports'].id}>" in again.text and f"<#{server['pairs'].id}>" in again.text
    row = await runner.bot.db.fetchone("SELECT * FROM guild_settings WHERE guild_id = ?", (g["id"],))
    assert (row["pairing_day"], row["group_size"], row["odd_policy"], row["report_channel_id"]) == (
        1, 3, "sit_out", server["reports"].id
    )
    nothing = await ask(fake, g, mod, "setup pairing")
    assert "Nothing was changed" in nothing.text


async def test_first_setup_needs_channel_day_and_time(fake, server):
    g, mod = server["guild"], server["mod"]
    reply = await ask(fake, g, mod, "setup prompts", {"day": "monday"})
    assert reply.ephemeral and "`channel`" in reply.text and "`time`" in reply.text
    assert "Something went wrong" not in reply.text
    show = await ask(fake, g, mod, "setup show")
    assert "Weekly prompt:** not set up" in show.text


async def test_setup_prompts_keeps_the_timezone_and_setup_timezone_sets_it_in_any_case(fake, runner, server):
    g, mod = server["guild"], server["mod"]
    reply = await ask(fake, g, mod, "setup timezone", {"timezone": "asia/seoul"})
    assert "Asia/Seoul" in reply.text
    await ask(fake, g, mod, "setup prompts", {"channel": server["prompts"], "day": "friday", "time": "20:00"})
    await ask(fake, g, mod, "setup prompts", {"time": "21:00"})
    show = await ask(fake, g, mod, "setup show")
    assert "**Timezone:** Asia/Seoul" in show.text and "friday 21:00" in show.text
    choices = await fake.autocomplete(g, mod, "setup timezone", {"timezone": "korea"}, "timezone")
    assert "Asia/Seoul" in [c["value"] for c in choices]
    bad = await ask(fake, g, mod, "setup timezone", {"timezone": "Asia"})
    assert "not a timezone I know" in bad.text


async def test_a_pairing_break_stops_rounds_until_it_ends(fake, runner, server, clock):
    g, mod, people = server["guild"], server["mod"], server["members"]
    for member in people:
        await ask(fake, g, member, "exchange join")
    paused = await ask(fake, g, mod, "setup pause", {"what": "pairing", "weeks": 1})
    assert "Break on" in paused.text
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "wednesday", "time": "09:00"})
    # Wednesday 12:00, the slot passed this morning: without the break the round would run at once.
    status = await ask(fake, g, people[0], "exchange status")
    assert "break" in status.text.lower()
    show = await ask(fake, g, mod, "setup show")
    assert "**Break:** pairing paused until" in show.text
    await runner.stop()
    await runner.start()
    assert fake.threads_in(server["pairs"], PRIVATE) == []
    assert await runner.bot.db.fetchone("SELECT 1 FROM rounds") is None

    # run-now still works, and says a break is on.
    reply = await ask(fake, g, mod, "pairing run-now")
    assert "break" in reply.text.lower() and "Round for" in reply.text

    # The break ends by itself: the next week's round runs on schedule.
    await runner.stop()
    clock.moment = clock.moment + timedelta(days=7, hours=1)
    await runner.start()
    await fake.wait_for(
        lambda: len({t.id for t in fake.threads_in(server["pairs"], PRIVATE)}) == 4,
        what="the round after the break",
    )


async def test_resume_ends_a_prompt_break_and_the_post_follows(fake, runner, server):
    g, mod = server["guild"], server["mod"]
    await ask(fake, g, mod, "setup pause", {"what": "all", "weeks": 3})
    await ask(fake, g, mod, "setup prompts", {"channel": server["prompts"], "day": "monday", "time": "08:00"})
    assert fake.channel_messages(server["prompts"]) == []
    reply = await ask(fake, g, mod, "setup resume", {"what": "prompts"})
    assert "Break over for prompts" in reply.text
    posts = await fake.wait_for(lambda: fake.channel_messages(server["prompts"]), what="the prompt post")
    assert [b["label"] for b in posts[0].buttons()] == ["Join"]
    show = await ask(fake, g, mod, "setup show")
    assert "pairing paused until" in show.text and "prompts paused" not in show.text


async def test_welcome_post_join_button_opts_in_and_survives_a_restart(fake, runner, server):
    g, mod, member = server["guild"], server["mod"], server["members"][0]
    reply = await ask(fake, g, mod, "setup welcome", {"channel": server["lobby"]})
    assert "Posted the welcome message" in reply.text
    post = fake.channel_messages(server["lobby"])[0]
    assert post.embeds[0]["title"] == "How Bridges works"
    assert post.allowed_mentions["parse"] == []
    before = await ask(fake, g, member, "exchange status")
    assert "have not joined" in before.text
    await runner.restart()
    joined = await (await fake.click(g, member, post, "Join")).reply()
    assert joined.ephemeral and "You're in!" in joined.text and "/exchange forget" in joined.text
    after = await ask(fake, g, member, "exchange status")
    assert "You are in pairing" in after.text
    assert "**Welcome message:**" in (await ask(fake, g, mod, "setup show")).text


async def test_joining_a_server_sends_the_checklist_once(fake, runner, world):
    world()
    await runner.start()
    guild = fake.add_guild("A new server")  # arrives after READY: discord.py dispatches guild_join
    owner = fake.owner(guild)
    messages = await fake.wait_for(lambda: dms_to(fake, owner.id), what="the setup checklist")
    assert "/setup pairing" in messages[0].content and "View Channel" in messages[0].content
    assert len(messages[0].content) <= 2000
    await runner.restart()
    assert len(dms_to(fake, owner.id)) == 1


async def test_moderator_error_reply_names_who_can_read_the_log(fake, runner, server, monkeypatch):
    from bot.services import program

    async def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(program, "end_break", broken)
    reply = await ask(fake, server["guild"], server["mod"], "setup resume", {"what": "all"})
    assert "code" in reply.text and "hosts the bot" in reply.text


async def test_a_member_is_told_privately_what_became_of_their_suggestion(fake, runner, server):
    g, mod, ana, ben = server["guild"], server["mod"], server["members"][0], server["members"][1]
    await ask(fake, g, ana, "prompt suggest", {"text": "What song reminds you of home?", "theme": "heritage"})
    await ask(fake, g, ben, "prompt suggest", {"text": "Which festival do you miss most?", "theme": "heritage"})
    review = await ask(fake, g, mod, "prompts review")
    approved = await (await fake.click(g, mod, review, "Approve")).reply()
    ana_dms = await fake.wait_for(lambda: dms_to(fake, ana.id), what="the approval DM")
    assert "was approved" in ana_dms[0].content and "What song reminds you of home?" in ana_dms[0].content
    assert ana_dms[0].allowed_mentions["parse"] == []

    # Ben does not accept DMs: the note waits for his next /prompt current, shown once.
    fake.fail("POST", r"^/channels/\d+/messages$", 403, count=1)
    modal = await (await fake.click(g, mod, approved, "Reject with a note")).wait_modal()
    assert len(modal["title"]) <= 45
    await (
        await fake.submit_modal(g, mod, modal, {"decision_reason": "We had a festival prompt last week."})
    ).reply()
    assert dms_to(fake, ben.id) == []
    current = await ask(fake, g, ben, "prompt current")
    assert "was not taken this time" in current.text and "We had a festival prompt last week." in current.text
    again = await ask(fake, g, ben, "prompt current")
    assert "We had a festival prompt last week." not in again.text and "not taken" in again.text
    assert "festival" not in (await ask(fake, g, ana, "prompt current")).text
