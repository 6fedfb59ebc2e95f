"""The fake's gateway answers Request Guild Members (op 8) as Discord documents it, and sends
GUILD_MEMBER_REMOVE only to a session with the GUILD_MEMBERS intent."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1


class Client:
    """A bare gateway client: identify, send frames, read dispatches by name."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []

    async def send(self, op: int, data: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps({"op": op, "d": data}))

    async def next_event(self, name: str, timeout: float = 5.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise AssertionError(f"gateway closed: {msg.type} {msg.data} {msg.extra}")
                frame = json.loads(msg.data)
                if frame.get("op") == 0:
                    self.events.append(frame)
                    if frame["t"] == name:
                        return frame["d"]


async def connect(session: aiohttp.ClientSession, fake, intents: int) -> Client:
    ws = await session.ws_connect(fake.gateway_url)
    hello = json.loads((await ws.receive()).data)
    assert hello["op"] == 10
    client = Client(ws)
    await client.send(2, {"token": fake.token, "intents": intents, "properties": {}})
    await client.next_event("READY")
    return client


async def test_request_guild_members_by_id_answers_found_and_not_found(fake):
    guild = fake.add_guild()
    ana, ben, gone = (fake.add_member(guild, n) for n in ("ana", "ben", "gone"))
    fake.remove_member(guild, gone)
    stranger = 1234567890123
    async with aiohttp.ClientSession() as session:
        client = await connect(session, fake, GUILDS)
        await client.send(
            8,
            {
                "guild_id": str(guild["id"]),
                "user_ids": [str(ben.id), str(gone.id), str(ana.id), str(stranger)],
                "nonce": "pre-round-1",
                "limit": 0,
                "presences": False,
            },
        )
        chunk = await client.next_event("GUILD_MEMBERS_CHUNK")
        await client.ws.close()
    assert chunk["guild_id"] == str(guild["id"])
    assert [m["user"]["id"] for m in chunk["members"]] == [str(ben.id), str(ana.id)]
    assert sorted(chunk["not_found"]) == sorted([str(gone.id), str(stranger)])
    assert chunk["nonce"] == "pre-round-1"
    assert (chunk["chunk_index"], chunk["chunk_count"]) == (0, 1)
    assert fake.member_requests[-1]["nonce"] == "pre-round-1"


async def test_the_whole_member_list_needs_the_members_intent(fake):
    guild = fake.add_guild()
    async with aiohttp.ClientSession() as session:
        client = await connect(session, fake, GUILDS)
        await client.send(8, {"guild_id": str(guild["id"]), "query": "", "limit": 0})
        async with asyncio.timeout(5):
            msg = await client.ws.receive()
            while msg.type == aiohttp.WSMsgType.TEXT:  # events already on their way
                assert json.loads(msg.data).get("t") != "GUILD_MEMBERS_CHUNK"
                msg = await client.ws.receive()
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4013


async def test_member_remove_only_with_the_members_intent(fake):
    fake.allowed_intents = GUILD_MEMBERS  # as if enabled in the developer portal
    guild = fake.add_guild()
    ana, ben = fake.add_member(guild, "ana"), fake.add_member(guild, "ben")
    async with aiohttp.ClientSession() as session:
        plain = await connect(session, fake, GUILDS)
        members = await connect(session, fake, GUILDS | GUILD_MEMBERS)
        fake.remove_member(guild, ana)
        removed = await members.next_event("GUILD_MEMBER_REMOVE")
        assert removed["user"]["id"] == str(ana.id)
        # A marker event both sessions get: the plain one must have seen no removal before it.
        fake.remove_member(guild, ben)
        fake.add_text_channel(guild, "marker")
        await plain.next_event("CHANNEL_CREATE")
        assert not [e for e in plain.events if e["t"] == "GUILD_MEMBER_REMOVE"]
        await plain.ws.close()
        await members.ws.close()


async def test_more_than_100_user_ids_is_a_refusal(fake):
    fake.expect_refusals()
    guild = fake.add_guild()
    ids = [str(1000 + i) for i in range(101)]
    async with aiohttp.ClientSession() as session:
        client = await connect(session, fake, GUILDS)
        await client.send(8, {"guild_id": str(guild["id"]), "user_ids": ids, "limit": 0})
        chunk = await client.next_event("GUILD_MEMBERS_CHUNK")
        await client.ws.close()
    assert len(chunk["members"]) + len(chunk["not_found"]) == 100
    assert any("101 user_ids" in r for r in fake.refusals)


async def test_a_malformed_member_request_is_a_refusal(fake):
    fake.expect_refusals()
    guild = fake.add_guild()
    async with aiohttp.ClientSession() as session:
        client = await connect(session, fake, GUILDS)
        await client.send(8, {"guild_id": str(guild["id"]), "query": "an"})  # a query needs a limit
        await client.send(8, {"guild_id": str(guild["id"])})  # neither query nor user_ids
        await fake.wait_for(lambda: len(fake.member_requests) == 2, what="both requests")
        await client.ws.close()
    assert len(fake.refusals) == 2
