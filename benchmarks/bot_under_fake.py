"""The real bot against the loopback fake of Discord: command latency, round delivery, start-up and memory.

    python benchmarks/bot_under_fake.py latency --members 1000 --concurrency 200
    python benchmarks/bot_under_fake.py delivery --members 1000
    python benchmarks/bot_under_fake.py startup --servers 100 --members 1000

Prints one JSON line per case.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import BridgesBot  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db import guilds as guild_db  # noqa: E402
from bot.db import open_database  # noqa: E402
from bot.services import membership  # noqa: E402
from tests.fakediscord import FakeDiscord  # noqa: E402
from tests.fakediscord.launch import spawn_bot  # noqa: E402

MACHINE = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def start_bot(fake: FakeDiscord, db_path: Path, clock=None) -> tuple[BridgesBot, asyncio.Task]:
    settings = load_settings(
        {"DISCORD_TOKEN": fake.token, "DATABASE_PATH": str(db_path)}, env_file=db_path.parent / "x"
    )
    bot = BridgesBot(settings, guild_ready_timeout=0.05, clock=clock)
    task = asyncio.create_task(bot.start(fake.token))
    await asyncio.wait_for(bot.wait_until_ready(), 60)
    return bot, task


async def latency(members: int, concurrency: int) -> list[dict]:
    fake = FakeDiscord()
    await fake.start()
    fake.install()
    fake.rate_limit = 10**6
    guild = fake.add_guild()
    people = [fake.add_member(guild, f"m{i}") for i in range(members * 2)]
    with tempfile.TemporaryDirectory() as folder:
        bot, task = await start_bot(fake, Path(folder) / "b.sqlite3")
        results = []

        async def one(member) -> tuple[float, float]:
            """(ms to the callback, which defers; ms to the answer the member reads)."""
            exchange = await fake.slash(guild, member, "exchange join", {"timezone": "Asia/Seoul"})
            await exchange.acknowledged(timeout=30)
            assert exchange.acknowledged_at is not None
            await exchange.reply(timeout=60)
            answered = fake._now()
            return (exchange.acknowledged_at - exchange.created_at) * 1000, (answered - exchange.created_at) * 1000

        sequential = [await one(m) for m in people[:members]]
        concurrent: list[tuple[float, float]] = []
        started = time.perf_counter()
        batch = people[members:]
        for i in range(0, len(batch), concurrency):
            concurrent += await asyncio.gather(*(one(m) for m in batch[i : i + concurrency]))
        elapsed = time.perf_counter() - started
        late = sum(1 for e in fake.exchanges.values() if 10062 in e.errors)
        for name, pairs in (("sequential", sequential), (f"{concurrency}_concurrent", concurrent)):
            callbacks, answers = [c for c, _ in pairs], [a for _, a in pairs]
            results.append(
                {
                    "case": f"latency_exchange_join_{name}",
                    "commands": len(pairs),
                    "p50_ms": round(statistics.median(callbacks), 2),
                    "p99_ms": round(percentile(callbacks, 0.99), 2),
                    "max_ms": round(max(callbacks), 2),
                    "answer_p50_ms": round(statistics.median(answers), 2),
                    "answer_p99_ms": round(percentile(answers, 0.99), 2),
                    "late_callbacks_10062": late,
                    **MACHINE,
                }
            )
        results[-1]["throughput_per_s"] = round(len(concurrent) / elapsed, 1)
        await bot.close()
        await task
    await fake.stop()
    return results


async def delivery(members: int) -> dict:
    fake = FakeDiscord()
    await fake.start()
    fake.install()
    fake.rate_limit = 50  # per route bucket per second, as Discord's headers say
    fake.rate_window = 1.0
    guild = fake.add_guild()
    people = [fake.add_member(guild, f"m{i}") for i in range(members)]
    mod = fake.add_member(guild, "mod", moderator=True)
    channel = fake.add_text_channel(guild, "pairs")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.sqlite3"
        db = await open_database(path)
        now = datetime(
            2026, 11, 16, 9, 0, tzinfo=UTC
        )  # a Monday morning; the round's own slot is Sunday night
        await guild_db.ensure(db, guild["id"], now)
        for person in people:
            await membership.join(
                db, guild["id"], person.id, timezone=None, interests=None, frequency=None, now=now
            )
        await guild_db.set_pairing_schedule(
            db,
            guild["id"],
            channel_id=channel.id,
            day=6,
            at="23:00",
            group_size=2,
            odd_policy="trio",
        )
        await db.close()
        bot, task = await start_bot(fake, path, clock=lambda: now)
        # A few 429s along the way, as Discord sends when another client shares the limit.
        for after in (40, 120, 200, 280, 360):
            fake.fail("POST", r"^/channels/\d+/threads$", 429, count=1, retry_after=0.5, after=after)
        before = len(fake.requests)
        started = time.perf_counter()
        exchange = await fake.slash(guild, mod, "pairing run-now")
        reply = await exchange.reply(timeout=600)
        elapsed = time.perf_counter() - started
        threads = fake.threads_in(channel, 12)
        delivery_requests = [
            r for r in fake.requests[before:] if "/threads" in r.path or r.path.startswith(("/channels/",))
        ]
        groups = len(threads)
        # One thread-creation bucket for the channel, and Discord's global 50 requests per second (the bot
        # keeps to it; interaction replies are exempt): the larger is the floor.
        bucket_floor = groups / fake.rate_limit * fake.rate_window
        floor = max(bucket_floor, len(delivery_requests) / 50)
        result = {
            "case": "round_delivery",
            "members": members,
            "groups": groups,
            "requests_per_group": round(len(delivery_requests) / max(1, groups), 2),
            "seconds": round(elapsed, 2),
            "rate_limit_floor_seconds": round(floor, 2),
            "thread_bucket_floor_seconds": round(bucket_floor, 2),
            "ratio_to_floor": round(elapsed / floor, 2) if floor else None,
            "threads_per_group_exactly_one": len({t.name for t in threads}) == groups,
            "reply": reply.text[:80],
            **MACHINE,
        }
        await bot.close()
        await task
    await fake.stop()
    return result


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def startup(servers: int, members: int) -> dict:
    fake = FakeDiscord()
    await fake.start()
    fake.install()
    guilds = [fake.add_guild(f"server {i}") for i in range(servers)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.sqlite3"
        db = await open_database(path)
        now = datetime.now(UTC)
        stamp = now.isoformat()
        async with db.transaction() as conn:
            for guild in guilds:
                await conn.execute(
                    "INSERT INTO guild_settings (guild_id, created_at) VALUES (?, ?)", (guild["id"], stamp)
                )
                await conn.executemany(
                    "INSERT INTO members (guild_id, user_id, joined_at, updated_at) VALUES (?, ?, ?, ?)",
                    [(guild["id"], 10**17 + i, stamp, stamp) for i in range(members)],
                )
        await db.close()
        figures = {}
        for attempt in ("first start", "restart"):
            syncs_before = len(fake.sync_requests)
            started = time.perf_counter()
            proc = await spawn_bot(
                fake, path, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
            )
            assert proc.stderr is not None
            while True:
                line = await asyncio.wait_for(proc.stderr.readline(), 120)
                if not line:
                    raise RuntimeError("the bot exited before it was ready")
                if b"connected as bot user" in line:
                    break
            ready = time.perf_counter() - started
            figures[attempt] = {
                "seconds_to_ready": round(ready, 2),
                "rss_mb": round(rss_mb(proc.pid), 1),
                "sync_requests": len(fake.sync_requests) - syncs_before,
            }
            proc.terminate()
            await proc.wait()
    await fake.stop()
    return {"case": "startup", "servers": servers, "members_per_server": members, **figures, **MACHINE}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("case", choices=["latency", "delivery", "startup"])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--servers", type=int, default=100)
    args = parser.parse_args()
    if args.case == "latency":
        for line in asyncio.run(latency(args.members, args.concurrency)):
            print(json.dumps(line), flush=True)
    elif args.case == "delivery":
        print(json.dumps(asyncio.run(delivery(args.members))), flush=True)
    else:
        print(json.dumps(asyncio.run(startup(args.servers, args.members))), flush=True)


if __name__ == "__main__":
    main()
