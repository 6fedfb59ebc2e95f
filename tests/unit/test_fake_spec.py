"""The fake's spec checks stand on the vendored copy of Discord's OpenAPI file and cover every route it serves."""

from __future__ import annotations

import re

from tests.fakediscord import FakeDiscord, spec


def test_the_spec_is_vendored_with_its_licence_and_origin():
    folder = spec.SPEC_FILE.parent
    assert folder.parts[-3:] == ("tests", "fakediscord", "spec")
    assert (folder / "LICENSE").read_text().startswith("MIT License")
    readme = (folder / "README.md").read_text()
    assert "discord/discord-api-spec" in readme and "74fda0fad044407ea280043a03ffc9bc64c4e49e" in readme
    assert spec.operation("POST", "/channels/1/messages").operation_id == "create_message"


def _example(rx: str) -> str:
    """A concrete path for one of the fake's route patterns."""
    path = re.sub(r"\(\?P<\w+>\\d\+\|@me\)", "1", rx)
    path = re.sub(r"\(\?P<\w+>\\d\+\)", "1", path)
    path = re.sub(r"\(\?P<\w+>\[\^/\]\+\)", "tok", path)
    return path.replace("(/bot)?", "/bot")


def test_every_route_the_fake_serves_is_one_of_discords():
    fake = FakeDiscord()
    routes = [(method, pattern.pattern.strip("^$")) for method, pattern, _ in fake._routes]
    assert len(routes) >= 25
    for method, rx in routes:
        path = _example(rx)
        op = spec.operation(method, path)
        assert op is not None, f"{method} {path} is not in Discord's API"


def test_literal_segments_win_over_parameters():
    assert spec.operation("PUT", "/channels/1/thread-members/@me").template.endswith("/@me")
    assert spec.operation("PATCH", "/webhooks/1/tok/messages/@original").template.endswith("/@original")
    assert spec.operation("PUT", "/channels/1/thread-members/2").template.endswith("{user_id}")
    assert spec.operation("GET", "/no/such/route") is None


def test_thread_creation_is_documented_as_201_and_messages_as_200():
    thread = spec.operation("POST", "/channels/1/threads")
    assert spec.documented_status(thread, 201) and not spec.documented_status(thread, 200)
    assert spec.documented_status(spec.operation("POST", "/channels/1/messages"), 200)


async def test_every_kind_of_channel_the_world_builds_answers_in_discords_shape(fake):
    import aiohttp

    guild = fake.add_guild()
    ana = fake.add_member(guild, "ana")
    text = fake.add_text_channel(guild, "pairs")
    news = fake.add_text_channel(guild, "news", kind=5)
    fake.hide_channel(text, visible_to=[fake.add_role(guild, "Moderators")])
    thread = fake.add_thread(text, "theirs", owner=ana, members=[ana])
    fake.thread_members[thread.id].add(fake.bot_user.id)
    headers = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession(base_url=fake.base_url, headers=headers) as http:
        async with http.post("/api/v10/users/@me/channels", json={"recipient_id": str(ana.id)}) as resp:
            dm = await resp.json()
        for channel_id in (text.id, news.id, thread.id, dm["id"], guild["general"].id):
            async with http.get(f"/api/v10/channels/{channel_id}") as resp:
                assert resp.status == 200
        async with http.get(f"/api/v10/guilds/{guild['id']}/members/{ana.id}") as resp:
            assert resp.status == 200
    assert fake.response_problems == []


async def test_query_and_path_parameters_are_checked(fake):
    import aiohttp

    fake.expect_refusals()
    guild = fake.add_guild()
    headers = {"Authorization": f"Bot {fake.token}"}
    url = f"/api/v10/channels/{guild['general'].id}/messages"
    async with aiohttp.ClientSession(base_url=fake.base_url, headers=headers) as http:
        async with http.get(url, params={"limit": "101"}) as resp:
            body = await resp.json()
            assert resp.status == 400 and "limit" in body["errors"]
        async with http.get(url, params={"limit": "100"}) as resp:
            assert resp.status == 200
        async with http.get(f"/api/v10/guilds/{guild['id']}/members/not-a-snowflake") as resp:
            assert resp.status in (400, 404)
    assert len(fake.refusals) >= 1
