"""Prompts, their revisions, suggestions and weekly posts."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.db.connection import Database
from bot.domain.themes import Theme


async def seed_library(
    conn: aiosqlite.Connection, guild_id: int, themes: Sequence[Theme], prompts: Sequence[dict], now: datetime
) -> bool:
    """Copy the shipped library into the server's own, once. False if it was already there."""
    cursor = await conn.execute(
        "UPDATE guild_settings SET library_seeded = 1 WHERE guild_id = ? AND library_seeded = 0", (guild_id,)
    )
    if cursor.rowcount == 0:
        return False
    await conn.executemany(
        "INSERT OR IGNORE INTO themes (guild_id, slug, name, description) VALUES (?, ?, ?, ?)",
        [(guild_id, t.slug, t.name, t.description) for t in themes],
    )
    await insert_library_prompts(conn, guild_id, prompts, now)
    return True


async def insert_library_prompts(
    conn: aiosqlite.Connection, guild_id: int, prompts: Sequence[dict], now: datetime
) -> None:
    """Insert shipped prompts (rotation or calendar) as they are in the library file."""
    stamp = now.isoformat()
    await conn.executemany(
        "INSERT INTO prompts (guild_id, theme, text, pair_text, depth, content_note, pack, status, source, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', 'library', ?, ?)",
        [
            (
                guild_id,
                p["theme"],
                p["text"],
                p.get("pair_text"),
                p.get("depth", "medium"),
                p.get("content_note"),
                p.get("pack"),
                stamp,
                stamp,
            )
            for p in prompts
        ],
    )


async def themes(db: Database, guild_id: int) -> list[sqlite3.Row]:
    return await db.fetchall("SELECT * FROM themes WHERE guild_id = ? ORDER BY rowid", (guild_id,))


async def get(db: Database, guild_id: int, prompt_id: int) -> sqlite3.Row | None:
    return await db.fetchone("SELECT * FROM prompts WHERE guild_id = ? AND id = ?", (guild_id, prompt_id))


async def insert(
    conn: aiosqlite.Connection,
    guild_id: int,
    *,
    theme: str,
    text: str,
    content_note: str | None,
    status: str,
    source: str,
    now: datetime,
    suggested_by: int | None = None,
    pair_text: str | None = None,
    depth: str = "medium",
    pack: str | None = None,
    pack_date: str | None = None,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO prompts (guild_id, theme, text, content_note, status, source, suggested_by, created_at, "
        "updated_at, pair_text, depth, pack, pack_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            guild_id,
            theme,
            text,
            content_note,
            status,
            source,
            suggested_by,
            now.isoformat(),
            now.isoformat(),
            pair_text,
            depth,
            pack,
            pack_date,
        ),
    )
    return int(cursor.lastrowid or 0)


async def all_texts(db: Database, guild_id: int) -> list[str]:
    rows = await db.fetchall(
        "SELECT text FROM prompts WHERE guild_id = ? AND status <> 'rejected'", (guild_id,)
    )
    return [r["text"] for r in rows]


async def edit(
    conn: aiosqlite.Connection,
    guild_id: int,
    prompt_id: int,
    text: str,
    content_note: str | None,
    now: datetime,
) -> None:
    """Replace the text, keeping the previous one in prompt_revisions."""
    await conn.execute(
        "INSERT INTO prompt_revisions (guild_id, prompt_id, text, content_note, replaced_at) "
        "SELECT guild_id, id, text, content_note, ? FROM prompts WHERE guild_id = ? AND id = ?",
        (now.isoformat(), guild_id, prompt_id),
    )
    await conn.execute(
        "UPDATE prompts SET text = ?, content_note = ?, updated_at = ? WHERE guild_id = ? AND id = ?",
        (text, content_note, now.isoformat(), guild_id, prompt_id),
    )


async def set_status(
    conn: aiosqlite.Connection, guild_id: int, prompt_id: int, status: str, now: datetime
) -> None:
    await conn.execute(
        "UPDATE prompts SET status = ?, updated_at = ? WHERE guild_id = ? AND id = ?",
        (status, now.isoformat(), guild_id, prompt_id),
    )


async def record_decision(conn: aiosqlite.Connection, guild_id: int, prompt_id: int, reason: str | None) -> None:
    """Keep the moderator's reason and mark a member's suggestion as decided but not yet told to them."""
    await conn.execute(
        "UPDATE prompts SET decision_reason = ?, decision_told = 0 WHERE guild_id = ? AND id = ? "
        "AND suggested_by IS NOT NULL",
        (reason, guild_id, prompt_id),
    )


async def untold_decisions(db: Database, guild_id: int, user_id: int) -> list[sqlite3.Row]:
    return await db.fetchall(
        "SELECT id, theme, text, status, decision_reason FROM prompts "
        "WHERE guild_id = ? AND suggested_by = ? AND decision_told = 0 ORDER BY id",
        (guild_id, user_id),
    )


async def mark_told(db: Database, guild_id: int, prompt_ids: list[int]) -> None:
    if prompt_ids:
        marks = ",".join("?" * len(prompt_ids))
        await db.execute(
            f"UPDATE prompts SET decision_told = 1 WHERE guild_id = ? AND id IN ({marks})", (guild_id, *prompt_ids)
        )


async def revisions(db: Database, guild_id: int, prompt_id: int) -> list[sqlite3.Row]:
    return await db.fetchall(
        "SELECT * FROM prompt_revisions WHERE guild_id = ? AND prompt_id = ? ORDER BY id",
        (guild_id, prompt_id),
    )


async def count(db: Database, guild_id: int, *, theme: str | None, status: str | None) -> int:
    where, params = _filters(guild_id, theme, status)
    row = await db.fetchone(f"SELECT count(*) FROM prompts WHERE {where}", params)
    return int(row[0]) if row else 0


async def page(
    db: Database, guild_id: int, *, theme: str | None, status: str | None, offset: int, limit: int
) -> list[sqlite3.Row]:
    where, params = _filters(guild_id, theme, status)
    return await db.fetchall(
        f"SELECT * FROM prompts WHERE {where} ORDER BY id LIMIT ? OFFSET ?", [*params, limit, offset]
    )


def _filters(guild_id: int, theme: str | None, status: str | None) -> tuple[str, list[object]]:
    clauses, params = ["guild_id = ?"], [guild_id]
    if theme:
        clauses.append("theme = ?")
        params.append(theme)
    if status:
        clauses.append("status = ?")
        params.append(status)
    return " AND ".join(clauses), params


async def search(
    db: Database, guild_id: int, needle: str, statuses: Sequence[str], limit: int = 25
) -> list[sqlite3.Row]:
    marks = ",".join("?" for _ in statuses)
    pattern = f"%{needle}%"
    return await db.fetchall(
        f"SELECT id, theme, text, status FROM prompts WHERE guild_id = ? AND status IN ({marks}) "
        "AND (text LIKE ? OR CAST(id AS TEXT) LIKE ?) ORDER BY id LIMIT ?",
        [guild_id, *statuses, pattern, f"{needle}%", limit],
    )


async def export_rows(db: Database, guild_id: int) -> list[sqlite3.Row]:
    return await db.fetchall(
        "SELECT id, theme, text, pair_text, depth, content_note, status, pack, pack_date, times_posted FROM prompts "
        "WHERE guild_id = ? AND status <> 'rejected' ORDER BY id",
        (guild_id,),
    )


async def pending_count_by(db: Database, guild_id: int, user_id: int) -> int:
    row = await db.fetchone(
        "SELECT count(*) FROM prompts WHERE guild_id = ? AND suggested_by = ? AND status = 'pending'",
        (guild_id, user_id),
    )
    return int(row[0]) if row else 0


async def suggestions_by(db: Database, guild_id: int, user_id: int) -> list[sqlite3.Row]:
    return await db.fetchall(
        "SELECT id, theme, text, status FROM prompts WHERE guild_id = ? AND suggested_by = ? ORDER BY id",
        (guild_id, user_id),
    )


async def oldest_pending(db: Database, guild_id: int, after_id: int = 0) -> sqlite3.Row | None:
    return await db.fetchone(
        "SELECT * FROM prompts WHERE guild_id = ? AND status = 'pending' AND id > ? ORDER BY id LIMIT 1",
        (guild_id, after_id),
    )


async def rotation_candidates(db: Database, guild_id: int) -> list[sqlite3.Row]:
    return await db.fetchall(
        "SELECT id, theme, times_posted, depth FROM prompts WHERE guild_id = ? AND status = 'active' "
        "AND pack IS NULL ORDER BY id",
        (guild_id,),
    )


async def posted_depths(db: Database, guild_id: int) -> list[str]:
    """The depths of the prompts posted so far, oldest first (calendar posts included)."""
    rows = await db.fetchall(
        "SELECT p.depth FROM prompt_posts pp JOIN prompts p ON p.id = pp.prompt_id "
        "WHERE pp.guild_id = ? ORDER BY pp.iso_week",
        (guild_id,),
    )
    return [r["depth"] for r in rows]


async def pack_candidates(db: Database, guild_id: int, pack: str) -> list[sqlite3.Row]:
    """A calendar pack's active prompts, least posted first, then in library order."""
    return await db.fetchall(
        "SELECT id, theme, times_posted, depth FROM prompts WHERE guild_id = ? AND status = 'active' "
        "AND pack = ? ORDER BY times_posted, id",
        (guild_id, pack),
    )


async def pack_names(db: Database, guild_id: int) -> list[str]:
    """Every pack a prompt of this server belongs to (shipped and the server's own)."""
    rows = await db.fetchall(
        "SELECT DISTINCT pack FROM prompts WHERE guild_id = ? AND pack IS NOT NULL AND status = 'active' "
        "ORDER BY pack",
        (guild_id,),
    )
    return [r["pack"] for r in rows]


async def custom_pack_dates(db: Database, guild_id: int) -> dict[str, list[str]]:
    """The dates a server's own packs carry, by pack."""
    rows = await db.fetchall(
        "SELECT DISTINCT pack, pack_date FROM prompts WHERE guild_id = ? AND pack IS NOT NULL "
        "AND pack_date IS NOT NULL AND status = 'active' ORDER BY pack, pack_date",
        (guild_id,),
    )
    dates: dict[str, list[str]] = {}
    for r in rows:
        dates.setdefault(r["pack"], []).append(r["pack_date"])
    return dates


async def packs_present(conn: aiosqlite.Connection, guild_id: int) -> set[str]:
    """The packs that have any prompt in this server, whatever its status."""
    cursor = await conn.execute(
        "SELECT DISTINCT pack FROM prompts WHERE guild_id = ? AND pack IS NOT NULL", (guild_id,)
    )
    return {r[0] for r in await cursor.fetchall()}


async def light_opener(db: Database, guild_id: int, theme: str) -> sqlite3.Row | None:
    """A light rotation prompt without a content note to open a pair thread with: the same theme when it
    has one."""
    return await db.fetchone(
        "SELECT id, text, pair_text FROM prompts WHERE guild_id = ? AND status = 'active' AND pack IS NULL "
        "AND depth = 'light' AND content_note IS NULL ORDER BY theme <> ?, times_posted, id LIMIT 1",
        (guild_id, theme),
    )


async def posted_themes(db: Database, guild_id: int) -> list[str]:
    rows = await db.fetchall(
        "SELECT p.theme FROM prompt_posts pp JOIN prompts p ON p.id = pp.prompt_id "
        "WHERE pp.guild_id = ? ORDER BY pp.iso_week",
        (guild_id,),
    )
    return [r["theme"] for r in rows]


async def post_for_week(db: Database, guild_id: int, iso_week: str) -> sqlite3.Row | None:
    return await db.fetchone(
        "SELECT pp.*, p.text, p.theme, p.content_note, p.pair_text, p.depth, p.pack "
        "FROM prompt_posts pp JOIN prompts p ON p.id = pp.prompt_id "
        "WHERE pp.guild_id = ? AND pp.iso_week = ?",
        (guild_id, iso_week),
    )


async def claim_week(
    conn: aiosqlite.Connection, guild_id: int, iso_week: str, prompt_id: int, channel_id: int, now: datetime
) -> bool:
    """Reserve this week's post for `prompt_id`. False when the week already has one (the unique key)."""
    cursor = await conn.execute(
        "INSERT INTO prompt_posts (guild_id, iso_week, prompt_id, channel_id, status, created_at) "
        "VALUES (?, ?, ?, ?, 'claimed', ?) ON CONFLICT (guild_id, iso_week) DO NOTHING",
        (guild_id, iso_week, prompt_id, channel_id, now.isoformat()),
    )
    if cursor.rowcount == 0:
        return False
    await conn.execute(
        "UPDATE prompts SET times_posted = times_posted + 1 WHERE guild_id = ? AND id = ?",
        (guild_id, prompt_id),
    )
    return True


async def release_week(conn: aiosqlite.Connection, guild_id: int, iso_week: str) -> None:
    """Undo a claim whose post could not be made, so the week can be posted once the problem is fixed."""
    row = await (
        await conn.execute(
            "SELECT prompt_id FROM prompt_posts WHERE guild_id = ? AND iso_week = ? AND status = 'claimed'",
            (guild_id, iso_week),
        )
    ).fetchone()
    if row is None:
        return
    await conn.execute(
        "DELETE FROM prompt_posts WHERE guild_id = ? AND iso_week = ? AND status = 'claimed'",
        (guild_id, iso_week),
    )
    await conn.execute(
        "UPDATE prompts SET times_posted = max(0, times_posted - 1) WHERE guild_id = ? AND id = ?",
        (guild_id, row[0]),
    )


async def mark_posted(
    db: Database, guild_id: int, iso_week: str, message_id: int, thread_id: int | None, now: datetime
) -> None:
    await db.execute(
        "UPDATE prompt_posts SET status = 'posted', message_id = ?, thread_id = ?, posted_at = ? "
        "WHERE guild_id = ? AND iso_week = ?",
        (message_id, thread_id, now.isoformat(), guild_id, iso_week),
    )


async def week_of_thread(db: Database, guild_id: int, thread_id: int) -> str | None:
    row = await db.fetchone(
        "SELECT iso_week FROM prompt_posts WHERE guild_id = ? AND thread_id = ?", (guild_id, thread_id)
    )
    return row["iso_week"] if row else None


async def theme_name(db: Database, guild_id: int, slug: str) -> str | None:
    row = await db.fetchone("SELECT name FROM themes WHERE guild_id = ? AND slug = ?", (guild_id, slug))
    return row["name"] if row else None


async def active_in_theme(db: Database, guild_id: int, theme: str | None) -> list[sqlite3.Row]:
    """Active prompts of one theme (of every theme when None), oldest first."""
    if theme is None:
        return await db.fetchall(
            "SELECT id, text FROM prompts WHERE guild_id = ? AND status = 'active' ORDER BY id", (guild_id,)
        )
    return await db.fetchall(
        "SELECT id, text FROM prompts WHERE guild_id = ? AND status = 'active' AND theme = ? ORDER BY id",
        (guild_id, theme),
    )
