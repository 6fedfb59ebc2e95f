"""/stats over a year of participation, and database size per member-year.

    python benchmarks/database.py --members 100000 --weeks 52

Builds one server where every member is paired every week (the heaviest case), half answer the check-in
and a fifth write in the prompt thread, then times the /stats queries. Prints one JSON line per case.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.db import open_database
from bot.domain import schedule
from bot.services import stats

GUILD = 1


async def build(path: Path, members: int, weeks: int, now: datetime) -> None:
    db = await open_database(path)
    rng = random.Random(7)
    tz = schedule.zone("UTC")
    first = now - timedelta(weeks=weeks)
    stamp = first.isoformat()
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO guild_settings (guild_id, created_at) VALUES (?, ?)", (GUILD, stamp))
        await conn.executemany(
            "INSERT INTO members (guild_id, user_id, interests, joined_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            [(GUILD, 10**17 + i, "stories,family", stamp, stamp) for i in range(members)],
        )
        await conn.executemany(
            "INSERT INTO events (guild_id, user_id, kind, iso_week, created_at) VALUES (?, ?, 'joined', ?, ?)",
            [(GUILD, 10**17 + i, schedule.week_key(first, tz), stamp) for i in range(members)],
        )
    ids = [10**17 + i for i in range(members)]
    for week in range(weeks):
        moment = first + timedelta(weeks=week + 1)
        key = schedule.week_key(moment, tz)
        when = moment.isoformat()
        rng.shuffle(ids)
        async with db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO rounds (guild_id, iso_week, seed, status, created_at) VALUES (?, ?, ?, 'delivered', ?)",
                (GUILD, key, week, when),
            )
            round_id = cursor.lastrowid
            await conn.executemany(
                "INSERT INTO groups (guild_id, round_id, position, thread_id) VALUES (?, ?, ?, ?)",
                [(GUILD, round_id, p, 10**18 + week * members + p) for p in range(members // 2)],
            )
            first_group = (
                await (
                    await conn.execute("SELECT min(id) FROM groups WHERE round_id = ?", (round_id,))
                ).fetchone()
            )[0]
            answers = ("met", "not_yet", None, None)
            rows = []
            events = []
            for index, user in enumerate(ids[: members - members % 2]):
                answer = answers[rng.randrange(4)]
                rows.append((GUILD, first_group + index // 2, user, answer))
                events.append((GUILD, user, "paired", key, round_id, 2, when))
                if answer:
                    events.append((GUILD, user, answer, key, round_id, None, when))
                if rng.random() < 0.2:
                    events.append((GUILD, user, "prompt_reply", key, None, None, when))
            await conn.executemany(
                "INSERT INTO group_members (guild_id, group_id, user_id, checkin) VALUES (?, ?, ?, ?)", rows
            )
            paired = ids[: members - members % 2]
            await conn.executemany(  # what saving a round keeps besides its groups (migration 3)
                "INSERT INTO pair_history (guild_id, user_a, user_b, last_week) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO UPDATE SET last_week = excluded.last_week",
                [(GUILD, min(a, b), max(a, b), key) for a, b in zip(paired[::2], paired[1::2], strict=True)],
            )
            await conn.executemany(
                "UPDATE members SET last_paired_week = ? WHERE guild_id = ? AND user_id = ?",
                [(key, GUILD, u) for u in paired],
            )
            await conn.executemany(
                "INSERT INTO events (guild_id, user_id, kind, iso_week, round_id, group_size, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                events,
            )
    async with db.transaction() as conn:  # the counters the bot keeps as check-ins arrive
        await conn.execute(
            "UPDATE rounds SET member_count = (SELECT count(*) FROM group_members gm JOIN groups g "
            "ON g.id = gm.group_id WHERE g.round_id = rounds.id), answered_count = (SELECT count(gm.checkin) "
            "FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE g.round_id = rounds.id), "
            "met_groups = (SELECT count(DISTINCT gm.group_id) FROM group_members gm JOIN groups g "
            "ON g.id = gm.group_id WHERE g.round_id = rounds.id AND gm.checkin = 'met')"
        )
    await db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    await db.close()


async def measure(members: int, weeks: int) -> list[dict]:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    machine = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.sqlite3"
        started = time.perf_counter()
        await build(path, members, weeks, now)
        build_seconds = time.perf_counter() - started
        size = path.stat().st_size
        db = await open_database(path)
        events = (await db.fetchone("SELECT count(*) FROM events"))[0]
        results = []
        for span in (12, 52):
            timings = []
            for _ in range(5):
                t0 = time.perf_counter()
                rows = await stats.weekly(db, GUILD, span, now)
                stats.to_csv(rows)
                timings.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            stats.render_chart(rows)
            chart_ms = (time.perf_counter() - t0) * 1000
            results.append(
                {
                    "case": f"stats_{span}_weeks",
                    "members": members,
                    "weeks_of_data": weeks,
                    "events": events,
                    "query_ms_median": round(sorted(timings)[2], 1),
                    "query_ms_max": round(max(timings), 1),
                    "chart_render_ms": round(chart_ms, 1),
                    **machine,
                }
            )
        await db.close()
        results.append(
            {
                "case": "database_size",
                "members": members,
                "weeks_of_data": weeks,
                "events": events,
                "bytes": size,
                "bytes_per_member_year": round(size / members * 52 / weeks),
                "build_seconds": round(build_seconds, 1),
                **machine,
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    for line in asyncio.run(measure(args.members, args.weeks)):
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
