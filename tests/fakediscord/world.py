"""World building: the servers, channels, roles and members a test sets up, and reading what the bot did."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from typing import Any

from tests.fakediscord import payloads as p
from tests.fakediscord.gateway import GUILD_MEMBERS_INTENT, GUILDS_INTENT
from tests.fakediscord.records import Sent
from tests.fakediscord.rest import Fault


class World:
    def add_guild(self, name: str = "Bridges Test Server", owner_name: str = "owner") -> dict[str, Any]:
        guild_id = p.snowflake()
        owner = self._new_user(owner_name)
        guild = {"id": guild_id, "name": name, "owner_id": owner.id}
        self.guilds[guild_id] = guild
        self.roles[guild_id] = {guild_id: p.FakeRole(guild_id, "@everyone", p.EVERYONE_DEFAULT)}
        # The role Discord makes for a bot from its invite's permissions.
        bot_role = p.FakeRole(
            p.snowflake(), self.bot_user.name, self.bot_permissions, managed=True, bot_id=self.bot_user.id
        )
        self.roles[guild_id][bot_role.id] = bot_role
        self.members[guild_id] = {}
        self.members[guild_id][owner.id] = p.FakeMember(owner, guild_id)
        self.members[guild_id][self.bot_user.id] = p.FakeMember(self.bot_user, guild_id, [bot_role.id])
        guild["general"] = self.add_text_channel(guild, "general", announce=False)
        # A server added while connected is one the bot has just joined. Gateway Events > Guild Create: the
        # `unavailable` field is sent only for a server that is unavailable (or lazily loaded after READY), so a
        # join carries none; discord.py dispatches on_guild_join only then.
        joined = self._guild_payload(guild_id)
        joined.pop("unavailable", None)
        self._dispatch_guild_event("GUILD_CREATE", joined, GUILDS_INTENT)
        return guild

    def add_text_channel(
        self, guild: dict[str, Any], name: str, *, announce: bool = True, kind: int = 0
    ) -> p.FakeChannel:
        """A channel: a text channel (type 0), or with `kind=5` an announcement channel."""
        channel = p.FakeChannel(p.snowflake(), guild["id"], name, kind)
        self.channels[channel.id] = channel
        self.messages[channel.id] = []
        if announce:
            self._dispatch_guild_event("CHANNEL_CREATE", channel.payload(), GUILDS_INTENT)
        return channel

    def add_role(
        self, guild: dict[str, Any], name: str, permissions: int = 0, mentionable: bool = False
    ) -> p.FakeRole:
        role = p.FakeRole(p.snowflake(), name, permissions, mentionable)
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
        dms: bool = True,
    ) -> p.FakeMember:
        """A member. `moderator` gives them the "Staff" role (Manage Server); `dms=False` is a member whose
        privacy settings refuse DMs from server members (the bot's DM then fails with 50007)."""
        user = self._new_user(name)
        role_ids = [r.id for r in roles or []]
        if moderator:
            mod_role = next((r for r in self.roles[guild["id"]].values() if r.name == "Staff"), None)
            if mod_role is None:
                mod_role = self.add_role(guild, "Staff", p.MANAGE_GUILD)
            role_ids.append(mod_role.id)
        member = p.FakeMember(user, guild["id"], role_ids, dms=dms)
        self.members[guild["id"]][user.id] = member
        return member

    def owner(self, guild: dict[str, Any]) -> p.FakeMember:
        return self.members[guild["id"]][guild["owner_id"]]

    def remove_member(self, guild: dict[str, Any], member: p.FakeMember) -> None:
        """The member leaves the server: GET member answers 404 Unknown Member (10007), Request Guild Members
        lists them in `not_found`. GUILD_MEMBER_REMOVE goes only to sessions with the GUILD_MEMBERS intent
        (events/gateway "List of Intents"); the bot has none."""
        self.members[guild["id"]].pop(member.id, None)
        self._dispatch_guild_event(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": str(guild["id"]), "user": member.user.payload()},
            GUILD_MEMBERS_INTENT,
        )

    def delete_channel(self, channel: p.FakeChannel) -> None:
        self.channels.pop(channel.id, None)
        self._dispatch_guild_event("CHANNEL_DELETE", channel.payload(), GUILDS_INTENT)

    def add_thread(
        self,
        parent: p.FakeChannel,
        name: str,
        *,
        private: bool = True,
        owner: p.FakeMember | None = None,
        members: Iterable[p.FakeMember] = (),
        invitable: bool = True,
        archived: bool = False,
    ) -> p.FakeChannel:
        """A thread someone else opened (by default a member, so the bot is not its creator or a member)."""
        owner_id = owner.id if owner is not None else self.guilds[parent.guild_id]["owner_id"]
        kind = 12 if private else 11
        thread = p.FakeChannel(
            p.snowflake(), parent.guild_id, name, kind, parent.id, owner_id, invitable, archived
        )
        self.channels[thread.id] = thread
        self.messages[thread.id] = []
        self.thread_members[thread.id] = {owner_id, *(m.id for m in members)}
        self._dispatch_guild_event(
            "THREAD_CREATE", {**thread.payload(), "newly_created": True}, GUILDS_INTENT
        )
        return thread

    def overwrite(
        self,
        channel: p.FakeChannel,
        target: p.FakeRole | p.FakeMember | dict[str, Any],
        *,
        allow: int = 0,
        deny: int = 0,
    ) -> None:
        """Set a permission overwrite on a channel for a role, a member, or the guild dict (= @everyone)."""
        if isinstance(target, dict):
            target_id, kind = target["id"], 0
        elif isinstance(target, p.FakeRole):
            target_id, kind = target.id, 0
        else:
            target_id, kind = target.id, 1
        channel.overwrites[target_id] = {"id": target_id, "type": kind, "allow": allow, "deny": deny}
        self._dispatch_guild_event("CHANNEL_UPDATE", channel.payload(), GUILDS_INTENT)

    def hide_channel(self, channel: p.FakeChannel, visible_to: Iterable[p.FakeRole] = ()) -> None:
        """Make a channel private: @everyone may not view it; `visible_to` roles and the bot may."""
        guild = self.guilds[channel.guild_id]
        self.overwrite(channel, guild, deny=p.VIEW_CHANNEL)
        for role in visible_to:
            self.overwrite(channel, role, allow=p.VIEW_CHANNEL | p.SEND_MESSAGES | p.READ_MESSAGE_HISTORY)
        bot = self.members[guild["id"]][self.bot_user.id]
        self.overwrite(channel, bot, allow=p.VIEW_CHANNEL | p.SEND_MESSAGES | p.READ_MESSAGE_HISTORY)

    def permissions_in(self, channel: p.FakeChannel, member: p.FakeMember) -> int:
        """A member's permissions in a channel, as topics/permissions "Permission Overwrites" computes them:
        base (@everyone and the member's roles; Administrator = all), then the @everyone overwrite, the
        member's roles' overwrites together, then the member's own. A thread takes its parent's; a private
        thread is visible only to its members and to those with Manage Threads (topics/threads)."""
        target = channel
        if channel.is_thread and channel.parent_id in self.channels:
            target = self.channels[channel.parent_id]
        guild_id = channel.guild_id
        if guild_id is None:
            return p.ALL_PERMISSIONS
        perms = self.member_permissions(guild_id, member)
        if perms & p.ADMINISTRATOR or member.id == self.guilds[guild_id]["owner_id"]:
            return p.ALL_PERMISSIONS
        everyone = target.overwrites.get(guild_id)
        if everyone:
            perms = (perms & ~everyone["deny"]) | everyone["allow"]
        allow = deny = 0
        for role_id in member.roles:
            o = target.overwrites.get(role_id)
            if o and o["type"] == 0:
                allow, deny = allow | o["allow"], deny | o["deny"]
        perms = (perms & ~deny) | allow
        own = target.overwrites.get(member.id)
        if own and own["type"] == 1:
            perms = (perms & ~own["deny"]) | own["allow"]
        if member.id == self.bot_user.id:
            perms &= ~target.denied
            if channel is not target:
                perms &= ~channel.denied
        if not perms & p.VIEW_CHANNEL:
            return 0
        if channel.type == 12 and not perms & p.MANAGE_THREADS:
            if member.id not in self.thread_members.get(channel.id, set()):
                return perms & ~p.VIEW_CHANNEL
        return perms

    def _now(self) -> float:
        """The fake's clock (event-loop time plus `time_offset`), for interaction deadlines and token expiry."""
        return asyncio.get_running_loop().time() + self.time_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock on, e.g. past the 15 minutes an interaction token lives."""
        self.time_offset += seconds

    def bot_permissions_in(self, channel: p.FakeChannel) -> int:
        if channel.guild_id is None:
            return p.ALL_PERMISSIONS
        return self.permissions_in(channel, self.members[channel.guild_id][self.bot_user.id])

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
