"""Pairing rounds, their groups and members, blocks, exclusions, and once-a-week side jobs."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.db.connection import Database


async def eligible_members(db: Database, guild_id: int) -> list[sqlite3.Row]:
    """Active members who are not excluded by a moderator (pause, skip and frequency are checked above)."""
    return await db.fetchall(
        "SELECT m.* FROM members m WHERE m.guild_id = ? AND m.status = 'active' AND NOT EXISTS "
        "(SELECT 1 FROM pairing_exclusions x WHERE x.guild_id = m.guild_id AND x.user_id = m.user_id) "
        "ORDER BY m.user_id",
        (guild_id,),
    )


async def last_paired_weeks(db: Database, guild_id: int) -> dict[int, str]:
    rows = await db.fetchall(
        "SELECT gm.user_id, max(r.iso_week) AS week FROM group_members gm JOIN groups g ON g.id = gm.group_id "
        "JOIN rounds r ON r.id = g.round_id WHERE gm.guild_id = ? AND gm.user_id IS NOT NULL GROUP BY gm.user_id",
        (guild_id,),
    )
    return {r["user_id"]: r["week"] for r in rows}


async def history(db: Database, guild_id: int, since_week: str) -> list[tuple[str, int, int]]:
    """(week, group id, member) rows of rounds since `since_week`, for the repeat-avoidance history."""
    rows = await db.fetchall(
        "SELECT r.iso_week, gm.group_id, gm.user_id FROM group_members gm JOIN groups g ON g.id = gm.group_id "
        "JOIN rounds r ON r.id = g.round_id WHERE gm.guild_id = ? AND r.iso_week >= ? AND gm.user_id IS NOT NULL",
        (guild_id, since_week),
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def blocks(db: Database, guild_id: int) -> list[tuple[int, int]]:
    rows = await db.fetchall("SELECT blocker_id, blocked_id FROM blocks WHERE guild_id = ?", (guild_id,))
    return [(r[0], r[1]) for r in rows]


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
        "SELECT * FROM rounds WHERE guild_id = ? AND status = 'delivering' ORDER BY iso_week", (guild_id,)
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
    """Save a round and its groups in the caller's transaction; None when the week already has a round."""
    cursor = await conn.execute(
        "INSERT INTO rounds (guild_id, iso_week, seed, prompt_id, status, created_at) VALUES (?, ?, ?, ?, "
        "'delivering', ?) ON CONFLICT (guild_id, iso_week) DO NOTHING",
        (guild_id, iso_week, seed, prompt_id, now.isoformat()),
    )
    if cursor.rowcount == 0:
        return None
    round_id = int(cursor.lastrowid or 0)
    await conn.execute(
        "UPDATE rounds SET member_count = ? WHERE id = ?", (sum(len(g) for g in groups), round_id)
    )
    for position, members in enumerate(groups, start=1):
        group_cursor = await conn.execute(
            "INSERT INTO groups (guild_id, round_id, position) VALUES (?, ?, ?)",
            (guild_id, round_id, position),
        )
        group_id = group_cursor.lastrowid
        await conn.executemany(
            "INSERT INTO group_members (guild_id, group_id, user_id) VALUES (?, ?, ?)",
            [(guild_id, group_id, user_id) for user_id in members],
        )
    return round_id


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


async def set_checkin_message(db: Database, group_id: int, message_id: int) -> None:
    await db.execute("UPDATE groups SET checkin_message_id = ? WHERE id = ?", (message_id, group_id))


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


async def claim_job(db: Database, guild_id: int, iso_week: str, job: str, now: datetime) -> bool:
    """Mark a once-a-week job as done; False if it already was (in this process or another)."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT OR IGNORE INTO weekly_jobs (guild_id, iso_week, job, done_at) VALUES (?, ?, ?, ?)",
            (guild_id, iso_week, job, now.isoformat()),
        )
        return cursor.rowcount > 0


async def set_cross_circle_groups(conn: aiosqlite.Connection, round_id: int, count: int | None) -> None:
    """Keep only how many groups of the round mixed circles (None: circles were not in use)."""
    await conn.execute("UPDATE rounds SET cross_circle_groups = ? WHERE id = ?", (count, round_id))


async def quiet_members(db: Database, guild_id: int, rounds: int, round_day: str) -> list[int]:
    """Active, unpaused members whose last `rounds` groups (since any earlier quiet pause) all went without
    an answer from them: no check-in button pressed and the pairing not left."""
    rows = await db.fetchall(
        """
        SELECT user_id FROM (
            SELECT gm.user_id AS user_id,
                   (gm.checkin IS NOT NULL OR gm.left_at IS NOT NULL) AS answered,
                   row_number() OVER (PARTITION BY gm.user_id ORDER BY r.iso_week DESC) AS recent
            FROM group_members gm
            JOIN groups g ON g.id = gm.group_id
            JOIN rounds r ON r.id = g.round_id
            JOIN members m ON m.guild_id = gm.guild_id AND m.user_id = gm.user_id
            WHERE gm.guild_id = ? AND m.status = 'active'
              AND (m.paused_until IS NULL OR m.paused_until <= ?)
              AND (m.quiet_paused_at IS NULL OR r.created_at > m.quiet_paused_at)
        )
        WHERE recent <= ?
        GROUP BY user_id
        HAVING count(*) = ? AND sum(answered) = 0
        ORDER BY user_id
        """,
        (guild_id, round_day, rounds, rounds),
    )
    return [r[0] for r in rows]


async def silent_groups(db: Database, round_id: int) -> list[sqlite3.Row]:
    """Groups of a round with a thread where nobody still in the group answered the check-in."""
    return await db.fetchall(
        "SELECT g.* FROM groups g WHERE g.round_id = ? AND g.thread_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND gm.checkin IS NOT NULL) ORDER BY g.position",
        (round_id,),
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
