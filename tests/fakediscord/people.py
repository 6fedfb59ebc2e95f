"""Driving the bot as people do: slash commands, buttons, modals, uploads and messages."""

from __future__ import annotations

import secrets
from typing import Any

from tests.fakediscord import payloads as p
from tests.fakediscord.errors import CommandHidden
from tests.fakediscord.gateway import GUILD_MESSAGES_INTENT, MESSAGE_CONTENT_INTENT
from tests.fakediscord.records import Exchange, Sent


class People:
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
            author=member.user,
            body={"content": content},
            attachments=[],
        )
        # Gateway extras (events/gateway-events "Message Create"): guild_id and the author's member.
        payload["guild_id"] = str(guild_id)
        payload["member"] = {k: v for k, v in member.payload().items() if k != "user"}
        await self._flush_events()
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
        perms = self.permissions_in(channel, member)  # "total permissions of the member in the channel"
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
            "app_permissions": str(self.bot_permissions_in(channel)),
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
                author=self.bot_user,
                body={
                    "content": message.content,
                    "embeds": message.embeds,
                    "components": message.components,
                    "flags": message.flags,
                },
                attachments=[],
            )
        exchange = Exchange(interaction_id, token, payload, self._now())
        self.exchanges[interaction_id] = exchange
        self.by_token[token] = exchange
        if not self.sessions:
            raise AssertionError("the bot is not connected to the gateway")
        await self._flush_events()
        for session in self.sessions:
            await self._send_dispatch(session, "INTERACTION_CREATE", payload)
        return exchange
