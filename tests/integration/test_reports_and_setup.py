"""Reports reach a moderator for certain, and /setup pairing accepts only channels that work for it."""

from __future__ import annotations

import pytest

from tests.fakediscord import payloads as p

PRIVATE = 12
ANNOUNCEMENT = 5


async def ask(fake, guild, who, command, options=None, **kwargs):
    return await (await fake.slash(guild, who, command, options, **kwargs)).reply()


@pytest.fixture
async def two(fake, runner, world):
    """Two members who joined, a moderator role that is not mentionable, pairing set up without a report
    channel."""
    w = world(members=2)
    g = w["guild"]
    w["pairs"] = fake.add_text_channel(g, "pairs")
    w["mod_role"] = fake.add_role(g, "Moderators", mentionable=False)
    await runner.start()
    await ask(fake, g, w["mod"], "setup moderator-role", {"role": w["mod_role"]})
    for member in w["members"]:
        await ask(fake, g, member, "exchange join")
    reply = await ask(
        fake, g, w["mod"], "setup pairing", {"channel": w["pairs"], "day": "friday", "time": "18:00"}
    )
    assert "server owner by direct message" in reply.text
    return w


async def report(fake, w, words="They kept asking where I live.", after_round=None):
    g = w["guild"]
    await ask(fake, g, w["mod"], "pairing run-now")
    thread = fake.threads_in(w["pairs"], PRIVATE)[0]
    if after_round is not None:
        after_round()
    reporter = w["members"][0]
    intro = next(m for m in fake.channel_messages(thread) if m.buttons())
    modal = await (await fake.click(g, reporter, intro, "Report to moderators")).wait_modal()
    done = await (await fake.submit_modal(g, reporter, modal, {"report_words": words}, thread)).reply()
    return thread, done


def direct_messages(fake):
    return [m for c in fake.channels.values() if c.type == 1 for m in fake.channel_messages(c)]


async def test_without_a_report_channel_the_owner_gets_it_by_direct_message(fake, two):
    thread, done = await report(fake, two)
    assert done.ephemeral and "server owner by direct message" in done.text
    dms = [c for c in fake.channels.values() if c.type == 1]
    assert len(dms) == 1 and dms[0].recipient.id == two["guild"]["owner_id"]
    note = fake.channel_messages(dms[0])[0]
    assert "where I live" in note.content and f"/{thread.id}" in note.content
    assert note.allowed_mentions["parse"] == [] and not note.allowed_mentions.get("roles")
    # No role ping anywhere, and no thread for the report.
    assert all(
        f"<@&{two['mod_role'].id}>" not in m.content for c in fake.messages for m in fake.channel_messages(c)
    )
    assert len(fake.threads_in(two["pairs"], PRIVATE)) == 1


async def test_owner_who_refuses_direct_messages_gets_it_in_a_private_thread(fake, two):
    g = two["guild"]
    fake.owner(g).dms = False
    pair_thread, done = await report(fake, two)
    assert "private thread" in done.text and "server owner" in done.text and done.ephemeral
    assert direct_messages(fake) == []
    report_thread = next(t for t in fake.threads_in(two["pairs"], PRIVATE) if t.id != pair_thread.id)
    assert fake.thread_members[report_thread.id] == {fake.bot_user.id, g["owner_id"]}
    note = fake.channel_messages(report_thread)[0]
    assert "where I live" in note.content and [int(u) for u in note.allowed_mentions["users"]] == [
        g["owner_id"]
    ]
    assert not any(fake.permissions_in(report_thread, m) & p.VIEW_CHANNEL for m in two["members"])


async def test_a_report_nobody_can_receive_is_not_called_delivered(fake, two):
    fake.owner(two["guild"]).dms = False
    _, done = await report(fake, two, after_round=lambda: fake.deny(two["pairs"], p.CREATE_PRIVATE_THREADS))
    assert "could not deliver your report" in done.text and "contact a moderator" in done.text
    assert "Thank you" not in done.text
    assert direct_messages(fake) == []


async def test_a_report_channel_everyone_can_read_is_refused_with_the_reason(fake, two):
    g, mod = two["guild"], two["mod"]
    public = fake.add_text_channel(g, "reports-but-public")
    reply = await ask(
        fake,
        g,
        mod,
        "setup pairing",
        {"channel": two["pairs"], "day": "friday", "time": "18:00", "report_channel": public},
    )
    assert "everyone in the server can read" in reply.text and "View Channel" in reply.text
    show = await ask(fake, g, mod, "setup show")
    assert f"<#{public.id}>" not in show.text and "server owner by direct message" in show.text

    fake.hide_channel(public, visible_to=[two["mod_role"]])
    bot_member = fake.members[g["id"]][fake.bot_user.id]
    fake.overwrite(public, bot_member, allow=p.VIEW_CHANNEL, deny=p.SEND_MESSAGES)
    reply = await ask(
        fake,
        g,
        mod,
        "setup pairing",
        {"channel": two["pairs"], "day": "friday", "time": "18:00", "report_channel": public},
    )
    assert "I cannot post in" in reply.text and "Send Messages" in reply.text


async def test_a_report_channel_made_public_later_is_not_used(fake, two):
    g, mod = two["guild"], two["mod"]
    reports = fake.add_text_channel(g, "mod-reports")
    fake.hide_channel(reports, visible_to=[two["mod_role"]])
    reply = await ask(
        fake,
        g,
        mod,
        "setup pairing",
        {"channel": two["pairs"], "day": "friday", "time": "18:00", "report_channel": reports},
    )
    assert f"Reports from pairs go to <#{reports.id}>" in reply.text
    fake.overwrite(reports, g, allow=p.VIEW_CHANNEL)  # someone opens the channel to everyone
    _, done = await report(fake, two)
    assert fake.channel_messages(reports) == [], "the report must not land where members can read it"
    assert "server owner by direct message" in done.text
    assert "everyone in the server can read" in (await ask(fake, g, mod, "setup show")).text


async def test_pairing_channel_must_be_a_text_channel(fake, two):
    g, mod = two["guild"], two["mod"]
    news = fake.add_text_channel(g, "announcements", kind=ANNOUNCEMENT)
    reply = await ask(fake, g, mod, "setup pairing", {"channel": news, "day": "friday", "time": "18:00"})
    assert "announcement channel" in reply.text and "only in text channels" in reply.text
    show = await ask(fake, g, mod, "setup show")
    assert f"<#{two['pairs'].id}>" in show.text and f"<#{news.id}>" not in show.text
    # The option itself offers only text channels (type 0).
    setup = next(c for c in fake.global_commands if c["name"] == "setup")
    pairing = next(o for o in setup["options"] if o["name"] == "pairing")
    channel = next(o for o in pairing["options"] if o["name"] == "channel")
    assert channel["channel_types"] == [0]


async def test_a_pairing_channel_members_cannot_view_gets_a_note(fake, two):
    g, mod = two["guild"], two["mod"]
    hidden = fake.add_text_channel(g, "hidden-pairs")
    fake.hide_channel(hidden, visible_to=[two["mod_role"]])
    reply = await ask(fake, g, mod, "setup pairing", {"channel": hidden, "day": "friday", "time": "18:00"})
    assert "@everyone cannot view" in reply.text and "Rounds will run" in reply.text
    reply = await ask(
        fake, g, mod, "setup pairing", {"channel": two["pairs"], "day": "friday", "time": "18:00"}
    )
    assert "cannot view" not in reply.text
