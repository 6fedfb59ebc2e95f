"""Storage shaped for the round, on a real SQLite file: the pair history and last-paired week kept as rounds
are saved (and by the migration), what a round reads, erasure, and the retention purge in short chunks."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

from bot.db import open_database
from bot.db import pairing as pairing_db
from bot.db import privacy as privacy_db
from bot.db.connection import APPLICATION_ID, migration_scripts
from bot.domain.pairing import pair_key
from bot.services import membership
from bot.services import pairing as pairing_service
from bot.services import privacy as privacy_service

GUILD, OTHER = 1, 2
NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)  # a Wednesday of 2026-W47


async def pairs_from_groups(db, guild_id: int) -> dict[tuple[int, int], str]:
    """The history rebuilt from raw group rows, the way rounds used to be prepared."""
    rows = await db.fetchall(
        "SELECT r.iso_week, gm.group_id, gm.user_id FROM group_members gm JOIN groups g ON g.id = gm.group_id "
        "JOIN rounds r ON r.id = g.round_id WHERE gm.guild_id = ? AND gm.user_id IS NOT NULL",
        (guild_id,),
    )
    groups: dict[int, tuple[str, list[int]]] = {}
    for week, group_id, user_id in rows:
        groups.setdefault(group_id, (week, []))[1].append(user_id)
    pairs: dict[tuple[int, int], str] = {}
    for week, members in groups.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                key = pair_key(a, b)
                pairs[key] = max(pairs.get(key, week), week)
    return pairs


async def stored_pairs(db, guild_id: int) -> dict[tuple[int, int], str]:
    rows = await db.fetchall(
        "SELECT user_a, user_b, last_week FROM pair_history WHERE guild_id = ?", (guild_id,)
    )
    return {(a, b): week for a, b, week in rows}


async def save(db, guild_id: int, week: str, groups) -> int:
    async with db.transaction() as conn:
        round_id = await pairing_db.insert_round(conn, guild_id, week, 1, None, groups, NOW)
    assert round_id is not None
    return round_id


async def add_members(db, guild_id: int, ids) -> None:
    for user_id in ids:
        await membership.join(db, guild_id, user_id, timezone=None, interests=None, frequency=None, now=NOW)


async def test_saving_rounds_keeps_pair_history_and_last_paired_week(tmp_path):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        await add_members(db, GUILD, [10, 20, 30, 40, 50, 60])
        await add_members(db, OTHER, [10, 20, 30])  # the same people in another server
        # Ids out of order inside groups, trios, a pair meeting twice, servers sharing members.
        await save(db, GUILD, "2026-W44", [(30, 10), (50, 20, 40), (60,)])
        await save(db, GUILD, "2026-W46", [(20, 10), (50, 40, 30)])
        await save(db, GUILD, "2026-W45", [(50, 40)])  # an older week saved later does not roll back
        await save(db, OTHER, "2026-W47", [(30, 20, 10)])
        for guild in (GUILD, OTHER):
            assert await stored_pairs(db, guild) == await pairs_from_groups(db, guild)
        assert (await stored_pairs(db, GUILD))[(40, 50)] == "2026-W46"
        weeks = dict(
            await db.fetchall("SELECT user_id, last_paired_week FROM members WHERE guild_id = ?", (GUILD,))
        )
        assert weeks == {
            10: "2026-W46",
            20: "2026-W46",
            30: "2026-W46",
            40: "2026-W46",
            50: "2026-W46",
            60: "2026-W44",
        }
        other = dict(
            await db.fetchall("SELECT user_id, last_paired_week FROM members WHERE guild_id = ?", (OTHER,))
        )
        assert other == {10: "2026-W47", 20: "2026-W47", 30: "2026-W47"}
    finally:
        await db.close()


async def test_migration_builds_the_history_from_existing_rounds(tmp_path):
    path = tmp_path / "old.sqlite3"
    raw = sqlite3.connect(path)
    raw.executescript(migration_scripts()[0][1])
    raw.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    raw.execute("PRAGMA user_version = 1")
    stamp = NOW.isoformat()
    for user in (5, 6, 7, 8):
        raw.execute(
            "INSERT INTO members (guild_id, user_id, joined_at, updated_at) VALUES (?, ?, ?, ?)",
            (GUILD, user, stamp, stamp),
        )
    for week, groups in (("2026-W40", [(8, 5), (7, 6)]), ("2026-W41", [(6, 5, 8)])):
        round_id = raw.execute(
            "INSERT INTO rounds (guild_id, iso_week, seed, created_at) VALUES (?, ?, 1, ?)",
            (GUILD, week, stamp),
        ).lastrowid
        for position, members in enumerate(groups, start=1):
            group_id = raw.execute(
                "INSERT INTO groups (guild_id, round_id, position) VALUES (?, ?, ?)",
                (GUILD, round_id, position),
            ).lastrowid
            for user in members:
                raw.execute(
                    "INSERT INTO group_members (guild_id, group_id, user_id) VALUES (?, ?, ?)",
                    (GUILD, group_id, user),
                )
    raw.commit()
    raw.close()
    db = await open_database(path)
    try:
        assert await stored_pairs(db, GUILD) == await pairs_from_groups(db, GUILD)
        assert (await stored_pairs(db, GUILD))[(5, 8)] == "2026-W41"
        weeks = dict(await db.fetchall("SELECT user_id, last_paired_week FROM members"))
        assert weeks == {5: "2026-W41", 6: "2026-W41", 7: "2026-W40", 8: "2026-W41"}
    finally:
        await db.close()


async def prepared(db, guild_id: int):
    settings = await pairing_service.pairing_settings(db, guild_id)
    assert settings is not None
    return await pairing_service.round_input(db, guild_id, "2026-W47", 3, settings, NOW)


async def test_a_round_reads_the_history_of_eligible_members_within_a_year(tmp_path):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        await add_members(db, GUILD, [1, 2, 3, 4, 5, 6])
        await pairing_db.set_excluded(db, GUILD, 6, True, NOW)
        await db.execute(
            "UPDATE guild_settings SET pairing_channel_id = 9, pairing_day = 0, pairing_time = '09:00' "
            "WHERE guild_id = ?",
            (GUILD,),
        )
        await save(db, GUILD, "2025-W30", [(2, 1)])  # more than a year ago
        await save(db, GUILD, "2026-W40", [(4, 3), (6, 5)])
        await save(db, GUILD, "2026-W45", [(5, 3)])
        await membership.leave(db, GUILD, 4, now=NOW)
        data = await prepared(db, GUILD)
        assert sorted(c.id for c in data.members) == [1, 2, 3, 5]
        # Every pair that met in the last year (the engine asks only about this round's members), not the
        # pair from over a year ago.
        ordinal = pairing_service.week_ordinal
        assert data.last_met == {
            (3, 4): ordinal("2026-W40"),
            (5, 6): ordinal("2026-W40"),
            (3, 5): ordinal("2026-W45"),
        }
        # A monthly member paired two weeks ago is not due; the last-paired week says so without a scan.
        await db.execute("UPDATE members SET frequency = 'monthly' WHERE user_id = 5")
        assert sorted(c.id for c in (await prepared(db, GUILD)).members) == [1, 2, 3]
    finally:
        await db.close()


async def test_forget_erases_the_members_pairs_and_keeps_the_others(tmp_path):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        await add_members(db, GUILD, [1, 2, 3, 4])
        await add_members(db, OTHER, [2, 3])
        await save(db, GUILD, "2026-W45", [(1, 2), (3, 4)])
        await save(db, GUILD, "2026-W46", [(2, 4), (3, 1)])
        await save(db, OTHER, "2026-W46", [(2, 3)])
        await privacy_db.forget(db, GUILD, 2)
        assert await stored_pairs(db, GUILD) == {(3, 4): "2026-W45", (1, 3): "2026-W46"}
        assert await stored_pairs(db, OTHER) == {(2, 3): "2026-W46"}
    finally:
        await db.close()


async def build_year(db, members: int, weeks: int) -> None:
    ids = list(range(100, 100 + members))
    await add_members(db, GUILD, ids)
    await add_members(db, OTHER, ids[:4])
    for back in range(weeks, 0, -1):
        moment = NOW - timedelta(weeks=back)
        week = f"{moment.isocalendar().year}-W{moment.isocalendar().week:02d}"
        shift = back % (members - 1) + 1
        groups = [(ids[i], ids[(i + shift) % members]) for i in range(0, members, 2)]
        round_id = await save(db, GUILD, week, groups)
        async with db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO events (guild_id, user_id, kind, iso_week, round_id, created_at) "
                "VALUES (?, ?, 'paired', ?, ?, ?)",
                [(GUILD, u, week, round_id, moment.isoformat()) for g in groups for u in g],
            )
    await save(db, OTHER, "2025-W01", [(ids[0], ids[1])])  # another server's old round: its own retention


async def test_the_purge_deletes_what_is_older_than_retention_in_short_chunks(tmp_path):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        await build_year(db, 60, 20)
        await db.execute("UPDATE guild_settings SET retention_weeks = 8 WHERE guild_id = ?", (GUILD,))
        await db.execute("UPDATE guild_settings SET retention_weeks = 260 WHERE guild_id = ?", (OTHER,))
        cutoff = NOW - timedelta(weeks=8)
        cutoff_week = f"{cutoff.isocalendar().year}-W{cutoff.isocalendar().week:02d}"
        chunks = privacy_db.Chunks(first=50, target=10.0)  # slow target: sizes only grow, never one big chunk

        # Another member joins while the purge runs: their write gets in between chunks.
        joined_at: list[int] = []
        original = db.transaction
        transactions = 0

        def counting():
            nonlocal transactions
            transactions += 1
            return original()

        db.transaction = counting  # type: ignore[method-assign]

        async def join_meanwhile() -> None:
            await asyncio.sleep(0)
            await membership.join(db, GUILD, 999, timezone=None, interests=None, frequency=None, now=NOW)
            joined_at.append(transactions)

        _, (removed_events, removed_rounds) = await asyncio.gather(
            join_meanwhile(), privacy_db.purge_before(db, GUILD, cutoff, cutoff_week, chunks)
        )
        db.transaction = original  # type: ignore[method-assign]
        assert chunks.transactions > 5
        assert joined_at and joined_at[0] < transactions - 3  # not made to wait for the whole purge
        weeks = [r[0] for r in await db.fetchall("SELECT iso_week FROM rounds WHERE guild_id = ?", (GUILD,))]
        assert weeks and min(weeks) >= cutoff_week and removed_rounds == 20 - len(weeks)
        orphans = await db.fetchone(
            "SELECT (SELECT count(*) FROM groups WHERE round_id NOT IN (SELECT id FROM rounds)) + "
            "(SELECT count(*) FROM group_members WHERE group_id NOT IN (SELECT id FROM groups))"
        )
        assert orphans[0] == 0
        left = await db.fetchone(
            "SELECT count(*) FROM events WHERE guild_id = ? AND kind = 'paired' AND iso_week < ?",
            (GUILD, cutoff_week),
        )
        assert left[0] == 0 and removed_events == 60 * removed_rounds
        assert await stored_pairs(db, GUILD) == await pairs_from_groups(db, GUILD)
        assert await db.fetchone("SELECT 1 FROM rounds WHERE guild_id = ?", (OTHER,)) is not None
        assert await stored_pairs(db, OTHER) != {}
    finally:
        await db.close()


async def test_the_service_purge_uses_each_servers_retention(tmp_path):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        await build_year(db, 8, 12)
        await db.execute("UPDATE guild_settings SET retention_weeks = 4")
        events, rounds = await privacy_service.purge_expired(db, NOW)
        assert rounds == 12 - 4 + 1  # the other server's 2025 round too
        assert events > 0
        assert await stored_pairs(db, OTHER) == {}
        assert await stored_pairs(db, GUILD) == await pairs_from_groups(db, GUILD)
    finally:
        await db.close()


async def setup_pairing(db, guild_id: int, members: int) -> list[int]:
    ids = [5000 + 37 * i for i in range(members)]
    await add_members(db, guild_id, ids)
    await db.execute(
        "UPDATE guild_settings SET pairing_channel_id = 9, pairing_day = 0, pairing_time = '09:00' "
        "WHERE guild_id = ?",
        (guild_id,),
    )
    return ids


async def test_a_large_round_is_saved_in_short_transactions_and_only_then_deliverable(tmp_path, monkeypatch):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        ids = await setup_pairing(db, GUILD, 101)
        monkeypatch.setattr(pairing_service, "SAVE_ROWS", 7)
        seen: list[tuple[int, int]] = []  # (deliverable rounds, groups saved) as other commands see them

        async def snapshot_state() -> None:
            row = await db.fetchone(
                "SELECT (SELECT count(*) FROM rounds WHERE saved = 1), (SELECT count(*) FROM groups)"
            )
            seen.append((row[0], row[1]))

        task = asyncio.ensure_future(pairing_service.create_round(db, GUILD, NOW, force=True, seed=4))
        while not task.done():
            await snapshot_state()
            await asyncio.sleep(0)
        outcome = task.result()
        assert outcome.status == "created" and outcome.plan is not None
        partial = [groups for saved, groups in seen if saved == 0 and groups > 0]
        assert len(set(partial)) >= 3  # other commands saw the round grow chunk by chunk, never deliverable
        assert await pairing_db.rounds_to_resume(db, GUILD) != []
        stored = await db.fetchall("SELECT user_id FROM group_members")
        assert sorted(r[0] for r in stored) == sorted(u for g in outcome.plan.groups for u in g)
        assert len(stored) == len(ids) - len(outcome.plan.sat_out)
    finally:
        await db.close()


async def test_a_save_cut_short_is_never_delivered_and_is_made_again(tmp_path):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        ids = await setup_pairing(db, GUILD, 40)
        earlier = await save(db, GUILD, "2026-W45", [(ids[0], ids[2])])
        await pairing_db.set_round_status(db, earlier, "delivered")
        async with db.transaction() as conn:  # as if the bot stopped after the first chunk
            round_id = await pairing_db.claim_round(conn, GUILD, "2026-W47", 1, None, [], NOW, saved=False)
            assert round_id is not None
            await pairing_db.insert_groups(conn, GUILD, round_id, "2026-W47", 1, [(ids[0], ids[1])])
        assert await pairing_db.rounds_to_resume(db, GUILD) == []
        assert (await privacy_db.pairing.round_for_week(db, GUILD, "2026-W47"))["saved"] == 0
        outcome = await pairing_service.create_round(db, GUILD, NOW, force=True, seed=4)
        assert outcome.status == "created" and outcome.round_id != round_id
        rows = await db.fetchall("SELECT iso_week, saved FROM rounds WHERE id <> ?", (outcome.round_id,))
        assert [tuple(r) for r in rows] == [("2026-W45", 1)]
        members = await db.fetchall(
            "SELECT user_id FROM group_members WHERE group_id IN (SELECT id FROM groups WHERE round_id = ?)",
            (outcome.round_id,),
        )
        assert sorted(r[0] for r in members) == sorted(ids)
        assert (await pairing_service.create_round(db, GUILD, NOW, force=True)).status == "already"
        weeks = {
            r[0]
            for r in await db.fetchall("SELECT last_paired_week FROM members WHERE guild_id = ?", (GUILD,))
        }
        assert weeks == {"2026-W47"}
    finally:
        await db.close()


async def test_a_round_cut_short_while_saving_leaves_no_pair_behind(tmp_path):
    """The bot stopped while saving a round; the round is made again. The pairs it had written go back to
    their last real meeting, or leave the history: nobody is counted as met who was never given a thread."""
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        await add_members(db, GUILD, [70, 20, 50, 40, 90, 60])
        await add_members(db, OTHER, [70, 20])  # the same two met in another server: untouched
        await save(db, GUILD, "2026-W45", [(50, 20), (70, 40)])
        await save(db, OTHER, "2026-W47", [(20, 70)])
        groups = [(90, 20), (70, 40), (60, 50)]  # 40-70 met before; the others never did
        async with db.transaction() as conn:  # the week's round, saved only in part
            round_id = await pairing_db.claim_round(conn, GUILD, "2026-W47", 1, None, groups, NOW, saved=False)
            group_ids = await pairing_db.insert_group_rows(conn, GUILD, round_id, 1, len(groups))
            rows = pairing_db.round_rows(GUILD, "2026-W47", group_ids, 1, groups)
            await pairing_db.write_round_rows(conn, rows.members, rows.pairs, rows.last_paired)
        await pairing_db.discard_unsaved_round(db, GUILD, round_id, "2026-W47")
        assert await stored_pairs(db, GUILD) == {(20, 50): "2026-W45", (40, 70): "2026-W45"}
        assert await stored_pairs(db, GUILD) == await pairs_from_groups(db, GUILD)
        assert await stored_pairs(db, OTHER) == {(20, 70): "2026-W47"}
    finally:
        await db.close()
