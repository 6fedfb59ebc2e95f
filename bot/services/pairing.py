"""Pairing rounds: who is eligible, making a round exactly once a week, resumable delivery, check-ins."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from bot.db import Database, events, members
from bot.db import guilds as guild_db
from bot.db import pairing as pairing_db
from bot.db import prompts as prompt_db
from bot.domain import schedule
from bot.domain.pairing import Candidate, RoundInput, RoundPlan, is_due, pair_key, plan_round
from bot.errors import DeliveryProblem, UserError
from bot.services import circles as circle_service

log = logging.getLogger(__name__)

HISTORY_WEEKS = 52
CHECKIN_AFTER = timedelta(days=3)
NOTICE_BEFORE = timedelta(days=1)
REMINDER_AFTER = timedelta(days=5)  # near the round's week end, for groups that left the check-in unanswered
QUIET_ROUNDS = 3  # rounds in a row without a check-in answer before a member is paused
QUIET_PAUSE = timedelta(weeks=12)
CHECKIN_ANSWERS = ("met", "not_yet", "cant_make_it")


def week_ordinal(key: str) -> int:
    year, week = key.split("-W")
    return date.fromisocalendar(int(year), int(week), 1).toordinal() // 7


@dataclass(frozen=True)
class PairingSettings:
    channel_id: int
    slot: schedule.WeeklySlot
    group_size: int
    odd_policy: str
    mix: str = "any"  # what the engine is asked for: across only when the server has circles
    has_circles: bool = False


async def pairing_settings(db: Database, guild_id: int) -> PairingSettings | None:
    row = await guild_db.get(db, guild_id)
    if row is None or row["pairing_channel_id"] is None:
        return None
    tz = schedule.zone(row["timezone"])
    slot = schedule.WeeklySlot(row["pairing_day"], schedule.parse_time(row["pairing_time"]), tz)
    has_circles = bool(await circle_service.server_circles(db, guild_id))
    mix = circle_service.effective_mix(row["pairing_mix"], has_circles)
    return PairingSettings(
        row["pairing_channel_id"], slot, row["group_size"], row["odd_policy"], mix, has_circles
    )


async def round_input(
    db: Database, guild_id: int, week: str, seed: int, settings: PairingSettings, now: datetime
):
    """Everything the engine needs, read from the database: eligible members, history, blocks."""
    this_week = week_ordinal(week)
    round_day = settings.slot.in_week(week).astimezone(settings.slot.tz).date()
    last_paired = await pairing_db.last_paired_weeks(db, guild_id)
    chosen_circles = await circle_service.circle_map(db, guild_id)
    candidates = []
    for row in await pairing_db.eligible_members(db, guild_id):
        if row["paused_until"] and date.fromisoformat(row["paused_until"]) > round_day:
            continue
        if row["skip_week"] == week:
            continue
        paired = last_paired.get(row["user_id"])
        if not is_due(row["frequency"], week_ordinal(paired) if paired else None, this_week):
            continue
        offset = None
        if row["timezone"]:
            delta = now.astimezone(schedule.zone(row["timezone"])).utcoffset()
            offset = int(delta.total_seconds() // 60) if delta is not None else None
        candidates.append(
            Candidate(
                row["user_id"],
                offset,
                frozenset(i for i in row["interests"].split(",") if i),
                week_ordinal(row["last_sat_out_week"]) if row["last_sat_out_week"] else -1,
                circles=chosen_circles.get(row["user_id"], frozenset()),
            )
        )
    since = schedule.shift_week(week, -HISTORY_WEEKS, settings.slot.tz)
    grouped: dict[int, tuple[str, list[int]]] = {}
    for iso_week, group_id, user_id in await pairing_db.history(db, guild_id, since):
        grouped.setdefault(group_id, (iso_week, []))[1].append(user_id)
    last_met: dict[tuple[int, int], int] = {}
    for iso_week, group in grouped.values():
        ordinal = week_ordinal(iso_week)
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                key = pair_key(a, b)
                if last_met.get(key, -1) < ordinal:
                    last_met[key] = ordinal
    block_pairs = frozenset(pair_key(a, b) for a, b in await pairing_db.blocks(db, guild_id))
    return RoundInput(
        candidates, last_met, block_pairs, seed, settings.group_size, settings.odd_policy, mix=settings.mix
    )


async def plan(db: Database, guild_id: int, now: datetime, seed: int | None = None) -> tuple[str, RoundPlan]:
    """The groups this week's round would make (for a preview): nothing is saved."""
    settings = await pairing_settings(db, guild_id)
    if settings is None:
        raise UserError("Set up pairing first with `/setup pairing`.")
    week = schedule.week_key(now, settings.slot.tz)
    data = await round_input(db, guild_id, week, seed if seed is not None else 0, settings, now)
    return week, await asyncio.to_thread(plan_round, data)


@dataclass(frozen=True)
class RoundOutcome:
    status: str  # created, already, not_configured, not_due, too_few
    iso_week: str | None = None
    round_id: int | None = None
    plan: RoundPlan | None = None
    quiet_paused: tuple[int, ...] = ()  # members paused now for three silent rounds, to be told privately


async def create_round(
    db: Database, guild_id: int, now: datetime, *, force: bool = False, seed: int | None = None
) -> RoundOutcome:
    """Make this week's round once (the unique key on guild and week decides), saving groups before delivery."""
    settings = await pairing_settings(db, guild_id)
    if settings is None:
        return RoundOutcome("not_configured")
    week = schedule.week_key(now, settings.slot.tz)
    if not force and settings.slot.due(now) is None:
        return RoundOutcome("not_due", week)
    existing = await pairing_db.round_for_week(db, guild_id, week)
    if existing is not None:
        return RoundOutcome("already", week, existing["id"])
    chosen_seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    quiet = await pause_quiet_members(db, guild_id, week, settings, now)
    data = await round_input(db, guild_id, week, chosen_seed, settings, now)
    if len(data.members) < 2:
        return RoundOutcome("too_few", week, quiet_paused=quiet)
    # The engine is CPU work: keep it off the event loop.
    result = await asyncio.to_thread(plan_round, data)
    cross = None
    if settings.has_circles:
        cross = circle_service.mixes_circles(result.groups, {m.id: m.circles for m in data.members})
    post = await prompt_db.post_for_week(db, guild_id, week)
    async with db.transaction() as conn:
        round_id = await pairing_db.insert_round(
            conn, guild_id, week, chosen_seed, post["prompt_id"] if post else None, result.groups, now
        )
        if round_id is None:
            return RoundOutcome("already", week)
        await pairing_db.set_cross_circle_groups(conn, round_id, cross)
        for group in result.groups:
            for user_id in group:
                await events.record(
                    conn, guild_id, user_id, "paired", week, now, round_id=round_id, group_size=len(group)
                )
        await pairing_db.mark_sat_out(conn, guild_id, result.sat_out, week)
    log.info(
        "made the round for %s: %d groups, %d sitting out", week, len(result.groups), len(result.sat_out)
    )
    return RoundOutcome("created", week, round_id, result, quiet)


async def pause_quiet_members(
    db: Database, guild_id: int, week: str, settings: PairingSettings, now: datetime
) -> tuple[int, ...]:
    """Pause members whose last three rounds all went without a check-in answer from them.

    The pause lasts 12 weeks (or until `/exchange resume`); rounds before it no longer count."""
    round_day = settings.slot.in_week(week).astimezone(settings.slot.tz).date()
    quiet = await pairing_db.quiet_members(db, guild_id, QUIET_ROUNDS, round_day.isoformat())
    if not quiet:
        return ()
    until = (round_day + QUIET_PAUSE).isoformat()
    async with db.transaction() as conn:
        for user_id in quiet:
            await members.set_quiet_pause(conn, guild_id, user_id, until, now)
            await events.record(conn, guild_id, user_id, "paused", week, now)
    log.info("paused %d members after %d rounds without a check-in answer", len(quiet), QUIET_ROUNDS)
    return tuple(quiet)


@dataclass(frozen=True)
class Person:
    """What a group's introduction may say about one member: their timezone and the themes they chose to
    talk about. Never their circles."""

    user_id: int
    timezone: str | None
    interests: frozenset[str]


@dataclass(frozen=True)
class GroupToOpen:
    guild_id: int
    channel_id: int
    group_id: int
    position: int
    iso_week: str
    member_ids: list[int]
    prompt_text: str | None
    existing_thread_id: int | None = None
    people: tuple[Person, ...] = ()
    theme_name: str | None = None
    made_at: datetime | None = None  # when the round was made: meeting times are suggested after it
    server_timezone: str = "UTC"

    @property
    def thread_name(self) -> str:
        """Named without member names: only the round's date and the group's number."""
        tz = schedule.zone(self.server_timezone)
        day = (self.made_at or schedule.week_start(self.iso_week, tz)).astimezone(tz)
        return f"Bridges · {day:%d %b} · group {self.position}"

    @property
    def legacy_thread_name(self) -> str:
        return f"Bridges · week {self.iso_week.split('-W')[1]} · group {self.position}"


@dataclass(frozen=True)
class Opened:
    thread_id: int
    departed: list[int]


OpenGroup = Callable[[GroupToOpen], Awaitable[Opened]]
FindThread = Callable[[int, str], Awaitable[int | None]]


async def deliver_round(
    db: Database, guild_id: int, round_id: int, open_group: OpenGroup, find_thread: FindThread, now: datetime
) -> str:
    """Open a private thread for each group that has none yet. Resumable: a group whose thread id is stored
    is skipped, and a thread opened just before a crash is found by its name and adopted, not opened twice.

    Returns 'delivered', or 'stopped' when Discord refused (the problem is recorded; the rest waits)."""
    settings = await pairing_settings(db, guild_id)
    round_row = await db.fetchone("SELECT * FROM rounds WHERE id = ? AND guild_id = ?", (round_id, guild_id))
    if settings is None or round_row is None:
        return "stopped"
    prompt_text = theme_name = None
    prompt = await _round_prompt(db, guild_id, round_row)
    if prompt is not None:
        prompt_text = prompt["text"]
        theme_name = await prompt_db.theme_name(db, guild_id, prompt["theme"])
    for group in await pairing_db.groups_of_round(db, round_id):
        if group["thread_id"] is not None:
            continue
        member_ids = await pairing_db.group_member_ids(db, group["id"])
        people = []
        for user_id in member_ids:
            row = await members.get(db, guild_id, user_id)
            people.append(
                Person(
                    user_id,
                    row["timezone"] if row else None,
                    frozenset(i for i in (row["interests"] if row else "").split(",") if i),
                )
            )
        item = GroupToOpen(
            guild_id,
            settings.channel_id,
            group["id"],
            group["position"],
            round_row["iso_week"],
            member_ids,
            prompt_text,
            people=tuple(people),
            theme_name=theme_name,
            made_at=datetime.fromisoformat(round_row["created_at"]),
            server_timezone=settings.slot.tz.key,
        )
        try:
            adopted = await find_thread(settings.channel_id, item.thread_name)
            if adopted is None:  # opened by a version that named threads by week number
                adopted = await find_thread(settings.channel_id, item.legacy_thread_name)
            if adopted is not None:
                item = replace(item, existing_thread_id=adopted)
            opened = await open_group(item)
        except DeliveryProblem as problem:
            if await guild_db.set_problem(db, guild_id, "pairing", str(problem)):
                log.warning("round delivery stopped in a server: %s", problem)
            return "stopped"
        await pairing_db.set_thread(db, group["id"], opened.thread_id)
        if opened.departed:
            async with db.transaction() as conn:
                for user_id in opened.departed:
                    await pairing_db.set_left(conn, group["id"], user_id, now)
    await pairing_db.set_round_status(db, round_id, "delivered")
    await guild_db.set_problem(db, guild_id, "pairing", None)
    return "delivered"


async def _round_prompt(db: Database, guild_id: int, round_row):
    if round_row["prompt_id"]:
        return await prompt_db.get(db, guild_id, round_row["prompt_id"])
    post = await prompt_db.post_for_week(db, guild_id, round_row["iso_week"])
    return await prompt_db.get(db, guild_id, post["prompt_id"]) if post else None


STARTER_EVERY = timedelta(minutes=10)


@dataclass(frozen=True)
class Starter:
    text: str | None  # None: the theme has no other prompt
    wait: timedelta | None = None  # set when asked again too soon


async def another_starter(db: Database, guild_id: int, group_id: int, user_id: int, now: datetime) -> Starter:
    """A different prompt of the round's theme for the group, at most one per group every ten minutes.

    Cycles through the theme's active prompts (the round's own prompt last), so each press shows a new one."""
    group = await own_group(db, guild_id, group_id, user_id)
    round_row = await db.fetchone("SELECT * FROM rounds WHERE id = ?", (group["round_id"],))
    current = await _round_prompt(db, guild_id, round_row)
    choices = await prompt_db.active_in_theme(db, guild_id, current["theme"] if current else None)
    others = [r for r in choices if current is None or r["id"] != current["id"]]
    if not others:
        return Starter(None)
    shown = await pairing_db.next_starter(db, group_id, (now - STARTER_EVERY).isoformat(), now)
    if shown is None:
        last = datetime.fromisoformat(group["starter_at"])
        return Starter(None, max(timedelta(minutes=1), last + STARTER_EVERY - now))
    return Starter(others[shown % len(others)]["text"])


async def record_checkin(
    db: Database, guild_id: int, group_id: int, user_id: int, answer: str, now: datetime
) -> None:
    if answer not in CHECKIN_ANSWERS:
        raise ValueError(answer)
    group = await own_group(db, guild_id, group_id, user_id)
    async with db.transaction() as conn:
        await pairing_db.set_checkin(conn, group_id, user_id, answer)
        await events.record(
            conn, guild_id, user_id, answer, group["iso_week"], now, round_id=group["round_id"]
        )


async def leave_group(db: Database, guild_id: int, group_id: int, user_id: int, now: datetime) -> None:
    group = await own_group(db, guild_id, group_id, user_id)
    async with db.transaction() as conn:
        await pairing_db.set_left(conn, group_id, user_id, now)
        await events.record(
            conn, guild_id, user_id, "left_pairing", group["iso_week"], now, round_id=group["round_id"]
        )


async def record_report(db: Database, guild_id: int, group_id: int, user_id: int, now: datetime):
    """Only the fact of a report is stored, never its words; returns the group row for the notice."""
    group = await own_group(db, guild_id, group_id, user_id)
    async with db.transaction() as conn:
        await events.record(
            conn, guild_id, user_id, "reported", group["iso_week"], now, round_id=group["round_id"]
        )
    return group


async def own_group(db: Database, guild_id: int, group_id: int, user_id: int):
    group = await pairing_db.group_by_id(db, guild_id, group_id)
    if group is None or await pairing_db.membership_in_group(db, group_id, user_id) is None:
        raise UserError("These buttons are for the members of this pairing.")
    return group


async def set_block(
    db: Database, guild_id: int, blocker: int, blocked: int, block: bool, now: datetime
) -> bool:
    if blocker == blocked:
        raise UserError("You cannot block yourself.")
    if block:
        return await pairing_db.add_block(db, guild_id, blocker, blocked, now)
    return await pairing_db.remove_block(db, guild_id, blocker, blocked)


async def next_round_time(db: Database, guild_id: int, now: datetime) -> datetime | None:
    settings = await pairing_settings(db, guild_id)
    if settings is None:
        return None
    week = schedule.week_key(now, settings.slot.tz)
    if settings.slot.due(now) and await pairing_db.round_for_week(db, guild_id, week) is None:
        return now
    return settings.slot.next_after(now)


async def next_round_week(db: Database, guild_id: int, now: datetime) -> str:
    settings = await pairing_settings(db, guild_id)
    tz = settings.slot.tz if settings else schedule.zone(await guild_db.timezone_of(db, guild_id))
    week = schedule.week_key(now, tz)
    if await pairing_db.round_for_week(db, guild_id, week) is None:
        return week
    return schedule.shift_week(week, 1, tz)


@dataclass(frozen=True)
class SideJobs:
    notice_week: str | None = None  # the week whose pre-round notice is due now
    checkins: list = field(default_factory=list)  # groups whose mid-week check-in is due now
    reminders: list = field(default_factory=list)  # groups that left the check-in unanswered, near week's end


async def side_jobs_due(db: Database, guild_id: int, now: datetime) -> SideJobs:
    """The pre-round notice, mid-week check-ins and end-of-week reminders that are due now.

    Each is claimed in weekly_jobs, so it happens once however often this is asked."""
    settings = await pairing_settings(db, guild_id)
    if settings is None:
        return SideJobs()
    notice_week = None
    upcoming = settings.slot.next_after(now)
    upcoming_week = schedule.week_key(upcoming, settings.slot.tz)
    if (
        upcoming - NOTICE_BEFORE <= now
        and await pairing_db.round_for_week(db, guild_id, upcoming_week) is None
        and await pairing_db.claim_job(db, guild_id, upcoming_week, "notice", now)
    ):
        notice_week = upcoming_week
    groups: list = []
    reminders: list = []
    latest = await pairing_db.latest_round(db, guild_id)
    if latest is not None and latest["status"] == "delivered":
        # Mid-week counts from when the round was made (its slot, or earlier with /pairing run-now).
        made = datetime.fromisoformat(latest["created_at"])
        if made + CHECKIN_AFTER <= now < made + timedelta(days=7) and await pairing_db.claim_job(
            db, guild_id, latest["iso_week"], "checkin", now
        ):
            groups = [g for g in await pairing_db.groups_of_round(db, latest["id"]) if g["thread_id"]]
        # A gentle reminder, once, to groups where nobody answered; not in the same pass as the check-in.
        elif made + REMINDER_AFTER <= now < made + timedelta(days=7) and await pairing_db.claim_job(
            db, guild_id, latest["iso_week"], "reminder", now
        ):
            reminders = await pairing_db.silent_groups(db, latest["id"])
    return SideJobs(notice_week, groups, reminders)


async def group_members(db: Database, group_id: int) -> list[int]:
    """The members still in a group (for phrasing a starter for its size)."""
    return await pairing_db.group_member_ids(db, group_id)


async def round_time(db: Database, guild_id: int, week: str) -> datetime | None:
    """When the round of `week` runs (or ran), for members to read as a date rather than a week key."""
    existing = await pairing_db.round_for_week(db, guild_id, week)
    if existing is not None:
        return datetime.fromisoformat(existing["created_at"])
    settings = await pairing_settings(db, guild_id)
    return settings.slot.in_week(week) if settings else None


async def member_rounds(db: Database, guild_id: int, user_id: int) -> list:
    """The member's own groups, newest first (for their status and history only)."""
    return await pairing_db.member_rounds(db, guild_id, user_id)
