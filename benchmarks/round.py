"""A whole weekly round as a host and its members feel it: preparation, delivery, and /exchange join meanwhile.

    python benchmarks/round.py --members 1000 --weeks 26 --rtt-ms 50
    python benchmarks/round.py --members 10000 --weeks 52 --rtt-ms 50 --purge
    python benchmarks/round.py --members 100000 --weeks 52 --prepare-only

The database holds one server with realistic members (a dozen timezones, 0-4 interests, mostly weekly,
1% of members blocking someone) and `--weeks` of past rounds, saved the way the bot saves them.

- **Preparation** (read, plan, save: `create_round`) runs in a fresh process on a copy of that database;
  its time and the process's peak RSS (VmHWM) are reported.
- **Delivery** runs the real bot as its own process (`python -m bot`) against the loopback fake of Discord.
  Every REST request the bot makes waits `--rtt-ms` (half before the fake handles it, half after), and the
  fake applies Discord's per-route rate limits (50 per bucket per second). A moderator sends
  `/pairing run-now`; meanwhile newcomers send `/exchange join` every 100 ms and their latency is measured
  from the interaction's dispatch to the bot's acknowledgement (both round trips included).
  The rate-limit floor is the larger of the thread-creation bucket's (groups / 50 per s) and Discord's
  global limit of 50 requests per second over the delivery's requests.
- **Purge** (`--purge`): the bot restarts with a 4-week retention, so the daily purge deletes the old
  rounds at start; newcomers send `/exchange join` until the purge logs that it is done.

Each figure is the median of `--runs` runs (default 3). Prints one JSON line per run, then one JSON object
with the medians (the last line).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.db import open_database  # noqa: E402
from bot.domain import schedule  # noqa: E402
from tests.fakediscord import FakeDiscord  # noqa: E402
from tests.fakediscord.launch import spawn_bot  # noqa: E402

MACHINE = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()}
ANSWERS, ANSWER_WEIGHTS = ("met", "not_yet", "cant_make_it", None), (55, 10, 5, 30)
TIMEZONES = (
    ("Asia/Seoul", 14),
    ("Asia/Manila", 10),
    ("Asia/Kolkata", 8),
    ("Asia/Tokyo", 6),
    ("Asia/Singapore", 6),
    ("America/Los_Angeles", 14),
    ("America/New_York", 12),
    ("America/Toronto", 5),
    ("Europe/London", 8),
    ("Europe/Berlin", 5),
    ("Australia/Sydney", 4),
    (None, 8),
)
INTERESTS = (
    "food",
    "family",
    "language",
    "migration",
    "coming-out",
    "faith",
    "music",
    "film",
    "work",
    "art",
    "sport",
    "history",
)
JOIN_EVERY = 0.1  # seconds between newcomers' /exchange join during a round or a purge


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def week_of(moment: datetime) -> str:
    return schedule.week_key(moment, schedule.zone("UTC"))


# ----------------------------------------------------------------------------------------- the database


async def create_schema(path: Path) -> None:
    db = await open_database(path)
    await db.close()


def build(
    path: Path,
    guild_id: int,
    channel_id: int,
    member_ids: list[int],
    weeks: int,
    now: datetime,
    with_events: bool,
) -> dict:
    """One server with members, 1% blocks and `weeks` of past rounds (random pairings), written directly
    into a database the bot created (`create_schema`)."""
    rng = random.Random(12)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -400000")  # 400 MB: the indexes are filled in random order
    # Secondary indexes are dropped while loading and made again at the end (a sort, not random inserts).
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('group_members', 'pair_history', 'events')"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    stamp = (now - timedelta(weeks=weeks + 1)).isoformat()
    zones = [z for z, _ in TIMEZONES]
    weights = [w for _, w in TIMEZONES]
    with conn:
        # Not due during the run (Sunday 23:59 UTC), so only /pairing run-now makes the round.
        conn.execute(
            "INSERT INTO guild_settings (guild_id, timezone, pairing_channel_id, pairing_day, pairing_time, "
            "retention_weeks, created_at) VALUES (?, 'UTC', ?, 6, '23:59', 260, ?)",
            (guild_id, channel_id, stamp),
        )
        conn.executemany(
            "INSERT INTO members (guild_id, user_id, timezone, interests, frequency, joined_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    guild_id,
                    user_id,
                    rng.choices(zones, weights)[0],
                    ",".join(rng.sample(INTERESTS, rng.choice((0, 1, 2, 2, 3, 3, 4)))),
                    rng.choices(("weekly", "biweekly", "monthly"), (85, 10, 5))[0],
                    stamp,
                    stamp,
                )
                for user_id in member_ids
            ),
        )
        blockers = rng.sample(member_ids, max(1, len(member_ids) // 100))
        conn.executemany(
            "INSERT OR IGNORE INTO blocks (guild_id, blocker_id, blocked_id, created_at) VALUES (?, ?, ?, ?)",
            ((guild_id, b, rng.choice(member_ids), stamp) for b in blockers),
        )
        conn.execute("DELETE FROM blocks WHERE blocker_id = blocked_id")
    order = list(member_ids)
    for back in range(weeks, 0, -1):
        moment = now - timedelta(weeks=back)
        week = week_of(moment)
        rng.shuffle(order)
        pairs = [(order[i], order[i + 1]) for i in range(0, len(order) - 1, 2)]
        with conn:
            round_id = conn.execute(
                "INSERT INTO rounds (guild_id, iso_week, seed, status, created_at, member_count) "
                "VALUES (?, ?, ?, 'delivered', ?, ?)",
                (guild_id, week, back, moment.isoformat(), 2 * len(pairs)),
            ).lastrowid
            conn.executemany(
                "INSERT INTO groups (guild_id, round_id, position, thread_id) VALUES (?, ?, ?, ?)",
                ((guild_id, round_id, p, 10**18 + back * 10**6 + p) for p in range(1, len(pairs) + 1)),
            )
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM groups WHERE round_id = ? ORDER BY position", (round_id,)
                )
            ]
            # Most members answer the mid-week check-in (70%); the rest stay silent, so about 3% have
            # three silent rounds in a row and are paused for it when the round is made, as in a real server.
            conn.executemany(
                "INSERT INTO group_members (guild_id, group_id, user_id, checkin) VALUES (?, ?, ?, ?)",
                (
                    (guild_id, gid, u, rng.choices(ANSWERS, ANSWER_WEIGHTS)[0])
                    for gid, pair in zip(ids, pairs, strict=True)
                    for u in pair
                ),
            )
            conn.executemany(
                "INSERT INTO pair_history (guild_id, user_a, user_b, last_week) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO UPDATE SET last_week = excluded.last_week",
                ((guild_id, min(a, b), max(a, b), week) for a, b in pairs),
            )
            if with_events:  # only the purge reads them; they double the time to build
                conn.executemany(
                    "INSERT INTO events (guild_id, user_id, kind, iso_week, round_id, group_size, created_at) "
                    "VALUES (?, ?, 'paired', ?, ?, 2, ?)",
                    ((guild_id, u, week, round_id, moment.isoformat()) for pair in pairs for u in pair),
                )
            conn.executemany(
                "UPDATE members SET last_paired_week = ? WHERE guild_id = ? AND user_id = ?",
                ((week, guild_id, u) for pair in pairs for u in pair),
            )
    with conn:
        for _, sql in indexes:
            conn.execute(sql)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    counts = {
        "pair_history_rows": conn.execute("SELECT count(*) FROM pair_history").fetchone()[0],
        "blocks": conn.execute("SELECT count(*) FROM blocks").fetchone()[0],
    }
    conn.close()
    return {**counts, "database_mb": round(path.stat().st_size / 2**20, 1)}


def copy_database(source: Path, target: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copyfile(source, target)


# ----------------------------------------------------------------------------------------- preparation


async def prepare_in_this_process(path: Path, guild_id: int) -> dict:
    from bot.services import pairing

    phases: dict[str, float] = {}
    read, plan = pairing.round_input, pairing.plan_round

    async def timed_read(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        result = await read(*args, **kwargs)
        phases["read_s"] = time.perf_counter() - t0
        return result

    def timed_plan(*args: Any) -> Any:
        t0 = time.perf_counter()
        result = plan(*args)
        phases["plan_s"] = time.perf_counter() - t0
        return result

    pairing.round_input, pairing.plan_round = timed_read, timed_plan  # type: ignore[assignment]
    db = await open_database(path)
    started = time.perf_counter()
    outcome = await pairing.create_round(db, guild_id, datetime.now(UTC), force=True, seed=7)
    elapsed = time.perf_counter() - started
    phases["save_s"] = elapsed - sum(phases.values())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    phases["process_cpu_s"] = usage.ru_utime + usage.ru_stime  # the whole process, imports included
    await db.close()
    status = Path("/proc/self/status").read_text().splitlines()
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    plan = outcome.plan
    return {
        "status": outcome.status,
        "prepare_s": round(elapsed, 2),
        "prepare_peak_rss_mb": round(peak, 1),
        **{key: round(value, 2) for key, value in phases.items()},
        "groups": len(plan.groups) if plan else 0,
        "repeats": plan.repeats if plan else None,
        "blocked_pairs": plan.blocked if plan else None,
    }


def prepare_in_child(path: Path, guild_id: int) -> dict:
    import subprocess

    out = subprocess.run(
        [sys.executable, __file__, "--prepare-child", str(path), "--guild", str(guild_id)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------- under the fake


class FakeWithRoundTrip(FakeDiscord):
    """The loopback fake, with a network round trip added to every REST request and a timeline of them."""

    def __init__(self, rtt: float) -> None:
        super().__init__()
        self.rtt = rtt
        self.timeline: list[tuple[float, float, str, str]] = []  # (start, end, method, path)

    async def _rest(self, request: Any) -> Any:
        await asyncio.sleep(self.rtt / 2)
        started = time.perf_counter()
        response = await super()._rest(request)
        self.timeline.append(
            (started, time.perf_counter(), request.method, request.path.removeprefix("/api/v10"))
        )
        await asyncio.sleep(self.rtt / 2)
        return response


class BotProcess:
    """`python -m bot` against the fake, its log read line by line (so the pipe never fills)."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []
        self.changed = asyncio.Event()
        self._reader: asyncio.Task | None = None

    async def start(self, fake: FakeDiscord, path: Path) -> None:
        self.proc = await spawn_bot(
            fake, path, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        self._reader = asyncio.create_task(self._read())
        await self.wait_for("connected as bot user", 120)

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            self.lines.append(line.decode(errors="replace"))
            self.changed.set()

    async def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if text in line:
                    return line
            seen = len(self.lines)
            if self.proc is not None and self.proc.returncode is not None:
                raise RuntimeError("the bot exited:\n" + "".join(self.lines[-20:]))
            self.changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no log line with {text!r}:\n" + "".join(self.lines[-20:]))
            try:
                await asyncio.wait_for(self.changed.wait(), min(remaining, 1.0))
            except TimeoutError:
                pass

    def peak_rss_mb(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()
        if self._reader is not None:
            await self._reader


class Joins:
    """Newcomers sending /exchange join at a steady pace until stopped; latencies in milliseconds."""

    def __init__(self, fake: FakeDiscord, guild: dict, newcomers: list) -> None:
        self.fake, self.guild, self.newcomers = fake, guild, newcomers
        self.latencies: list[float] = []
        self.sent_at: list[float] = []  # perf_counter when each measured join was sent
        self.failed = 0
        self._stop = asyncio.Event()
        self._pending: set[asyncio.Task] = set()

    async def _one(self, member) -> None:
        sent = time.perf_counter()
        exchange = await self.fake.slash(self.guild, member, "exchange join", {"timezone": "Asia/Seoul"})
        try:
            await exchange.acknowledged(timeout=30)
        except Exception:
            self.failed += 1
            return
        if exchange.acknowledged_at is None:
            self.failed += 1
            return
        self.latencies.append((exchange.acknowledged_at - exchange.created_at) * 1000)
        self.sent_at.append(sent)

    def p99_between(self, start: float, end: float) -> float | None:
        values = [ms for ms, at in zip(self.latencies, self.sent_at, strict=True) if start <= at < end]
        return round(percentile(values, 0.99), 1) if values else None

    async def run(self) -> None:
        for member in self.newcomers:
            if self._stop.is_set():
                break
            task = asyncio.create_task(self._one(member))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
            try:
                await asyncio.wait_for(self._stop.wait(), JOIN_EVERY)
            except TimeoutError:
                pass

    async def stop(self) -> None:
        self._stop.set()
        if self._pending:
            await asyncio.gather(*self._pending)

    def figures(self, prefix: str) -> dict:
        if not self.latencies:
            return {f"{prefix}_joins": 0, f"{prefix}_failed": self.failed}
        return {
            f"{prefix}_joins": len(self.latencies),
            f"{prefix}_failed": self.failed,
            f"{prefix}_p50_ms": round(statistics.median(self.latencies), 1),
            f"{prefix}_p99_ms": round(percentile(self.latencies, 0.99), 1),
            f"{prefix}_max_ms": round(max(self.latencies), 1),
        }


async def one_run(
    args: argparse.Namespace, base: Path, world: dict, fake: FakeWithRoundTrip, run: int
) -> dict:
    path = base.parent / f"run{run}.sqlite3"
    copy_database(base, path)
    result: dict[str, Any] = {"run": run}
    result.update(prepare_in_child(path, world["guild"]["id"]))
    copy_database(base, path)  # the bot makes its own round on a fresh copy
    if args.prepare_only:
        return result
    newcomers = world["newcomers"][run * 2000 : (run + 1) * 2000]
    bot = BotProcess()
    await bot.start(fake, path)
    try:
        joins = Joins(fake, world["guild"], newcomers[:1000])
        joining = asyncio.create_task(joins.run())
        before = len(fake.timeline)
        sent = time.perf_counter()
        exchange = await fake.slash(world["guild"], world["mod"], "pairing run-now")
        reply = await exchange.reply(timeout=1800)
        await joins.stop()
        await joining
        channel_id = world["channel"].id
        delivery = [t for t in fake.timeline[before:] if t[3].startswith("/channels/")]
        creates = [t for t in delivery if t[2] == "POST" and t[3] == f"/channels/{channel_id}/threads"]
        if not creates:
            raise RuntimeError(f"no thread was opened; the reply was {reply.text!r}; log: {bot.lines[-5:]}")
        groups = len(creates)
        first, last = creates[0][0], max(t[1] for t in delivery)
        deliver_s = last - first + args.rtt_ms / 1000  # the first request's outbound half-trip included
        requests = [t for t in delivery if t[0] >= first]
        bucket_floor = groups / fake.rate_limit * fake.rate_window
        global_floor = len(requests) / 50
        floor = max(bucket_floor, global_floor)
        result.update(
            {
                "reply": reply.text[:60],
                "groups_delivered": groups,
                "prepare_in_bot_s": round(first - sent, 2),
                "deliver_s": round(deliver_s, 2),
                "floor_s": round(floor, 2),
                "bucket_floor_s": round(bucket_floor, 2),
                "ratio_to_floor": round(deliver_s / floor, 3) if floor else None,
                "requests_per_group": round(len(requests) / max(1, groups), 2),
                "bot_peak_rss_mb": round(bot.peak_rss_mb(), 1),
                "join_p99_while_preparing_ms": joins.p99_between(sent, first),
                "join_p99_while_delivering_ms": joins.p99_between(first, last),
                **joins.figures("join"),
            }
        )
    finally:
        await bot.stop()
    if args.purge:
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE guild_settings SET retention_weeks = 4")
        bot = BotProcess()
        await bot.start(fake, path)
        try:
            joins = Joins(fake, world["guild"], newcomers[1000:])
            joining = asyncio.create_task(joins.run())
            line = await bot.wait_for("retention purge removed", 1800)
            await joins.stop()
            await joining
            result.update({"purge_log": line.strip().split(": ", 1)[-1], **joins.figures("purge_join")})
        finally:
            await bot.stop()
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return result


def median_of(runs: list[dict], key: str) -> Any:
    values = [r[key] for r in runs if isinstance(r.get(key), int | float)]
    return round(statistics.median(values), 3) if values else None


async def main_async(args: argparse.Namespace) -> None:
    now = datetime.now(UTC)
    fake = FakeWithRoundTrip(args.rtt_ms / 1000)
    world: dict[str, Any] = {}
    if args.prepare_only:
        world["guild"] = {"id": 4242}
        member_ids = [10**17 + 7919 * i for i in range(args.members)]
    else:
        await fake.start()
        fake.install()
        guild = fake.add_guild("Bridges benchmark")
        people = [fake.add_member(guild, f"m{i}") for i in range(args.members)]
        world.update(
            guild=guild,
            mod=fake.add_member(guild, "mod", moderator=True),
            channel=fake.add_text_channel(guild, "pairs"),
            newcomers=[fake.add_member(guild, f"new{i}") for i in range(2000 * args.runs)],
        )
        member_ids = [p.id for p in people]
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base.sqlite3"
        cached = None
        if args.db_cache and args.prepare_only:  # the same synthetic server: built once, reused
            cached = args.db_cache / f"round-{args.members}-{args.weeks}-{week_of(now)}.sqlite3"
        started = time.perf_counter()
        if cached is not None and cached.exists():
            copy_database(cached, base)
            built = {"reused": str(cached.name)}
        else:
            await create_schema(base)
            built = build(
                base,
                world["guild"]["id"],
                world["channel"].id if "channel" in world else 1,
                member_ids,
                args.weeks,
                now,
                with_events=args.purge,
            )
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                copy_database(base, cached)
        built["build_s"] = round(time.perf_counter() - started, 1)
        print(
            json.dumps({"case": "round_database", "members": args.members, "weeks": args.weeks, **built}),
            flush=True,
        )
        runs = []
        for run in range(args.runs):
            result = await one_run(args, base, world, fake, run)
            runs.append(result)
            print(json.dumps({"case": "round_run", **result}), flush=True)
    if not args.prepare_only:
        await fake.stop()
    keys = [k for k, v in runs[0].items() if isinstance(v, int | float) and k != "run"]
    summary = {
        "case": "round",
        "members": args.members,
        "weeks": args.weeks,
        "rtt_ms": args.rtt_ms,
        "runs": len(runs),
        "load_average_1min": round(os.getloadavg()[0], 1),  # other work on the machine while measuring
        **{key: median_of(runs, key) for key in keys},
        "join_p99_ms": median_of(runs, "join_p99_ms"),
        **MACHINE,
    }
    for key in ("prepare_s", "prepare_peak_rss_mb", "deliver_s", "floor_s", "requests_per_group"):
        summary.setdefault(key, None)
    print(json.dumps(summary), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--prepare-only", action="store_true", help="time preparation only (no fake, no bot)")
    parser.add_argument("--purge", action="store_true", help="also measure /exchange join during a purge")
    parser.add_argument("--db-cache", type=Path, help="with --prepare-only: keep the built database here")
    parser.add_argument("--prepare-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--guild", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare_child:
        print(json.dumps(asyncio.run(prepare_in_this_process(args.prepare_child, args.guild))), flush=True)
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
