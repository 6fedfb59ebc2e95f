"""Settings read from the environment (and a `.env` file in the working directory)."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

DEFAULT_DATABASE_PATH = "data/bridges.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and says how to fix it."""


@dataclass(frozen=True)
class Secret:
    """A value that never prints itself, so a token cannot leak into a log or a traceback."""

    value: str = field(repr=False)

    def __str__(self) -> str:
        return "********"

    def __repr__(self) -> str:
        return "Secret('********')"


@dataclass(frozen=True)
class Settings:
    token: Secret
    database_path: Path
    log_level: str
    dev_guild_id: int | None
    backup_dir: Path | None = None

    @property
    def application_id(self) -> int | None:
        """The bot's user id, which Discord encodes in the first part of the token."""
        return application_id_from_token(self.token.value)


def application_id_from_token(token: str) -> int | None:
    head = token.split(".", 1)[0]
    try:
        decoded = base64.b64decode(head + "=" * (-len(head) % 4), altchars=b"-_").decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(decoded) if decoded.isdigit() else None


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Read settings from `environ` (default: the process environment) over a `.env` file.

    Values already in the environment win over the file, as python-dotenv does by default.
    """
    merged: dict[str, str] = {}
    file_path = env_file if env_file is not None else Path.cwd() / ".env"
    if file_path.is_file():
        merged.update({k: v for k, v in dotenv_values(file_path).items() if v is not None})
    merged.update(os.environ if environ is None else environ)

    token = merged.get("DISCORD_TOKEN", "").strip()
    if not token:
        raise ConfigError(
            "DISCORD_TOKEN is not set: copy config.example.env to .env and paste your bot token "
            "from the Discord developer portal (Bot > Reset Token)."
        )
    if not _TOKEN_SHAPE.match(token):
        raise ConfigError(
            "DISCORD_TOKEN does not look like a bot token (three parts separated by dots, no spaces): "
            "copy it again from the Discord developer portal (Bot > Reset Token)."
        )

    database_path = Path(merged.get("DATABASE_PATH", "").strip() or DEFAULT_DATABASE_PATH)
    if database_path.exists() and database_path.is_dir():
        raise ConfigError(f"DATABASE_PATH points to a folder ({database_path}): give a file path instead.")

    log_level = (merged.get("LOG_LEVEL", "").strip() or "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (got {log_level!r}).")

    raw_guild = merged.get("DEV_GUILD_ID", "").strip()
    dev_guild_id: int | None = None
    if raw_guild:
        if not raw_guild.isdigit():
            raise ConfigError(
                "DEV_GUILD_ID must be a server id (digits only: right-click the server > Copy Server ID), "
                "or left empty."
            )
        dev_guild_id = int(raw_guild)

    raw_backup = merged.get("BACKUP_DIR", "").strip()
    backup_dir = Path(raw_backup) if raw_backup else None
    if backup_dir is not None and backup_dir.exists() and not backup_dir.is_dir():
        raise ConfigError(f"BACKUP_DIR points to a file ({backup_dir}): give a folder, or leave it empty.")

    return Settings(
        token=Secret(token),
        database_path=database_path,
        log_level=log_level,
        dev_guild_id=dev_guild_id,
        backup_dir=backup_dir,
    )


def unwritable_reason(path: Path, what: str, *, folder: bool = False) -> str | None:
    """Why `path` could not be created or written, without creating anything; None when it can.

    The first existing ancestor must be a folder we may write into (folders below it are created later).
    """
    target = path.resolve()
    if target.exists():
        if folder and not target.is_dir():
            return f"{what} ({path}) is a file: give a folder."
        if not os.access(target, os.W_OK):
            return f"{what} ({path}) is not writable by this user: fix its permissions or choose another place."
        return None
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"{what} ({path}) is below a file ({parent}): choose a path inside a folder."
    if not os.access(parent, os.W_OK | os.X_OK):
        return (
            f"{what} ({path}) cannot be created: {parent} is not writable by this user. "
            "Fix its permissions or choose another place."
        )
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, log_format: str = "text") -> None:
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-8s %(name)s: %(message)s"))
    logging.basicConfig(level=getattr(logging, level), handlers=[handler], force=True)
    # Ids redacted in every record; discord.py's gateway payloads and aiosqlite's SQL parameters (DEBUG)
    # stay out even when we debug our own code.
    from bot import log_privacy

    log_privacy.install(getattr(logging, level))
