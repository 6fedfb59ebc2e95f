"""A member's export of their rounds, on a real SQLite file: a group whose thread is not open yet (the round
is saved and not delivered) shows no thread rather than the text "None"; a delivered one shows its thread."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.db import open_database
from bot.db import pairing as pairing_db
from bot.services import membership, privacy

GUILD = 5
NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)


async def test_an_undelivered_group_has_no_thread_in_the_export(tmp_path):
    db = await open_database(tmp_path / "export.sqlite3")
    try:
        me, other, third, fourth = 8123, 4456, 9901, 1200
        for user_id in (me, other, third, fourth):
            await membership.join(db, GUILD, user_id, timezone=None, interests=None, frequency=None, now=NOW)
        async with db.transaction() as conn:
            await pairing_db.insert_round(conn, GUILD, "2026-W46", 1, None, [(other, me), (third, fourth)], NOW)
            await pairing_db.insert_round(conn, GUILD, "2026-W47", 2, None, [(me, third), (other, fourth)], NOW)
        delivered = await db.fetchone(
            "SELECT g.id FROM groups g JOIN rounds r ON r.id = g.round_id JOIN group_members gm "
            "ON gm.group_id = g.id WHERE r.iso_week = '2026-W46' AND gm.user_id = ?",
            (me,),
        )
        await pairing_db.set_thread(db, delivered["id"], 777_000_111)
        data = json.loads(await privacy.export_member(db, GUILD, me, NOW))
        by_week = {r["week"]: r for r in data["rounds"]}
        assert by_week["2026-W46"]["thread_id"] == "777000111"
        assert by_week["2026-W46"]["members"] == [str(other)]
        assert by_week["2026-W47"]["thread_id"] is None
        assert by_week["2026-W47"]["members"] == [str(third)]
    finally:
        await db.close()
