"""Members' data rights (export, erase), the retention purge, and the opt-in prompt-reply log."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.db import Database, events, footprint, members
from bot.db import circles as circle_db
from bot.db import guilds as guild_db
from bot.db import pairing as pairing_db
from bot.db import privacy as privacy_db
from bot.db import prompts as prompt_db
from bot.domain import schedule
from bot.services import stats

log = logging.getLogger(__name__)


async def export_member(db: Database, guild_id: int, user_id: int, now: datetime) -> bytes:
    """Everything stored about the member in this server, as JSON."""
    row = await members.get(db, guild_id, user_id)
    suggestions = [dict(r) for r in await privacy_db.member_suggestions(db, guild_id, user_id)]
    member: dict[str, Any] | None = None
    if row is not None:
        member = {
            "user_id": str(user_id),
            "opted_in": row["status"] == "active",
            "timezone": row["timezone"],
            "interests": [i for i in row["interests"].split(",") if i],
            "frequency": row["frequency"],
            "circles": [r["name"] for r in await circle_db.of_member(db, guild_id, user_id)],
            "quiet_paused_at": row["quiet_paused_at"],
            "paused_until": row["paused_until"],
            "skip_week": row["skip_week"],
            "last_sat_out_week": row["last_sat_out_week"],
            # Set when a check before a round did not find them in the server; cleared when they are back.
            "not_found_in_server_since": row["departed_at"],
            "last_paired_week": row["last_paired_week"],
            "joined_at": row["joined_at"],
            "updated_at": row["updated_at"],
            "suggestions": suggestions,
        }
    elif suggestions:
        member = {"user_id": str(user_id), "opted_in": False, "suggestions": suggestions}
    rounds = []
    for r in await pairing_db.member_rounds(db, guild_id, user_id):
        others = [int(x) for x in (r["others"] or "").split(",") if x]
        rounds.append(
            {
                "week": r["iso_week"],
                "made_at": r["made_at"],
                "members": ["a former member" if o == 0 else str(o) for o in others],
                "thread_id": str(r["thread_id"]) if r["thread_id"] else None,
                "checkin": r["checkin"],
                "left_pairing_at": r["left_at"],
            }
        )
    data = {
        "member": member,
        "blocks": [
            {"user_id": str(b["blocked_id"]), "since": b["created_at"]}
            for b in await privacy_db.member_blocks(db, guild_id, user_id)
        ],
        "rounds": rounds,
        "events": [dict(e) for e in await privacy_db.member_events(db, guild_id, user_id)],
        "exported_at": now.isoformat(),
    }
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")


# What joining stores, said the same way in the join reply, the README and here.
STORED_WHEN_JOINED = (
    "your Discord user id; your timezone, interests and frequency; pauses and skips; the members you "
    "blocked; your groups (week, thread, the other members) and check-in answers, and for each past partner "
    "the last week you met (to avoid repeats); prompts you suggested; "
    "and participation events (joined, left, paused, paired, met / not yet / can't make it, left a "
    "pairing, reported, wrote in the prompt thread, suggested a prompt). Never the content of a message"
)
KEPT_FOR_OTHERS = (
    "Blocks other members placed on you, and a moderator's exclusion, are kept to protect others and are "
    "shown to nobody."
)
_KINDS = {
    "blocks": ("member you blocked", "members you blocked"),
    "suggestions": ("prompt suggestion", "prompt suggestions"),
    "groups": ("place in a pairing group", "places in pairing groups"),
    "events": ("participation event", "participation events"),
    "partners": ("past partner remembered to avoid repeats", "past partners remembered to avoid repeats"),
}


async def stored_about(db: Database, guild_id: int, user_id: int) -> dict[str, int]:
    """Counts of what is stored about the member here (settings, blocks, suggestions, groups, events)."""
    return await footprint.counts(db, guild_id, user_id)


def describe_stored(counts: dict[str, int]) -> str:
    """One exact sentence about what is stored, from the counts; the same for members and non-members."""
    parts = ["your settings"] if counts["settings"] else []
    for key, (one, many) in _KINDS.items():
        if counts[key]:
            parts.append(f"{counts[key]} {one if counts[key] == 1 else many}")
    if not parts:
        return "Of your own data, nothing is stored about you in this server."
    return (
        "Stored about you in this server: " + ", ".join(parts) + ". `/exchange mydata` shows it all; "
        "`/exchange forget` erases it."
    )


async def forget_member(db: Database, guild_id: int, user_id: int, now: datetime | None = None) -> None:
    """Erase the member's data, then checkpoint so that it is gone from the WAL as well as the file
    (secure_delete has already overwritten the freed space with zeros)."""
    # Past weeks' published figures are frozen first, so the erasure does not show in them.
    await stats.freeze_past_weeks(db, guild_id, now or datetime.now(UTC))
    await privacy_db.forget(db, guild_id, user_id)
    if not await db.checkpoint():
        log.warning(
            "erasure done, but the write-ahead log could not be emptied yet (another reader is open); "
            "the daily purge empties it"
        )
    log.info("erased a member's data in a server at their request")


async def purge_expired(db: Database, now: datetime) -> tuple[int, int]:
    """Apply each server's retention: events and pairing rounds older than it are deleted."""
    total_events = total_rounds = 0
    started = time.perf_counter()
    for row in await privacy_db.all_guild_retention(db):
        cutoff = now - timedelta(weeks=row["retention_weeks"])
        cutoff_week = schedule.week_key(cutoff, schedule.zone(row["timezone"]))
        removed_events, removed_rounds = await privacy_db.purge_before(
            db, row["guild_id"], cutoff, cutoff_week
        )
        total_events += removed_events
        total_rounds += removed_rounds
    # Daily, whatever was removed: also empties the WAL of an erasure whose own checkpoint was blocked.
    await db.checkpoint()
    if total_events or total_rounds:
        log.info(
            "retention purge removed %d events and %d rounds in %.1f s",
            total_events,
            total_rounds,
            time.perf_counter() - started,
        )
    return total_events, total_rounds


async def remove_departed_members(db: Database, now: datetime) -> int:
    """Apply each server's retention to member rows: people who left pairing (or the server) and have done
    nothing for longer than the retention period are removed, like their events and rounds."""
    removed = 0
    for row in await privacy_db.all_guild_retention(db):
        cutoff = now - timedelta(weeks=row["retention_weeks"])
        cutoff_week = schedule.week_key(cutoff, schedule.zone(row["timezone"]))
        removed += await privacy_db.remove_departed_members(db, row["guild_id"], cutoff, cutoff_week)
    if removed:
        log.info("retention removed %d member rows of people who left", removed)
    return removed


async def set_retention(db: Database, guild_id: int, weeks: int, now: datetime) -> None:
    await guild_db.ensure(db, guild_id, now)
    await guild_db.set_value(db, guild_id, "retention_weeks", weeks)


async def record_prompt_reply(
    db: Database, guild_id: int, user_id: int, thread_id: int, now: datetime
) -> bool:
    """Log that an opted-in member wrote in a weekly prompt's thread (only that; never what)."""
    week = await prompt_db.week_of_thread(db, guild_id, thread_id)
    if week is None:
        return False
    row = await members.get(db, guild_id, user_id)
    if row is None or row["status"] != "active":
        return False
    async with db.transaction() as conn:
        return await events.record_once_a_week(conn, guild_id, user_id, "prompt_reply", week, now)
