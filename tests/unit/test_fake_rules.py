"""The fake refuses what Discord's docs say Discord refuses: one test per documented rule, each showing the
refusal (and, where it matters, that the allowed neighbour passes)."""

from __future__ import annotations

import json
import secrets
from typing import Any

import aiohttp
import pytest

from tests.fakediscord import payloads as p
from tests.fakediscord.records import Exchange


@pytest.fixture
async def http(fake):
    async with aiohttp.ClientSession(
        base_url=fake.base_url, headers={"Authorization": f"Bot {fake.token}"}
    ) as session:
        yield session


async def call(http, method: str, url: str, body: Any = None) -> tuple[int, Any]:
    async with http.request(method, f"/api/v10{url}", json=body) as resp:
        text = await resp.text()
        return resp.status, (json.loads(text) if text else None)


def command(name: str = "exchange", **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "Join the weekly exchange", "type": 1, **extra}


def option(name: str, *, required: bool = False, **extra: Any) -> dict[str, Any]:
    return {"type": 3, "name": name, "description": "a value", "required": required, **extra}


# ---------------------------------------------------------------- application commands


@pytest.mark.parametrize(
    ("commands", "where"),
    [
        ([command("Exchange")], ["0", "name"]),  # upper case
        ([command("Échange")], ["0", "name"]),  # a non-ASCII letter with a lower-case variant
        ([command("has space")], ["0", "name"]),
        ([command(options=[option(f"o{i}") for i in range(26)])], ["0", "options"]),
        (
            [
                command(
                    options=[option("pick", choices=[{"name": f"c{i}", "value": f"v{i}"} for i in range(26)])]
                )
            ],
            ["0", "options", "0", "choices"],
        ),
        ([command(description="")], ["0", "description"]),
        ([command(description="d" * 101)], ["0", "description"]),
        ([command(options=[option("later"), option("first", required=True)])], ["0", "options", "1"]),
    ],
    ids=[
        "upper-case",
        "upper-case-non-ascii",
        "space",
        "26-options",
        "26-choices",
        "empty-description",
        "101-description",
        "required-after-optional",
    ],
)
async def test_command_rules_are_enforced(fake, http, commands, where):
    fake.expect_refusals()
    status, body = await call(http, "PUT", f"/applications/{fake.application_id}/commands", commands)
    assert status == 400 and body["code"] == 50035
    node = body["errors"]
    for key in where:
        node = node[key]
    assert node["_errors"], body
    assert fake.global_commands == [] and len(fake.refusals) == 1


async def test_command_names_may_use_any_lower_case_letters(fake, http):
    names = ["échange", "交流", "पहचान", "обмен", "it's-a_name"]
    status, body = await call(
        http, "PUT", f"/applications/{fake.application_id}/commands", [command(n) for n in names]
    )
    assert status == 200, body
    assert [c["name"] for c in body] == names
    assert all(isinstance(c["default_member_permissions"], str | None) for c in body)


async def test_a_command_over_8000_characters_is_refused(fake, http):
    fake.expect_refusals()
    choices = [{"name": "n" * 100, "value": "v" * 100} for _ in range(25)]  # 5000 characters
    options = [option(f"o{i}", description="d" * 100, choices=choices if i < 2 else None) for i in range(3)]
    options = [{k: v for k, v in o.items() if v is not None} for o in options]
    status, body = await call(
        http, "PUT", f"/applications/{fake.application_id}/commands", [command(options=options)]
    )
    assert status == 400
    assert body["errors"]["0"]["_errors"][0]["code"] == "APPLICATION_COMMAND_TOO_LARGE"
    # The same command with one choice list fits.
    options[1].pop("choices")
    status, _ = await call(
        http, "PUT", f"/applications/{fake.application_id}/commands", [command(options=options)]
    )
    assert status == 200


async def test_user_commands_may_have_spaces_and_capitals(fake, http):
    status, body = await call(
        http, "PUT", f"/applications/{fake.application_id}/commands", [{"name": "Report Message", "type": 3}]
    )
    assert status == 200, body


# ---------------------------------------------------------------- the spec itself


async def test_a_body_against_the_spec_is_refused_with_nested_errors(fake, http):
    fake.expect_refusals()
    guild = fake.add_guild()
    status, body = await call(
        http, "POST", f"/channels/{guild['general'].id}/messages", {"content": "hi", "embeds": [{"title": 5}]}
    )
    assert status == 400 and body["code"] == 50035 and body["message"] == "Invalid Form Body"
    assert body["errors"]["embeds"]["0"]["title"]["_errors"][0]["code"]
    assert "create_message" in fake.refusals[0]


async def test_what_discord_py_sends_everywhere_is_accepted(fake, http):
    guild = fake.add_guild()
    member = fake.add_member(guild, "ana")
    body = {"content": f"<@{member.id}>", "allowed_mentions": {"users": [member.id], "parse": []}}
    status, _ = await call(http, "POST", f"/channels/{guild['general'].id}/messages", body)
    assert status == 200
    status, dm = await call(http, "POST", "/users/@me/channels", {"recipient_id": member.id})
    assert status == 200 and dm["type"] == 1
    assert fake.refusals == []


async def test_refusals_fail_the_test_unless_expected(fake, http):
    guild = fake.add_guild()
    await call(http, "POST", f"/channels/{guild['general'].id}/messages", {"content": 5})
    assert fake.refusals and not fake.refusals_expected
    fake.refusals.clear()  # the autouse fixture would fail this test; seen here instead


# ---------------------------------------------------------------- response shapes


async def test_rest_messages_have_no_gateway_extras_and_threads_are_201(fake, http):
    guild = fake.add_guild()
    member = fake.add_member(guild, "ana")
    channel = fake.add_text_channel(guild, "pairs")
    status, thread = await call(http, "POST", f"/channels/{channel.id}/threads", {"name": "pair", "type": 12})
    assert status == 201 and thread["type"] == 12
    body = {"content": f"hello <@{member.id}>", "allowed_mentions": {"users": [str(member.id)]}}
    status, message = await call(http, "POST", f"/channels/{thread['id']}/messages", body)
    assert status == 200
    assert "guild_id" not in message and "member" not in message
    assert [m["id"] for m in message["mentions"]] == [str(member.id)]
    assert all("member" not in m for m in message["mentions"])
    assert fake.response_problems == []


async def test_a_rate_limited_answer_has_a_code(fake, http):
    guild = fake.add_guild()
    fake.rate_limit = 1
    await call(http, "POST", f"/channels/{guild['general'].id}/messages", {"content": "a"})
    status, body = await call(http, "POST", f"/channels/{guild['general'].id}/messages", {"content": "b"})
    assert status == 429 and isinstance(body["code"], int) and body["retry_after"] > 0
    assert fake.response_problems == []


async def test_response_checking_catches_an_answer_unlike_discords(fake, http):
    guild = fake.add_guild()
    original = fake._message_body
    fake._message_body = lambda sent: {k: v for k, v in original(sent).items() if k != "timestamp"}
    await call(http, "POST", f"/channels/{guild['general'].id}/messages", {"content": "a"})
    assert any("timestamp" in problem for problem in fake.response_problems)
    fake.response_problems.clear()


# ---------------------------------------------------------------- threads


async def test_private_threads_only_in_text_channels(fake, http):
    fake.expect_refusals()
    guild = fake.add_guild()
    news = fake.add_text_channel(guild, "news", kind=5)
    status, body = await call(http, "POST", f"/channels/{news.id}/threads", {"name": "pair", "type": 12})
    assert status == 400 and body["code"] == 50035 and body["errors"]["type"]["_errors"]
    status, _ = await call(http, "POST", f"/channels/{news.id}/threads", {"name": "talk", "type": 10})
    assert status == 201  # an announcement thread is fine there
    assert fake.threads_in(news, 12) == []


@pytest.mark.parametrize("duration", [999, 0, 10081])
async def test_auto_archive_duration_must_be_a_documented_value(fake, http, duration):
    fake.expect_refusals()
    guild = fake.add_guild()
    url = f"/channels/{guild['general'].id}/threads"
    status, body = await call(
        http, "POST", url, {"name": "pair", "type": 12, "auto_archive_duration": duration}
    )
    assert status == 400 and "auto_archive_duration" in body["errors"]
    for allowed in (60, 1440, 4320, 10080):
        status, _ = await call(http, "POST", url, {"name": "p", "type": 12, "auto_archive_duration": allowed})
        assert status == 201


async def test_thread_members_cannot_change_in_an_archived_thread(fake, http):
    fake.expect_refusals()
    guild = fake.add_guild()
    ana = fake.add_member(guild, "ana")
    status, thread = await call(
        http, "POST", f"/channels/{guild['general'].id}/threads", {"name": "p", "type": 12}
    )
    assert status == 201
    fake.channels[int(thread["id"])].archived = True
    status, body = await call(http, "PUT", f"/channels/{thread['id']}/thread-members/{ana.id}")
    assert status == 400 and body["code"] == 50083
    status, body = await call(http, "DELETE", f"/channels/{thread['id']}/thread-members/{ana.id}")
    assert status == 400 and body["code"] == 50083
    fake.channels[int(thread["id"])].archived = False
    status, _ = await call(http, "PUT", f"/channels/{thread['id']}/thread-members/{ana.id}")
    assert status == 204 and ana.id in fake.thread_members[int(thread["id"])]


async def test_private_threads_the_bot_may_not_manage(fake, http):
    guild = fake.add_guild()
    ana, ben, cai = (fake.add_member(guild, n) for n in ("ana", "ben", "cai"))
    channel = guild["general"]
    # Not a member, no Manage Threads: the bot cannot even see it.
    unseen = fake.add_thread(channel, "theirs", owner=ana)
    status, body = await call(http, "PUT", f"/channels/{unseen.id}/thread-members/{ben.id}")
    assert status == 403 and body["code"] == 50001
    # A member of a thread that is not invitable, neither creator nor moderator: may not add others.
    closed = fake.add_thread(channel, "closed", owner=ana, invitable=False)
    fake.thread_members[closed.id].add(fake.bot_user.id)
    status, body = await call(http, "PUT", f"/channels/{closed.id}/thread-members/{ben.id}")
    assert status == 403 and body["code"] == 50013
    # Removing someone from a private thread needs Manage Threads or being its creator.
    status, body = await call(http, "DELETE", f"/channels/{closed.id}/thread-members/{ana.id}")
    assert status == 403 and body["code"] == 50013
    # With Manage Threads (a role given to the bot) both work.
    mod = fake.add_role(guild, "Thread keeper", p.MANAGE_THREADS)
    fake.members[guild["id"]][fake.bot_user.id].roles.append(mod.id)
    status, _ = await call(http, "PUT", f"/channels/{unseen.id}/thread-members/{cai.id}")
    assert status == 204
    status, _ = await call(http, "DELETE", f"/channels/{closed.id}/thread-members/{ana.id}")
    assert status == 204


async def test_a_mention_adds_only_members_who_can_view_the_parent(fake, http):
    guild = fake.add_guild()
    staff = fake.add_role(guild, "Moderators")
    inside = fake.add_member(guild, "inside", roles=[staff])
    outside = fake.add_member(guild, "outside")
    reports = fake.add_text_channel(guild, "reports")
    fake.hide_channel(reports, visible_to=[staff])
    status, thread = await call(http, "POST", f"/channels/{reports.id}/threads", {"name": "r", "type": 12})
    assert status == 201
    body = {
        "content": f"<@{outside.id}> <@{inside.id}>",
        "allowed_mentions": {"users": [str(outside.id), str(inside.id)]},
    }
    status, _ = await call(http, "POST", f"/channels/{thread['id']}/messages", body)
    assert status == 200
    assert fake.thread_members[int(thread["id"])] == {fake.bot_user.id, inside.id}


@pytest.mark.parametrize(
    ("mentionable", "bot_may_mention_everyone", "added"),
    [(False, False, False), (True, False, True), (False, True, True)],
    ids=["not-mentionable", "mentionable", "bot-has-mention-everyone"],
)
async def test_a_role_mention_adds_the_role_only_if_it_may_be_pinged(
    fake, http, mentionable, bot_may_mention_everyone, added
):
    guild = fake.add_guild()
    staff = fake.add_role(guild, "Moderators", mentionable=mentionable)
    mods = [fake.add_member(guild, f"mod{i}", roles=[staff]) for i in range(2)]
    fake.add_member(guild, "bystander")
    channel = guild["general"]
    if bot_may_mention_everyone:
        bot_member = fake.members[guild["id"]][fake.bot_user.id]
        fake.overwrite(channel, bot_member, allow=p.MENTION_EVERYONE)
    status, thread = await call(http, "POST", f"/channels/{channel.id}/threads", {"name": "r", "type": 12})
    body = {"content": f"<@&{staff.id}> please look", "allowed_mentions": {"roles": [str(staff.id)]}}
    status, message = await call(http, "POST", f"/channels/{thread['id']}/messages", body)
    assert status == 200
    expected = {fake.bot_user.id} | ({m.id for m in mods} if added else set())
    assert fake.thread_members[int(thread["id"])] == expected
    assert message["mention_roles"] == ([str(staff.id)] if added else [])


# ---------------------------------------------------------------- interactions


def fake_interaction(fake, channel: p.FakeChannel) -> Exchange:
    """An interaction as if a member had used a command (registered in the fake without a bot)."""
    interaction_id, token = p.snowflake(), secrets.token_urlsafe(24)
    payload = {"id": str(interaction_id), "type": 2, "channel_id": str(channel.id), "data": {}}
    exchange = Exchange(interaction_id, token, payload, fake._now())
    fake.exchanges[interaction_id] = exchange
    fake.by_token[token] = exchange
    return exchange


async def test_interaction_tokens_expire_after_15_minutes(fake, http):
    fake.expect_refusals()
    guild = fake.add_guild()
    exchange = fake_interaction(fake, guild["general"])
    url = f"/interactions/{exchange.id}/{exchange.token}/callback"
    status, _ = await call(http, "POST", url, {"type": 5})
    assert status == 204
    hook = f"/webhooks/{fake.application_id}/{exchange.token}"
    followups = f"{hook}?wait=true"
    fake.advance(14 * 60)
    status, _ = await call(http, "POST", followups, {"content": "still in time"})
    assert status == 200
    fake.advance(2 * 60)
    status, body = await call(http, "POST", followups, {"content": "too late"})
    assert status == 401 and body["code"] == 50027
    status, body = await call(http, "PATCH", f"{hook}/messages/@original", {"content": "too late"})
    assert status == 401 and body["code"] == 50027


@pytest.mark.parametrize("kind", [6, 7])
async def test_component_only_callbacks_are_refused_for_a_slash_command(fake, http, kind):
    """interactions/receiving-and-responding: DEFERRED_UPDATE_MESSAGE and UPDATE_MESSAGE are only valid for
    component-based interactions; a slash command (type 2) answered with one is refused."""
    fake.expect_refusals()
    guild = fake.add_guild()
    exchange = fake_interaction(fake, guild["general"])
    url = f"/interactions/{exchange.id}/{exchange.token}/callback"
    status, body = await call(http, "POST", url, {"type": kind})
    assert status == 400 and body["code"] == 50035
    assert exchange.callback_type is None, "a refused callback acknowledges nothing"
    exchange.payload["type"] = 3  # the same callback for a button press is fine
    exchange.payload["message"] = {"id": "1"}
    status, _ = await call(http, "POST", url, {"type": 6})
    assert status == 204 and exchange.callback_type == 6


def buttons(n: int, prefix: str = "b") -> dict[str, Any]:
    return {
        "type": 1,
        "components": [
            {"type": 2, "style": 1, "label": f"B{i}", "custom_id": f"{prefix}{i}"} for i in range(n)
        ],
    }


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"embeds": [{"title": f"e{i}"} for i in range(11)]}, ["embeds"]),
        ({"content": "x", "components": [buttons(6)]}, ["components", "0", "components"]),
        (
            {"content": "x", "components": [buttons(2), buttons(2)]},
            ["components", "1", "components", "0", "custom_id"],
        ),
    ],
    ids=["11-embeds", "6-buttons-in-a-row", "duplicate-custom-id"],
)
async def test_message_limits_are_enforced(fake, http, data, where):
    fake.expect_refusals()
    guild = fake.add_guild()
    exchange = fake_interaction(fake, guild["general"])
    status, body = await call(
        http, "POST", f"/interactions/{exchange.id}/{exchange.token}/callback", {"type": 4, "data": data}
    )
    assert status == 400 and body["code"] == 50035, body
    node = body["errors"]
    for key in ["data", *where] if "data" in body["errors"] else where:
        node = node[key]
    assert node["_errors"]
    status, body = await call(http, "POST", f"/channels/{guild['general'].id}/messages", data)
    assert status == 400 and body["code"] == 50035
    assert fake.channel_messages(guild["general"]) == []


async def test_ten_embeds_and_five_buttons_are_fine(fake, http):
    guild = fake.add_guild()
    data = {"embeds": [{"title": f"e{i}"} for i in range(10)], "components": [buttons(5), buttons(5, "c")]}
    status, _ = await call(http, "POST", f"/channels/{guild['general'].id}/messages", data)
    assert status == 200


def modal(title: str, label: str) -> dict[str, Any]:
    return {
        "type": 9,
        "data": {
            "custom_id": "report",
            "title": title,
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": "what", "style": 2, "label": label}]}
            ],
        },
    }


@pytest.mark.parametrize(
    ("title", "label", "bad"),
    [("t" * 46, "What happened?", "title"), ("Report", "l" * 46, "label")],
    ids=["46-character-title", "46-character-label"],
)
async def test_modal_title_and_label_at_most_45(fake, http, title, label, bad):
    fake.expect_refusals()
    guild = fake.add_guild()
    exchange = fake_interaction(fake, guild["general"])
    url = f"/interactions/{exchange.id}/{exchange.token}/callback"
    status, body = await call(http, "POST", url, modal(title, label))
    assert status == 400 and body["code"] == 50035
    assert bad in json.dumps(body["errors"])
    assert exchange.modal is None
    status, _ = await call(http, "POST", url, modal("t" * 45, "l" * 45))
    assert status == 204 and exchange.modal is not None


async def test_a_file_over_10_mib_is_refused(fake, http):
    fake.expect_refusals()
    guild = fake.add_guild()
    url = f"/api/v10/channels/{guild['general'].id}/messages"

    async def upload(size: int) -> tuple[int, Any]:
        form = aiohttp.FormData()
        form.add_field(
            "payload_json",
            json.dumps({"content": "export", "attachments": [{"id": 0, "filename": "a.csv"}]}),
            content_type="application/json",
        )
        form.add_field("files[0]", b"x" * size, filename="a.csv", content_type="text/csv")
        async with http.post(url, data=form) as resp:
            return resp.status, await resp.json()

    status, body = await upload(10 * 1024 * 1024 + 1)
    assert status == 413 and body["code"] == 40005
    status, _ = await upload(10 * 1024 * 1024)
    assert status == 200


# ---------------------------------------------------------------- access and DMs


async def test_a_channel_the_bot_cannot_view_is_missing_access(fake, http):
    guild = fake.add_guild()
    staff = fake.add_role(guild, "Moderators")
    hidden = fake.add_text_channel(guild, "mods-only")
    fake.overwrite(hidden, guild, deny=p.VIEW_CHANNEL)
    fake.overwrite(hidden, staff, allow=p.VIEW_CHANNEL)
    for method, url, body in (
        ("GET", f"/channels/{hidden.id}", None),
        ("GET", f"/channels/{hidden.id}/messages", None),
        ("POST", f"/channels/{hidden.id}/messages", {"content": "hi"}),
    ):
        status, answer = await call(http, method, url, body)
        assert (status, answer["code"]) == (403, 50001), (method, url)
    fake.hide_channel(hidden, visible_to=[staff])  # lets the bot in too
    status, _ = await call(http, "POST", f"/channels/{hidden.id}/messages", {"content": "hi"})
    assert status == 200


async def test_a_dm_to_a_member_who_refuses_dms_is_50007(fake, http):
    guild = fake.add_guild()
    closed = fake.add_member(guild, "closed", dms=False)
    open_ = fake.add_member(guild, "open")
    for member, expected in ((closed, 403), (open_, 200)):
        status, dm = await call(http, "POST", "/users/@me/channels", {"recipient_id": str(member.id)})
        assert status == 200
        status, body = await call(http, "POST", f"/channels/{dm['id']}/messages", {"content": "hi"})
        assert status == expected
        if expected == 403:
            assert body["code"] == 50007


async def test_a_departed_member_is_unknown(fake, http):
    guild = fake.add_guild()
    ana = fake.add_member(guild, "ana")
    status, _ = await call(http, "GET", f"/guilds/{guild['id']}/members/{ana.id}")
    assert status == 200
    fake.remove_member(guild, ana)
    status, body = await call(http, "GET", f"/guilds/{guild['id']}/members/{ana.id}")
    assert (status, body["code"]) == (404, 10007)


async def test_default_member_permissions_as_the_docs_or_the_spec_write_it(fake, http):
    commands = [
        command("setup", default_member_permissions=32),  # the spec (and discord.py): an integer
        command("pairing", default_member_permissions="32"),  # the docs: a string
        command("exchange", default_member_permissions=None),
    ]
    status, body = await call(http, "PUT", f"/applications/{fake.application_id}/commands", commands)
    assert status == 200, body
    assert [c["default_member_permissions"] for c in body] == ["32", "32", None]
