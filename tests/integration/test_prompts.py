"""Weekly prompts under the fake: schedule, catch-up, exactly once, the library, suggestions, failures."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from bot.services import prompts as prompt_service
from tests.fakediscord import CommandHidden
from tests.fakediscord import payloads as p


async def ask(fake, guild, who, command, options=None, **kwargs):
    return await (await fake.slash(guild, who, command, options, **kwargs)).reply()


@pytest.fixture
async def server(fake, runner, world):
    w = world()
    w["prompts"] = fake.add_text_channel(w["guild"], "weekly-prompt")
    await runner.start()
    return w


def posts(fake, channel):
    return [m for m in fake.channel_messages(channel) if m.embeds]


async def test_setup_with_a_passed_slot_posts_at_once_with_a_thread(fake, runner, server):
    g, mod = server["guild"], server["mod"]
    reply = await ask(
        fake,
        g,
        mod,
        "setup prompts",
        {"channel": server["prompts"], "day": "monday", "time": "09:00", "timezone": "Europe/Berlin"},
    )
    assert reply.ephemeral and "already passed" in reply.text
    await fake.wait_for(lambda: posts(fake, server["prompts"]), what="the weekly post")
    post = posts(fake, server["prompts"])[0]
    assert post.allowed_mentions is not None and post.allowed_mentions.get("parse") == []
    threads = await fake.wait_for(
        lambda: fake.threads_in(server["prompts"], 11), what="the discussion thread"
    )
    assert len(threads) == 1 and threads[0].id == post.id
    # The thread exists a moment before the bot records the post as done: wait for that server's job to end.
    async with runner.bot.get_cog("Scheduler").locks[g["id"]]:
        pass

    current = await ask(fake, g, server["members"][0], "prompt current")
    text = post.embeds[0]["description"]
    assert text in current.text
    assert f"/channels/{g['id']}/{threads[0].id}" in current.text

    # Exactly once: a restart and post-now do not post again.
    await runner.restart()
    again = await ask(fake, g, mod, "prompts post-now")
    assert "already posted" in again.text
    assert len(posts(fake, server["prompts"])) == 1


async def test_future_slot_waits_then_catches_up_after_downtime(fake, runner, server, clock):
    g, mod = server["guild"], server["mod"]
    reply = await ask(
        fake,
        g,
        mod,
        "setup prompts",
        {"channel": server["prompts"], "day": "friday", "time": "18:30", "timezone": "UTC"},
    )
    assert "Next prompt: Friday 20 Nov 2026, 18:30 (UTC)" in reply.text
    show = await ask(fake, g, mod, "setup show")
    assert "friday 18:30" in show.text
    await runner.stop()
    clock.moment = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)  # the bot was offline on Friday evening
    await runner.start()
    await fake.wait_for(lambda: posts(fake, server["prompts"]), what="the catch-up post")
    footer = posts(fake, server["prompts"])[0].embeds[0]["footer"]["text"]
    assert footer.startswith("Week of 16 Nov 2026 ·") and "W47" not in footer


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"time": "25:00", "timezone": "UTC"}, "HH:MM"),
        ({"time": "09:00", "timezone": "Mars/Base"}, "Asia/Seoul"),
        ({"time": "9am", "timezone": "UTC"}, "18:30"),
    ],
)
async def test_bad_schedule_values_are_refused_and_nothing_stored(fake, server, options, expected):
    g, mod = server["guild"], server["mod"]
    reply = await ask(
        fake, g, mod, "setup prompts", {"channel": server["prompts"], "day": "monday", **options}
    )
    assert reply.ephemeral and expected in reply.text
    show = await ask(fake, g, mod, "setup show")
    assert "not set up (use `/setup prompts`)" in show.text


async def test_members_cannot_use_moderator_commands(fake, server):
    g, member = server["guild"], server["members"][0]
    with pytest.raises(CommandHidden):
        await fake.slash(g, member, "prompts list")
    with pytest.raises(CommandHidden):
        await fake.slash(g, member, "setup show")
    refused = await ask(fake, g, member, "prompts export", admin_override=True)
    assert refused.ephemeral and "Only moderators" in refused.text and not refused.files


async def test_moderator_role_grants_access(fake, server):
    g = server["guild"]
    helper_role = fake.add_role(g, "Helpers")
    helper = fake.add_member(g, "helper", roles=[helper_role])
    assert "Only moderators" in (await ask(fake, g, helper, "setup show", admin_override=True)).text
    await ask(fake, g, fake.owner(g), "setup moderator-role", {"role": helper_role})
    assert "Timezone" in (await ask(fake, g, helper, "setup show", admin_override=True)).text


async def test_add_edit_remove_and_list(fake, runner, server):
    g, mod = server["guild"], server["mod"]
    added = await ask(
        fake,
        g,
        mod,
        "prompts add",
        {"theme": "heritage", "text": "What song did your family sing at celebrations?"},
    )
    prompt_id = int(added.text.split("#")[1].split()[0])

    edited = await ask(
        fake, g, mod, "prompts edit", {"id": prompt_id, "text": "What song does your family sing together?"}
    )
    assert "now reads" in edited.text
    history = await prompt_service.prompt_db.revisions(runner.bot.db, g["id"], prompt_id)
    assert [r["text"] for r in history] == ["What song did your family sing at celebrations?"]

    too_long = await ask(fake, g, mod, "prompts edit", {"id": prompt_id, "text": "x" * 1001})
    assert "1000 or fewer" in too_long.text

    confirm = await ask(fake, g, mod, "prompts remove", {"id": prompt_id})
    assert "Retire prompt" in confirm.text
    done = await (await fake.click(g, mod, confirm, "Confirm")).reply()
    assert "Retired prompt" in done.text
    listing = await ask(fake, g, mod, "prompts list", {"status": "retired"})
    assert f"#{prompt_id}" in listing.text and "1, page 1/1" in listing.text

    pages = -(-(len(prompt_service.shipped_prompts()) + 1) // prompt_service.PAGE_SIZE)
    everything = await ask(fake, g, mod, "prompts list")
    assert f"page 1/{pages}" in everything.text and "#1`" in everything.text
    following = await (await fake.click(g, mod, everything, "Next")).reply()
    assert f"page 2/{pages}" in following.text and "#11`" in following.text


async def test_add_without_text_opens_a_modal(fake, server):
    g, mod = server["guild"], server["mod"]
    exchange = await fake.slash(g, mod, "prompts add", {"theme": "family"})
    modal = await exchange.wait_modal()
    submitted = await fake.submit_modal(
        g, mod, modal, {"prompt_text": "Which recipe would you hand down first?"}
    )
    assert "Added prompt #" in (await submitted.reply()).text


async def test_import_is_all_or_nothing_then_export_round_trips(fake, server):
    g, mod = server["guild"], server["mod"]
    bad = b"theme,text\nstories,Tell us about your favourite teacher.\nnot-a-theme,What is a good question?\n"
    reply = await ask(fake, g, mod, "prompts import", {"file": fake.upload("bad.csv", bad)})
    assert "Line 3" in reply.text and "Nothing was imported" in reply.text
    listing = await ask(fake, g, mod, "prompts list", {"theme": "stories"})
    assert "favourite teacher" not in listing.text

    good = [
        {"theme": "stories", "text": "Tell us about your favourite teacher."},
        {"theme": "empathy", "text": "When did you last feel truly heard?", "content_note": "May be tender."},
        {"theme": "empathy", "text": "When did you last feel truly heard?"},
    ]
    reply = await ask(
        fake,
        g,
        mod,
        "prompts import",
        {"file": fake.upload("good.json", json.dumps(good).encode(), "application/json")},
    )
    assert "Imported 2 prompts; skipped 1" in reply.text

    export = await ask(fake, g, mod, "prompts export")
    name, data = export.files[0]
    assert name == "prompts.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert list(rows[0]) == [
        "id",
        "theme",
        "text",
        "pair_text",
        "depth",
        "content_note",
        "status",
        "pack",
        "date",
        "times_posted",
    ]
    assert any(
        r["text"] == "When did you last feel truly heard?" and r["content_note"] == "May be tender."
        for r in rows
    )
    shipped = len(prompt_service.shipped_prompts())
    assert len(rows) == shipped + 2

    again = await ask(fake, g, mod, "prompts import", {"file": fake.upload("prompts.csv", data)})
    assert f"Imported 0 prompts; skipped {shipped + 2}" in again.text


async def test_import_rejects_wrong_encoding_and_columns(fake, server):
    g, mod = server["guild"], server["mod"]
    latin = "theme,text\nstories,Qu'est-ce qui vous a appris la cuisine de votre grand-mère?\n".encode(
        "latin-1"
    )
    assert (
        "not UTF-8" in (await ask(fake, g, mod, "prompts import", {"file": fake.upload("x.csv", latin)})).text
    )
    cols = b"topic,question\nstories,What is your story?\n"
    assert (
        "theme,text" in (await ask(fake, g, mod, "prompts import", {"file": fake.upload("x.csv", cols)})).text
    )
    broken = b'[{"theme": "stories", "text": "unterminated'
    assert (
        "malformed"
        in (await ask(fake, g, mod, "prompts import", {"file": fake.upload("x.json", broken)})).text
    )


async def test_suggest_review_approve_and_pending_limit(fake, server):
    g, mod, ana = server["guild"], server["mod"], server["members"][0]
    ids = []
    for text in (
        "What is a word from your language you love?",
        "Who taught you to cook?",
        "What does home sound like?",
    ):
        reply = await ask(fake, g, ana, "prompt suggest", {"text": text, "theme": "heritage"})
        assert reply.ephemeral and "waiting for the moderators" in reply.text
        ids.append(int(reply.text.split("#")[1].split()[0]))
    fourth = await ask(
        fake, g, ana, "prompt suggest", {"text": "One more question for everyone?", "theme": "stories"}
    )
    assert "already have 3 suggestions" in fourth.text

    review = await ask(fake, g, mod, "prompts review")
    assert f"Suggestion #{ids[0]}" in review.text and "What is a word" in review.text
    after_approve = await (await fake.click(g, mod, review, "Approve")).reply()
    assert f"Approved #{ids[0]}" in after_approve.text and f"Suggestion #{ids[1]}" in after_approve.text
    after_reject = await (await fake.click(g, mod, after_approve, "Reject")).reply()
    assert f"Rejected #{ids[1]}" in after_reject.text

    edit = await fake.click(g, mod, after_reject, "Edit")
    modal = await edit.wait_modal()
    saved = await (
        await fake.submit_modal(g, mod, modal, {"prompt_text": "What does home sound like to you?"})
    ).reply()
    assert f"Approved #{ids[2]} with your edit" in saved.text and "No suggestions are waiting" in saved.text

    status = await ask(fake, g, ana, "prompt current")
    assert f"#{ids[0]}: approved" in status.text and f"#{ids[1]}: not taken" in status.text
    assert all(m.ephemeral or not m.content for m in fake.channel_messages(g["general"]))


async def test_deleted_channel_and_missing_permission_are_reported_not_fatal(fake, runner, server):
    g, mod = server["guild"], server["mod"]
    fake.deny(server["prompts"], p.SEND_MESSAGES)
    await ask(fake, g, mod, "setup prompts", {"channel": server["prompts"], "day": "monday", "time": "09:00"})
    # post-now waits for the scheduler's own attempt (same lock), then tries once more itself.
    attempt = await ask(fake, g, mod, "prompts post-now")
    assert "could not post" in attempt.text and "Send Messages" in attempt.text
    show = await ask(fake, g, mod, "setup show")
    assert "lack permission" in show.text and "Send Messages" in show.text
    assert posts(fake, server["prompts"]) == []

    fake.allow(server["prompts"], p.SEND_MESSAGES)
    outcome = await ask(fake, g, mod, "prompts post-now")
    assert "Posted this week's prompt" in outcome.text
    assert "Prompt problem" not in (await ask(fake, g, mod, "setup show")).text

    gone = fake.add_text_channel(g, "soon-gone")
    await ask(fake, g, mod, "setup prompts", {"channel": gone, "day": "monday", "time": "09:00"})
    fake.delete_channel(gone)
    await fake.wait_for(lambda: runner.bot.get_channel(gone.id) is None, what="the bot to see the deletion")
    reply = await ask(fake, g, mod, "prompts post-now")
    assert "already posted" in reply.text  # this week's post happened before the move: still once


async def test_deleted_channel_reported_on_first_post(fake, runner, server):
    g, mod = server["guild"], server["mod"]
    gone = fake.add_text_channel(g, "soon-gone")
    await fake.wait_for(lambda: runner.bot.get_channel(gone.id), what="the bot to see the channel")
    await ask(fake, g, mod, "setup prompts", {"channel": gone, "day": "sunday", "time": "23:00"})
    fake.delete_channel(gone)
    await fake.wait_for(lambda: runner.bot.get_channel(gone.id) is None, what="the bot to see the deletion")
    reply = await ask(fake, g, mod, "prompts post-now")
    assert "no longer exists" in reply.text
    assert "no longer exists" in (await ask(fake, g, mod, "setup show")).text
    # Nothing was consumed: the week is still free for a working channel.
    await ask(fake, g, mod, "setup prompts", {"channel": server["prompts"], "day": "sunday", "time": "23:00"})
    assert "Posted" in (await ask(fake, g, mod, "prompts post-now")).text


async def test_a_post_made_just_before_a_crash_is_found_not_repeated(fake, runner, server):
    g, mod = server["guild"], server["mod"]
    await ask(fake, g, mod, "setup prompts", {"channel": server["prompts"], "day": "sunday", "time": "23:00"})
    assert "Posted" in (await ask(fake, g, mod, "prompts post-now")).text
    # As if the process died after Discord accepted the post but before the database recorded it.
    await runner.bot.db.execute(
        "UPDATE prompt_posts SET status = 'claimed', message_id = NULL, thread_id = NULL WHERE guild_id = ?",
        (g["id"],),
    )
    await runner.restart()
    reply = await ask(fake, g, mod, "prompts post-now")
    assert "Posted" in reply.text
    assert len(posts(fake, server["prompts"])) == 1
    thread = fake.threads_in(server["prompts"], 11)[0]
    assert (
        f"/channels/{g['id']}/{thread.id}"
        in (await ask(fake, g, server["members"][0], "prompt current")).text
    )
