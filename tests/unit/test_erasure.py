"""Erasure is physical: after /exchange forget, neither the database file nor its WAL holds the member's id
or their words, and the daily backups that may still hold them are kept for a bounded time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.db import guilds as guild_db
from bot.db import open_database
from bot.services import membership, operations, pairing, privacy, prompts

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)
GUILD = 4242
# A snowflake-sized id, and the neighbours the same member talks to.
SECRET_ID = 1_177_420_633_905_441_337
OTHERS = (1_177_420_633_905_000_001, 1_177_420_633_905_000_002, 1_177_420_633_905_000_003)
SECRET_TEXT = "Which lullaby did your grandmother hum in Hokkien when nobody else listened?"


def id_patterns(user_id: int) -> list[bytes]:
    """How SQLite can hold the integer in a record (big-endian, 8 or 6 bytes) or as text."""
    return [user_id.to_bytes(8, "big"), str(user_id).encode()]


def raw(path: Path) -> bytes:
    data = path.read_bytes() if path.exists() else b""
    wal = path.with_name(path.name + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


async def _member_with_everything(db) -> None:
    await guild_db.ensure(db, GUILD, NOW)
    await guild_db.set_pairing_schedule(
        db, GUILD, channel_id=5, day=2, at="09:00", group_size=2, odd_policy="trio"
    )
    for user in (SECRET_ID, *OTHERS):
        await membership.join(
            db, GUILD, user, timezone="Asia/Taipei", interests="family", frequency=None, now=NOW
        )
    await pairing.set_block(db, GUILD, SECRET_ID, OTHERS[2], True, NOW)
    await prompts.suggest(db, GUILD, SECRET_ID, "family", SECRET_TEXT, NOW)
    outcome = await pairing.create_round(db, GUILD, NOW, force=True, seed=1)
    assert outcome.round_id is not None
    await membership.pause(db, GUILD, SECRET_ID, 2, now=NOW + timedelta(hours=1))


async def test_forget_leaves_neither_id_nor_words_in_the_file_or_the_wal(tmp_path):
    path = tmp_path / "bridges.sqlite3"
    db = await open_database(path)
    try:
        await _member_with_everything(db)
        before = raw(path)
        assert any(p in before for p in id_patterns(SECRET_ID)), "the test must see the id before"
        assert SECRET_TEXT.encode() in before
        await privacy.forget_member(db, GUILD, SECRET_ID)
        after = raw(path)
        for pattern in id_patterns(SECRET_ID):
            assert pattern not in after
        assert SECRET_TEXT.encode() not in after
        assert b"Hokkien" not in after
        # The others are still there: erasing one member did not erase the server.
        assert OTHERS[0].to_bytes(8, "big") in after
        assert (await db.fetchone("PRAGMA secure_delete"))[0] == 1
    finally:
        await db.close()


async def test_daily_backups_are_kept_for_seven_days_which_is_less_than_any_retention(tmp_path):
    db = await open_database(tmp_path / "bridges.sqlite3")
    folder = tmp_path / "backups"
    try:
        for day in range(12):
            await operations.rotate_backup(db, folder, NOW + timedelta(days=day))
        kept = sorted(p.name for p in folder.iterdir())
        assert len(kept) == operations.KEEP_BACKUPS == 7
        assert kept[0] == f"bridges-{NOW + timedelta(days=5):%Y-%m-%d}.sqlite3"
        # The shortest retention a server can choose is 4 weeks: a backup never outlives it.
        assert operations.KEEP_BACKUPS < 4 * 7
    finally:
        await db.close()
