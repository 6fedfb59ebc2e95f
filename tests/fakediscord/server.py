"""A loopback fake of Discord's REST API v10 and gateway, for running the real bot in tests.

It keeps the state a bot can change (messages, threads, thread members, commands) and follows Discord's
published API: every REST request is checked against the vendored OpenAPI spec (`spec.py`), the documented
rules its schema does not express are enforced (`rules.py`), and every answer is checked against the spec's
response schemas. What Discord would refuse is answered as Discord does (400/50035 with nested `_errors`,
403/50001, 413/40005, ...) and recorded in `refusals`; the `tests/conftest.py` fixture fails the test unless
it called `expect_refusals()`. See README.md in this folder for the layout.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from aiohttp import web

from tests.fakediscord import payloads as p
from tests.fakediscord.errors import CommandHidden, DiscordError
from tests.fakediscord.gateway import Gateway, GatewaySession
from tests.fakediscord.people import People
from tests.fakediscord.records import Exchange, Sent
from tests.fakediscord.rest import Fault, Request, Rest
from tests.fakediscord.routes_channels import ChannelRoutes
from tests.fakediscord.routes_commands import CommandRoutes
from tests.fakediscord.routes_guilds import GuildRoutes
from tests.fakediscord.routes_interactions import InteractionRoutes
from tests.fakediscord.routes_threads import ThreadRoutes
from tests.fakediscord.routes_users import UserRoutes
from tests.fakediscord.world import World

__all__ = ["CommandHidden", "DiscordError", "FakeDiscord"]


class FakeDiscord(
    World,
    People,
    Gateway,
    Rest,
    UserRoutes,
    CommandRoutes,
    InteractionRoutes,
    ChannelRoutes,
    ThreadRoutes,
    GuildRoutes,
):
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
        self.refusals: list[str] = []  # what Discord would refuse: a test fails unless it expects them
        self.refusals_expected = False
        self.check_responses = True  # check every answer against the spec's response schemas
        self.response_problems: list[str] = []
        self._extra_headers: dict[str, str] = {}
        self.exchanges: dict[int, Exchange] = {}
        self.by_token: dict[str, Exchange] = {}
        self.attachments: dict[int, bytes] = {}
        self.sessions: list[GatewaySession] = []
        self.faults: list[Fault] = []
        self.resumable: dict[str, GatewaySession] = {}
        self.identifies = 0
        self.member_requests: list[dict[str, Any]] = []  # op 8 payloads the bot sent
        self.resumes = 0
        self.interaction_deadline = 3.0
        self.token_lifetime = 15 * 60.0  # interaction tokens expire (interactions/receiving-and-responding)
        self.time_offset = 0.0  # seconds added to the fake's clock: `advance()` moves it on
        self.bot_permissions = p.BOT_DEFAULT  # the bot's role, as its invite asks
        self.rate_limit = 50  # requests per bucket per window
        self.rate_window = 1.0
        self._buckets: dict[str, tuple[float, int]] = {}
        self.allowed_intents = 0  # privileged intents enabled in the "developer portal": none
        self.base_url = ""
        self.gateway_url = ""
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()
        self._pending_events: set[asyncio.Task[None]] = set()
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


def _b64(text: str) -> str:
    import base64

    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
