"""REST routes about the bot itself and users: /users/@me, the application, the gateway URL, DMs."""

from __future__ import annotations

from typing import Any

from tests.fakediscord import payloads as p
from tests.fakediscord.errors import DiscordError


class UserRoutes:
    ROUTES = (
        ("GET", r"/users/@me", "_get_me"),
        ("GET", r"/oauth2/applications/@me", "_get_app"),
        ("GET", r"/gateway(/bot)?", "_get_gateway"),
        ("POST", r"/users/@me/channels", "_open_dm"),
    )

    async def _get_me(self, **_: Any) -> Any:
        return {**self.bot_user.payload(), "verified": True, "mfa_enabled": False, "locale": "en-US"}

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
            "flags_new": "0",
            "type": None,
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": len(self.guilds),
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "eligible_oauth2_scopes": ["bot", "applications.commands"],
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
