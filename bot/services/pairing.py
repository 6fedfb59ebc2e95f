"""Pairing rounds: who is eligible, making a round exactly once a week, resumable delivery, check-ins."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import repeat

from bot.db import Database, events
from bot.db import guilds as guild_db
from bot.db import pairing as pairing_db
from bot.db import prompts as prompt_db
from bot.domain import schedule
from bot.domain.pairing import Candidate, RoundInput, RoundPlan, is_due, pair_key, plan_round
from bot.errors import DeliveryProblem, UserError

log = logging.getLogger(__name__)

HISTORY_WEEKS = 52
CHECKIN_AFTER = timedelta(days=3)
NOTICE_BEFORE = timedelta(days=1)
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


async def pairing_settings(db: Database, guild_id: int) -> PairingSettings | None:
    row = await guild_db.get(db, guild_id)
    if row is None or row["pairing_channel_id"] is None:
        return None
    tz = schedule.zone(row["timezone"])
    slot = schedule.WeeklySlot(row["pairing_day"], schedule.parse_time(row["pairing_time"]), tz)
    return PairingSettings(row["pairing_channel_id"], slot, row["group_size"], row["odd_policy"])


class WeekOrdinals(dict[str, int]):
    """ISO week key -> week ordinal, computed once per distinct key."""

    def __missing__(self, key: str) -> int:
        value = self[key] = week_ordinal(key)
        return value


async def round_input(
    db: Database, guild_id: int, week: str, seed: int, settings: PairingSettings, now: datetime
) -> RoundInput:
    """Everything the engine needs, read from one snapshot: eligible members, pair history, blocks.

    The history comes from `pair_history`, one row per pair that met in the last `HISTORY_WEEKS` weeks
    (pairs with members who are not in this round are kept: the engine never asks about them)."""
    this_week = week_ordinal(week)
    round_day = settings.slot.in_week(week).astimezone(settings.slot.tz).date()
    ordinal = WeekOrdinals().__getitem__
    offsets: dict[str, int | None] = {}
    interest_sets: dict[str, frozenset[str]] = {}

    def offset_of(name: str) -> int | None:
        if name not in offsets:
            delta = now.astimezone(schedule.zone(name)).utcoffset()
            offsets[name] = int(delta.total_seconds() // 60) if delta is not None else None
        return offsets[name]

    candidates = []
    async with db.snapshot() as conn:
        for row in await pairing_db.eligible_members(conn, guild_id):
            user_id, timezone, interests, frequency, paused_until, skip_week, sat_out, paired = row
            if paused_until and date.fromisoformat(paused_until) > round_day:
                continue
            if skip_week == week:
                continue
            if not is_due(frequency, ordinal(paired) if paired else None, this_week):
                continue
            interest_set = interest_sets.get(interests)
            if interest_set is None:
                interest_set = interest_sets[interests] = frozenset(i for i in interests.split(",") if i)
            candidates.append(
                Candidate(
                    user_id,
                    offset_of(timezone) if timezone else None,
                    interest_set,
                    ordinal(sat_out) if sat_out else -1,
                )
            )
        # One row per pair that met in the last year, week by week; each row is already the pair's key, so
        # pages go into the engine's dict without Python code per row.
        weeks = [schedule.shift_week(week, -back, settings.slot.tz) for back in range(HISTORY_WEEKS + 1)]
        last_met: dict[tuple[int, int], int] = {}
        async for met, page in pairing_db.pair_history_pages(conn, guild_id, weeks):
            last_met.update(zip(page, repeat(ordinal(met))))
        block_pairs = frozenset(pair_key(a, b) for a, b in await pairing_db.blocks(conn, guild_id))
    return RoundInput(candidates, last_met, block_pairs, seed, settings.group_size, settings.odd_policy)


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
    if existing is not None and not existing["saved"]:
        # Saving it was interrupted (the bot stopped mid-way): nothing was delivered, make it again.
        await pairing_db.discard_unsaved_round(db, guild_id, existing["id"], week)
    elif existing is not None:
        return RoundOutcome("already", week, existing["id"])
    chosen_seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    data = await round_input(db, guild_id, week, chosen_seed, settings, now)
    if len(data.members) < 2:
        return RoundOutcome("too_few", week)
    # The engine is CPU work: keep it off the event loop.
    result = await asyncio.to_thread(plan_round, data)
    post = await prompt_db.post_for_week(db, guild_id, week)
    round_id = await save_round(
        db, guild_id, week, chosen_seed, post["prompt_id"] if post else None, result, now
    )
    if round_id is None:
        return RoundOutcome("already", week)
    log.info(
        "made the round for %s: %d groups, %d sitting out", week, len(result.groups), len(result.sat_out)
    )
    return RoundOutcome("created", week, round_id, result)


async def save_round(
    db: Database, guild_id: int, week: str, seed: int, prompt_id: int | None, result: RoundPlan, now: datetime
) -> int | None:
    """Save the round in short transactions of at most `SAVE_ROWS` rows, so other commands get the write lock
    in between: the groups, then each table's rows in that table's index order (each index page is then
    written about once). It becomes deliverable (saved) in the last one. None when the week has a round."""
    groups = result.groups
    async with db.transaction() as conn:
        round_id = await pairing_db.claim_round(
            conn, guild_id, week, seed, prompt_id, groups, now, saved=False
        )
        if round_id is None:
            return None
    group_ids: dict[int, int] = {}
    for start in range(0, len(groups), SAVE_ROWS):
        async with db.transaction() as conn:
            count = min(SAVE_ROWS, len(groups) - start)
            group_ids.update(await pairing_db.insert_group_rows(conn, guild_id, round_id, start + 1, count))
        await asyncio.sleep(0)
    rows = pairing_db.round_rows(guild_id, week, group_ids, 1, groups)
    stamp = now.isoformat()
    size_of = {u: len(g) for g in groups for u in g}
    paired = [(guild_id, u, "paired", week, round_id, size_of[u], stamp) for u in sorted(size_of)]
    for table, kind in ((rows.members, "members"), (rows.pairs, "pairs"), (rows.last_paired, "last_paired")):
        for start in range(0, len(table), SAVE_ROWS):
            async with db.transaction() as conn:
                await pairing_db.write_round_rows(conn, **{kind: table[start : start + SAVE_ROWS]})
            await asyncio.sleep(0)
    for start in range(0, len(paired), SAVE_ROWS):
        async with db.transaction() as conn:
            await events.record_rows(conn, paired[start : start + SAVE_ROWS])
        await asyncio.sleep(0)
    async with db.transaction() as conn:
        await pairing_db.mark_sat_out(conn, guild_id, result.sat_out, week)
        await pairing_db.finish_round(conn, round_id)
    return round_id


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

    @property
    def thread_name(self) -> str:
        """Named without member names: only the week and the group's number."""
        return f"Bridges · week {self.iso_week.split('-W')[1]} · group {self.position}"


@dataclass(frozen=True)
class Opened:
    thread_id: int
    departed: list[int]


OpenGroup = Callable[[GroupToOpen], Awaitable[Opened]]
FindThreads = Callable[[int], Awaitable[dict[str, int]]]

# Groups in flight at once: enough to keep the thread-creation bucket busy across a network round trip;
# the HTTP client keeps the total under Discord's global limit and each bucket under its own.
DELIVERY_CONCURRENCY = 8
SAVE_EVERY = 25  # opened threads recorded per write transaction
SAVE_ROWS = 5000  # rows per write transaction when a round is saved


async def deliver_round(
    db: Database,
    guild_id: int,
    round_id: int,
    open_group: OpenGroup,
    find_threads: FindThreads | None,
    now: datetime,
    *,
    concurrency: int = DELIVERY_CONCURRENCY,
) -> str:
    """Open a private thread for each group that has none yet, a bounded number of groups at a time.

    Resumable: a group whose thread id is stored is skipped. When resuming (`find_threads` given), the
    threads already in the channel are listed once, and one opened just before a crash (found by its name)
    is adopted, not opened twice. Thread ids are saved in batches; a crash loses at most a batch of ids,
    and those threads are adopted on resume.

    Returns 'delivered', or 'stopped' when Discord refused (the problem is recorded; the rest waits)."""
    settings = await pairing_settings(db, guild_id)
    round_row = await db.fetchone("SELECT * FROM rounds WHERE id = ? AND guild_id = ?", (round_id, guild_id))
    if settings is None or round_row is None:
        return "stopped"
    prompt_text = None
    if round_row["prompt_id"]:
        prompt = await prompt_db.get(db, guild_id, round_row["prompt_id"])
        prompt_text = prompt["text"] if prompt else None
    else:
        post = await prompt_db.post_for_week(db, guild_id, round_row["iso_week"])
        prompt_text = post["text"] if post else None
    todo = await pairing_db.groups_to_open(db, round_id)
    existing: dict[str, int] = {}
    if todo and find_threads is not None:
        existing = await find_threads(settings.channel_id)
    items = iter(
        [
            GroupToOpen(
                guild_id, settings.channel_id, group_id, position, round_row["iso_week"], members, prompt_text
            )
            for group_id, position, members in todo
        ]
    )
    opened_batch: list[tuple[int, int, list[int]]] = []
    problems: list[DeliveryProblem] = []

    async def save() -> None:
        batch = opened_batch[:]
        opened_batch.clear()
        if batch:
            await pairing_db.save_threads(db, batch, now)

    async def deliver_some() -> None:
        for item in items:  # the workers share one iterator: each group is taken once
            if problems:
                return
            adopted = existing.get(item.thread_name)
            if adopted is not None:
                item = replace(item, existing_thread_id=adopted)
            try:
                opened = await open_group(item)
            except DeliveryProblem as problem:
                problems.append(problem)
                return
            opened_batch.append((item.group_id, opened.thread_id, opened.departed))
            if len(opened_batch) >= SAVE_EVERY:
                await save()

    try:
        async with asyncio.TaskGroup() as workers:
            for _ in range(max(1, min(concurrency, len(todo)))):
                workers.create_task(deliver_some())
    finally:
        await save()
    if problems:
        if await guild_db.set_problem(db, guild_id, "pairing", str(problems[0])):
            log.warning("round delivery stopped in a server: %s", problems[0])
        return "stopped"
    await pairing_db.set_round_status(db, round_id, "delivered")
    await guild_db.set_problem(db, guild_id, "pairing", None)
    return "delivered"


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


async def side_jobs_due(db: Database, guild_id: int, now: datetime) -> tuple[str | None, list]:
    """(week whose pre-round notice is due now or None, groups whose mid-week check-in is due now).

    Each is claimed in weekly_jobs, so it happens once however often this is asked."""
    settings = await pairing_settings(db, guild_id)
    if settings is None:
        return None, []
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
    latest = await pairing_db.latest_round(db, guild_id)
    if latest is not None and latest["status"] == "delivered":
        # Mid-week counts from when the round was made (its slot, or earlier with /pairing run-now).
        made = datetime.fromisoformat(latest["created_at"])
        if made + CHECKIN_AFTER <= now < made + timedelta(days=7) and await pairing_db.claim_job(
            db, guild_id, latest["iso_week"], "checkin", now
        ):
            groups = [g for g in await pairing_db.groups_of_round(db, latest["id"]) if g["thread_id"]]
    return notice_week, groups
