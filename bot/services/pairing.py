"""Pairing rounds: who is eligible, making a round exactly once a week, resumable delivery, check-ins."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import repeat
from zoneinfo import ZoneInfo

from bot.db import Database, events, members, round_repair
from bot.db import guilds as guild_db
from bot.db import members as member_db
from bot.db import pairing as pairing_db
from bot.db import prompts as prompt_db
from bot.domain import schedule
from bot.domain.pairing import Candidate, RoundInput, RoundPlan, is_due, pair_key, plan_round
from bot.errors import DeliveryProblem, UserError
from bot.services import circles as circle_service
from bot.services import revalidation

log = logging.getLogger(__name__)

HISTORY_WEEKS = 52
CHECKIN_AFTER = timedelta(days=3)
NOTICE_BEFORE = timedelta(days=1)
REMINDER_AFTER = timedelta(days=5)  # near the round's week end, for groups that left the check-in unanswered
REMINDER_GAP = timedelta(days=1)  # a reminder never comes sooner than this after the check-in was sent
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


# Which of these members are still in the server: their ids, or None when it could not be found out.
PresenceCheck = Callable[[list[int]], Awaitable[set[int] | None]]


async def check_presence(
    db: Database, guild_id: int, presence: PresenceCheck | None, now: datetime, *, save: bool
) -> set[int] | None:
    """Ask Discord which opted-in members are still in the server, before a round is planned.

    With `save`, members not found are set aside (not erased) and members found again are brought back.
    When the check fails, nobody's standing changes: a member is never recorded as gone on a guess.
    Returns the ids found present, or None (then the stored departures apply)."""
    if presence is None:
        return None
    asked = await member_db.presence_to_check(db, guild_id)
    if not asked:
        return set()
    present = await presence(asked)
    if present is None:
        return None
    if save:
        gone = [u for u in asked if u not in present]
        back = [u for u in asked if u in present]
        async with db.transaction() as conn:
            await member_db.set_departed(conn, guild_id, gone, now)
            await member_db.clear_departed(conn, guild_id, back)
        if gone:
            log.info("set aside %d members no longer in a server", len(gone))
    return present


class WeekOrdinals(dict[str, int]):
    """ISO week key -> week ordinal, computed once per distinct key."""

    def __missing__(self, key: str) -> int:
        value = self[key] = week_ordinal(key)
        return value


async def round_input(
    db: Database,
    guild_id: int,
    week: str,
    seed: int,
    settings: PairingSettings,
    now: datetime,
    present: set[int] | None = None,
) -> RoundInput:
    """Everything the engine needs, read from one snapshot: eligible members, pair history, blocks.

    The history comes from `pair_history`, one row per pair that met in the last `HISTORY_WEEKS` weeks
    (pairs with members who are not in this round are kept: the engine never asks about them). A member
    found gone from the server (by the check just made, else by the last one stored) is left out."""
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

    chosen_circles = await circle_service.circle_map(db, guild_id)
    candidates = []
    async with db.snapshot() as conn:
        for row in await pairing_db.eligible_members(conn, guild_id):
            user_id, timezone, interests, frequency, paused_until, skip_week, sat_out, paired, departed = row
            if paused_until and date.fromisoformat(paused_until) > round_day:
                continue
            if skip_week == week:
                continue
            if (user_id not in present) if present is not None else departed is not None:
                continue
            # A round a member sat out counts as one they took part in, so whether a block made them sit
            # out never changes when they are due next (which a moderator could otherwise read from a preview).
            taken_part = [w for w in (paired, sat_out) if w and w < week]
            last = max(taken_part) if taken_part else None
            if not is_due(frequency, ordinal(last) if last else None, this_week):
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
                    circles=chosen_circles.get(user_id, frozenset()),
                )
            )
        # One row per pair that met in the last year, week by week; each row is already the pair's key, so
        # pages go into the engine's dict without Python code per row.
        weeks = [schedule.shift_week(week, -back, settings.slot.tz) for back in range(HISTORY_WEEKS + 1)]
        last_met: dict[tuple[int, int], int] = {}
        async for met, page in pairing_db.pair_history_pages(conn, guild_id, weeks):
            last_met.update(zip(page, repeat(ordinal(met))))
        block_pairs = frozenset(pair_key(a, b) for a, b in await pairing_db.blocks(conn, guild_id))
    return RoundInput(
        candidates, last_met, block_pairs, seed, settings.group_size, settings.odd_policy, mix=settings.mix
    )


async def plan(
    db: Database, guild_id: int, now: datetime, seed: int | None = None, presence: PresenceCheck | None = None
) -> tuple[str, RoundPlan]:
    """The groups this week's round would make (for a preview): nothing is saved."""
    settings = await pairing_settings(db, guild_id)
    if settings is None:
        raise UserError("Set up pairing first with `/setup pairing`.")
    week = schedule.week_key(now, settings.slot.tz)
    if await pairing_db.round_for_week(db, guild_id, week) is not None:
        week = schedule.shift_week(week, 1, settings.slot.tz)  # this week's ran: preview the next one
    present = await check_presence(db, guild_id, presence, now, save=False)
    data = await round_input(db, guild_id, week, seed if seed is not None else 0, settings, now, present)
    return week, await asyncio.to_thread(plan_round, data)


@dataclass(frozen=True)
class RoundOutcome:
    status: str  # created, already, not_configured, not_due, too_few
    iso_week: str | None = None
    round_id: int | None = None
    plan: RoundPlan | None = None
    quiet_paused: tuple[int, ...] = ()  # members paused now for three silent rounds, to be told privately


async def create_round(
    db: Database,
    guild_id: int,
    now: datetime,
    *,
    force: bool = False,
    seed: int | None = None,
    presence: PresenceCheck | None = None,
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
    quiet = await pause_quiet_members(db, guild_id, week, settings, now)
    present = await check_presence(db, guild_id, presence, now, save=True)
    data = await round_input(db, guild_id, week, chosen_seed, settings, now, present)
    if len(data.members) < 2:
        return RoundOutcome("too_few", week, quiet_paused=quiet)
    # The engine is CPU work: keep it off the event loop.
    result = await asyncio.to_thread(plan_round, data)
    cross = None
    if settings.has_circles:
        cross = circle_service.mixes_circles(result.groups, {m.id: m.circles for m in data.members})
    post = await prompt_db.post_for_week(db, guild_id, week)
    round_id = await save_round(
        db, guild_id, week, chosen_seed, post["prompt_id"] if post else None, result, now, len(data.members)
    )
    if round_id is None:
        return RoundOutcome("already", week)
    async with db.transaction() as conn:
        await pairing_db.set_cross_circle_groups(conn, round_id, cross)
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
        await members.set_quiet_pauses(conn, guild_id, quiet, until, now)
        await events.record_many(conn, guild_id, quiet, "paused", week, now)
    log.info("paused %d members after %d rounds without a check-in answer", len(quiet), QUIET_ROUNDS)
    return tuple(quiet)


@dataclass(frozen=True)
class Person:
    """What a group's introduction may say about one member: their timezone and the themes they chose to
    talk about. Never their circles."""

    user_id: int
    timezone: str | None
    interests: frozenset[str]


async def save_round(
    db: Database,
    guild_id: int,
    week: str,
    seed: int,
    prompt_id: int | None,
    result: RoundPlan,
    now: datetime,
    entered: int | None = None,
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
        # The round's member count is everyone entered (grouped or sitting out), so /stats never shows
        # how many a block left out.
        entered_count = entered if entered is not None else sum(map(len, groups)) + len(result.sat_out)
        await round_repair.set_entered(conn, round_id, entered_count)
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
    opener: str | None = None  # a light question first, when the week's prompt is not light
    prompt_note: str | None = None
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


OpenGroup = Callable[[GroupToOpen], Awaitable[Opened]]
FindThreads = Callable[[int], Awaitable[dict[str, int]]]

# Groups in flight at once: enough to keep the thread-creation bucket busy across a network round trip;
# the HTTP client keeps the total under Discord's global limit and each bucket under its own.
DELIVERY_CONCURRENCY = 8
SAVE_EVERY = 25  # opened threads recorded per write transaction
SAVE_ROWS = 5000  # rows per write transaction when a round is saved


@dataclass(frozen=True)
class PairStarter:
    text: str | None
    opener: str | None
    note: str | None


async def pair_starter(db: Database, guild_id: int, prompt_id: int | None, iso_week: str) -> PairStarter:
    """What a pair thread opens with: the week's prompt in its one-to-one wording, after a light
    question when the prompt itself is medium or deep (a pair thread starts light)."""
    prompt = await prompt_db.get(db, guild_id, prompt_id) if prompt_id else None
    if prompt is None:
        prompt = await prompt_db.post_for_week(db, guild_id, iso_week)
    if prompt is None:  # no weekly prompt this week: a light question from the library, if it has one
        light = await prompt_db.light_opener(db, guild_id, "")
        return PairStarter(None, (light["pair_text"] or light["text"]) if light else None, None)
    text = prompt["pair_text"] or prompt["text"]
    opener = None
    if prompt["depth"] != "light":
        light = await prompt_db.light_opener(db, guild_id, prompt["theme"])
        if light is not None:
            opener = light["pair_text"] or light["text"]
    return PairStarter(text, opener, prompt["content_note"])


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
    starter = await pair_starter(db, guild_id, round_row["prompt_id"], round_row["iso_week"])
    # Whatever changed since the round was saved (blocks, leaves, pauses, exclusions, erasure) is honoured.
    recheck = (guild_id, round_id, round_row["iso_week"], settings.slot)
    await revalidation.recheck_round(db, *recheck, settings.group_size, settings.odd_policy)
    # A group emptied when the round was checked again has nobody to introduce.
    todo = [(g, pos, group) for g, pos, group in await pairing_db.groups_to_open(db, round_id) if group]
    theme_name = None
    prompt = await _round_prompt(db, guild_id, round_row)
    if prompt is not None:
        theme_name = await prompt_db.theme_name(db, guild_id, prompt["theme"])
    # What each introduction may say about its members: timezone and chosen themes (never circles).
    people = await _people(db, guild_id, [u for _, _, group in todo for u in group])
    made_at = datetime.fromisoformat(round_row["created_at"])
    existing: dict[str, int] = {}
    if todo and find_threads is not None:
        existing = await find_threads(settings.channel_id)
    items = iter(
        [
            GroupToOpen(
                guild_id,
                settings.channel_id,
                group_id,
                position,
                round_row["iso_week"],
                group,
                starter.text,
                opener=starter.opener,
                prompt_note=starter.note,
                people=tuple(people[u] for u in group),
                theme_name=theme_name,
                made_at=made_at,
                server_timezone=settings.slot.tz.key,
            )
            for group_id, position, group in todo
        ]
    )
    opened_batch: list[tuple[int, int, list[int]]] = []
    problems: list[DeliveryProblem] = []
    stale: list[GroupToOpen] = []

    async def save() -> None:
        batch = opened_batch[:]
        opened_batch.clear()
        if batch:
            await pairing_db.save_threads(db, batch, now)

    async def deliver_some() -> None:
        for item in items:  # the workers share one iterator: each group is taken once
            if problems or stale:
                return
            if not await revalidation.group_still_valid(db, guild_id, item.member_ids, *recheck[2:]):
                stale.append(item)  # something changed while delivering: re-check before going on
                return
            # A thread opened by a version that named threads by week number is adopted too.
            adopted = existing.get(item.thread_name) or existing.get(item.legacy_thread_name)
            if adopted is not None:
                item = replace(item, existing_thread_id=adopted)
            try:
                opened = await open_group(item)
            except DeliveryProblem as problem:
                problems.append(problem)
                return
            opened_batch.append((item.group_id, opened.thread_id, []))
            if len(opened_batch) >= SAVE_EVERY:
                await save()

    while True:
        stale.clear()
        try:
            async with asyncio.TaskGroup() as workers:
                for _ in range(max(1, min(concurrency, len(todo)))):
                    workers.create_task(deliver_some())
        except BaseExceptionGroup as failure:
            # One worker's error as a sequential delivery would raise it (a Discord 5xx, say), so callers
            # and the scheduler's outage handling see the error itself, not a group of them.
            raise failure.exceptions[0] from None
        finally:
            await save()
        if problems:
            if await guild_db.set_problem(db, guild_id, "pairing", str(problems[0])):
                log.warning("round delivery stopped in a server: %s", problems[0])
            return "stopped"
        if not stale:
            break
        if await revalidation.recheck_round(db, *recheck, settings.group_size, settings.odd_policy):
            return await deliver_round(
                db, guild_id, round_id, open_group, find_threads, now, concurrency=concurrency
            )
        # Nothing could be repaired: those groups stay unopened, the rest go on.
    await pairing_db.set_round_status(db, round_id, "delivered")
    await guild_db.set_problem(db, guild_id, "pairing", None)
    return "delivered"


async def _people(db: Database, guild_id: int, user_ids: list[int]) -> dict[int, Person]:
    """Each member's timezone and chosen themes, read a few hundred at a time (one query, not one each)."""
    found = {u: Person(u, None, frozenset()) for u in user_ids}
    for user_id, timezone, interests in await members.profiles(db, guild_id, sorted(found)):
        found[user_id] = Person(user_id, timezone, frozenset(i for i in (interests or "").split(",") if i))
    return found


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


async def report_channel_id(db: Database, guild_id: int) -> int | None:
    """The channel set for reports from pairs, if any (whether it is still fit is checked on Discord's side)."""
    row = await guild_db.get(db, guild_id)
    return row["report_channel_id"] if row else None


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
class Notice:
    channel_id: int
    iso_week: str
    round_at: datetime
    tz: ZoneInfo


SendNotice = Callable[[Notice], Awaitable[None]]
FindNotice = Callable[[Notice], Awaitable[bool]]
# Each returns the check-in's message id, or None when the group's thread is gone for good.
SendCheckin = Callable[[int, int], Awaitable[int | None]]
FindCheckin = Callable[[int, int], Awaitable[int | None]]


async def notice_if_due(
    db: Database, guild_id: int, now: datetime, send: SendNotice, find: FindNotice
) -> bool:
    """Send the pre-round notice once, from a day before the round until the round is made.

    It is marked done only after Discord accepted it. An attempt that may have reached Discord (a crash,
    a lost answer) is looked for in the channel before it is sent again. Errors reaching Discord propagate,
    and the scheduler tries again later while the notice is still useful."""
    settings = await pairing_settings(db, guild_id)
    if settings is None:
        return False
    upcoming = settings.slot.next_after(now)
    week = schedule.week_key(upcoming, settings.slot.tz)
    if upcoming - NOTICE_BEFORE > now or await pairing_db.round_for_week(db, guild_id, week) is not None:
        return False
    status = await pairing_db.job_status(db, guild_id, week, "notice")
    if status == "done":
        return False
    notice = Notice(settings.channel_id, week, upcoming, settings.slot.tz)
    if status is None:
        await pairing_db.set_job_status(db, guild_id, week, "notice", "sending", now)
    if status is None or not await find(notice):
        await send(notice)
    await pairing_db.set_job_status(db, guild_id, week, "notice", "done", now)
    return True


async def _round_in_window(db: Database, guild_id: int, now: datetime, after: timedelta):
    """The latest round when it is delivered and `now` is between `after` and a week from when it was made
    (its slot, or earlier with /pairing run-now); else None."""
    latest = await pairing_db.latest_round(db, guild_id)
    if latest is None or latest["status"] != "delivered":
        return None
    made = datetime.fromisoformat(latest["created_at"])
    return latest if made + after <= now < made + timedelta(days=7) else None


async def checkins_if_due(
    db: Database, guild_id: int, now: datetime, send: SendCheckin, find: FindCheckin
) -> int:
    """Send the mid-week check-in to each group of the latest round once, from three days after the round
    was made until a week after it; returns how many were sent now.

    Each group's check-in is marked sent only after Discord accepted it; one that may have reached Discord
    is looked for in the thread first. Errors reaching Discord propagate, and the rest is tried later."""
    latest = await _round_in_window(db, guild_id, now, CHECKIN_AFTER)
    if latest is None:
        return 0
    week = latest["iso_week"]
    if await pairing_db.job_status(db, guild_id, week, "checkin") == "done":
        return 0
    sent = 0
    for group in await pairing_db.checkins_to_send(db, latest["id"]):
        message_id = None
        if group["checkin_status"] == "sending":
            message_id = await find(group["thread_id"], group["id"])
        else:
            await pairing_db.set_checkin_status(db, group["id"], "sending")
        if message_id is None:
            message_id = await send(group["thread_id"], group["id"])
            if message_id is None:
                await pairing_db.set_checkin_status(db, group["id"], "unreachable")
                continue
            sent += 1
        await pairing_db.set_checkin_status(db, group["id"], "sent", message_id)
    await pairing_db.set_job_status(db, guild_id, week, "checkin", "done", now)
    if sent:
        log.info("sent the mid-week check-in for %s to %d groups", week, sent)
    return sent


async def member_rounds(db: Database, guild_id: int, user_id: int) -> list:
    """A member's rounds in this server, newest first: week, thread, the others, check-in, left_at."""
    return await pairing_db.member_rounds(db, guild_id, user_id)


async def set_excluded(db: Database, guild_id: int, user_id: int, excluded: bool, now: datetime) -> bool:
    """A moderator's exclusion from pairing (or its lifting); False when nothing changed."""
    return await pairing_db.set_excluded(db, guild_id, user_id, excluded, now)


async def round_ids_to_resume(db: Database, guild_id: int) -> list[int]:
    return [row["id"] for row in await pairing_db.rounds_to_resume(db, guild_id)]


async def server_timezone(db: Database, guild_id: int) -> str:
    return await guild_db.timezone_of(db, guild_id)


SendReminder = Callable[[int, int], Awaitable[None]]


async def reminders_if_due(db: Database, guild_id: int, now: datetime, send: SendReminder) -> int:
    """A gentle reminder, once, near the end of the round's week, to groups where nobody answered the
    check-in, at least `REMINDER_GAP` after the check-in was sent; returns how many were sent now.

    Each group is marked reminded once Discord accepted it (or its thread is gone, which `send` reports by
    returning normally). An error reaching Discord propagates and the rest are tried on a later pass, while
    the round's reminder window is open: one lost in an outage comes later that week, never after it."""
    latest = await _round_in_window(db, guild_id, now, REMINDER_AFTER)
    if latest is None:
        return 0
    week = latest["iso_week"]
    checkin = await pairing_db.job_row(db, guild_id, week, "checkin")
    if checkin is None or checkin["status"] != "done":
        return 0
    if datetime.fromisoformat(checkin["done_at"]) + REMINDER_GAP > now:
        return 0  # a check-in sent late (the bot was down): members get a day to answer it first
    if await pairing_db.job_status(db, guild_id, week, "reminder") == "done":
        return 0
    groups = await pairing_db.silent_groups(db, latest["id"])
    for group in groups:
        await send(group["thread_id"], group["id"])
        await pairing_db.set_reminded(db, group["id"])
    await pairing_db.set_job_status(db, guild_id, week, "reminder", "done", now)
    return len(groups)


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


