"""A saved round is checked again just before delivery, so nothing that changed since it was saved is
ignored: the decision is `bot.domain.revalidate`; this module reads the state now and writes the repair."""

from __future__ import annotations

import logging

from bot.db import Database
from bot.db import round_repair as repair_db
from bot.domain.pairing import pair_key
from bot.domain.revalidate import revalidate
from bot.domain.schedule import WeeklySlot

log = logging.getLogger(__name__)


async def recheck_round(
    db: Database,
    guild_id: int,
    round_id: int,
    iso_week: str,
    slot: WeeklySlot,
    group_size: int,
    odd_policy: str,
) -> bool:
    """Repair the round's undelivered groups against the members, blocks, pauses and exclusions of now,
    in one transaction. Returns True when anything changed."""
    round_day = slot.in_week(iso_week).astimezone(slot.tz).date().isoformat()
    async with db.transaction() as conn:
        saved = await repair_db.undelivered_groups(conn, round_id)
        if not saved:
            return False
        everyone = sorted({u for _, members in saved for u in members})
        allowed = await repair_db.pairable_now(conn, guild_id, everyone, iso_week, round_day)
        forbidden = {pair_key(a, b) for a, b in await repair_db.blocks_among(conn, guild_id, everyone)}
        result = revalidate(
            [members for _, members in saved],
            allowed,
            forbidden,
            group_size=group_size,
            odd_policy=odd_policy,
        )
        changed = {
            group_id: list(after)
            for (group_id, before), after in zip(saved, result.groups, strict=True)
            if list(after) != before
        }
        if not changed and not result.new_groups and not result.sat_out:
            return False
        await repair_db.rewrite_groups(
            conn, guild_id, round_id, iso_week, changed, result.new_groups, result.sat_out, allowed
        )
    # Counts only: which members or which block made the change is nobody's business, the log's included.
    log.info(
        "a saved round was repaired before delivery: %d groups changed, %d added, %d sitting out",
        len(changed),
        len(result.new_groups),
        len(result.sat_out),
    )
    return True


async def group_still_valid(
    db: Database, guild_id: int, members: list[int], iso_week: str, slot: WeeklySlot
) -> bool:
    """The cheap check made right before one group's thread is opened (delivery can take minutes)."""
    round_day = slot.in_week(iso_week).astimezone(slot.tz).date().isoformat()
    # Two one-step reads: no write transaction per group, so delivery holds no lock for its checks.
    allowed = await repair_db.pairable_now(db.conn, guild_id, members, iso_week, round_day)
    blocked = await repair_db.blocks_among(db.conn, guild_id, members)
    return len(members) >= 2 and allowed == set(members) and not blocked
