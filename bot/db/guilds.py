"""Server settings."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.db.connection import Database


async def ensure(db: Database, guild_id: int, now: datetime) -> None:
    await db.execute(
        "INSERT INTO guild_settings (guild_id, created_at) VALUES (?, ?) ON CONFLICT (guild_id) DO NOTHING",
        (guild_id, now.isoformat()),
    )


async def get(db: Database, guild_id: int) -> sqlite3.Row | None:
    return await db.fetchone("SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,))


async def timezone_of(db: Database, guild_id: int) -> str:
    row = await db.fetchone("SELECT timezone FROM guild_settings WHERE guild_id = ?", (guild_id,))
    return row["timezone"] if row else "UTC"


async def set_prompt_schedule(
    db: Database, guild_id: int, *, channel_id: int, day: int, at: str, timezone: str | None
) -> None:
    await db.execute(
        "UPDATE guild_settings SET prompt_channel_id = ?, prompt_day = ?, prompt_time = ?, "
        "timezone = coalesce(?, timezone), prompt_problem = NULL WHERE guild_id = ?",
        (channel_id, day, at, timezone, guild_id),
    )


async def set_pairing_schedule(
    db: Database, guild_id: int, *, channel_id: int, day: int, at: str, group_size: int, odd_policy: str
) -> None:
    await db.execute(
        "UPDATE guild_settings SET pairing_channel_id = ?, pairing_day = ?, pairing_time = ?, group_size = ?, "
        "odd_policy = ?, pairing_problem = NULL WHERE guild_id = ?",
        (channel_id, day, at, group_size, odd_policy, guild_id),
    )


# The settings a moderator command may change, one column each; `update` writes only the ones it is given.
SETTING_COLUMNS = frozenset(
    {
        "timezone",
        "prompt_channel_id",
        "prompt_day",
        "prompt_time",
        "pairing_channel_id",
        "pairing_day",
        "pairing_time",
        "group_size",
        "odd_policy",
        "moderator_role_id",
        "report_channel_id",
        "retention_weeks",
        "prompts_paused_until",
        "pairing_paused_until",
        "welcome_channel_id",
        "welcome_message_id",
        "greeted_at",
        "pairing_mix",
        "calendar_packs",
    }
)


async def update(db: Database, guild_id: int, changes: dict[str, object]) -> None:
    """Write exactly the given settings (an empty dict writes nothing); a changed schedule clears its problem."""
    unknown = set(changes) - SETTING_COLUMNS
    if unknown:
        raise ValueError(sorted(unknown))
    if not changes:
        return
    columns = sorted(changes)
    assignments = [f"{column} = ?" for column in columns]
    if any(column.startswith("prompt_") for column in columns):
        assignments.append("prompt_problem = NULL")
    if any(column.startswith("pairing_") and column != "pairing_paused_until" for column in columns):
        assignments.append("pairing_problem = NULL")
    await db.execute(
        f"UPDATE guild_settings SET {', '.join(assignments)} WHERE guild_id = ?",
        (*(changes[c] for c in columns), guild_id),
    )


async def set_value(db: Database, guild_id: int, column: str, value: object) -> None:
    if column not in {
        "moderator_role_id",
        "report_channel_id",
        "retention_weeks",
        "timezone",
        "calendar_packs",
        "pairing_mix",
    }:
        raise ValueError(column)
    await db.execute(f"UPDATE guild_settings SET {column} = ? WHERE guild_id = ?", (value, guild_id))


async def set_problem(db: Database, guild_id: int, kind: str, problem: str | None) -> bool:
    """Record (or clear, with None) why deliveries of `kind` ('prompt' or 'pairing') fail.

    Returns True when the problem is new, so it is reported once, not at every attempt.
    """
    column = {"prompt": "prompt_problem", "pairing": "pairing_problem"}[kind]
    row = await db.fetchone(f"SELECT {column} FROM guild_settings WHERE guild_id = ?", (guild_id,))
    if row is None or row[0] == problem:
        return False
    await db.execute(f"UPDATE guild_settings SET {column} = ? WHERE guild_id = ?", (problem, guild_id))
    return problem is not None


async def configured_guilds(db: Database) -> list[sqlite3.Row]:
    return await db.fetchall(
        "SELECT * FROM guild_settings WHERE prompt_channel_id IS NOT NULL OR pairing_channel_id IS NOT NULL"
    )
