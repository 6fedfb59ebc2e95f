"""Running a program: schedule settings that change only what they are given, and program-wide breaks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.db import Database
from bot.db import guilds as guild_db
from bot.domain import schedule
from bot.errors import UserError

BREAK_KINDS = ("prompts", "pairing")
BREAK_COLUMN = {"prompts": "prompts_paused_until", "pairing": "pairing_paused_until"}


def kinds_of(what: str) -> tuple[str, ...]:
    if what == "all":
        return BREAK_KINDS
    if what not in BREAK_KINDS:
        raise UserError("Choose `prompts`, `pairing` or `all`.")
    return (what,)


async def update_schedule(
    db: Database,
    guild_id: int,
    now: datetime,
    kind: str,
    changes: dict[str, object],
) -> None:
    """Store a prompt or pairing schedule change. Options left out keep their stored values; the first
    time, a channel, a day and a time are all needed, since there is nothing to keep."""
    await guild_db.ensure(db, guild_id, now)
    row = await guild_db.get(db, guild_id)
    assert row is not None
    prefix = "prompt" if kind == "prompt" else "pairing"
    merged = {key: changes.get(key, row[key]) for key in (f"{prefix}_channel_id", f"{prefix}_day", f"{prefix}_time")}
    missing = [key.split("_", 1)[1].replace("_id", "") for key, value in merged.items() if value is None]
    if missing:
        command = "/setup prompts" if kind == "prompt" else "/setup pairing"
        raise UserError(
            f"This server has no {kind} schedule yet: the first `{command}` needs "
            f"{', '.join(f'`{name}`' for name in missing)}. After that, give only what you want to change."
        )
    await guild_db.update(db, guild_id, changes)


async def set_timezone(db: Database, guild_id: int, now: datetime, name: str) -> str:
    canonical = schedule.canonical_timezone(name)
    await guild_db.ensure(db, guild_id, now)
    await guild_db.update(db, guild_id, {"timezone": canonical})
    return canonical


@dataclass(frozen=True)
class Break:
    kind: str  # 'prompts' or 'pairing'
    until: datetime


def active_breaks(row, now: datetime) -> list[Break]:
    """The breaks in force at `now` for a guild_settings row (an ended break is simply past)."""
    if row is None:
        return []
    found = []
    for kind in BREAK_KINDS:
        raw = row[BREAK_COLUMN[kind]]
        if raw:
            until = datetime.fromisoformat(raw)
            if until > now:
                found.append(Break(kind, until))
    return found


def on_break(row, kind: str, now: datetime) -> Break | None:
    return next((b for b in active_breaks(row, now) if b.kind == kind), None)


async def start_break(db: Database, guild_id: int, now: datetime, what: str, weeks: int) -> datetime:
    if not 1 <= weeks <= 12:
        raise UserError("A break lasts 1 to 12 weeks.")
    until = now + timedelta(weeks=weeks)
    await guild_db.ensure(db, guild_id, now)
    await guild_db.update(db, guild_id, {BREAK_COLUMN[kind]: until.isoformat() for kind in kinds_of(what)})
    return until


async def end_break(db: Database, guild_id: int, now: datetime, what: str) -> list[str]:
    """End the named breaks now; returns the kinds that were on a break."""
    await guild_db.ensure(db, guild_id, now)
    row = await guild_db.get(db, guild_id)
    ended = [b.kind for b in active_breaks(row, now) if b.kind in kinds_of(what)]
    await guild_db.update(db, guild_id, {BREAK_COLUMN[kind]: None for kind in kinds_of(what)})
    return ended


async def break_of(db: Database, guild_id: int, kind: str, now: datetime) -> Break | None:
    return on_break(await guild_db.get(db, guild_id), kind, now)


async def record_welcome(db: Database, guild_id: int, channel_id: int, message_id: int, now: datetime) -> None:
    await guild_db.ensure(db, guild_id, now)
    await guild_db.update(db, guild_id, {"welcome_channel_id": channel_id, "welcome_message_id": message_id})


async def claim_greeting(db: Database, guild_id: int, now: datetime) -> bool:
    """True the first time only: the setup checklist is sent once per server, even if the bot rejoins."""
    await guild_db.ensure(db, guild_id, now)
    row = await guild_db.get(db, guild_id)
    if row is None or row["greeted_at"]:
        return False
    await guild_db.update(db, guild_id, {"greeted_at": now.isoformat()})
    return True


async def member_next_round(db: Database, guild_id: int, paused_until, skip_week: str | None, now: datetime):
    """(when this member is next paired, why later than the next round: 'break', 'paused', 'skip' or None).

    Walks forward over the server's break, the member's own pause and their skipped week, so a paused or
    skipping member is told the round they will really be in. (None, None) when pairing is not set up."""
    from bot.services import pairing

    settings = await pairing.pairing_settings(db, guild_id)
    moment = await pairing.next_round_time(db, guild_id, now)
    if settings is None or moment is None:
        return None, None
    slot, tz = settings.slot, settings.slot.tz
    reason = None
    paused = await break_of(db, guild_id, "pairing", now)
    if paused is not None and moment < paused.until:
        reason = "break"
        moment = paused.until if slot.due(paused.until) else slot.next_after(paused.until)
    for _ in range(60):  # a pause lasts at most 12 weeks
        week = schedule.week_key(moment, tz)
        round_day = slot.in_week(week).astimezone(tz).date()
        if paused_until is not None and paused_until > round_day:
            reason = reason or "paused"
        elif skip_week == week:
            reason = reason or "skip"
        else:
            break
        moment = slot.next_after(max(moment, slot.in_week(week)))
    return moment, reason
