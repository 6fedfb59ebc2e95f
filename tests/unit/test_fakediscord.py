"""The fake itself behaves like Discord where our bugs would hide."""

from __future__ import annotations

import aiohttp
import pytest

from tests.fakediscord import payloads as p


@pytest.fixture
async def http(fake):
    async with aiohttp.ClientSession(
        base_url=fake.base_url, headers={"Authorization": f"Bot {fake.token}"}
    ) as session:
        yield session


async def test_a_wrong_token_is_401(fake):
    async with aiohttp.ClientSession(base_url=fake.base_url) as anonymous:
        async with anonymous.get("/api/v10/users/@me", headers={"Authorization": "Bot nope"}) as resp:
            assert resp.status == 401


async def test_content_over_2000_characters_is_refused(fake, http):
    fake.expect_refusals()
    guild = fake.add_guild()
    channel = guild["general"]
    async with http.post(f"/api/v10/channels/{channel.id}/messages", json={"content": "x" * 2001}) as resp:
        assert resp.status == 400
        body = await resp.json()
        assert body["code"] == 50035
        assert body["errors"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    async with http.post(f"/api/v10/channels/{channel.id}/messages", json={"content": "x" * 2000}) as resp:
        assert resp.status == 200
        assert resp.headers["X-RateLimit-Limit"] and "X-RateLimit-Remaining" in resp.headers
    assert len(fake.channel_messages(channel)) == 1


async def test_missing_permission_is_403_and_deleted_channel_404(fake, http):
    guild = fake.add_guild()
    channel = fake.add_text_channel(guild, "prompts")
    fake.deny(channel, p.SEND_MESSAGES)
    async with http.post(f"/api/v10/channels/{channel.id}/messages", json={"content": "hi"}) as resp:
        assert resp.status == 403 and (await resp.json())["code"] == 50013
    fake.delete_channel(channel)
    async with http.post(f"/api/v10/channels/{channel.id}/messages", json={"content": "hi"}) as resp:
        assert resp.status == 404 and (await resp.json())["code"] == 10003


async def test_departed_member_is_404(fake, http):
    guild = fake.add_guild()
    member = fake.add_member(guild, "ana")
    fake.remove_member(guild, member)
    async with http.get(f"/api/v10/guilds/{guild['id']}/members/{member.id}") as resp:
        assert resp.status == 404 and (await resp.json())["code"] == 10007


async def test_rate_limit_answers_429_with_retry_after(fake, http):
    guild = fake.add_guild()
    fake.rate_limit = 2
    statuses = []
    for _ in range(3):
        async with http.post(
            f"/api/v10/channels/{guild['general'].id}/messages", json={"content": "x"}
        ) as resp:
            statuses.append(resp.status)
            last = resp
    assert statuses == [200, 200, 429]
    assert float(last.headers["Retry-After"]) > 0


async def test_injected_faults_then_recovery(fake, http):
    guild = fake.add_guild()
    fake.fail("POST", r"/messages$", 503, count=1)
    url = f"/api/v10/channels/{guild['general'].id}/messages"
    async with http.post(url, json={"content": "x"}) as resp:
        assert resp.status == 503
    async with http.post(url, json={"content": "x"}) as resp:
        assert resp.status == 200


async def test_unknown_route_is_404_and_recorded_as_a_refusal(fake, http):
    async with http.get("/api/v10/guilds/1/audit-logs") as resp:  # Discord has it, the fake does not
        assert resp.status == 404
    async with http.get("/api/v10/guilds/1/no-such-thing") as resp:  # Discord does not have it
        assert resp.status == 404 and (await resp.json())["code"] == 0
    assert fake.unknown_routes == ["GET /guilds/1/audit-logs", "GET /guilds/1/no-such-thing"]
    assert len(fake.refusals) == 2
    fake.refusals.clear()  # seen: the teardown check would otherwise fail this test


async def test_late_and_double_interaction_callbacks_fail(fake, runner, world, http):
    w = world()
    await runner.start()
    fake.interaction_deadline = 0.0  # every callback is now "late"
    late = await fake.slash(w["guild"], w["members"][0], "exchange status")
    await fake.wait_for(lambda: late.errors, what="a refused late callback")
    assert late.errors[0] == 10062 and late.callback_type is None

    fake.interaction_deadline = 3.0
    ok = await fake.slash(w["guild"], w["members"][0], "exchange status")
    await ok.reply()
    fake.expect_refusals()
    url = f"/api/v10/interactions/{ok.id}/{ok.token}/callback"
    async with http.post(url, json={"type": 4, "data": {"content": "again"}}) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == 40060
