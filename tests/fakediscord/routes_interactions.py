"""REST routes for interactions: the callback and the webhook (original response, followups)."""

from __future__ import annotations

from typing import Any

from tests.fakediscord import payloads as p
from tests.fakediscord import rules
from tests.fakediscord.errors import DiscordError
from tests.fakediscord.records import Exchange, Sent


class InteractionRoutes:
    ROUTES = (
        ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", "_callback"),
        ("PATCH", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/@original", "_edit_original"),
        ("GET", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/@original", "_get_original"),
        ("DELETE", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/@original", "_delete_original"),
        ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", "_followup"),
        ("PATCH", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>\d+)", "_edit_followup"),
    )

    def _exchange(self, token: str) -> Exchange:
        """The interaction behind a webhook token. interactions/receiving-and-responding: "Interaction tokens
        are valid for 15 minutes"; after that Discord answers 401 Invalid Webhook Token (50027)."""
        exchange = self.by_token.get(token)
        if exchange is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        if self._now() - exchange.created_at > self.token_lifetime:
            exchange.errors.append(50027)
            raise DiscordError(401, 50027, "Invalid Webhook Token", refusal=True)
        return exchange

    async def _callback(
        self, body: Any, files: list[tuple[str, bytes]], iid: str, token: str, query: Any, **_: Any
    ) -> Any:
        exchange = self.exchanges.get(int(iid))
        if exchange is None or exchange.token != token:
            raise DiscordError(404, 10062, "Unknown interaction")
        if self._now() - exchange.created_at > self.interaction_deadline:
            exchange.errors.append(10062)
            raise DiscordError(404, 10062, "Unknown interaction")
        if exchange.callback_type is not None:
            exchange.errors.append(40060)
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        kind = int(body["type"])
        # interactions/receiving-and-responding "Interaction Callback Type": DEFERRED_UPDATE_MESSAGE (6) and
        # UPDATE_MESSAGE (7) are "only valid for component-based interactions" (type 3, MESSAGE_COMPONENT).
        # A modal submitted from a component is the docs' grey area: the fake, being the stricter, refuses it.
        if kind in (6, 7) and int(exchange.payload["type"]) != 3:
            exchange.errors.append(50035)
            raise DiscordError(400, 50035, "Invalid Form Body: this callback type is only for components")
        data = body.get("data") or {}
        channel_id = int(exchange.payload["channel_id"])
        message_id = None
        rules.check_files(files)
        if kind == 4:
            rules.check_message(data)
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
            rules.check_message(data)
            target = self._find_sent(channel_id, int(exchange.payload["message"]["id"]))
            if target is None:
                raise DiscordError(404, 10008, "Unknown Message")
            target.update(data, files)
            exchange.original = target  # an update edits the message the button was on, keeping its id
        elif kind == 8:
            exchange.choices = data.get("choices", [])
        elif kind == 9:
            rules.check_modal(data)
            exchange.modal = data
        exchange.callback_type = kind
        exchange.acknowledged_at = self._now()
        exchange._notify()
        interaction: dict[str, Any] = {
            "id": iid,
            "type": exchange.payload["type"],
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(exchange.original and exchange.original.ephemeral),
        }
        if message_id:
            interaction["response_message_id"] = str(message_id)
        response: dict[str, Any] = {"interaction": interaction}
        if kind in (4, 7) and exchange.original is not None:
            response["resource"] = {"type": kind, "message": self._message_body(exchange.original)}
        # "Create Interaction Response": 204 unless `with_response` asks for the callback object.
        if str(query.get("with_response", "")).lower() not in ("1", "true"):
            return None
        return response

    async def _edit_original(self, body: Any, files: list[tuple[str, bytes]], token: str, **_: Any) -> Any:
        exchange = self._exchange(token)
        if exchange.original is None:
            raise DiscordError(404, 10008, "Unknown Message")
        rules.check_files(files)
        rules.check_message(body or {})
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

    async def _followup(
        self, body: Any, files: list[tuple[str, bytes]], token: str, query: Any, **_: Any
    ) -> Any:
        exchange = self._exchange(token)
        if exchange.callback_type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        rules.check_files(files)
        rules.check_message(body or {})
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
        # resources/webhook "Execute Webhook": without `wait=true` the answer is 204 with no message.
        if str(query.get("wait", "")).lower() not in ("1", "true"):
            return None
        return self._message_body(sent)

    async def _edit_followup(
        self, body: Any, files: list[tuple[str, bytes]], token: str, mid: str, **_: Any
    ) -> Any:
        exchange = self._exchange(token)
        for sent in [exchange.original, *exchange.followups]:
            if sent is not None and sent.id == int(mid):
                rules.check_files(files)
                rules.check_message(body or {})
                sent.update(body or {}, files)
                exchange._notify()
                return self._message_body(sent)
        raise DiscordError(404, 10008, "Unknown Message")
