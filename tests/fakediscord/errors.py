"""Errors the fake answers with, shaped like Discord's (docs: topics/opcodes-and-status-codes, "JSON Error
Codes" and reference "Error Messages": 50035 Invalid Form Body with nested `errors` and `_errors` lists)."""

from __future__ import annotations

from typing import Any


class DiscordError(Exception):
    """An error answer. `refusal` marks what Discord refuses because of what the bot sent (a broken rule,
    an invalid body): the fake records those so the test that caused one fails."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: dict[str, Any] | None = None,
        *,
        refusal: bool = False,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors
        self.refusal = refusal

    def body(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            payload["errors"] = self.errors
        return payload


class CommandHidden(AssertionError):
    """Discord would not show this command to this member (default_member_permissions)."""


def field_errors(path: str | list[Any], code: str, message: str) -> dict[str, Any]:
    """One field's error, nested as Discord nests it: "embeds.0.title" -> {"embeds": {"0": {"title": ...}}}."""
    keys = path.split(".") if isinstance(path, str) else [str(k) for k in path]
    node: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed([k for k in keys if k != ""]):
        node = {key: node}
    return node


def merge(into: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    for key, value in other.items():
        if key == "_errors":
            into.setdefault("_errors", []).extend(value)
        else:
            merge(into.setdefault(key, {}), value)
    return into


def invalid_form(path: str | list[Any], code: str, message: str) -> DiscordError:
    """400 / 50035 Invalid Form Body for one field, recorded as a refusal."""
    return DiscordError(400, 50035, "Invalid Form Body", field_errors(path, code, message), refusal=True)


def refuse(status: int, code: int, message: str) -> DiscordError:
    """Any other refusal of what the bot sent (e.g. 40005 Request entity too large), recorded as one."""
    return DiscordError(status, code, message, refusal=True)
