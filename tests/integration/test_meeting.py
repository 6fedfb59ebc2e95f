"""Introductions that get people to meet, times people can read, and gentle re-engagement, under the fake."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

PRIVATE = 12
STAMP = re.compile(r"<t:(\d+):F>")


async def ask(fake, guild, who, command, options=None, **kwargs):
    return await (await fake.slash(guild, who, command, options, **kwargs)).reply()


def intro(fake, thread):
    return next(m for m in fake.channel_messages(thread) if m.buttons())


@pytest.fixture
async def server(fake, runner, world):
    w = world(members=6)
    w["prompts"] = fake.add_text_channel(w["guild"], "weekly-prompt")
    w["pairs"] = fake.add_text_channel(w["guild"], "pairs")
    await runner.start()
    g, mod = w["guild"], w["mod"]
    await ask(fake, g, mod, "setup circles", {"names": "Quokka, Zephyr"})
    await ask(fake, g, mod, "setup prompts", {"channel": w["prompts"], "day": "monday", "time": "09:00"})
    await fake.wait_for(lambda: fake.channel_messages(w["prompts"]), what="this week's prompt")
    return w


async def test_pair_introduction_has_local_times_shared_interests_and_meeting_times(fake, runner, server):
    g, mod, (ana, ben) = server["guild"], server["mod"], server["members"][:2]
    await ask(
        fake,
        g,
        ana,
        "exchange join",
        {"timezone": "Asia/Seoul", "interests": "family, heritage", "circles": "Quokka"},
    )
    await ask(
        fake,
        g,
        ben,
        "exchange join",
        {"timezone": "America/New_York", "interests": "heritage, identity", "circles": "Zephyr"},
    )
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "18:00"})
    await ask(fake, g, mod, "pairing run-now")
    (thread,) = fake.threads_in(server["pairs"], PRIVATE)
    first = intro(fake, thread)
    text = first.content
    assert len(text) < 2000 and "W47" not in thread.name and "W47" not in text
    # Made on Wednesday 18 Nov 2026 at 12:00 UTC: 21:00 in Seoul, 07:00 in New York.
    assert f"<@{ana.id}>: 21:00 (UTC+9)" in text and f"<@{ben.id}>: 07:00 (UTC−5)" in text
    assert "You are 14 hours apart." in text
    assert "**You both chose to talk about:** Celebrating heritage and diversity" in text
    assert "Family and community" not in text and "Identity" not in text  # only what both chose
    assert "Quokka" not in text and "Zephyr" not in text
    times = [datetime.fromtimestamp(int(n), UTC) for n in STAMP.findall(text)]
    assert 2 <= len(times) <= 3 and len({t.date() for t in times}) == len(times)
    for moment in times:
        for zone in ("Asia/Seoul", "America/New_York"):
            local = moment.astimezone(ZoneInfo(zone))
            assert 9 <= local.hour <= 20, (zone, local)
        assert datetime(2026, 11, 18, 12, tzinfo=UTC) < moment < datetime(2026, 11, 26, tzinfo=UTC)
    assert "in everyone's day" in text
    assert "For the two of you" in text
    assert text.count("\n1. ") + text.count("\n2. ") + text.count("\n3. ") == 3
    # The pair thread quotes the week's prompt in its one-to-one wording (after a light opener if it is deep).
    row = await runner.bot.db.fetchone(
        "SELECT p.text, p.pair_text FROM prompt_posts pp JOIN prompts p ON p.id = pp.prompt_id "
        "ORDER BY pp.id DESC LIMIT 1"
    )
    assert f"> {row['pair_text'] or row['text']}" in text
    assert first.buttons()[0]["label"] == "Another starter"


async def test_trio_without_a_timezone_gets_a_neutral_suggestion(fake, runner, server):
    g, mod, people = server["guild"], server["mod"], server["members"][:3]
    await ask(fake, g, people[0], "exchange join", {"timezone": "Europe/Berlin"})
    await ask(fake, g, people[1], "exchange join")
    await ask(fake, g, people[2], "exchange join", {"timezone": "Asia/Kolkata"})
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "18:00"})
    await ask(fake, g, mod, "pairing run-now")
    (thread,) = fake.threads_in(server["pairs"], PRIVATE)
    text = intro(fake, thread).content
    assert "For the three of you" in text
    assert f"<@{people[1].id}>: no timezone set" in text
    assert "the others, check they suit you" in text
    assert "You are 4.5 hours apart." in text
    assert "chose to talk about" not in text  # nothing shared, nothing claimed
    for moment in (datetime.fromtimestamp(int(n), UTC) for n in STAMP.findall(text)):
        for zone in ("Europe/Berlin", "Asia/Kolkata"):
            local = moment.astimezone(ZoneInfo(zone))
            assert 9 <= local.hour + local.minute / 60 <= 20, (zone, local)


async def test_another_starter_is_a_new_prompt_of_the_theme_rate_limited_and_survives_restarts(
    fake, runner, server, clock
):
    g, mod, (ana, ben, cy) = server["guild"], server["mod"], server["members"][:3]
    for member in (ana, ben):
        await ask(fake, g, member, "exchange join")
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "18:00"})
    await ask(fake, g, mod, "pairing run-now")
    (thread,) = fake.threads_in(server["pairs"], PRIVATE)
    first = intro(fake, thread)
    current = await ask(fake, g, ana, "prompt current")
    theme_prompts = await runner.bot.db.fetchall(
        "SELECT p.text FROM prompts p JOIN prompt_posts pp ON pp.prompt_id <> p.id AND pp.guild_id = p.guild_id "
        "WHERE p.theme = (SELECT theme FROM prompts WHERE id = pp.prompt_id) AND p.status = 'active'"
    )
    others = {r[0] for r in theme_prompts}

    shown = await (await fake.click(g, ana, first, "Another starter")).reply()
    assert not shown.ephemeral and "**Another starter:**" in shown.text and "For the two of you" in shown.text
    new_text = shown.text.split("\n> ", 1)[1]
    assert new_text in others and new_text not in current.text
    assert shown.allowed_mentions["parse"] == []

    again = await (await fake.click(g, ben, first, "Another starter")).reply()
    assert again.ephemeral and "try again in 10 minutes" in again.text
    outsider = await (await fake.click(g, cy, first, "Another starter")).reply()
    assert outsider.ephemeral and "for the members of this pairing" in outsider.text

    await runner.stop()
    clock.moment += timedelta(minutes=11)
    await runner.start()
    later = await (await fake.click(g, ben, first, "Another starter")).reply()
    assert "**Another starter:**" in later.text
    assert later.text.split("\n> ", 1)[1] in others - {new_text}


async def test_member_facing_times_are_dates_not_week_keys(fake, runner, server, clock):
    g, mod, (ana, ben) = server["guild"], server["mod"], server["members"][:2]
    for member in (ana, ben):
        await ask(fake, g, member, "exchange join")
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "18:00"})
    friday = int(datetime(2026, 11, 20, 18, tzinfo=UTC).timestamp())
    status = await ask(fake, g, ana, "exchange status")
    assert f"You will next be paired: <t:{friday}:F>, <t:{friday}:R>" in status.text
    skip = await ask(fake, g, ana, "exchange skip")
    assert f"the round on <t:{friday}:F>" in skip.text
    assert "Sitting out the next round" in (await ask(fake, g, ana, "exchange status")).text
    await ask(fake, g, ana, "exchange resume")
    await ask(fake, g, mod, "pairing run-now")
    history = await ask(fake, g, ana, "exchange history")
    made = int(datetime(2026, 11, 18, 12, tzinfo=UTC).timestamp())
    assert f"<t:{made}:D>: with <@{ben.id}>" in history.text
    post = fake.channel_messages(server["prompts"])[0]
    thread = fake.threads_in(server["prompts"], 11)[0]
    for text in (status.text, skip.text, history.text, post.text, thread.name):
        assert not re.search(r"\d{4}-W\d\d|week \d", text), text
    assert "Week of 16 Nov 2026" in post.text

    await runner.stop()
    clock.moment = datetime(2026, 11, 26, 19, 0, tzinfo=UTC)  # Thursday: a day before next week's round
    await runner.start()
    notice = await fake.wait_for(
        lambda: [m for m in fake.channel_messages(server["pairs"]) if "next pairing round" in m.content],
        what="the pre-round notice",
    )
    next_friday = int(datetime(2026, 11, 27, 18, tzinfo=UTC).timestamp())
    assert f"<t:{next_friday}:F>" in notice[0].content and "W48" not in notice[0].content


async def restart_at(runner, clock, moment):
    await runner.stop()
    clock.moment = moment
    await runner.start()


async def new_threads(fake, channel, seen: set[int], count: int) -> list:
    """Wait for `count` introduced threads not in `seen`; add them to `seen` and return them."""

    def ready():
        fresh = [t for t in fake.threads_in(channel, PRIVATE) if t.id not in seen]
        done = [t for t in fresh if any(m.buttons() for m in fake.channel_messages(t))]
        return done if len(done) == count == len(fresh) else None

    threads = await fake.wait_for(ready, what=f"{count} new pair threads")
    seen |= {t.id for t in threads}
    return threads


def resume_notes(fake) -> list:
    dms = [c for c in fake.channels.values() if c.type == 1]
    return [m for c in dms for m in fake.channel_messages(c) if "/exchange resume" in m.content]


async def test_reminder_to_silent_groups_then_a_quiet_pause_after_three_rounds(fake, runner, server, clock):
    g, mod, people = server["guild"], server["mod"], server["members"]
    ana, ben, quiet = people[0], people[1], people[2:]
    for member in people:
        await ask(fake, g, member, "exchange join")
    await ask(fake, g, mod, "setup pairing", {"channel": server["pairs"], "day": "friday", "time": "18:00"})
    seen: set[int] = set()
    friday = datetime(2026, 11, 20, 18, 1, tzinfo=UTC)
    for week in range(3):
        start = friday + timedelta(weeks=week)
        await restart_at(runner, clock, start)
        threads = await new_threads(fake, server["pairs"], seen, 3)
        await restart_at(runner, clock, start + timedelta(days=3, hours=1))
        await fake.wait_for(
            lambda threads=threads: all(
                any("check-in" in m.content for m in fake.channel_messages(t)) for t in threads
            ),
            what="the check-ins",
        )
        answered = set()
        for member in (ana, ben):  # Ana and Ben answer every week; the others never do
            thread = next(t for t in threads if member.id in fake.thread_members[t.id])
            checkin = next(m for m in fake.channel_messages(thread) if "check-in" in m.content)
            await (await fake.click(g, member, checkin, "Not yet")).reply()
            answered.add(thread.id)
        await restart_at(runner, clock, start + timedelta(days=5, hours=1))
        silent = [t for t in threads if t.id not in answered]
        await fake.wait_for(
            lambda silent=silent: all(
                any("gentle nudge" in m.content for m in fake.channel_messages(t)) for t in silent
            ),
            what="the reminders",
        )
        await runner.restart()
        await runner.restart()  # the reminder is claimed once, however often the bot starts
        for t in threads:
            nudges = [m for m in fake.channel_messages(t) if "gentle nudge" in m.content]
            assert len(nudges) == (0 if t.id in answered else 1)
            for m in nudges:
                assert m.allowed_mentions["parse"] == [] and m.button("We met")
    assert resume_notes(fake) == []

    # Fourth round: the four who never answered are paused and told privately; Ana and Ben are paired.
    await restart_at(runner, clock, friday + timedelta(weeks=3))
    (last,) = await new_threads(fake, server["pairs"], seen, 1)
    assert fake.thread_members[last.id] - {fake.bot_user.id} == {ana.id, ben.id}
    notes = await fake.wait_for(
        lambda: len(resume_notes(fake)) == len(quiet) and resume_notes(fake), what="notes"
    )
    assert all(m.allowed_mentions["parse"] == [] for m in notes)
    for member in quiet:
        status = await ask(fake, g, member, "exchange status")
        assert "Paused until" in status.text and "three rounds without a check-in answer" in status.text
    assert "Paused" not in (await ask(fake, g, ana, "exchange status")).text

    # Coming back works at once, and the old silent rounds do not pause them again.
    assert "Welcome back" in (await ask(fake, g, quiet[0], "exchange resume")).text
    await restart_at(runner, clock, friday + timedelta(weeks=4))
    threads = await new_threads(fake, server["pairs"], seen, 1)
    paired = set().union(*(fake.thread_members[t.id] for t in threads))
    assert {ana.id, ben.id, quiet[0].id} <= paired
    assert len(resume_notes(fake)) == len(quiet)
