"""REST routes for application commands (bulk overwrite, list)."""

from __future__ import annotations

from typing import Any

from tests.fakediscord import payloads as p
from tests.fakediscord import rules


class CommandRoutes:
    ROUTES = (
        ("PUT", r"/applications/(?P<app>\d+)/commands", "_put_global_commands"),
        ("GET", r"/applications/(?P<app>\d+)/commands", "_get_global_commands"),
        ("PUT", r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands", "_put_guild_commands"),
    )

    def _store_commands(self, body: list[dict[str, Any]], guild_id: int | None) -> list[dict[str, Any]]:
        rules.check_commands(body or [])
        stored = []
        for command in body or []:
            perms = command.get("default_member_permissions")
            stored.append(
                {
                    **_without_nulls(command),
                    "id": str(p.snowflake()),
                    "application_id": str(self.application_id),
                    "version": str(p.snowflake()),
                    "type": command.get("type") or 1,
                    "description": command.get("description") or "",
                    # A string in the response, whatever form the request used.
                    "default_member_permissions": None if perms is None else str(perms),
                    "integration_types": command.get("integration_types") or [0],
                    "contexts": command.get("contexts"),
                    "dm_permission": bool(command.get("dm_permission", True)),
                    "nsfw": bool(command.get("nsfw", False)),
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


def _without_nulls(node: Any) -> Any:
    """A command as Discord stores it: fields sent as null are absent."""
    if isinstance(node, dict):
        return {k: _without_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_without_nulls(v) for v in node]
    return node
