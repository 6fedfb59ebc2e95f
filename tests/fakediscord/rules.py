"""Discord's documented rules that its OpenAPI schema does not (fully) express, each citing its doc section
(paths relative to Discord's developer docs, discord/discord-api-docs). Each check raises the error Discord
answers with; the REST layer records it as a refusal so the test that caused it fails."""

from __future__ import annotations

import unicodedata
from typing import Any

from tests.fakediscord.errors import DiscordError, field_errors, invalid_form, merge, refuse

# ---------------------------------------------------------------- application commands
# interactions/application-commands, "Application Command Naming": CHAT_INPUT command and option names match
# ^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$ (unicode), and must use the lower-case variant of any letter
# that has one. USER and MESSAGE commands may be mixed case and contain spaces.
# "Application Command Structure" / "Option Structure": description 1-100 characters, at most 25 options,
# at most 25 choices; "Required options must be listed before optional options".
# "Slash Commands": at most 8000 characters for combined name, description and value properties of a command,
# its options (including subcommands and groups) and choices.

CHAT_INPUT = 1
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
MAX_OPTIONS = MAX_CHOICES = 25
MAX_COMMAND_SIZE = 8000


def _name_char_ok(ch: str) -> bool:
    if ch in "-_'":
        return True
    category = unicodedata.category(ch)
    if category[0] in "LN":
        return True
    # \p{sc=Deva} and \p{sc=Thai] also admit those scripts' combining marks (vowel signs).
    if category[0] == "M":
        name = unicodedata.name(ch, "")
        return name.startswith(("DEVANAGARI", "THAI"))
    return False


def name_problem(name: str) -> str | None:
    if not 1 <= len(name) <= 32:
        return "Must be between 1 and 32 in length."
    if not all(_name_char_ok(ch) for ch in name):
        return f"Command name is invalid: {name!r} does not match ^[-_'\\p{{L}}\\p{{N}}\\p{{sc=Deva}}\\p{{sc=Thai}}]{{1,32}}$"
    if any(ch.lower() != ch for ch in name):
        return f"Command name is invalid: {name!r} must use the lower-case variant of its letters"
    return None


def _size(node: dict[str, Any]) -> int:
    total = len(node.get("name") or "") + len(node.get("description") or "")
    for key in ("name_localizations", "description_localizations"):
        longest = max((len(v) for v in (node.get(key) or {}).values()), default=0)
        base = "name" if key.startswith("name") else "description"
        total += max(0, longest - len(node.get(base) or ""))
    for choice in node.get("choices") or []:
        total += len(str(choice.get("name", ""))) + len(str(choice.get("value", "")))
    for option in node.get("options") or []:
        total += _size(option)
    return total


def _check_options(options: list[dict[str, Any]], path: list[Any], errors: dict[str, Any]) -> None:
    if len(options) > MAX_OPTIONS:
        merge(
            errors, field_errors([*path, "options"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        )
    seen_optional = False
    for i, option in enumerate(options):
        where = [*path, "options", i]
        problem = name_problem(option.get("name", ""))
        if problem:
            merge(errors, field_errors([*where, "name"], "APPLICATION_COMMAND_INVALID_NAME", problem))
        if not 1 <= len(option.get("description") or "") <= 100:
            merge(
                errors,
                field_errors(
                    [*where, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                ),
            )
        if len(option.get("choices") or []) > MAX_CHOICES:
            merge(
                errors,
                field_errors([*where, "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."),
            )
        if option.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
            _check_options(option.get("options") or [], where, errors)
            continue
        if option.get("required"):
            if seen_optional:
                merge(
                    errors,
                    field_errors(
                        where,
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    ),
                )
        else:
            seen_optional = True


def check_commands(commands: list[dict[str, Any]]) -> None:
    errors: dict[str, Any] = {}
    for i, command in enumerate(commands):
        kind = command.get("type") or CHAT_INPUT
        if kind != CHAT_INPUT:
            if not 1 <= len(command.get("name") or "") <= 32:
                merge(
                    errors,
                    field_errors([i, "name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."),
                )
            continue
        problem = name_problem(command.get("name", ""))
        if problem:
            merge(errors, field_errors([i, "name"], "APPLICATION_COMMAND_INVALID_NAME", problem))
        if not 1 <= len(command.get("description") or "") <= 100:
            merge(
                errors,
                field_errors(
                    [i, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                ),
            )
        _check_options(command.get("options") or [], [i], errors)
        if _size(command) > MAX_COMMAND_SIZE:
            merge(
                errors,
                field_errors([i], "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds maximum size (8000)"),
            )
    if errors:
        raise DiscordError(400, 50035, "Invalid Form Body", errors, refusal=True)


# ---------------------------------------------------------------- messages and components
# resources/message, "Create Message" JSON params: content up to 2000 characters; "Up to 10 rich embeds (up to
# 6000 characters)"; resources/message "Embed Limits": title 256, description 4096, 25 fields, field name 256,
# value 1024, footer text 2048, author name 256.
# components/reference, "Action Row": "Up to 5 interactive button components"; "Anatomy of a Component":
# custom_id 1-100 characters, "Multiple components on the same message must not share the same custom_id";
# "Button": label max 80 characters.

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_BUTTONS_PER_ROW = 5
MAX_ROWS = 5


def check_message(body: dict[str, Any]) -> None:
    errors: dict[str, Any] = {}
    content = body.get("content") or ""
    if len(content) > MAX_CONTENT:
        merge(errors, field_errors("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."))
    embeds = body.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        merge(errors, field_errors("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."))
    total = 0
    for i, embed in enumerate(embeds):
        title, desc = embed.get("title") or "", embed.get("description") or ""
        fields = embed.get("fields") or []
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        total += len(title) + len(desc) + len(footer) + len(author)
        total += sum(len(f.get("name", "")) + len(f.get("value", "")) for f in fields)
        for key, value, limit in (("title", title, 256), ("description", desc, 4096)):
            if len(value) > limit:
                merge(
                    errors,
                    field_errors(
                        ["embeds", i, key], "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
                    ),
                )
        if len(fields) > 25:
            merge(
                errors,
                field_errors(
                    ["embeds", i, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
                ),
            )
        for j, f in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                if len(f.get(key, "")) > limit:
                    merge(
                        errors,
                        field_errors(
                            ["embeds", i, "fields", j, key],
                            "BASE_TYPE_MAX_LENGTH",
                            f"Must be {limit} or fewer in length.",
                        ),
                    )
    if total > MAX_EMBED_TOTAL:
        merge(
            errors,
            field_errors("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"),
        )
    _check_components(body.get("components") or [], errors)
    if errors:
        raise DiscordError(400, 50035, "Invalid Form Body", errors, refusal=True)


def _check_components(rows: list[dict[str, Any]], errors: dict[str, Any]) -> None:
    if len(rows) > MAX_ROWS:
        merge(errors, field_errors("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."))
    seen: set[str] = set()
    for i, row in enumerate(rows):
        items = row.get("components") or []
        buttons = [item for item in items if item.get("type") == 2]
        if len(buttons) > MAX_BUTTONS_PER_ROW:
            merge(
                errors,
                field_errors(
                    ["components", i, "components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."
                ),
            )
        for j, item in enumerate(items):
            where = ["components", i, "components", j]
            custom_id = item.get("custom_id")
            if custom_id is not None:
                if not 1 <= len(custom_id) <= 100:
                    merge(
                        errors,
                        field_errors(
                            [*where, "custom_id"],
                            "BASE_TYPE_BAD_LENGTH",
                            "Must be between 1 and 100 in length.",
                        ),
                    )
                if custom_id in seen:
                    merge(
                        errors,
                        field_errors(
                            [*where, "custom_id"],
                            "COMPONENT_CUSTOM_ID_DUPLICATED",
                            "Component custom id cannot be duplicated",
                        ),
                    )
                seen.add(custom_id)
            if len(item.get("label") or "") > 80:
                merge(
                    errors,
                    field_errors([*where, "label"], "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length."),
                )


# ---------------------------------------------------------------- modals
# interactions/receiving-and-responding, "Modal": title max 45 characters, custom_id max 100;
# components/reference, "Text Input" (and "Label"): label max 45 characters.

MAX_MODAL_TITLE = 45
MAX_INPUT_LABEL = 45


def check_modal(data: dict[str, Any]) -> None:
    errors: dict[str, Any] = {}
    if not 1 <= len(data.get("title") or "") <= MAX_MODAL_TITLE:
        merge(
            errors,
            field_errors(["data", "title"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length."),
        )
    seen: set[str] = set()
    for i, row in enumerate(data.get("components") or []):
        inner = row.get("components") or ([row["component"]] if "component" in row else [])
        if row.get("type") == 18 and len(row.get("label") or "") > MAX_INPUT_LABEL:  # a Label component
            merge(
                errors,
                field_errors(
                    ["data", "components", i, "label"],
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 45 or fewer in length.",
                ),
            )
        for j, item in enumerate(inner):
            where = ["data", "components", i, "components", j]
            if len(item.get("label") or "") > MAX_INPUT_LABEL:
                merge(
                    errors,
                    field_errors([*where, "label"], "BASE_TYPE_MAX_LENGTH", "Must be 45 or fewer in length."),
                )
            custom_id = item.get("custom_id")
            if custom_id is not None and custom_id in seen:
                merge(
                    errors,
                    field_errors(
                        [*where, "custom_id"],
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    ),
                )
            if custom_id is not None:
                seen.add(custom_id)
    if errors:
        raise DiscordError(400, 50035, "Invalid Form Body", errors, refusal=True)


# ---------------------------------------------------------------- files
# reference, "Uploading Files": "The file upload size limit applies to each file in a request. The default limit
# is 10 MiB"; topics/opcodes-and-status-codes: 40005 "Request entity too large" (HTTP 413).

MAX_FILE_BYTES = 10 * 1024 * 1024


def check_files(files: list[tuple[str, bytes]], limit: int = MAX_FILE_BYTES) -> None:
    for _name, data in files:
        if len(data) > limit:
            raise refuse(413, 40005, "Request entity too large")


# ---------------------------------------------------------------- threads
# resources/channel, "Channel Types": PRIVATE_THREAD (12) is "a temporary sub-channel within a GUILD_TEXT
# channel"; "Start Thread without Message" / "Thread Metadata Object": auto_archive_duration "can be set to:
# 60, 1440, 4320, 10080".

GUILD_TEXT = 0
GUILD_ANNOUNCEMENT = 5
PRIVATE_THREAD = 12
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)


def check_new_thread(parent_type: int, body: dict[str, Any], kind: int) -> None:
    if kind == PRIVATE_THREAD and parent_type != GUILD_TEXT:
        raise invalid_form(
            "type", "BASE_TYPE_CHOICES", "Private threads can only be created in text channels"
        )
    duration = body.get("auto_archive_duration")
    if duration is not None and duration not in ARCHIVE_DURATIONS:
        raise invalid_form(
            "auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of (60, 1440, 4320, 10080)."
        )
    name = body.get("name") or ""
    if not 1 <= len(name) <= 100:
        raise invalid_form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")


def archived_thread() -> DiscordError:
    """topics/opcodes-and-status-codes 50083: "Tried to perform an operation on an archived thread, such as
    editing a message or adding a user to the thread"; resources/channel "Add/Remove Thread Member": "Also
    requires the thread is not archived"."""
    return refuse(400, 50083, "Thread is archived")
