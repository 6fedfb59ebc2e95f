"""Queries for re-checking a saved round at delivery: the state now, and the repaired groups written back."""

from __future__ import annotations

from collections.abc import Sequence

import aiosqlite


async def undelivered_groups(conn: aiosqlite.Connection, round_id: int) -> list[tuple[int, list[int]]]:
    """(group id, members still in it) for each group of the round whose thread is not open yet."""
    rows = await (
        await conn.execute(
            "SELECT g.id, gm.user_id FROM groups g LEFT JOIN group_members gm ON gm.group_id = g.id "
            "AND gm.user_id IS NOT NULL AND gm.left_at IS NULL "
            "WHERE g.round_id = ? AND g.thread_id IS NULL ORDER BY g.position, gm.id",
            (round_id,),
        )
    ).fetchall()
    groups: dict[int, list[int]] = {}
    for group_id, user_id in rows:
        members = groups.setdefault(group_id, [])
        if user_id is not None:
            members.append(user_id)
    return list(groups.items())


async def pairable_now(
    conn: aiosqlite.Connection, guild_id: int, user_ids: Sequence[int], iso_week: str, round_day: str
) -> set[int]:
    """Which of these members may be paired now: opted in, still in the server (as last checked), not
    excluded, not paused past the round's day, not skipping its week. A member who erased their data has no row, so is not among them."""
    if not user_ids:
        return set()
    marks = ",".join("?" for _ in user_ids)
    # One step on the connection's thread (execute and fetch together): no read is left open between steps.
    rows = await conn.execute_fetchall(
        f"SELECT m.user_id FROM members m WHERE m.guild_id = ? AND m.user_id IN ({marks}) "
        "AND m.status = 'active' AND m.departed_at IS NULL AND (m.paused_until IS NULL OR m.paused_until <= ?) "
        "AND (m.skip_week IS NULL OR m.skip_week <> ?) AND NOT EXISTS (SELECT 1 FROM pairing_exclusions x "
        "WHERE x.guild_id = m.guild_id AND x.user_id = m.user_id)",
        (guild_id, *user_ids, round_day, iso_week),
    )
    return {r[0] for r in rows}


async def blocks_among(
    conn: aiosqlite.Connection, guild_id: int, user_ids: Sequence[int]
) -> list[tuple[int, int]]:
    """Blocks (either way) between any two of these members."""
    if len(user_ids) < 2:
        return []
    marks = ",".join("?" for _ in user_ids)
    rows = await conn.execute_fetchall(
        f"SELECT blocker_id, blocked_id FROM blocks WHERE guild_id = ? AND blocker_id IN ({marks}) "
        f"AND blocked_id IN ({marks})",
        (guild_id, *user_ids, *user_ids),
    )
    return [(r[0], r[1]) for r in rows]


async def rewrite_groups(
    conn: aiosqlite.Connection,
    guild_id: int,
    round_id: int,
    iso_week: str,
    repaired: dict[int, Sequence[int]],
    new_groups: Sequence[Sequence[int]],
    sat_out: Sequence[int],
    allowed: set[int],
) -> None:
    """Write the repaired round in the caller's transaction: members no longer in an undelivered group are
    removed from it (their 'paired' event too), new groups are added, and the round's member count loses
    those who may no longer be paired (not those a block made sit out: the count never shows a block).
    An emptied group keeps its row (and its number), so a thread opened for it before a crash is never
    adopted by another group."""
    gone = await (
        await conn.execute(
            "SELECT gm.user_id FROM group_members gm JOIN groups g ON g.id = gm.group_id "
            "WHERE g.round_id = ? AND g.thread_id IS NULL AND gm.left_at IS NULL",
            (round_id,),
        )
    ).fetchall()
    not_allowed = sum(1 for (user_id,) in gone if user_id is None or user_id not in allowed)
    for group_id, members in repaired.items():
        current = await (
            await conn.execute("SELECT id, user_id FROM group_members WHERE group_id = ?", (group_id,))
        ).fetchall()
        keep = set(members)
        for row_id, user_id in current:
            if user_id is None or user_id not in keep:
                await conn.execute("DELETE FROM group_members WHERE id = ?", (row_id,))
        present = {user_id for _, user_id in current}
        await conn.executemany(
            "INSERT INTO group_members (guild_id, group_id, user_id) VALUES (?, ?, ?)",
            [(guild_id, group_id, u) for u in members if u not in present],
        )
    if new_groups:
        row = await (
            await conn.execute(
                "SELECT coalesce(max(position), 0) FROM groups WHERE round_id = ?", (round_id,)
            )
        ).fetchone()
        position = int(row[0])
        for members in new_groups:
            position += 1
            cursor = await conn.execute(
                "INSERT INTO groups (guild_id, round_id, position) VALUES (?, ?, ?)",
                (guild_id, round_id, position),
            )
            await conn.executemany(
                "INSERT INTO group_members (guild_id, group_id, user_id) VALUES (?, ?, ?)",
                [(guild_id, cursor.lastrowid, u) for u in members],
            )
    # The participation log follows the groups: 'paired' only for members who are in a group of the round.
    await conn.execute(
        "DELETE FROM events WHERE guild_id = ? AND round_id = ? AND kind = 'paired' AND user_id NOT IN "
        "(SELECT gm.user_id FROM group_members gm JOIN groups g ON g.id = gm.group_id "
        " WHERE g.round_id = ? AND gm.user_id IS NOT NULL)",
        (guild_id, round_id, round_id),
    )
    await conn.execute(
        "UPDATE events SET group_size = (SELECT count(*) FROM group_members gm JOIN groups g ON g.id = gm.group_id "
        " WHERE g.round_id = events.round_id AND gm.group_id = (SELECT gm2.group_id FROM group_members gm2 "
        "  JOIN groups g2 ON g2.id = gm2.group_id WHERE g2.round_id = events.round_id "
        "  AND gm2.user_id = events.user_id)) "
        "WHERE guild_id = ? AND round_id = ? AND kind = 'paired'",
        (guild_id, round_id),
    )
    await conn.execute(
        "UPDATE rounds SET member_count = max(0, member_count - ?) WHERE id = ?",
        (not_allowed, round_id),
    )
    await conn.executemany(
        "UPDATE members SET last_sat_out_week = ? WHERE guild_id = ? AND user_id = ?",
        [(iso_week, guild_id, u) for u in sat_out],
    )


async def set_entered(conn: aiosqlite.Connection, round_id: int, entered: int) -> None:
    """A round's member count is everyone entered in it, grouped or sitting out: a figure that does not
    depend on whether any block exists (a block can make a member sit out; it never changes this)."""
    await conn.execute("UPDATE rounds SET member_count = ? WHERE id = ?", (entered, round_id))
