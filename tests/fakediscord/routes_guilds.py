"""REST routes for guilds and their members."""

from __future__ import annotations

from typing import Any

from tests.fakediscord.errors import DiscordError


class GuildRoutes:
    ROUTES = (("GET", r"/guilds/(?P<gid>\d+)/members/(?P<uid>\d+)", "_get_member"),)

    async def _get_member(self, gid: str, uid: str, **_: Any) -> Any:
        member = self.members.get(int(gid), {}).get(int(uid))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        return member.payload()
