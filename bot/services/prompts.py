"""The prompt library, suggestions, and the weekly post (exactly once per server and ISO week)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.db import Database, events, members, prompt_import
from bot.db import guilds as guild_db
from bot.db import prompts as prompt_db
from bot.domain import prompt_files, schedule
from bot.domain.rotation import Candidate, next_prompt
from bot.domain.themes import Theme
from bot.errors import DeliveryProblem, UserError
from bot.services.calendar import calendar_choice, occasion_name
from bot.services.library import ensure_library, shipped_prompts

__all__ = ["DeliveryProblem", "ensure_library", "shipped_prompts"]

log = logging.getLogger(__name__)

MAX_PENDING_PER_MEMBER = 3
IMPORT_CHUNK = 250  # rows per transaction while an import is staged
PAGE_SIZE = 10
STATUSES = ("active", "retired", "pending")


@dataclass(frozen=True)
class PromptToPost:
    guild_id: int
    channel_id: int
    iso_week: str
    prompt_id: int
    theme: Theme
    text: str
    content_note: str | None
    occasion: str | None = None  # the calendar pack's name, for a dated prompt


@dataclass(frozen=True)
class Published:
    message_id: int
    thread_id: int | None
    problem: str | None = None  # the post went out but something around it (the thread) did not


@dataclass(frozen=True)
class PostOutcome:
    status: str  # posted, already, not_due, not_configured, empty, problem
    iso_week: str | None = None
    thread_id: int | None = None
    problem: str | None = None


Publish = Callable[[PromptToPost], Awaitable[Published]]
FindExisting = Callable[[int, str], Awaitable[Published | None]]


async def server_themes(db: Database, guild_id: int, now: datetime) -> list[Theme]:
    await ensure_library(db, guild_id, now)
    return [Theme(r["slug"], r["name"], r["description"]) for r in await prompt_db.themes(db, guild_id)]


async def _theme(db: Database, guild_id: int, slug: str, now: datetime) -> Theme:
    for theme in await server_themes(db, guild_id, now):
        if theme.slug == slug.strip().lower():
            return theme
    raise UserError(
        f"`{slug}` is not a theme of this server: pick one from the suggestions, such as `stories`."
    )


async def _ensure_new(db: Database, guild_id: int, text: str) -> None:
    wanted = prompt_files.normalise(text)
    if any(prompt_files.normalise(t) == wanted for t in await prompt_db.all_texts(db, guild_id)):
        raise UserError("That prompt is already in this server's library.")


async def add(
    db: Database,
    guild_id: int,
    theme: str,
    text: str,
    note: str | None,
    now: datetime,
    *,
    depth: str = "medium",
    pair_text: str | None = None,
) -> int:
    chosen = await _theme(db, guild_id, theme, now)
    body = prompt_files.validate_text(text)
    cleaned_note = prompt_files.validate_note(note)
    chosen_depth = prompt_files.validate_depth(depth)
    pair = prompt_files.validate_text(pair_text, "The pair text") if pair_text else None
    await _ensure_new(db, guild_id, body)
    async with db.transaction() as conn:
        return await prompt_db.insert(
            conn,
            guild_id,
            theme=chosen.slug,
            text=body,
            content_note=cleaned_note,
            status="active",
            source="moderator",
            now=now,
            pair_text=pair,
            depth=chosen_depth,
        )


async def _existing(db: Database, guild_id: int, prompt_id: int, now: datetime):
    await ensure_library(db, guild_id, now)
    row = await prompt_db.get(db, guild_id, prompt_id)
    if row is None:
        raise UserError(f"There is no prompt #{prompt_id} in this server. `/prompts list` shows the ids.")
    return row


async def edit(db: Database, guild_id: int, prompt_id: int, text: str, now: datetime) -> None:
    row = await _existing(db, guild_id, prompt_id, now)
    body = prompt_files.validate_text(text)
    if body == row["text"]:
        raise UserError("That is the prompt's current text already: nothing to change.")
    async with db.transaction() as conn:
        await prompt_db.edit(conn, guild_id, prompt_id, body, row["content_note"], now)


async def retire(db: Database, guild_id: int, prompt_id: int, now: datetime) -> str:
    row = await _existing(db, guild_id, prompt_id, now)
    if row["status"] == "retired":
        raise UserError(f"Prompt #{prompt_id} is already retired.")
    if row["status"] != "active":
        raise UserError(f"Prompt #{prompt_id} is a {row['status']} suggestion: use `/prompts review` for it.")
    async with db.transaction() as conn:
        await prompt_db.set_status(conn, guild_id, prompt_id, "retired", now)
    return row["text"]


async def describe(db: Database, guild_id: int, prompt_id: int, now: datetime):
    return await _existing(db, guild_id, prompt_id, now)


async def list_page(
    db: Database, guild_id: int, *, theme: str | None, status: str | None, page: int, now: datetime
) -> tuple[list, int]:
    await ensure_library(db, guild_id, now)
    total = await prompt_db.count(db, guild_id, theme=theme, status=status)
    rows = await prompt_db.page(
        db, guild_id, theme=theme, status=status, offset=page * PAGE_SIZE, limit=PAGE_SIZE
    )
    return rows, total


@dataclass(frozen=True)
class ImportResult:
    added: int
    skipped: int


async def import_file(db: Database, guild_id: int, filename: str, data: bytes, now: datetime) -> ImportResult:
    """All or nothing: a bad row raises (nothing added); duplicates are skipped and counted."""
    slugs = [t.slug for t in await server_themes(db, guild_id, now)]
    # Parsing a 1 MB file is CPU work: off the event loop.
    rows = await asyncio.to_thread(prompt_files.parse_prompt_file, filename, data, slugs)
    seen = {prompt_files.normalise(t) for t in await prompt_db.all_texts(db, guild_id)}
    fresh = []
    for row in rows:
        key = prompt_files.normalise(row.text)
        if key not in seen:
            seen.add(key)
            fresh.append(row)
    if not fresh:
        return ImportResult(0, len(rows))
    # Staged in chunks, each its own short transaction, so other servers' commands get the write lock in
    # between; then published in one statement, so the import is still all or nothing.
    batch = secrets.token_hex(8)
    await prompt_import.drop_stale(db, now)
    try:
        for start in range(0, len(fresh), IMPORT_CHUNK):
            chunk = fresh[start : start + IMPORT_CHUNK]
            await prompt_import.stage(
                db,
                batch,
                guild_id,
                [
                    (r.line, r.theme, r.text, r.content_note, r.pair_text, r.depth, r.pack, r.pack_date)
                    for r in chunk
                ],
                now,
            )
        added = await prompt_import.publish(db, batch, guild_id, now)
    finally:
        await asyncio.shield(prompt_import.discard(db, batch))
    return ImportResult(added, len(rows) - added)


async def export_file(db: Database, guild_id: int, now: datetime) -> bytes:
    await ensure_library(db, guild_id, now)
    rows = await prompt_db.export_rows(db, guild_id)
    return prompt_files.export_csv([tuple(r) for r in rows])


async def suggest(db: Database, guild_id: int, user_id: int, theme: str, text: str, now: datetime) -> int:
    chosen = await _theme(db, guild_id, theme, now)
    body = prompt_files.validate_text(text, "Your suggestion")
    if await prompt_db.pending_count_by(db, guild_id, user_id) >= MAX_PENDING_PER_MEMBER:
        raise UserError(
            f"You already have {MAX_PENDING_PER_MEMBER} suggestions waiting for review: "
            "please wait until moderators have looked at them."
        )
    await _ensure_new(db, guild_id, body)
    tz = schedule.zone(await guild_db.timezone_of(db, guild_id))
    opted_in = await members.get(db, guild_id, user_id) is not None
    async with db.transaction() as conn:
        prompt_id = await prompt_db.insert(
            conn,
            guild_id,
            theme=chosen.slug,
            text=body,
            content_note=None,
            status="pending",
            source="suggestion",
            now=now,
            suggested_by=user_id,
        )
        if opted_in:
            await events.record(conn, guild_id, user_id, "suggested", schedule.week_key(now, tz), now)
    return prompt_id


async def next_pending(db: Database, guild_id: int, after_id: int = 0):
    return await prompt_db.oldest_pending(db, guild_id, after_id)


MAX_REASON = 300


@dataclass(frozen=True)
class Decision:
    """A reviewed suggestion, for telling the member who made it (None when nobody suggested it)."""

    prompt_id: int
    member_id: int | None
    approved: bool
    text: str
    reason: str | None


async def decide(
    db: Database,
    guild_id: int,
    prompt_id: int,
    approve: bool,
    now: datetime,
    text: str | None = None,
    reason: str | None = None,
) -> Decision:
    row = await _existing(db, guild_id, prompt_id, now)
    if row["status"] != "pending":
        raise UserError(f"Suggestion #{prompt_id} was already reviewed ({row['status']}).")
    reason = " ".join((reason or "").split())[:MAX_REASON] or None
    body = row["text"]
    async with db.transaction() as conn:
        if text is not None:
            body = prompt_files.validate_text(text)
            if body != row["text"]:
                await prompt_db.edit(conn, guild_id, prompt_id, body, row["content_note"], now)
        await prompt_db.set_status(conn, guild_id, prompt_id, "active" if approve else "rejected", now)
        await prompt_db.record_decision(conn, guild_id, prompt_id, reason)
    return Decision(prompt_id, row["suggested_by"], approve, body, reason)


def decision_text(prompt_id: int, approved: bool, text: str, reason: str | None) -> str:
    """How a member is told what became of their suggestion (bounded, so it always fits a message)."""
    shown = text if len(text) <= 200 else text[:199] + "…"
    outcome = "was approved and joins the prompt rotation" if approved else "was not taken this time"
    lines = [f"Your prompt suggestion #{prompt_id} {outcome}: “{shown}”"]
    if reason:
        lines.append(f"The moderators' note: {reason}")
    return "\n".join(lines)


async def mark_decision_told(db: Database, guild_id: int, prompt_id: int) -> None:
    await prompt_db.mark_told(db, guild_id, [prompt_id])


async def take_untold_decisions(db: Database, guild_id: int, user_id: int) -> list[str]:
    """Decisions the member has not been told yet (their DMs were closed): returned once, then marked told."""
    rows = await prompt_db.untold_decisions(db, guild_id, user_id)
    await prompt_db.mark_told(db, guild_id, [r["id"] for r in rows])
    return [
        decision_text(r["id"], r["status"] in ("active", "retired"), r["text"], r["decision_reason"])
        for r in rows
    ]


async def my_suggestions(db: Database, guild_id: int, user_id: int) -> list:
    return await prompt_db.suggestions_by(db, guild_id, user_id)


@dataclass(frozen=True)
class CurrentPrompt:
    iso_week: str
    text: str
    theme: Theme | None
    content_note: str | None
    thread_id: int | None
    channel_id: int | None


async def current(db: Database, guild_id: int, now: datetime) -> CurrentPrompt | None:
    tz = schedule.zone(await guild_db.timezone_of(db, guild_id))
    week = schedule.week_key(now, tz)
    row = await prompt_db.post_for_week(db, guild_id, week)
    if row is None or row["status"] != "posted":
        return None
    theme = next((t for t in await server_themes(db, guild_id, now) if t.slug == row["theme"]), None)
    return CurrentPrompt(week, row["text"], theme, row["content_note"], row["thread_id"], row["channel_id"])


async def post_weekly(
    db: Database,
    guild_id: int,
    now: datetime,
    publish: Publish,
    find_existing: FindExisting,
    *,
    force: bool = False,
) -> PostOutcome:
    """Post this week's prompt if it is due (or `force`, for post-now), exactly once per ISO week.

    The week is claimed in the database first (its unique key makes a second claim fail, in this process or
    another), then posted. A claim left by a crash is resumed: an earlier post found in the channel is adopted
    instead of posting twice. When Discord refuses the post, the claim is released and the problem recorded.
    """
    settings = await guild_db.get(db, guild_id)
    if settings is None or settings["prompt_channel_id"] is None:
        return PostOutcome("not_configured")
    tz = schedule.zone(settings["timezone"])
    week = schedule.week_key(now, tz)
    if not force:
        slot = schedule.WeeklySlot(settings["prompt_day"], schedule.parse_time(settings["prompt_time"]), tz)
        if slot.due(now) is None:
            return PostOutcome("not_due", week)
    await ensure_library(db, guild_id, now)
    channel_id = settings["prompt_channel_id"]
    existing = await prompt_db.post_for_week(db, guild_id, week)
    if existing is not None and existing["status"] == "posted":
        return PostOutcome("already", week, existing["thread_id"])
    if existing is None:
        choice = await calendar_choice(db, guild_id, week, settings["calendar_packs"])
        if choice is None:
            candidates = [
                Candidate(r["id"], r["theme"], r["times_posted"], r["depth"])
                for r in await prompt_db.rotation_candidates(db, guild_id)
            ]
            choice = next_prompt(
                candidates,
                await prompt_db.posted_themes(db, guild_id),
                await prompt_db.posted_depths(db, guild_id),
            )
        if choice is None:
            return PostOutcome("empty", week)
        async with db.transaction() as conn:
            claimed = await prompt_db.claim_week(conn, guild_id, week, choice.id, channel_id, now)
        if not claimed:
            return PostOutcome("already", week)
        existing = await prompt_db.post_for_week(db, guild_id, week)
    else:
        found = await find_existing(existing["channel_id"], week)
        if found is not None:
            await prompt_db.mark_posted(db, guild_id, week, found.message_id, found.thread_id, now)
            return PostOutcome("posted", week, found.thread_id)
    assert existing is not None
    theme = await _theme(db, guild_id, existing["theme"], now)
    item = PromptToPost(
        guild_id,
        existing["channel_id"],
        week,
        existing["prompt_id"],
        theme,
        existing["text"],
        existing["content_note"],
        occasion_name(existing["pack"]),
    )
    try:
        published = await publish(item)
    except DeliveryProblem as problem:
        async with db.transaction() as conn:
            await prompt_db.release_week(conn, guild_id, week)
        if await guild_db.set_problem(db, guild_id, "prompt", str(problem)):
            log.warning("weekly prompt not posted in a server: %s", problem)
        return PostOutcome("problem", week, problem=str(problem))
    await prompt_db.mark_posted(db, guild_id, week, published.message_id, published.thread_id, now)
    if await guild_db.set_problem(db, guild_id, "prompt", published.problem):
        log.warning("weekly prompt posted with a problem: %s", published.problem)
    log.info("posted the weekly prompt for %s", week)
    return PostOutcome("posted", week, published.thread_id)
