"""REST routes for channels and their messages."""

from __future__ import annotations

import re
from typing import Any

from tests.fakediscord import payloads as p
from tests.fakediscord import rules
from tests.fakediscord.errors import DiscordError, invalid_form
from tests.fakediscord.records import Sent


class ChannelRoutes:
    ROUTES = (
        ("POST", r"/channels/(?P<cid>\d+)/messages", "_create_message"),
        ("GET", r"/channels/(?P<cid>\d+)/messages", "_history"),
        ("GET", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", "_get_message"),
        ("PATCH", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", "_edit_message"),
        ("DELETE", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", "_delete_message"),
        ("GET", r"/channels/(?P<cid>\d+)", "_get_channel"),
        ("PATCH", r"/channels/(?P<cid>\d+)", "_edit_channel"),
    )

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
        return p.message_payload(
            message_id=sent.id,
            channel_id=sent.channel_id,
            author=self.bot_user,
            body={
                "content": sent.content,
                "embeds": [{"type": "rich", **e} for e in sent.embeds],
                "components": _with_ids(sent.components),
                "flags": sent.flags,
            },
            attachments=attachments,
        )

    def _channel(self, cid: str) -> p.FakeChannel:
        channel = self.channels.get(int(cid))
        if channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return channel

    def _require(self, channel: p.FakeChannel, permissions: int) -> None:
        """The bot's permissions in `channel` (overwrites included): without View Channel Discord answers
        403 Missing Access (50001), without the others 403 Missing Permissions (50013)
        (topics/opcodes-and-status-codes, "JSON Error Codes")."""
        perms = self.bot_permissions_in(channel)
        if not perms & p.VIEW_CHANNEL:
            raise DiscordError(403, 50001, "Missing Access")
        if perms & permissions != permissions:
            raise DiscordError(403, 50013, "Missing Permissions")

    async def _create_message(self, body: Any, files: list[tuple[str, bytes]], cid: str, **_: Any) -> Any:
        channel = self._channel(cid)
        body = body or {}
        if channel.type == 1:
            # resources/user "Create DM" + 50007 "Cannot send messages to this user": the recipient's privacy
            # settings refuse DMs from server members.
            recipient = channel.recipient
            accepts = any(
                m.dms
                for members in self.members.values()
                for m in members.values()
                if recipient and m.id == recipient.id
            )
            if not accepts:
                raise DiscordError(403, 50007, "Cannot send messages to this user")
        else:
            self._require(channel, p.SEND_MESSAGES_IN_THREADS if channel.is_thread else p.SEND_MESSAGES)
            if files:
                self._require(channel, p.ATTACH_FILES)
        rules.check_files(files)
        rules.check_message(body)
        if not (body.get("content") or body.get("embeds") or files or body.get("components")):
            raise DiscordError(400, 50006, "Cannot send an empty message", refusal=True)
        if channel.archived:
            channel.archived = False  # topics/threads: sending a message unarchives an unlocked thread
        sent = Sent(p.snowflake(), channel.id)
        sent.update(body, files)
        self.messages.setdefault(channel.id, []).append(sent)
        payload = self._message_body(sent)
        payload["mentions"], payload["mention_roles"] = self._mentions(channel, body)
        return payload

    def _mentions(
        self, channel: p.FakeChannel, body: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """Who the message pings, as the REST message object lists them: plain users (no `member`), and the
        pinged role ids. resources/message "Allowed Mentions": `allowed_mentions` filters the parsed mentions;
        a role pings only if it is mentionable or the sender has Mention Everyone.
        In a thread a ping adds the member (topics/threads): only one who can view the parent channel, and
        in a private thread a role ping adds nobody unless the role may be pinged."""
        content = body.get("content") or ""
        allowed = body.get("allowed_mentions")
        user_ids = [int(x) for x in re.findall(r"<@!?(\d+)>", content)]
        role_ids = [int(x) for x in re.findall(r"<@&(\d+)>", content)]
        if allowed is not None:
            parse = allowed.get("parse") or []
            permitted_users = {int(u) for u in allowed.get("users") or []}
            permitted_roles = {int(r) for r in allowed.get("roles") or []}
            user_ids = [i for i in user_ids if "users" in parse or i in permitted_users]
            role_ids = [i for i in role_ids if "roles" in parse or i in permitted_roles]
        guild_id = channel.guild_id or 0
        guild_members = self.members.get(guild_id, {})
        guild_roles = self.roles.get(guild_id, {})
        bot_perms = self.bot_permissions_in(channel) if channel.guild_id else 0
        pinged_roles = [
            r
            for r in dict.fromkeys(role_ids)
            if r in guild_roles and (guild_roles[r].mentionable or bot_perms & p.MENTION_EVERYONE)
        ]
        mentions = []
        for user_id in dict.fromkeys(user_ids):
            user = self.users.get(user_id)
            if user is None:
                continue
            mentions.append(user.payload())
        if channel.is_thread:
            parent = self.channels.get(channel.parent_id or 0)
            joining = [i for i in user_ids if i in guild_members]
            joining += [m.id for m in guild_members.values() if any(r in m.roles for r in pinged_roles)]
            for user_id in dict.fromkeys(joining):
                member = guild_members[user_id]
                if parent is not None and self.permissions_in(parent, member) & p.VIEW_CHANNEL:
                    self.thread_members.setdefault(channel.id, set()).add(user_id)
        return mentions, [str(r) for r in pinged_roles]

    async def _history(self, cid: str, query: Any, **_: Any) -> Any:
        channel = self._channel(cid)
        if channel.guild_id is not None:
            self._require(channel, p.READ_MESSAGE_HISTORY)
        limit = min(100, int(query.get("limit", 50)))
        newest_first = list(reversed(self.messages.get(channel.id, [])))
        return [self._message_body(m) for m in newest_first[:limit]]

    async def _get_message(self, cid: str, mid: str, **_: Any) -> Any:
        channel = self._channel(cid)
        if channel.guild_id is not None:
            self._require(channel, p.READ_MESSAGE_HISTORY)
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
        self._require(channel, p.VIEW_CHANNEL)
        if channel.archived:
            raise rules.archived_thread()
        rules.check_files(files)
        rules.check_message(body or {})
        sent.update(body or {}, files)
        return self._message_body(sent)

    async def _delete_message(self, cid: str, mid: str, **_: Any) -> Any:
        channel = self._channel(cid)
        self.messages[channel.id] = [m for m in self.messages.get(channel.id, []) if m.id != int(mid)]
        return None

    async def _get_channel(self, cid: str, **_: Any) -> Any:
        channel = self._channel(cid)
        if channel.guild_id is not None:
            self._require(channel, p.VIEW_CHANNEL)
        return channel.payload()

    async def _edit_channel(self, body: Any, cid: str, **_: Any) -> Any:
        channel = self._channel(cid)
        body = body or {}
        self._require(channel, p.VIEW_CHANNEL)
        if channel.is_thread:
            # topics/threads "Permissions": changing name, archived or auto_archive_duration needs Manage
            # Threads or being the thread's creator.
            creator = channel.owner_id == self.bot_user.id
            if not creator and not self.bot_permissions_in(channel) & p.MANAGE_THREADS:
                raise DiscordError(403, 50013, "Missing Permissions")
            duration = body.get("auto_archive_duration")
            if duration is not None and duration not in rules.ARCHIVE_DURATIONS:
                raise invalid_form(
                    "auto_archive_duration",
                    "BASE_TYPE_CHOICES",
                    "Value must be one of (60, 1440, 4320, 10080).",
                )
            if duration is not None:
                channel.auto_archive_duration = duration
        elif not self.bot_permissions_in(channel) & p.MANAGE_CHANNELS:
            raise DiscordError(403, 50013, "Missing Permissions")
        if "archived" in (body or {}):
            channel.archived = bool(body["archived"])
        if "name" in (body or {}):
            channel.name = body["name"]
        return channel.payload()


def _with_ids(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Components as Discord returns them: each with a numeric `id`, generated in order when the bot gave
    none (components/reference, "Anatomy of a Component")."""
    counter = iter(range(1, 1000))
    out = []
    for row in components:
        row = {**row, "id": row.get("id") or next(counter)}
        row["components"] = [{**c, "id": c.get("id") or next(counter)} for c in row.get("components", [])]
        out.append(row)
    return out
