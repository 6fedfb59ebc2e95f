"""The gateway: HELLO, IDENTIFY, RESUME, heartbeats and dispatched events (zlib-stream if asked)."""

from __future__ import annotations

import asyncio
import json
import secrets
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakediscord import payloads as p

PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)
GUILDS_INTENT = 1 << 0
GUILD_MEMBERS_INTENT = 1 << 1
GUILD_MESSAGES_INTENT = 1 << 9
MESSAGE_CONTENT_INTENT = 1 << 15


@dataclass
class GatewaySession:
    ws: web.WebSocketResponse
    compress: bool
    intents: int = 0
    session_id: str = ""
    seq: int = 0
    deflate: Any = None
    sent_events: list[dict[str, Any]] = field(default_factory=list)


class Gateway:
    def _guild_payload(self, guild_id: int) -> dict[str, Any]:
        guild = self.guilds[guild_id]
        channels = [c.payload() for c in self.channels.values() if c.guild_id == guild_id and not c.is_thread]
        roles = [r.payload(i) for i, r in enumerate(self.roles[guild_id].values())]
        bot_member = self.members[guild_id][self.bot_user.id].payload()
        return {
            "id": str(guild_id),
            "name": guild["name"],
            "icon": None,
            "owner_id": str(guild["owner_id"]),
            "roles": roles,
            "channels": channels,
            "threads": [
                c.payload()
                for c in self.channels.values()
                if c.guild_id == guild_id
                and c.is_thread
                and not c.archived
                and (c.type == 11 or self.bot_user.id in self.thread_members.get(c.id, set()))
            ],
            "members": [bot_member],
            "member_count": len(self.members[guild_id]),
            "large": False,
            "unavailable": False,
            "features": [],
            "emojis": [],
            "stickers": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "joined_at": p.iso_now(),
            "preferred_locale": "en-US",
            "premium_tier": 0,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "system_channel_flags": 0,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "application_id": None,
        }

    def _dispatch_guild_event(self, name: str, data: dict[str, Any], intent: int) -> None:
        for session in self.sessions:
            if session.intents & intent:
                task = asyncio.get_running_loop().create_task(self._send_dispatch(session, name, data))
                self._pending_events.add(task)
                task.add_done_callback(self._pending_events.discard)

    async def _flush_events(self) -> None:
        """Send the world-building events still on their way, so what a person does next (a command, a
        message) reaches the bot after them, in the order Discord would send them."""
        while self._pending_events:
            await asyncio.gather(*list(self._pending_events), return_exceptions=True)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        session = GatewaySession(ws, compress=request.query.get("compress") == "zlib-stream")
        if session.compress:
            session.deflate = zlib.compressobj()
        await self._send(session, {"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await self._send(session, {"op": 11, "d": None, "s": None, "t": None})
                elif op == 2:
                    await self._identify(session, frame["d"])
                elif op == 6:
                    await self._resume(session, frame["d"])
                elif op == 8:
                    await self._request_members(session, frame["d"])
        finally:
            if session in self.sessions:
                self.sessions.remove(session)
        return ws

    async def _identify(self, session: GatewaySession, data: dict[str, Any]) -> None:
        if data.get("token") != f"Bot {self.token}" and data.get("token") != self.token:
            await session.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self.allowed_intents:
            await session.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session.intents = intents
        session.session_id = secrets.token_hex(16)
        self.sessions.append(session)
        self.resumable[session.session_id] = session
        self.identifies += 1
        ready = {
            "v": 10,
            "user": self.bot_user.payload(),
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "shard": data.get("shard", [0, 1]),
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        await self._send_dispatch(session, "READY", ready)
        if intents & GUILDS_INTENT:
            for guild_id in list(self.guilds):
                await self._send_dispatch(session, "GUILD_CREATE", self._guild_payload(guild_id))
        self._touch()

    async def _resume(self, session: GatewaySession, data: dict[str, Any]) -> None:
        """Resume a known session: replay what it missed, then RESUMED. An unknown one is invalid (op 9)."""
        old = self.resumable.get(data.get("session_id", ""))
        if old is None:
            await self._send(session, {"op": 9, "d": False, "s": None, "t": None})
            return
        self.resumes += 1
        session.intents, session.session_id, session.seq = old.intents, old.session_id, old.seq
        session.sent_events = old.sent_events
        self.sessions.append(session)
        self.resumable[session.session_id] = session
        missed = [frame for frame in old.sent_events if frame["s"] > int(data.get("seq") or 0)]
        for frame in missed:
            await self._send(session, frame)
        await self._send_dispatch(session, "RESUMED", {})
        self._touch()

    async def _request_members(self, session: GatewaySession, data: dict[str, Any]) -> None:
        """Request Guild Members (op 8), events/gateway-events "Request Guild Members": with `user_ids` (up to
        100, no privileged intent needed) or a `query` prefix (up to 100; an empty query for the whole list
        needs GUILD_MEMBERS). Answered by GUILD_MEMBERS_CHUNK with `members`, `not_found`, the `nonce` echoed,
        `chunk_index`/`chunk_count`."""
        self.member_requests.append(data)
        # "Request Guild Members Structure": guild_id required; one of query or user_ids; limit with query.
        if "guild_id" not in data or ("query" not in data and "user_ids" not in data):
            self._refused(f"op 8 Request Guild Members without guild_id, or without query and user_ids: {data}")
            return
        if "query" in data and "limit" not in data:
            self._refused(f"op 8 Request Guild Members with a query but no limit: {data}")
            return
        guild_id = int(data["guild_id"])
        members = self.members.get(guild_id, {})
        chunk: dict[str, Any] = {"guild_id": str(guild_id), "chunk_index": 0, "chunk_count": 1}
        nonce = data.get("nonce")
        if isinstance(nonce, str) and len(nonce.encode()) <= 32:
            chunk["nonce"] = nonce
        user_ids = data.get("user_ids")
        if user_ids is not None:
            ids = [int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])]
            if len(ids) > 100:  # "Requesting user_ids will continue to be limited to returning 100 members"
                self._refused(
                    f"op 8 Request Guild Members with {len(ids)} user_ids: at most 100 are answered"
                )
                ids = ids[:100]
            chunk["members"] = [members[i].payload() for i in ids if i in members]
            chunk["not_found"] = [str(i) for i in ids if i not in members]
        else:
            query = str(data.get("query") or "")
            limit = int(data.get("limit") or 0)
            if query == "" and not session.intents & GUILD_MEMBERS_INTENT:
                await session.ws.close(code=4013, message=b"Invalid intent(s).")
                return
            found = [m for m in members.values() if m.user.name.lower().startswith(query.lower())]
            cap = 100 if query else (limit or len(found))
            chunk["members"] = [m.payload() for m in found[: min(cap, limit or cap)]]
        await self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)

    def forget_sessions(self) -> None:
        """Make every session unresumable, as after a long outage: the next connection gets a new READY."""
        self.resumable.clear()

    async def _send_dispatch(self, session: GatewaySession, name: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": 0, "t": name, "s": session.seq, "d": data}
        session.sent_events.append(frame)
        await self._send(session, frame)

    async def _send(self, session: GatewaySession, frame: dict[str, Any]) -> None:
        if session.ws.closed:
            return
        raw = json.dumps(frame)
        if session.compress:
            chunk = session.deflate.compress(raw.encode()) + session.deflate.flush(zlib.Z_SYNC_FLUSH)
            await session.ws.send_bytes(chunk)
        else:
            await session.ws.send_str(raw)

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close every gateway connection with `code`, as an outage would; the bot reconnects."""
        for session in list(self.sessions):
            await session.ws.close(code=code)
