"""Joining, leaving and reading one's own pairing membership."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.db import Database, events, members
from bot.db import circles as circle_db
from bot.db import guilds as guild_db
from bot.domain import schedule
from bot.domain.text import echo
from bot.domain.themes import parse_interests
from bot.errors import UserError
from bot.services import circles as circle_service
from bot.services import stats

FREQUENCIES = ("weekly", "biweekly", "monthly")


@dataclass(frozen=True)
class MemberView:
    """What a member sees of their own membership."""

    joined: bool
    active: bool
    timezone: str | None
    interests: tuple[str, ...]
    frequency: str
    paused_until: date | None
    skip_week: str | None
    circles: tuple[str, ...] = ()
    quiet_paused: bool = False


async def join(
    db: Database,
    guild_id: int,
    user_id: int,
    *,
    timezone: str | None,
    interests: str | None,
    frequency: str | None,
    now: datetime,
    circles: str | None = None,
) -> tuple[MemberView, bool]:
    """Opt in, or update preferences; returns the member's view and whether this was a new opt-in.

    `circles` (names, or `none`) replaces the member's circles; None leaves them as they were."""
    if timezone:
        timezone = schedule.canonical_timezone(timezone)
    chosen = parse_interests(interests)
    freq = frequency.lower() if frequency else None  # None keeps the stored frequency
    if freq is not None and freq not in FREQUENCIES:
        raise UserError(f"`{echo(frequency)}` is not a frequency: use weekly, biweekly or monthly.")
    await guild_db.ensure(db, guild_id, now)
    circle_ids = None
    if circles is not None:
        available = await circle_service.server_circles(db, guild_id)
        circle_ids = circle_service.parse_member_choice(circles, available)
    tz = schedule.zone(await guild_db.timezone_of(db, guild_id))
    before = await members.get(db, guild_id, user_id)
    newly = before is None or before["status"] != "active"
    if before is not None and newly:
        # A rejoin would change past weeks' opted-in figures: freeze those first.
        await stats.freeze_past_weeks(db, guild_id, now)
    async with db.transaction() as conn:
        await members.upsert_active(
            conn, guild_id, user_id, timezone=timezone, interests=",".join(chosen), frequency=freq, now=now
        )
        if circle_ids is not None:
            await circle_db.set_for_member(conn, guild_id, user_id, circle_ids)
        if newly:
            await events.record(conn, guild_id, user_id, "joined", schedule.week_key(now, tz), now)
    view = await status(db, guild_id, user_id)
    return view, newly


async def leave(db: Database, guild_id: int, user_id: int, *, now: datetime) -> bool:
    """Stop pairing; preferences and history stay until the member erases them. False if not joined."""
    tz = schedule.zone(await guild_db.timezone_of(db, guild_id))
    async with db.transaction() as conn:
        left = await members.set_left(conn, guild_id, user_id, now)
        if left:
            await events.record(conn, guild_id, user_id, "left", schedule.week_key(now, tz), now)
    return left


async def status(db: Database, guild_id: int, user_id: int) -> MemberView:
    row = await members.get(db, guild_id, user_id)
    if row is None:
        return MemberView(False, False, None, (), "weekly", None, None)
    return MemberView(
        joined=True,
        active=row["status"] == "active",
        timezone=row["timezone"],
        interests=tuple(i for i in row["interests"].split(",") if i),
        frequency=row["frequency"],
        paused_until=date.fromisoformat(row["paused_until"]) if row["paused_until"] else None,
        skip_week=row["skip_week"],
        circles=tuple(await circle_service.member_circle_names(db, guild_id, user_id)),
        quiet_paused=bool(row["quiet_paused_at"]) and bool(row["paused_until"]),
    )


async def _require_active(db: Database, guild_id: int, user_id: int) -> None:
    row = await members.get(db, guild_id, user_id)
    if row is None or row["status"] != "active":
        raise UserError("You are not in pairing. Use `/exchange join` first.")


async def pause(db: Database, guild_id: int, user_id: int, weeks: int, *, now: datetime) -> date:
    """Pause for `weeks` weeks; the pause ends by itself on the returned day."""
    if not 1 <= weeks <= 12:
        raise UserError("Pause for 1 to 12 weeks.")
    await _require_active(db, guild_id, user_id)
    tz = schedule.zone(await guild_db.timezone_of(db, guild_id))
    until = now.astimezone(tz).date() + timedelta(weeks=weeks)
    await members.set_pause(db, guild_id, user_id, until.isoformat(), now)
    async with db.transaction() as conn:
        await events.record(conn, guild_id, user_id, "paused", schedule.week_key(now, tz), now)
    return until


async def resume(db: Database, guild_id: int, user_id: int, *, now: datetime) -> bool:
    """End a pause (and a skip) early; False when there was nothing to end."""
    await _require_active(db, guild_id, user_id)
    row = await members.get(db, guild_id, user_id)
    assert row is not None
    had = bool(row["paused_until"] or row["skip_week"])
    await members.set_pause(db, guild_id, user_id, None, now)
    await members.set_skip(db, guild_id, user_id, None, now)
    return had


async def skip(db: Database, guild_id: int, user_id: int, week: str, *, now: datetime) -> None:
    await _require_active(db, guild_id, user_id)
    await members.set_skip(db, guild_id, user_id, week, now)


async def mark_present(db: Database, guild_id: int, user_id: int) -> bool:
    """The member just used the bot in this server, so they are in it: a departure set aside earlier ends.
    Reads first, so the common case (nothing to undo) takes no write lock. True when something changed."""
    row = await members.get(db, guild_id, user_id)
    if row is None or row["departed_at"] is None:
        return False
    async with db.transaction() as conn:
        await members.clear_departed(conn, guild_id, [user_id])
    return True
