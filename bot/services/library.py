"""The shipped prompt library, copied into a server's own library the first time it is needed."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.db import Database
from bot.db import guilds as guild_db
from bot.db import prompts as prompt_db
from bot.domain.themes import library, shipped_themes

log = logging.getLogger(__name__)


async def ensure_library(db: Database, guild_id: int, now: datetime) -> None:
    """Give the server its own copy of the shipped library the first time it is needed."""
    row = await guild_db.get(db, guild_id)
    if row is not None and row["library_seeded"]:
        return
    await guild_db.ensure(db, guild_id, now)
    async with db.transaction() as conn:
        seeded = await prompt_db.seed_library(conn, guild_id, shipped_themes(), shipped_prompts(), now)
    if seeded:
        log.info("loaded the prompt library for a server")


def shipped_prompts() -> list[dict]:
    """Every prompt of the shipped library: the weekly rotation, then the calendar packs' prompts."""
    data = library()
    return [*data["prompts"], *data.get("calendar", [])]
