"""A loopback fake of Discord's REST API v10 and gateway, for running the real bot in tests.

It keeps the state a bot can change (messages, threads, thread members, commands) and behaves like
Discord where our bugs would hide: the 3-second interaction deadline (10062), double acknowledgement
(40060), the 2000-character limit, 403 for missing permissions, 404 for deleted channels and departed
members, rate-limit headers and 429s, privileged intents refused (4014), commands hidden by
`default_member_permissions`. Unknown routes answer 404 and are recorded.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import secrets
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakediscord import payloads as p
from tests.fakediscord.records import Exchange, Sent

PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)
GUILDS_INTENT = 1 << 0
GUILD_MESSAGES_INTENT = 1 << 9
MESSAGE_CONTENT_INTENT = 1 << 15


class DiscordError(Exception):
    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors


class CommandHidden(AssertionError):
    """Discord would not show this command to this member (default_member_permissions)."""


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    retry_after: float = 0.2
    after: int = 0  # matching requests to let through before failing


@dataclass
class GatewaySession:
    ws: web.WebSocketResponse
    compress: bool
    intents: int = 0
    session_id: str = ""
    seq: int = 0
    deflate: Any = None
    sent_events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Request:
    method: str
    path: str
    body: Any


class FakeDiscord:
    """The fake. Start it, `install()` it into discord.py, then add guilds, channels and members."""

    def __init__(self) -> None:
        self.application_id = p.snowflake()
        self.bot_user = p.FakeUser(self.application_id, "Bridges", bot=True)
        self.token = f"{_b64(str(self.application_id))}.fake.{secrets.token_urlsafe(16)}"
        self.users: dict[int, p.FakeUser] = {self.bot_user.id: self.bot_user}
        self.guilds: dict[int, dict[str, Any]] = {}
        self.members: dict[int, dict[int, p.FakeMember]] = {}
        self.roles: dict[int, dict[int, p.FakeRole]] = {}
        self.channels: dict[int, p.FakeChannel] = {}
        self.messages: dict[int, list[Sent]] = {}
        self.thread_members: dict[int, set[int]] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.sync_requests: list[tuple[str, list[dict[str, Any]]]] = []
        self.requests: list[Request] = []
        self.unknown_routes: list[str] = []
        self.exchanges: dict[int, Exchange] = {}
        self.by_token: dict[str, Exchange] = {}
        self.attachments: dict[int, bytes] = {}
        self.sessions: list[GatewaySession] = []
        self.faults: list[Fault] = []
        self.resumable: dict[str, GatewaySession] = {}
        self.identifies = 0
        self.resumes = 0
        self.interaction_deadline = 3.0
        self.rate_limit = 50  # requests per bucket per window
        self.rate_window = 1.0
        self._buckets: dict[str, tuple[float, int]] = {}
        self.allowed_intents = 0  # privileged intents enabled in the "developer portal": none
        self.base_url = ""
        self.gateway_url = ""
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()
        self._routes = self._route_table()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_route("GET", "/gateway-ws", self._gateway)
        app.router.add_route("GET", "/cdn/attachments/{id}/{name}", self._cdn)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway-ws"

    def install(self) -> None:
        """Point discord.py at this fake (REST base and gateway)."""
        import discord.gateway
        import discord.http
        import yarl

        discord.http.Route.BASE = f"{self.base_url}/api/v10"
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    async def stop(self) -> None:
        for session in list(self.sessions):
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ world building

    def add_guild(self, name: str = "Bridges Test Server", owner_name: str = "owner") -> dict[str, Any]:
        guild_id = p.snowflake()
        owner = self._new_user(owner_name)
        guild = {"id": guild_id, "name": name, "owner_id": owner.id}
        self.guilds[guild_id] = guild
        self.roles[guild_id] = {guild_id: p.FakeRole(guild_id, "@everyone", p.EVERYONE_DEFAULT)}
        self.members[guild_id] = {}
        self.members[guild_id][owner.id] = p.FakeMember(owner, guild_id)
        self.members[guild_id][self.bot_user.id] = p.FakeMember(self.bot_user, guild_id)
        guild["general"] = self.add_text_channel(guild, "general", announce=False)
        self._dispatch_guild_event("GUILD_CREATE", self._guild_payload(guild_id), GUILDS_INTENT)
        return guild

    def add_text_channel(self, guild: dict[str, Any], name: str, *, announce: bool = True) -> p.FakeChannel:
        channel = p.FakeChannel(p.snowflake(), guild["id"], name)
        self.channels[channel.id] = channel
        self.messages[channel.id] = []
        if announce:
            self._dispatch_guild_event("CHANNEL_CREATE", channel.payload(), GUILDS_INTENT)
        return channel

    def add_role(self, guild: dict[str, Any], name: str, permissions: int = 0) -> p.FakeRole:
        role = p.FakeRole(p.snowflake(), name, permissions)
        self.roles[guild["id"]][role.id] = role
        self._dispatch_guild_event(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild["id"]), "role": role.payload()}, GUILDS_INTENT
        )
        return role

    def add_member(
        self,
        guild: dict[str, Any],
        name: str,
        *,
        roles: list[p.FakeRole] | None = None,
        moderator: bool = False,
    ) -> p.FakeMember:
        user = self._new_user(name)
        role_ids = [r.id for r in roles or []]
        if moderator:
            mod_role = next((r for r in self.roles[guild["id"]].values() if r.name == "Staff"), None)
            if mod_role is None:
                mod_role = self.add_role(guild, "Staff", p.MANAGE_GUILD)
            role_ids.append(mod_role.id)
        member = p.FakeMember(user, guild["id"], role_ids)
        self.members[guild["id"]][user.id] = member
        return member

    def owner(self, guild: dict[str, Any]) -> p.FakeMember:
        return self.members[guild["id"]][guild["owner_id"]]

    def remove_member(self, guild: dict[str, Any], member: p.FakeMember) -> None:
        """The member leaves the server (the bot gets no event: that needs the members intent)."""
        self.members[guild["id"]].pop(member.id, None)

    def delete_channel(self, channel: p.FakeChannel) -> None:
        self.channels.pop(channel.id, None)
        self._dispatch_guild_event("CHANNEL_DELETE", channel.payload(), GUILDS_INTENT)

    def deny(self, channel: p.FakeChannel, permissions: int) -> None:
        """Take permissions away from the bot in a channel (server-side only, as an overwrite would)."""
        channel.denied |= permissions

    def allow(self, channel: p.FakeChannel, permissions: int) -> None:
        channel.denied &= ~permissions

    def fail(
        self,
        method: str,
        path_regex: str,
        status: int,
        count: int = 1,
        retry_after: float = 0.2,
        after: int = 0,
    ) -> None:
        """Make `count` matching requests (after letting `after` through) answer `status`: 429 with
        `retry_after`, 403 Missing Permissions, 404, or a 5xx."""
        self.faults.append(Fault(method.upper(), re.compile(path_regex), status, count, retry_after, after))

    def clear_faults(self) -> None:
        self.faults.clear()

    def member_permissions(self, guild_id: int, member: p.FakeMember) -> int:
        if member.id == self.guilds[guild_id]["owner_id"]:
            return p.ALL_PERMISSIONS
        perms = self.roles[guild_id][guild_id].permissions
        for role_id in member.roles:
            role = self.roles[guild_id].get(role_id)
            if role is not None:
                perms |= role.permissions
        return p.ALL_PERMISSIONS if perms & p.ADMINISTRATOR else perms

    def _new_user(self, name: str) -> p.FakeUser:
        user = p.FakeUser(p.snowflake(), name)
        self.users[user.id] = user
        return user

    # ------------------------------------------------------------------ reading what the bot did

    def channel_messages(self, channel: p.FakeChannel | int) -> list[Sent]:
        cid = channel if isinstance(channel, int) else channel.id
        return list(self.messages.get(cid, []))

    def threads_in(self, channel: p.FakeChannel, thread_type: int | None = None) -> list[p.FakeChannel]:
        return [
            c
            for c in self.channels.values()
            if c.parent_id == channel.id and (thread_type is None or c.type == thread_type)
        ]

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition"
    ) -> Any:
        """Wait until `predicate()` is truthy (re-checked whenever the fake's state changes)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = end - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.25))
            except TimeoutError:
                pass

    def _touch(self) -> None:
        self._changed.set()

    # ------------------------------------------------------------------ driving the bot as people do

    async def slash(
        self,
        guild: dict[str, Any],
        member: p.FakeMember,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        channel: p.FakeChannel | None = None,
        focused: str | None = None,
        admin_override: bool = False,
    ) -> Exchange:
        """Send INTERACTION_CREATE for `/command` ("exchange join") with `options` by name.

        `admin_override` models a server admin who made a moderator command visible to everyone
        (Server Settings > Integrations), so only the bot's own run-time check stands in the way.
        """
        definition = self._find_command(guild["id"], command.split()[0])
        perms = self.member_permissions(guild["id"], member)
        required = definition.get("default_member_permissions")
        if required is not None and perms & int(required) != int(required) and not admin_override:
            raise CommandHidden(f"/{command} is not shown to {member.user.name}")
        resolved: dict[str, dict[str, Any]] = {}
        names = command.split()
        node = definition
        path_options: list[dict[str, Any]] = []
        container = path_options
        for name in names[1:]:
            sub = next(
                (o for o in node.get("options", []) if o["name"] == name and o["type"] in (1, 2)), None
            )
            if sub is None:
                raise AssertionError(f"/{command}: no subcommand {name!r}")
            entry: dict[str, Any] = {"type": sub["type"], "name": name, "options": []}
            container.append(entry)
            container = entry["options"]
            node = sub
        for key, value in (options or {}).items():
            spec = next((o for o in node.get("options", []) if o["name"] == key), None)
            if spec is None:
                raise AssertionError(f"/{command} has no option {key!r}")
            container.append(self._option(spec, value, resolved, guild["id"], focused == key))
        data: dict[str, Any] = {
            "id": definition["id"],
            "name": names[0],
            "type": 1,
            "options": path_options,
            "guild_id": str(guild["id"]),
        }
        if resolved:
            data["resolved"] = resolved
        kind = 4 if focused else 2
        return await self._interact(guild, member, kind, data, channel or guild["general"])

    async def autocomplete(
        self, guild: dict[str, Any], member: p.FakeMember, command: str, options: dict[str, Any], focused: str
    ) -> list[dict[str, Any]]:
        exchange = await self.slash(guild, member, command, options, focused=focused)
        return await exchange.wait_choices()

    async def click(self, guild: dict[str, Any], member: p.FakeMember, message: Sent, label: str) -> Exchange:
        """Press the button labelled `label` on `message`."""
        button = message.button(label)
        data = {"custom_id": button["custom_id"], "component_type": 2}
        channel = self.channels.get(message.channel_id) or guild["general"]
        return await self._interact(guild, member, 3, data, channel, message=message)

    async def submit_modal(
        self,
        guild: dict[str, Any],
        member: p.FakeMember,
        modal: dict[str, Any],
        values: dict[str, str],
        channel: p.FakeChannel | None = None,
    ) -> Exchange:
        """Submit a modal the bot opened, with text values by each input's custom_id or label."""
        rows = []
        for row in modal["components"]:
            inner = row.get("components") or ([row["component"]] if "component" in row else [])
            for item in inner:
                value = values.get(item["custom_id"], values.get(item.get("label", ""), ""))
                component = {"type": 4, "custom_id": item["custom_id"], "value": value}
                rows.append({"type": 1, "components": [component]})
        data = {"custom_id": modal["custom_id"], "components": rows}
        return await self._interact(guild, member, 5, data, channel or guild["general"])

    def upload(self, filename: str, content: bytes, content_type: str = "text/csv") -> dict[str, Any]:
        """An attachment a member uploads with a slash command option."""
        attachment_id = p.snowflake()
        self.attachments[attachment_id] = content
        return {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(content),
            "url": f"{self.base_url}/cdn/attachments/{attachment_id}/{filename}",
            "proxy_url": f"{self.base_url}/cdn/attachments/{attachment_id}/{filename}",
            "content_type": content_type,
        }

    async def post_as(self, member: p.FakeMember, channel: p.FakeChannel, content: str) -> None:
        """A member writes in a channel or thread: MESSAGE_CREATE (content withheld without the intent)."""
        message_id = p.snowflake()
        guild_id = channel.guild_id
        payload = p.message_payload(
            message_id=message_id,
            channel_id=channel.id,
            guild_id=guild_id,
            author=member.user,
            body={"content": content},
            attachments=[],
        )
        payload["member"] = {k: v for k, v in member.payload().items() if k != "user"}
        for session in self.sessions:
            if session.intents & GUILD_MESSAGES_INTENT:
                event = dict(payload)
                if not session.intents & MESSAGE_CONTENT_INTENT:
                    event["content"] = ""
                await self._send_dispatch(session, "MESSAGE_CREATE", event)

    def _option(
        self,
        spec: dict[str, Any],
        value: Any,
        resolved: dict[str, dict[str, Any]],
        guild_id: int,
        focused: bool,
    ) -> dict[str, Any]:
        kind = spec["type"]
        option: dict[str, Any] = {"name": spec["name"], "type": kind}
        if kind == 6:  # user
            member = value
            resolved.setdefault("users", {})[str(member.id)] = member.user.payload()
            if isinstance(member, p.FakeMember) and member.id in self.members.get(guild_id, {}):
                perms = self.member_permissions(guild_id, member)
                data = member.payload(perms)
                data.pop("user")
                resolved.setdefault("members", {})[str(member.id)] = data
            option["value"] = str(member.id)
        elif kind == 7:  # channel
            resolved.setdefault("channels", {})[str(value.id)] = {
                **value.payload(),
                "permissions": str(p.ALL_PERMISSIONS),
            }
            option["value"] = str(value.id)
        elif kind == 8:  # role
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
            option["value"] = str(value.id)
        elif kind == 11:  # attachment
            resolved.setdefault("attachments", {})[value["id"]] = value
            option["value"] = value["id"]
        else:
            option["value"] = value
        if focused:
            option["focused"] = True
        return option

    def _find_command(self, guild_id: int, name: str) -> dict[str, Any]:
        for command in self.guild_commands.get(guild_id, []) + self.global_commands:
            if command["name"] == name:
                return command
        raise AssertionError(f"/{name} is not registered (did the bot sync its commands?)")

    async def _interact(
        self,
        guild: dict[str, Any],
        member: p.FakeMember,
        kind: int,
        data: dict[str, Any],
        channel: p.FakeChannel,
        message: Sent | None = None,
    ) -> Exchange:
        interaction_id = p.snowflake()
        token = secrets.token_urlsafe(24)
        perms = self.member_permissions(guild["id"], member)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "guild_id": str(guild["id"]),
            "channel_id": str(channel.id),
            "channel": channel.payload(),
            "member": member.payload(perms),
            "token": token,
            "version": 1,
            "app_permissions": str(p.ALL_PERMISSIONS & ~channel.denied),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild["id"])},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = p.message_payload(
                message_id=message.id,
                channel_id=message.channel_id,
                guild_id=guild["id"],
                author=self.bot_user,
                body={
                    "content": message.content,
                    "embeds": message.embeds,
                    "components": message.components,
                    "flags": message.flags,
                },
                attachments=[],
            )
        exchange = Exchange(interaction_id, token, payload, asyncio.get_running_loop().time())
        self.exchanges[interaction_id] = exchange
        self.by_token[token] = exchange
        if not self.sessions:
            raise AssertionError("the bot is not connected to the gateway")
        for session in self.sessions:
            await self._send_dispatch(session, "INTERACTION_CREATE", payload)
        return exchange

    # ------------------------------------------------------------------ gateway

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
                asyncio.get_running_loop().create_task(self._send_dispatch(session, name, data))

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

    # ------------------------------------------------------------------ REST

    def _route_table(self) -> list[tuple[str, re.Pattern[str], Callable[..., Awaitable[Any]]]]:
        table = [
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/oauth2/applications/@me", self._get_app),
            ("GET", r"/gateway(/bot)?", self._get_gateway),
            ("PUT", r"/applications/(?P<app>\d+)/commands", self._put_global_commands),
            ("GET", r"/applications/(?P<app>\d+)/commands", self._get_global_commands),
            ("PUT", r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands", self._put_guild_commands),
            ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", self._callback),
            ("PATCH", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/@original", self._edit_original),
            ("GET", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/@original", self._get_original),
            ("DELETE", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/@original", self._delete_original),
            ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", self._followup),
            ("PATCH", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>\d+)", self._edit_followup),
            ("POST", r"/channels/(?P<cid>\d+)/messages", self._create_message),
            ("GET", r"/channels/(?P<cid>\d+)/messages", self._history),
            ("GET", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._get_message),
            ("PATCH", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._edit_message),
            ("DELETE", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._delete_message),
            ("POST", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)/threads", self._thread_from_message),
            ("POST", r"/channels/(?P<cid>\d+)/threads", self._thread_without_message),
            ("PUT", r"/channels/(?P<cid>\d+)/thread-members/(?P<uid>\d+|@me)", self._add_thread_member),
            ("DELETE", r"/channels/(?P<cid>\d+)/thread-members/(?P<uid>\d+|@me)", self._remove_thread_member),
            ("GET", r"/channels/(?P<cid>\d+)", self._get_channel),
            ("PATCH", r"/channels/(?P<cid>\d+)", self._edit_channel),
            ("POST", r"/users/@me/channels", self._open_dm),
            ("GET", r"/guilds/(?P<gid>\d+)/members/(?P<uid>\d+)", self._get_member),
        ]
        return [(m, re.compile(f"^{rx}$"), h) for m, rx, h in table]

    async def _cdn(self, request: web.Request) -> web.Response:
        content = self.attachments.get(int(request.match_info["id"]))
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content)

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        self.requests.append(Request(request.method, path, body))
        if (
            not path.startswith(("/interactions/", "/webhooks/"))
            and request.headers.get("Authorization") != f"Bot {self.token}"
        ):
            return self._json({"message": "401: Unauthorized", "code": 0}, 401, limited_headers=None)
        for fault in self.faults:
            if fault.remaining > 0 and fault.method == request.method and fault.pattern.search(path):
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.remaining -= 1
                return self._fault_response(fault)
        for method, pattern, handler in self._routes:
            match = pattern.match(path)
            if match and method == request.method:
                limited = self._rate_limit(method, pattern.pattern, match)
                if limited is not None:
                    return limited[1]
                try:
                    result = await handler(body=body, files=files, query=request.query, **match.groupdict())
                except DiscordError as err:
                    payload: dict[str, Any] = {"message": err.message, "code": err.code}
                    if err.errors:
                        payload["errors"] = err.errors
                    return self._json(payload, err.status, limited_headers=None)
                finally:
                    self._touch()
                if result is None:
                    return web.Response(status=204)
                return self._json(result, 200)
        self.unknown_routes.append(f"{request.method} {path}")
        return self._json({"message": "404: Not Found", "code": 0}, 404)

    def _rate_limit(
        self, method: str, template: str, match: re.Match[str]
    ) -> tuple[bool, web.Response] | None:
        major = (
            match.groupdict().get("cid")
            or match.groupdict().get("gid")
            or match.groupdict().get("token")
            or ""
        )
        bucket = f"{method}:{template}:{major}"
        now = time.monotonic()
        start, used = self._buckets.get(bucket, (now, 0))
        if now - start >= self.rate_window:
            start, used = now, 0
        used += 1
        self._buckets[bucket] = (start, used)
        self._last_headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(0, self.rate_limit - used)),
            "X-RateLimit-Reset": f"{time.time() + self.rate_window - (now - start):.3f}",
            "X-RateLimit-Reset-After": f"{max(0.001, self.rate_window - (now - start)):.3f}",
            "X-RateLimit-Bucket": hashlib.sha1(bucket.encode()).hexdigest()[:16],
        }
        if used > self.rate_limit:
            retry = max(0.001, self.rate_window - (now - start))
            return True, self._json(
                {"message": "You are being rate limited.", "retry_after": retry, "global": False},
                429,
                extra={"Retry-After": f"{retry:.3f}", "X-RateLimit-Scope": "user"},
            )
        return None

    def _fault_response(self, fault: Fault) -> web.Response:
        if fault.status == 429:
            return self._json(
                {"message": "You are being rate limited.", "retry_after": fault.retry_after, "global": False},
                429,
                limited_headers=None,
                extra={
                    "Retry-After": f"{fault.retry_after:.3f}",
                    "X-RateLimit-Limit": str(self.rate_limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
                    "X-RateLimit-Bucket": "fault",
                    "X-RateLimit-Scope": "user",
                },
            )
        if fault.status == 403:
            return self._json({"message": "Missing Permissions", "code": 50013}, 403, limited_headers=None)
        if fault.status == 404:
            return self._json({"message": "Unknown Channel", "code": 10003}, 404, limited_headers=None)
        return web.Response(status=fault.status, text="upstream unavailable")

    def _json(
        self, data: Any, status: int, *, limited_headers: Any = True, extra: dict[str, str] | None = None
    ) -> web.Response:
        headers = dict(getattr(self, "_last_headers", {})) if limited_headers else {}
        headers.update(extra or {})
        headers["Content-Type"] = "application/json"  # exactly, as Discord sends it (no charset)
        # Discord's API answers through Google's front end; discord.py reads a 429 without it as a Cloudflare ban.
        headers["Via"] = "1.1 google"
        return web.Response(body=json.dumps(data).encode(), status=status, headers=headers)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        files: list[tuple[str, bytes]] = []
        if request.content_type.startswith("multipart/"):
            body: Any = {}
            reader = await request.multipart()
            async for part in reader:
                name = part.name or ""
                raw = await part.read()
                if name == "payload_json":
                    body = json.loads(raw)
                elif name.startswith("files["):
                    files.append((part.filename or name, bytes(raw)))
            return body, files
        raw = await request.read()
        return (json.loads(raw) if raw else None), files

    # ------------------------------------------------------------------ REST handlers

    async def _get_me(self, **_: Any) -> Any:
        return {**self.bot_user.payload(), "verified": True, "mfa_enabled": False, "flags": 0}

    async def _get_app(self, **_: Any) -> Any:
        return {
            "id": str(self.application_id),
            "name": "Bridges",
            "icon": None,
            "description": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "owner": p.FakeUser(p.snowflake(), "developer").payload(),
            "team": None,
            "summary": "",
            "rpc_origins": [],
        }

    async def _get_gateway(self, **_: Any) -> Any:
        return {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }

    def _store_commands(self, body: list[dict[str, Any]], guild_id: int | None) -> list[dict[str, Any]]:
        stored = []
        for command in body:
            if len(command.get("description", "")) > 100 or not re.match(
                r"^[-_a-z0-9]{1,32}$", command["name"]
            ):
                raise DiscordError(400, 50035, "Invalid Form Body", {"name": command["name"]})
            stored.append(
                {
                    **command,
                    "id": str(p.snowflake()),
                    "application_id": str(self.application_id),
                    "version": str(p.snowflake()),
                    **({"guild_id": str(guild_id)} if guild_id else {}),
                }
            )
        return stored

    async def _put_global_commands(self, body: Any, **_: Any) -> Any:
        self.global_commands = self._store_commands(body, None)
        self.sync_requests.append(("global", body))
        return self.global_commands

    async def _get_global_commands(self, **_: Any) -> Any:
        return self.global_commands

    async def _put_guild_commands(self, body: Any, guild: str, **_: Any) -> Any:
        self.guild_commands[int(guild)] = self._store_commands(body, int(guild))
        self.sync_requests.append((guild, body))
        return self.guild_commands[int(guild)]

    def _exchange(self, token: str) -> Exchange:
        exchange = self.by_token.get(token)
        if exchange is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        return exchange

    async def _callback(
        self, body: Any, files: list[tuple[str, bytes]], iid: str, token: str, **_: Any
    ) -> Any:
        exchange = self.exchanges.get(int(iid))
        if exchange is None or exchange.token != token:
            raise DiscordError(404, 10062, "Unknown interaction")
        if asyncio.get_running_loop().time() - exchange.created_at > self.interaction_deadline:
            exchange.errors.append(10062)
            raise DiscordError(404, 10062, "Unknown interaction")
        if exchange.callback_type is not None:
            exchange.errors.append(40060)
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        kind = int(body["type"])
        data = body.get("data") or {}
        channel_id = int(exchange.payload["channel_id"])
        message_id = None
        if kind == 4:
            self._validate_message(data)
            exchange.original = Sent(p.snowflake(), channel_id, flags=int(data.get("flags") or 0))
            exchange.original.update(data, files)
            message_id = exchange.original.id
            if not exchange.original.ephemeral:
                self.messages.setdefault(channel_id, []).append(exchange.original)
        elif kind == 5:
            exchange.deferred = True
            exchange.original = Sent(p.snowflake(), channel_id, flags=int(data.get("flags") or 0))
            message_id = exchange.original.id
        elif kind == 7:
            self._validate_message(data)
            target = self._find_sent(channel_id, int(exchange.payload["message"]["id"]))
            if target is None:
                raise DiscordError(404, 10008, "Unknown Message")
            target.update(data, files)
            exchange.original = target  # an update edits the message the button was on, keeping its id
        elif kind == 8:
            exchange.choices = data.get("choices", [])
        elif kind == 9:
            exchange.modal = data
        exchange.callback_type = kind
        exchange.acknowledged_at = asyncio.get_running_loop().time()
        exchange._notify()
        response: dict[str, Any] = {
            "interaction": {
                "id": iid,
                "type": exchange.payload["type"],
                "response_message_id": str(message_id) if message_id else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(exchange.original and exchange.original.ephemeral),
            }
        }
        if kind in (4, 7) and exchange.original is not None:
            response["resource"] = {"type": kind, "message": self._message_body(exchange.original)}
        return response

    def _find_sent(self, channel_id: int, message_id: int) -> Sent | None:
        for message in self.messages.get(channel_id, []):
            if message.id == message_id:
                return message
        for exchange in self.exchanges.values():
            for sent in [exchange.original, *exchange.followups]:
                if sent is not None and sent.id == message_id:
                    return sent
        return None

    def _message_body(self, sent: Sent) -> dict[str, Any]:
        attachments = [
            {
                "id": str(i),
                "filename": name,
                "size": len(data),
                "url": f"{self.base_url}/cdn/attachments/{i}/{name}",
                "proxy_url": f"{self.base_url}/cdn/attachments/{i}/{name}",
            }
            for i, (name, data) in enumerate(sent.files)
        ]
        channel = self.channels.get(sent.channel_id)
        return p.message_payload(
            message_id=sent.id,
            channel_id=sent.channel_id,
            guild_id=channel.guild_id if channel else None,
            author=self.bot_user,
            body={
                "content": sent.content,
                "embeds": sent.embeds,
                "components": sent.components,
                "flags": sent.flags,
            },
            attachments=attachments,
        )

    def _validate_message(self, body: dict[str, Any], *, require_content: bool = False) -> None:
        content = body.get("content") or ""
        errors: dict[str, Any] = {}
        if len(content) > 2000:
            errors["content"] = {
                "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]
            }
        total = 0
        for i, embed in enumerate(body.get("embeds") or []):
            title, desc = embed.get("title") or "", embed.get("description") or ""
            total += (
                len(title)
                + len(desc)
                + sum(len(f.get("name", "")) + len(f.get("value", "")) for f in embed.get("fields", []))
            )
            if len(title) > 256 or len(desc) > 4096 or len(embed.get("fields", [])) > 25:
                errors[f"embeds.{i}"] = {
                    "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Embed too long."}]
                }
            for f in embed.get("fields", []):
                if len(f.get("name", "")) > 256 or len(f.get("value", "")) > 1024:
                    errors[f"embeds.{i}.fields"] = {
                        "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Field too long."}]
                    }
        if total > 6000:
            errors["embeds"] = {
                "_errors": [
                    {"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}
                ]
            }
        for row in body.get("components") or []:
            for item in row.get("components", []):
                if len(item.get("label") or "") > 80 or len(item.get("custom_id") or "") > 100:
                    errors["components"] = {
                        "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Component too long."}]
                    }
        if errors:
            raise DiscordError(400, 50035, "Invalid Form Body", errors)

    async def _edit_original(self, body: Any, files: list[tuple[str, bytes]], token: str, **_: Any) -> Any:
        exchange = self._exchange(token)
        if exchange.original is None:
            raise DiscordError(404, 10008, "Unknown Message")
        self._validate_message(body or {})
        exchange.original.update(body or {}, files)
        if exchange.deferred and not exchange.original.ephemeral:
            if exchange.original not in self.messages.setdefault(exchange.original.channel_id, []):
                self.messages[exchange.original.channel_id].append(exchange.original)
        exchange.deferred = False
        exchange._notify()
        return self._message_body(exchange.original)

    async def _get_original(self, token: str, **_: Any) -> Any:
        exchange = self._exchange(token)
        if exchange.original is None:
            raise DiscordError(404, 10008, "Unknown Message")
        return self._message_body(exchange.original)

    async def _delete_original(self, token: str, **_: Any) -> Any:
        exchange = self._exchange(token)
        exchange.original = None
        exchange._notify()
        return None

    async def _followup(self, body: Any, files: list[tuple[str, bytes]], token: str, **_: Any) -> Any:
        exchange = self._exchange(token)
        if exchange.callback_type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        self._validate_message(body or {})
        channel_id = int(exchange.payload["channel_id"])
        if exchange.deferred and exchange.original is not None:
            # The first followup after a deferral fills in the "thinking" message, as Discord does.
            sent = exchange.original
            sent.update(body or {}, files)
            exchange.deferred = False
        else:
            sent = Sent(p.snowflake(), channel_id, flags=int((body or {}).get("flags") or 0))
            sent.update(body or {}, files)
        exchange.followups.append(sent)
        if not sent.ephemeral and sent not in self.messages.setdefault(channel_id, []):
            self.messages[channel_id].append(sent)
        exchange._notify()
        return self._message_body(sent)

    async def _edit_followup(
        self, body: Any, files: list[tuple[str, bytes]], token: str, mid: str, **_: Any
    ) -> Any:
        exchange = self._exchange(token)
        for sent in [exchange.original, *exchange.followups]:
            if sent is not None and sent.id == int(mid):
                self._validate_message(body or {})
                sent.update(body or {}, files)
                exchange._notify()
                return self._message_body(sent)
        raise DiscordError(404, 10008, "Unknown Message")

    def _channel(self, cid: str) -> p.FakeChannel:
        channel = self.channels.get(int(cid))
        if channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return channel

    def _require(self, channel: p.FakeChannel, permissions: int) -> None:
        denied = channel.denied
        if channel.is_thread and channel.parent_id in self.channels:
            denied |= self.channels[channel.parent_id].denied
        if denied & (permissions | p.VIEW_CHANNEL):
            if denied & p.VIEW_CHANNEL:
                raise DiscordError(403, 50001, "Missing Access")
            raise DiscordError(403, 50013, "Missing Permissions")

    async def _create_message(self, body: Any, files: list[tuple[str, bytes]], cid: str, **_: Any) -> Any:
        channel = self._channel(cid)
        self._require(channel, p.SEND_MESSAGES_IN_THREADS if channel.is_thread else p.SEND_MESSAGES)
        if files:
            self._require(channel, p.ATTACH_FILES)
        body = body or {}
        if "allowed_mentions" not in body:
            body["allowed_mentions"] = None
        if channel.archived:
            channel.archived = False
        self._validate_message(body)
        if not (body.get("content") or body.get("embeds") or files or body.get("components")):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        sent = Sent(p.snowflake(), channel.id)
        sent.update(body, files)
        self.messages.setdefault(channel.id, []).append(sent)
        payload = self._message_body(sent)
        payload["mentions"] = self._mentions(channel, body)
        return payload

    def _mentions(self, channel: p.FakeChannel, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Users pinged by the message, as Discord returns them: with a `member` field only for members of
        the server. A ping in a thread adds that member to the thread, as Discord does."""
        allowed = body.get("allowed_mentions")
        ids = [int(x) for x in re.findall(r"<@!?(\d+)>", body.get("content") or "")]
        if allowed is not None:
            permitted = {int(u) for u in allowed.get("users", [])}
            ids = [i for i in ids if "users" in allowed.get("parse", []) or i in permitted]
        guild_members = self.members.get(channel.guild_id or 0, {})
        mentions = []
        for user_id in dict.fromkeys(ids):
            user = self.users.get(user_id)
            if user is None:
                continue
            data = user.payload()
            if user_id in guild_members:
                member = guild_members[user_id].payload()
                member.pop("user")
                data["member"] = member
                if channel.is_thread:
                    self.thread_members.setdefault(channel.id, set()).add(user_id)
            mentions.append(data)
        return mentions

    async def _history(self, cid: str, query: Any, **_: Any) -> Any:
        channel = self._channel(cid)
        self._require(channel, p.READ_MESSAGE_HISTORY)
        limit = min(100, int(query.get("limit", 50)))
        newest_first = list(reversed(self.messages.get(channel.id, [])))
        return [self._message_body(m) for m in newest_first[:limit]]

    async def _get_message(self, cid: str, mid: str, **_: Any) -> Any:
        channel = self._channel(cid)
        sent = self._find_sent(channel.id, int(mid))
        if sent is None:
            raise DiscordError(404, 10008, "Unknown Message")
        return self._message_body(sent)

    async def _edit_message(
        self, body: Any, files: list[tuple[str, bytes]], cid: str, mid: str, **_: Any
    ) -> Any:
        channel = self._channel(cid)
        sent = self._find_sent(channel.id, int(mid))
        if sent is None:
            raise DiscordError(404, 10008, "Unknown Message")
        self._validate_message(body or {})
        sent.update(body or {}, files)
        return self._message_body(sent)

    async def _delete_message(self, cid: str, mid: str, **_: Any) -> Any:
        channel = self._channel(cid)
        self.messages[channel.id] = [m for m in self.messages.get(channel.id, []) if m.id != int(mid)]
        return None

    def _new_thread(self, parent: p.FakeChannel, name: str, kind: int, invitable: bool) -> p.FakeChannel:
        if not name or len(name) > 100:
            raise DiscordError(
                400, 50035, "Invalid Form Body", {"name": "Must be between 1 and 100 in length."}
            )
        thread = p.FakeChannel(
            p.snowflake(), parent.guild_id, name, kind, parent.id, self.bot_user.id, invitable
        )
        self.channels[thread.id] = thread
        self.messages[thread.id] = []
        self.thread_members[thread.id] = {self.bot_user.id}
        return thread

    def _announce_thread(self, thread: p.FakeChannel) -> None:
        self._dispatch_guild_event(
            "THREAD_CREATE", {**thread.payload(), "newly_created": True}, GUILDS_INTENT
        )

    async def _thread_from_message(self, body: Any, cid: str, mid: str, **_: Any) -> Any:
        parent = self._channel(cid)
        self._require(parent, p.CREATE_PUBLIC_THREADS)
        if self._find_sent(parent.id, int(mid)) is None:
            raise DiscordError(404, 10008, "Unknown Message")
        if any(c.id == int(mid) for c in self.channels.values()):
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        thread = self._new_thread(parent, body.get("name", ""), 11, True)
        # Discord gives a thread started from a message that message's id.
        del self.channels[thread.id]
        self.messages.pop(thread.id)
        members = self.thread_members.pop(thread.id)
        thread.id = int(mid)
        self.channels[thread.id] = thread
        self.messages[thread.id] = []
        self.thread_members[thread.id] = members
        for sent in self.messages.get(parent.id, []):
            if sent.id == int(mid):
                sent.thread_id = thread.id
        self._announce_thread(thread)
        return thread.payload()

    async def _thread_without_message(self, body: Any, cid: str, **_: Any) -> Any:
        parent = self._channel(cid)
        kind = int(body.get("type", 12))
        self._require(parent, p.CREATE_PRIVATE_THREADS if kind == 12 else p.CREATE_PUBLIC_THREADS)
        thread = self._new_thread(parent, body.get("name", ""), kind, bool(body.get("invitable", True)))
        self._announce_thread(thread)
        return thread.payload()

    async def _add_thread_member(self, cid: str, uid: str, **_: Any) -> Any:
        thread = self._channel(cid)
        self._require(thread, p.SEND_MESSAGES_IN_THREADS)
        user_id = self.bot_user.id if uid == "@me" else int(uid)
        if user_id not in self.members.get(thread.guild_id or 0, {}):
            raise DiscordError(404, 10007, "Unknown Member")
        self.thread_members.setdefault(thread.id, set()).add(user_id)
        return None

    async def _remove_thread_member(self, cid: str, uid: str, **_: Any) -> Any:
        thread = self._channel(cid)
        user_id = self.bot_user.id if uid == "@me" else int(uid)
        if user_id not in self.thread_members.get(thread.id, set()):
            raise DiscordError(404, 10007, "Unknown Member")
        self.thread_members[thread.id].discard(user_id)
        return None

    async def _get_channel(self, cid: str, **_: Any) -> Any:
        return self._channel(cid).payload()

    async def _edit_channel(self, body: Any, cid: str, **_: Any) -> Any:
        channel = self._channel(cid)
        if "archived" in (body or {}):
            channel.archived = bool(body["archived"])
        if "name" in (body or {}):
            channel.name = body["name"]
        return channel.payload()

    async def _open_dm(self, body: Any, **_: Any) -> Any:
        user = self.users.get(int(body["recipient_id"]))
        if user is None:
            raise DiscordError(404, 10013, "Unknown User")
        for channel in self.channels.values():
            if channel.type == 1 and channel.recipient is user:
                return channel.payload()
        channel = p.FakeChannel(p.snowflake(), None, "", 1, recipient=user)
        self.channels[channel.id] = channel
        self.messages[channel.id] = []
        return channel.payload()

    async def _get_member(self, gid: str, uid: str, **_: Any) -> Any:
        member = self.members.get(int(gid), {}).get(int(uid))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        return member.payload()


def _b64(text: str) -> str:
    import base64

    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
