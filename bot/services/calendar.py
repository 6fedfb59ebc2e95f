"""The cultural calendar: which packs a server chose, and the dated prompt that replaces a week's rotation."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from bot.db import Database
from bot.db import guilds as guild_db
from bot.db import prompts as prompt_db
from bot.domain import calendar
from bot.domain.rotation import Candidate
from bot.domain.themes import library
from bot.services.library import ensure_library


async def calendar_choice(db: Database, guild_id: int, week: str, enabled_raw: str) -> Candidate | None:
    """The calendar prompt that replaces this week's rotation prompt, if a chosen pack's date is in it."""
    enabled = [k for k in enabled_raw.split(",") if k]
    if not enabled:
        return None
    custom = await prompt_db.custom_pack_dates(db, guild_id)
    # The first look-up of a year builds the holiday tables (about half a second): off the event loop.
    due = await asyncio.to_thread(calendar.due_in_week, week, enabled, custom)
    for occasion in due:
        rows = await prompt_db.pack_candidates(db, guild_id, occasion.pack)
        if rows:
            r = rows[0]
            return Candidate(r["id"], r["theme"], r["times_posted"], r["depth"])
    return None


def occasion_name(pack: str | None) -> str | None:
    """How a dated post names its occasion: the shipped pack's name, or a server's own pack key."""
    if pack is None:
        return None
    shipped = calendar.SHIPPED_BY_KEY.get(pack)
    return shipped.name if shipped else pack


@dataclass(frozen=True)
class CalendarPack:
    key: str
    name: str
    when: str
    enabled: bool


async def calendar_packs(db: Database, guild_id: int, now: datetime) -> list[CalendarPack]:
    """Every pack this server can choose: the shipped ones, then its own (from imported prompts)."""
    await ensure_library(db, guild_id, now)
    row = await guild_db.get(db, guild_id)
    enabled = set((row["calendar_packs"] if row else "").split(",")) - {""}
    packs = [CalendarPack(p.key, p.name, p.when, p.key in enabled) for p in calendar.SHIPPED_PACKS]
    custom = await prompt_db.custom_pack_dates(db, guild_id)
    for key in sorted(custom):
        if key not in calendar.SHIPPED_BY_KEY:
            packs.append(CalendarPack(key, key, ", ".join(custom[key]), key in enabled))
    return packs


async def set_calendar_packs(db: Database, guild_id: int, raw: str, now: datetime) -> tuple[str, ...]:
    """Turn on exactly the packs named in `raw` (comma-separated keys, or `none`)."""
    known = [p.key for p in await calendar_packs(db, guild_id, now)]
    chosen = calendar.order_packs(calendar.parse_pack_list(raw, known), known)
    wanted = [p for p in library().get("calendar", []) if p["pack"] in chosen]
    async with db.transaction() as conn:
        # A server whose library was loaded before the calendar existed gets the shipped packs it turns on.
        have = await prompt_db.packs_present(conn, guild_id)
        missing = [p for p in wanted if p["pack"] not in have]
        if missing:
            await prompt_db.insert_library_prompts(conn, guild_id, missing, now)
    await guild_db.set_value(db, guild_id, "calendar_packs", ",".join(chosen))
    return chosen
