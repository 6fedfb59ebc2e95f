"""The per-round counters behind /stats stay equal to what the group rows say."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.db import open_database
from bot.db import pairing as pairing_db
from bot.db import privacy as privacy_db

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)


async def counters(db, round_id):
    row = await db.fetchone(
        "SELECT member_count, answered_count, met_groups FROM rounds WHERE id = ?", (round_id,)
    )
    return tuple(row)


async def test_counters_follow_checkins_changes_and_erasure(tmp_path):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        async with db.transaction() as conn:
            round_id = await pairing_db.insert_round(
                conn, 1, "2026-W47", 5, None, [(10, 11), (12, 13, 14)], NOW
            )
        groups = [g["id"] for g in await pairing_db.groups_of_round(db, round_id)]
        assert await counters(db, round_id) == (5, 0, 0)
        async with db.transaction() as conn:
            await pairing_db.set_checkin(conn, groups[0], 10, "met")
            await pairing_db.set_checkin(conn, groups[0], 11, "met")
            await pairing_db.set_checkin(conn, groups[1], 12, "not_yet")
        assert await counters(db, round_id) == (5, 3, 1)
        async with db.transaction() as conn:
            await pairing_db.set_checkin(conn, groups[1], 12, "met")  # changed their answer
            await pairing_db.set_checkin(conn, groups[0], 10, "cant_make_it")
        assert await counters(db, round_id) == (5, 3, 2)
        await privacy_db.forget(db, 1, 11)  # the last "met" of the first group goes with them
        assert await counters(db, round_id) == (5, 2, 1)
    finally:
        await db.close()
