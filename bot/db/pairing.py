"""Pairing rounds, their groups and members, blocks, exclusions, and once-a-week side jobs."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

import aiosqlite

from bot.db.chunks import Chunks, delete_in_chunks
from bot.db.connection import Database

_USER = itemgetter(2)
ELIGIBLE_COLUMNS = (
    "user_id, timezone, interests, frequency, paused_until, skip_week, last_sat_out_week, last_paired_week, "
    "departed_at"
)
HISTORY_PAGE = 10_000  # rows folded per step on the event loop


async def eligible_members(db: Database | aiosqlite.Connection, guild_id: int) -> list[sqlite3.Row]:
    """Active members who are not excluded by a moderator (pause, skip and frequency are checked above)."""
    conn = db.conn if isinstance(db, Database) else db
    async with conn.execute(
        f"SELECT {ELIGIBLE_COLUMNS} FROM members m WHERE m.guild_id = ? AND m.status = 'active' AND NOT EXISTS "
        "(SELECT 1 FROM pairing_exclusions x WHERE x.guild_id = m.guild_id AND x.user_id = m.user_id) "
        "ORDER BY m.user_id",
        (guild_id,),
    ) as cursor:
        return list(await cursor.fetchall())


async def pair_history_pages(
    conn: aiosqlite.Connection, guild_id: int, weeks: Sequence[str]
) -> AsyncIterator[tuple[str, list[tuple[int, int]]]]:
    """(week, [(lower id, higher id), ...]) of the pairs whose last meeting was in each of `weeks`, a page
    at a time, through the (server, last week) index: one row per pair, not one per group member and week.
    Each row is already the engine's pair key."""
    for week in weeks:
        async with conn.execute(
            "SELECT user_a, user_b FROM pair_history WHERE guild_id = ? AND last_week = ?", (guild_id, week)
        ) as cursor:
            while page := await cursor.fetchmany(HISTORY_PAGE):
                yield week, page  # type: ignore[misc]


async def blocks(db: Database | aiosqlite.Connection, guild_id: int) -> list[tuple[int, int]]:
    conn = db.conn if isinstance(db, Database) else db
    async with conn.execute(
        "SELECT blocker_id, blocked_id FROM blocks WHERE guild_id = ?", (guild_id,)
    ) as cursor:
        return [(r[0], r[1]) for r in await cursor.fetchall()]


async def add_block(db: Database, guild_id: int, blocker: int, blocked: int, now: datetime) -> bool:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT OR IGNORE INTO blocks (guild_id, blocker_id, blocked_id, created_at) VALUES (?, ?, ?, ?)",
            (guild_id, blocker, blocked, now.isoformat()),
        )
        return cursor.rowcount > 0


async def remove_block(db: Database, guild_id: int, blocker: int, blocked: int) -> bool:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "DELETE FROM blocks WHERE guild_id = ? AND blocker_id = ? AND blocked_id = ?",
            (guild_id, blocker, blocked),
        )
        return cursor.rowcount > 0


async def set_excluded(db: Database, guild_id: int, user_id: int, excluded: bool, now: datetime) -> bool:
    async with db.transaction() as conn:
        if excluded:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO pairing_exclusions (guild_id, user_id, created_at) VALUES (?, ?, ?)",
                (guild_id, user_id, now.isoformat()),
            )
        else:
            cursor = await conn.execute(
                "DELETE FROM pairing_exclusions WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
        return cursor.rowcount > 0


async def round_for_week(db: Database, guild_id: int, iso_week: str) -> sqlite3.Row | None:
    return await db.fetchone("SELECT * FROM rounds WHERE guild_id = ? AND iso_week = ?", (guild_id, iso_week))


async def rounds_to_resume(db: Database, guild_id: int) -> list[sqlite3.Row]:
    return await db.fetchall(
        "SELECT * FROM rounds WHERE guild_id = ? AND status = 'delivering' AND saved = 1 ORDER BY iso_week",
        (guild_id,),
    )


async def latest_round(db: Database, guild_id: int) -> sqlite3.Row | None:
    return await db.fetchone(
        "SELECT * FROM rounds WHERE guild_id = ? ORDER BY iso_week DESC LIMIT 1", (guild_id,)
    )


async def insert_round(
    conn: aiosqlite.Connection,
    guild_id: int,
    iso_week: str,
    seed: int,
    prompt_id: int | None,
    groups: Sequence[Sequence[int]],
    now: datetime,
) -> int | None:
    """Save a whole round and its groups in the caller's transaction; None when the week already has one."""
    round_id = await claim_round(conn, guild_id, iso_week, seed, prompt_id, groups, now, saved=True)
    if round_id is not None:
        await insert_groups(conn, guild_id, round_id, iso_week, 1, groups)
    return round_id


async def claim_round(
    conn: aiosqlite.Connection,
    guild_id: int,
    iso_week: str,
    seed: int,
    prompt_id: int | None,
    groups: Sequence[Sequence[int]],
    now: datetime,
    *,
    saved: bool,
) -> int | None:
    """Insert the round's row (the unique key on server and week decides); None when the week has one."""
    cursor = await conn.execute(
        "INSERT INTO rounds (guild_id, iso_week, seed, prompt_id, status, created_at, member_count, saved) "
        "VALUES (?, ?, ?, ?, 'delivering', ?, ?, ?) ON CONFLICT (guild_id, iso_week) DO NOTHING",
        (guild_id, iso_week, seed, prompt_id, now.isoformat(), sum(len(g) for g in groups), int(saved)),
    )
    if cursor.rowcount == 0:
        return None
    return int(cursor.lastrowid or 0)


async def insert_groups(
    conn: aiosqlite.Connection,
    guild_id: int,
    round_id: int,
    iso_week: str,
    first_position: int,
    groups: Sequence[Sequence[int]],
) -> None:
    """Save some of a round's groups, numbered from `first_position`, with the pair history and each
    member's last-paired week brought up to date, in the caller's transaction."""
    group_ids = await insert_group_rows(conn, guild_id, round_id, first_position, len(groups))
    rows = round_rows(guild_id, iso_week, group_ids, first_position, groups)
    await write_round_rows(conn, rows.members, rows.pairs, rows.last_paired)


@dataclass
class RoundRows:
    """The rows a round adds besides its groups, each list sorted in its index's order, so that writing them
    (in one transaction or in chunks) modifies each index page about once, not once per row: most of the
    cost of saving a round of 100,000 members into a year of history."""

    members: list[tuple[int, int, int]]  # (guild, group id, member)
    pairs: list[tuple[int, int, int, str]]  # (guild, lower id, higher id, week)
    last_paired: list[tuple[str, int, int, str]]  # (week, guild, member, week)


def round_rows(
    guild_id: int,
    iso_week: str,
    group_ids: dict[int, int],
    first_position: int,
    groups: Sequence[Sequence[int]],
) -> RoundRows:
    positions = range(first_position, first_position + len(groups))
    return RoundRows(
        sorted(
            (
                (guild_id, group_ids[position], user_id)
                for position, members in zip(positions, groups, strict=True)
                for user_id in members
            ),
            key=_USER,
        ),
        sorted(
            (guild_id, min(a, b), max(a, b), iso_week)
            for members in groups
            for i, a in enumerate(members)
            for b in members[i + 1 :]
        ),
        [
            (iso_week, guild_id, user_id, iso_week)
            for user_id in sorted(u for members in groups for u in members)
        ],
    )


async def insert_group_rows(
    conn: aiosqlite.Connection, guild_id: int, round_id: int, first_position: int, count: int
) -> dict[int, int]:
    """Insert `count` groups numbered from `first_position`; returns position -> group id."""
    await conn.executemany(
        "INSERT INTO groups (guild_id, round_id, position) VALUES (?, ?, ?)",
        [(guild_id, round_id, position) for position in range(first_position, first_position + count)],
    )
    async with conn.execute(
        "SELECT position, id FROM groups WHERE round_id = ? AND position BETWEEN ? AND ?",
        (round_id, first_position, first_position + count - 1),
    ) as ids:
        return dict(await ids.fetchall())  # type: ignore[arg-type]


async def write_round_rows(
    conn: aiosqlite.Connection,
    members: Sequence[tuple[int, int, int]] = (),
    pairs: Sequence[tuple[int, int, int, str]] = (),
    last_paired: Sequence[tuple[str, int, int, str]] = (),
) -> None:
    if members:
        await conn.executemany(
            "INSERT INTO group_members (guild_id, group_id, user_id) VALUES (?, ?, ?)", members
        )
    if pairs:
        await conn.executemany(
            "INSERT INTO pair_history (guild_id, user_a, user_b, last_week) VALUES (?, ?, ?, ?) ON CONFLICT "
            "(guild_id, user_a, user_b) DO UPDATE SET last_week = max(last_week, excluded.last_week)",
            pairs,
        )
    if last_paired:
        await conn.executemany(
            "UPDATE members SET last_paired_week = ? WHERE guild_id = ? AND user_id = ? "
            "AND (last_paired_week IS NULL OR last_paired_week < ?)",
            last_paired,
        )


async def finish_round(conn: aiosqlite.Connection, round_id: int) -> None:
    await conn.execute("UPDATE rounds SET saved = 1 WHERE id = ?", (round_id,))


async def discard_unsaved_round(db: Database, guild_id: int, round_id: int, iso_week: str) -> None:
    """Remove a round whose saving was interrupted (a crash), in short chunks, so the week can be made again.

    Its pairs go back to their last meeting in a complete round (or leave the pair history when they never
    met before), as their members' last-paired week does: nobody counts a partner they were never given."""
    chunks = Chunks()
    chosen = "SELECT id FROM groups WHERE round_id = ? ORDER BY position LIMIT ?"
    pairs_of_chosen = (
        "(user_a, user_b) IN (SELECT a.user_id, b.user_id FROM group_members a JOIN group_members b "
        f"ON b.group_id = a.group_id AND b.user_id > a.user_id WHERE a.group_id IN ({chosen}))"
    )
    met_elsewhere = (
        "SELECT max(r.iso_week) FROM group_members x JOIN group_members y ON y.group_id = x.group_id "
        "JOIN groups g ON g.id = x.group_id JOIN rounds r ON r.id = g.round_id "
        "WHERE x.guild_id = pair_history.guild_id AND x.user_id = pair_history.user_a "
        "AND y.user_id = pair_history.user_b AND r.id <> ?"
    )
    await delete_in_chunks(
        db,
        chunks,
        [
            (
                f"DELETE FROM pair_history WHERE guild_id = ? AND last_week = ? AND ({met_elsewhere}) IS NULL "
                f"AND {pairs_of_chosen}",
                (guild_id, iso_week, round_id, round_id),
            ),
            (
                f"UPDATE pair_history SET last_week = ({met_elsewhere}) WHERE guild_id = ? AND last_week = ? "
                f"AND {pairs_of_chosen}",
                (round_id, guild_id, iso_week, round_id),
            ),
            (  # the members' last-paired week goes back to their last complete round
                "UPDATE members SET last_paired_week = (SELECT max(r.iso_week) FROM group_members gm "
                "JOIN groups g ON g.id = gm.group_id JOIN rounds r ON r.id = g.round_id "
                "WHERE gm.guild_id = members.guild_id AND gm.user_id = members.user_id AND r.id <> ?) "
                f"WHERE guild_id = ? AND user_id IN (SELECT user_id FROM group_members WHERE group_id IN ({chosen}))",
                (round_id, guild_id, round_id),
            ),
            (f"DELETE FROM group_members WHERE group_id IN ({chosen})", (round_id,)),
            (f"DELETE FROM groups WHERE id IN ({chosen})", (round_id,)),
        ],
    )
    await delete_in_chunks(
        db,
        chunks,
        [
            (
                "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE guild_id = ? AND kind = 'paired' "
                "AND iso_week = ? AND round_id = ? LIMIT ?)",
                (guild_id, iso_week, round_id),
            )
        ],
    )
    await db.execute("DELETE FROM rounds WHERE id = ? AND saved = 0", (round_id,))


async def mark_sat_out(
    conn: aiosqlite.Connection, guild_id: int, user_ids: Sequence[int], iso_week: str
) -> None:
    await conn.executemany(
        "UPDATE members SET last_sat_out_week = ? WHERE guild_id = ? AND user_id = ?",
        [(iso_week, guild_id, u) for u in user_ids],
    )


async def groups_of_round(db: Database, round_id: int) -> list[sqlite3.Row]:
    return await db.fetchall("SELECT * FROM groups WHERE round_id = ? ORDER BY position", (round_id,))


async def group_member_ids(db: Database, group_id: int, *, present_only: bool = True) -> list[int]:
    extra = " AND left_at IS NULL" if present_only else ""
    rows = await db.fetchall(
        f"SELECT user_id FROM group_members WHERE group_id = ? AND user_id IS NOT NULL{extra} ORDER BY id",
        (group_id,),
    )
    return [r[0] for r in rows]


async def set_thread(db: Database, group_id: int, thread_id: int) -> None:
    await db.execute("UPDATE groups SET thread_id = ? WHERE id = ?", (thread_id, group_id))


async def groups_to_open(db: Database, round_id: int) -> list[tuple[int, int, list[int]]]:
    """(group id, position, present members) of the round's groups that have no thread yet, in one query."""
    rows = await db.fetchall(
        "SELECT g.id, g.position, gm.user_id FROM groups g LEFT JOIN group_members gm ON gm.group_id = g.id "
        "AND gm.user_id IS NOT NULL AND gm.left_at IS NULL WHERE g.round_id = ? AND g.thread_id IS NULL "
        "ORDER BY g.position, gm.id",
        (round_id,),
    )
    groups: dict[int, tuple[int, int, list[int]]] = {}
    for group_id, position, user_id in rows:
        entry = groups.setdefault(group_id, (group_id, position, []))
        if user_id is not None:
            entry[2].append(user_id)
    return list(groups.values())


async def save_threads(db: Database, opened: Sequence[tuple[int, int, Sequence[int]]], now: datetime) -> None:
    """Record a batch of opened threads, (group id, thread id, departed members), in one transaction."""
    async with db.transaction() as conn:
        await conn.executemany(
            "UPDATE groups SET thread_id = ? WHERE id = ?", [(thread, group) for group, thread, _ in opened]
        )
        await conn.executemany(
            "UPDATE group_members SET left_at = ? WHERE group_id = ? AND user_id = ? AND left_at IS NULL",
            [(now.isoformat(), group, user) for group, _, departed in opened for user in departed],
        )


async def set_round_status(db: Database, round_id: int, status: str) -> None:
    await db.execute("UPDATE rounds SET status = ? WHERE id = ?", (status, round_id))


async def group_by_id(db: Database, guild_id: int, group_id: int) -> sqlite3.Row | None:
    return await db.fetchone(
        "SELECT g.*, r.iso_week FROM groups g JOIN rounds r ON r.id = g.round_id WHERE g.guild_id = ? AND g.id = ?",
        (guild_id, group_id),
    )


async def membership_in_group(db: Database, group_id: int, user_id: int) -> sqlite3.Row | None:
    return await db.fetchone(
        "SELECT * FROM group_members WHERE group_id = ? AND user_id = ?", (group_id, user_id)
    )


async def set_checkin(conn: aiosqlite.Connection, group_id: int, user_id: int, answer: str | None) -> None:
    """Record (or, with None, clear) a check-in answer and keep the round's counters in step."""

    async def group_met() -> bool:
        row = await (
            await conn.execute(
                "SELECT 1 FROM group_members WHERE group_id = ? AND checkin = 'met'", (group_id,)
            )
        ).fetchone()
        return row is not None

    old = await (
        await conn.execute(
            "SELECT checkin FROM group_members WHERE group_id = ? AND user_id = ?", (group_id, user_id)
        )
    ).fetchone()
    if old is None:
        return
    met_before = await group_met()
    await conn.execute(
        "UPDATE group_members SET checkin = ? WHERE group_id = ? AND user_id = ?", (answer, group_id, user_id)
    )
    answered = (answer is not None) - (old[0] is not None)
    met = int(await group_met()) - int(met_before)
    if answered or met:
        await conn.execute(
            "UPDATE rounds SET answered_count = answered_count + ?, met_groups = met_groups + ? "
            "WHERE id = (SELECT round_id FROM groups WHERE id = ?)",
            (answered, met, group_id),
        )


async def set_left(conn: aiosqlite.Connection, group_id: int, user_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE group_members SET left_at = ? WHERE group_id = ? AND user_id = ? AND left_at IS NULL",
        (now.isoformat(), group_id, user_id),
    )


async def member_rounds(db: Database, guild_id: int, user_id: int) -> list[sqlite3.Row]:
    """The member's own groups, newest first: week, thread, their check-in and the others in the group."""
    return await db.fetchall(
        "SELECT r.iso_week, r.created_at AS made_at, g.id AS group_id, g.thread_id, gm.checkin, gm.left_at, "
        "(SELECT group_concat(coalesce(o.user_id, 0)) FROM group_members o WHERE o.group_id = g.id "
        " AND o.id <> gm.id) AS others "
        "FROM group_members gm JOIN groups g ON g.id = gm.group_id JOIN rounds r ON r.id = g.round_id "
        "WHERE gm.guild_id = ? AND gm.user_id = ? ORDER BY r.iso_week DESC",
        (guild_id, user_id),
    )


async def job_status(db: Database, guild_id: int, iso_week: str, job: str) -> str | None:
    """'sending', 'done', or None when the once-a-week job was never attempted."""
    row = await job_row(db, guild_id, iso_week, job)
    return row["status"] if row else None


async def job_row(db: Database, guild_id: int, iso_week: str, job: str) -> sqlite3.Row | None:
    """The once-a-week job's row (status, done_at: the time of its last change), or None."""
    return await db.fetchone(
        "SELECT status, done_at FROM weekly_jobs WHERE guild_id = ? AND iso_week = ? AND job = ?",
        (guild_id, iso_week, job),
    )


async def set_job_status(
    db: Database, guild_id: int, iso_week: str, job: str, status: str, now: datetime
) -> None:
    await db.execute(
        "INSERT INTO weekly_jobs (guild_id, iso_week, job, done_at, status) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (guild_id, iso_week, job) DO UPDATE SET status = excluded.status, done_at = excluded.done_at",
        (guild_id, iso_week, job, now.isoformat(), status),
    )


async def checkins_to_send(db: Database, round_id: int) -> list[sqlite3.Row]:
    """Groups of the round with a thread whose check-in Discord has not accepted yet."""
    return await db.fetchall(
        "SELECT * FROM groups WHERE round_id = ? AND thread_id IS NOT NULL "
        "AND (checkin_status IS NULL OR checkin_status = 'sending') ORDER BY position",
        (round_id,),
    )


async def set_cross_circle_groups(conn: aiosqlite.Connection, round_id: int, count: int | None) -> None:
    """Keep only how many groups of the round mixed circles (None: circles were not in use)."""
    await conn.execute("UPDATE rounds SET cross_circle_groups = ? WHERE id = ?", (count, round_id))


async def quiet_members(db: Database, guild_id: int, rounds: int, round_day: str) -> list[int]:
    """Active, unpaused members whose last `rounds` groups (since any earlier quiet pause) all went without
    an answer from them: no check-in button pressed and the pairing not left."""
    rows = await db.fetchall(
        # Each member's last groups come from the (server, member) index newest first (group rows are added
        # round after round, so a higher id is a later round), stopping after `rounds`: a few index reads per
        # member, not a scan of every group the server ever had. The group's round is looked up only for a
        # member paused as quiet before (half the time at 100,000 members).
        """
        SELECT m.user_id FROM members m
        WHERE m.guild_id = ? AND m.status = 'active'
          AND (m.paused_until IS NULL OR m.paused_until <= ?)
          AND (
            SELECT count(*) FROM (
                SELECT gm.checkin, gm.left_at FROM group_members gm
                WHERE gm.guild_id = m.guild_id AND gm.user_id = m.user_id
                  AND (m.quiet_paused_at IS NULL OR EXISTS (
                    SELECT 1 FROM groups g JOIN rounds r ON r.id = g.round_id
                    WHERE g.id = gm.group_id AND r.created_at > m.quiet_paused_at))
                ORDER BY gm.id DESC
                LIMIT ?
            ) AS recent
            WHERE recent.checkin IS NULL AND recent.left_at IS NULL
          ) = ?
        ORDER BY m.user_id
        """,
        (guild_id, round_day, rounds, rounds),
    )
    return [r[0] for r in rows]


async def silent_groups(db: Database, round_id: int) -> list[sqlite3.Row]:
    """Groups of a round with a thread, not reminded yet, where nobody still in the group answered the
    check-in."""
    return await db.fetchall(
        "SELECT g.* FROM groups g WHERE g.round_id = ? AND g.thread_id IS NOT NULL AND g.reminded = 0 "
        "AND NOT EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND gm.checkin IS NOT NULL) "
        "ORDER BY g.position",
        (round_id,),
    )


async def set_reminded(db: Database, group_id: int) -> None:
    await db.execute("UPDATE groups SET reminded = 1 WHERE id = ?", (group_id,))


async def set_checkin_status(db: Database, group_id: int, status: str, message_id: int | None = None) -> None:
    await db.execute(
        "UPDATE groups SET checkin_status = ?, checkin_message_id = coalesce(?, checkin_message_id) WHERE id = ?",
        (status, message_id, group_id),
    )


async def next_starter(db: Database, group_id: int, not_before: str, now: datetime) -> int | None:
    """Count one more "Another starter" for the group, unless one was shown after `not_before`.

    Returns how many were shown before this one, or None when it is too soon (rate limit, kept across restarts)."""
    async with db.transaction() as conn:
        row = await (
            await conn.execute("SELECT starters_shown, starter_at FROM groups WHERE id = ?", (group_id,))
        ).fetchone()
        if row is None or (row["starter_at"] is not None and row["starter_at"] > not_before):
            return None
        await conn.execute(
            "UPDATE groups SET starters_shown = starters_shown + 1, starter_at = ? WHERE id = ?",
            (now.isoformat(), group_id),
        )
        return int(row["starters_shown"])
