"""What the bot sent, as a test reads it: messages and the life of one interaction."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

EPHEMERAL = 1 << 6


@dataclass
class Sent:
    """A message the bot created or edited (in a channel, or as an interaction response)."""

    id: int
    channel_id: int
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    files: list[tuple[str, bytes]] = field(default_factory=list)
    allowed_mentions: dict[str, Any] | None = None
    thread_id: int | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def text(self) -> str:
        """The content and every embed's visible text, for assertions on what a person reads."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            for f in embed.get("fields", []):
                parts += [f.get("name", ""), f.get("value", "")]
            parts.append((embed.get("footer") or {}).get("text", ""))
        return "\n".join(p for p in parts if p)

    def buttons(self) -> list[dict[str, Any]]:
        found = []
        for row in self.components:
            for item in row.get("components", []):
                if item.get("type") == 2:
                    found.append(item)
        return found

    def button(self, label: str) -> dict[str, Any]:
        for item in self.buttons():
            if item.get("label") == label:
                return item
        raise AssertionError(f"no button {label!r} in {[b.get('label') for b in self.buttons()]}")

    def file_json(self, index: int = 0) -> Any:
        return json.loads(self.files[index][1].decode("utf-8"))

    def update(self, body: dict[str, Any], files: list[tuple[str, bytes]] | None = None) -> None:
        if "content" in body:
            self.content = body["content"] or ""
        if "embeds" in body:
            self.embeds = body["embeds"] or []
        if "components" in body:
            self.components = body["components"] or []
        if "flags" in body and body["flags"] is not None:
            self.flags = int(body["flags"])
        if "allowed_mentions" in body:
            self.allowed_mentions = body["allowed_mentions"]
        if files is not None and (files or "attachments" in body):
            self.files = files


@dataclass
class Exchange:
    """One interaction: what was sent to the bot and every response it made."""

    id: int
    token: str
    payload: dict[str, Any]
    created_at: float
    callback_type: int | None = None
    acknowledged_at: float | None = None  # loop time of the first callback, for latency figures
    original: Sent | None = None
    deferred: bool = False
    followups: list[Sent] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    errors: list[int] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def _notify(self) -> None:
        self.changed.set()

    async def _wait(self, ready: Any, timeout: float, what: str) -> Any:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            value = ready()
            if value is not None:
                return value
            remaining = end - loop.time()
            if remaining <= 0:
                raise AssertionError(f"the bot sent no {what} for interaction {self.payload.get('data')}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                pass

    async def acknowledged(self, timeout: float = 5.0) -> int:
        return await self._wait(lambda: self.callback_type, timeout, "callback")

    async def reply(self, timeout: float = 5.0) -> Sent:
        """The latest visible answer: the original response once it has content, or the last followup."""

        def ready() -> Sent | None:
            if self.followups:
                return self.followups[-1]
            if self.original is not None and not (self.deferred and self._empty(self.original)):
                return self.original
            return None

        return await self._wait(ready, timeout, "reply")

    async def wait_modal(self, timeout: float = 5.0) -> dict[str, Any]:
        return await self._wait(lambda: self.modal, timeout, "modal")

    async def wait_choices(self, timeout: float = 5.0) -> list[dict[str, Any]]:
        return await self._wait(lambda: self.choices, timeout, "autocomplete choices")

    @staticmethod
    def _empty(sent: Sent) -> bool:
        return not (sent.content or sent.embeds or sent.files or sent.components)
