"""A simulated year of the real bot against the loopback fake of Discord (not part of CI).

    python benchmarks/soak.py --weeks 52 --step-hours 3

Several servers in different time zones, members joining, leaving pairing, leaving the server and blocking
each other every week, the scheduler firing on its own as the bot's clock is driven forward, daily backups
and retention purges on, a restart, a gateway drop, a 429 burst, and a Discord outage (every POST answered 503)
across a mid-week check-in and across a pre-round notice. At the end it checks the invariants against what the
fake of Discord received and what the database holds, and prints how memory, tasks, caches and the database
grew per simulated week. Prints one JSON object; exits 1 when an invariant is broken.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import BridgesBot  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db import guilds as guild_db  # noqa: E402
from bot.db import open_database  # noqa: E402
from bot.domain import schedule  # noqa: E402
from bot.services import membership, privacy  # noqa: E402
from bot.services.pairing import CHECKIN_AFTER  # noqa: E402
from tests.fakediscord import FakeDiscord  # noqa: E402

PRIVATE_THREAD = 12
START = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # a Monday; the year crosses both DST changes and New Year
SERVERS = (  # (time zone, members at the start, retention weeks, prompt day, pairing day, time)
    ("Europe/Berlin", 40, 52, 0, 2, "18:00"),
    ("America/New_York", 60, 52, 1, 3, "19:30"),
    ("UTC", 90, 8, 0, 4, "09:00"),
)


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@dataclass
class Server:
    tz: str
    retention: int
    guild: dict
    prompts: object
    pairs: object
    mod: object
    present: list = field(default_factory=list)  # fake members still in the server
    joined: set = field(default_factory=set)  # member ids who are opted in (as the soak drove them)


@dataclass
class RoundSeen:
    guild_id: int
    week: str
    created_at: datetime
    groups: dict = field(default_factory=dict)  # group id -> (thread id, member ids)


class LogCounter(logging.Handler):
    """Counts what the bot logged: by level, tracebacks, and outage start / recovery lines per job."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.levels: Counter = Counter()
        self.tracebacks = 0
        self.outage_lines: Counter = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.levels[record.levelname] += 1
        self.tracebacks += record.exc_info is not None
        message = record.getMessage()
        for marker in ("cannot reach Discord", "works again"):
            if marker in message:
                self.outage_lines[f"{message.split()[2]}: {marker}"] += 1


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Soak:
    def __init__(self, args: argparse.Namespace, folder: Path) -> None:
        self.args = args
        self.folder = folder
        self.rng = random.Random(args.seed)
        self.clock = Clock(START)
        self.fake = FakeDiscord()
        self.db_path = folder / "bridges.sqlite3"
        self.backups = folder / "backups"
        self.servers: list[Server] = []
        self.bot: BridgesBot | None = None
        self.task: asyncio.Task | None = None
        self.rounds: dict[tuple[int, str], RoundSeen] = {}
        self.growth: list[dict] = []
        self.outages: list[tuple[datetime, datetime]] = []
        self.logs = LogCounter()
        self.checkins_seen: dict[int, int] = {}
        self.half_snapshot: tracemalloc.Snapshot | None = None
        for name in ("bot", "cogs", "bridges"):
            logging.getLogger(name).addHandler(self.logs)
            logging.getLogger(name).setLevel(logging.INFO)

    # ------------------------------------------------------------------ the world

    async def build(self) -> None:
        await self.fake.start()
        self.fake.install()
        self.fake.rate_limit = 10**6
        db = await open_database(self.db_path)
        for i, (tz, members, retention, prompt_day, pairing_day, at) in enumerate(SERVERS):
            guild = self.fake.add_guild(name=f"server {i}")
            server = Server(
                tz,
                retention,
                guild,
                self.fake.add_text_channel(guild, "prompts"),
                self.fake.add_text_channel(guild, "pairs"),
                self.fake.add_member(guild, "moderator", moderator=True),
            )
            await guild_db.ensure(db, guild["id"], START)
            await guild_db.set_prompt_schedule(
                db, guild["id"], channel_id=server.prompts.id, day=prompt_day, at=at, timezone=tz
            )
            await guild_db.set_pairing_schedule(
                db,
                guild["id"],
                channel_id=server.pairs.id,
                day=pairing_day,
                at=at,
                group_size=2,
                odd_policy="trio" if i != 1 else "sit_out",
            )
            await privacy.set_retention(db, guild["id"], retention, START)
            for n in range(members):
                person = self.fake.add_member(guild, f"s{i}m{n}")
                server.present.append(person)
                await membership.join(
                    db, guild["id"], person.id, timezone=None, interests=None, frequency=None, now=START
                )
                server.joined.add(person.id)
            self.servers.append(server)
        await db.close()

    async def start_bot(self) -> None:
        settings = load_settings(
            {
                "DISCORD_TOKEN": self.fake.token,
                "DATABASE_PATH": str(self.db_path),
                "BACKUP_DIR": str(self.backups),
            },
            env_file=self.folder / "no.env",
        )
        self.bot = BridgesBot(settings, clock=self.clock, guild_ready_timeout=0.05)
        self.task = asyncio.create_task(self.bot.start(self.fake.token))
        await asyncio.wait_for(self.bot.wait_until_ready(), 60)
        self.bot.get_cog("Scheduler").tick.change_interval(seconds=0.01)
        self.bot.get_cog("Participation").purge.change_interval(seconds=0.25)
        self.bot.get_cog("Operations").backup.change_interval(seconds=0.25)

    async def stop_bot(self) -> None:
        assert self.bot is not None and self.task is not None
        await self.bot.close()
        await asyncio.wait_for(self.task, 30)
        self.bot, self.task = None, None

    async def passes(self, count: int = 2) -> None:
        """Wait for the scheduler's own loop to complete `count` passes (so one began after the clock moved)."""
        assert self.bot is not None
        loop = self.bot.get_cog("Scheduler").tick
        target = loop.current_loop + count
        deadline = time.monotonic() + 120
        while loop.current_loop < target:
            if time.monotonic() > deadline:
                raise RuntimeError("the scheduler stopped passing")
            await asyncio.sleep(0.002)

    async def ask(self, server: Server, member, command: str, options: dict | None = None) -> str:
        exchange = await self.fake.slash(server.guild, member, command, options)
        return (await exchange.reply(timeout=30)).text

    # ------------------------------------------------------------------ a week of members' lives

    async def churn(self, week_index: int) -> None:
        for i, server in enumerate(self.servers):
            for _ in range(self.rng.randint(1, 4)):  # newcomers
                person = self.fake.add_member(server.guild, f"s{i}w{week_index}n{self.rng.randrange(10**6)}")
                server.present.append(person)
                if "You're in" in await self.ask(server, person, "exchange join"):
                    server.joined.add(person.id)
            opted = [m for m in server.present if m.id in server.joined]
            for member in self.rng.sample(opted, k=min(len(opted), self.rng.randint(0, 3))):  # leave pairing
                await self.ask(server, member, "exchange leave")
                server.joined.discard(member.id)
            if self.rng.random() < 0.6 and server.present:  # someone leaves the server without a word
                gone = self.rng.choice(server.present)
                server.present.remove(gone)
                server.joined.discard(gone.id)
                self.fake.remove_member(server.guild, gone)
            opted = [m for m in server.present if m.id in server.joined]
            if len(opted) >= 2 and self.rng.random() < 0.5:
                blocker, blocked = self.rng.sample(opted, 2)
                await self.ask(server, blocker, "exchange block", {"member": blocked})
            if opted and self.rng.random() < 0.2:
                await self.ask(server, self.rng.choice(opted), "exchange pause", {"weeks": 2})

    def archive(self, thread) -> None:
        thread.archived = True
        # The fake has no public way to send this event; its own dispatcher sends it as Discord would.
        self.fake._dispatch_guild_event("THREAD_UPDATE", thread.payload(), 1)

    def archive_quiet_threads(self) -> None:
        """Discord archives a thread after its auto-archive time without activity and tells the bot, which
        drops it from its cache; the fake does not model that, so the soak does it here. A pairing thread's
        check-ins are counted as it archives, and the fake forgets its messages, so the process's memory
        is the bot's, not the fake's record of a year of messages."""
        archive_before = self.clock.moment - timedelta(days=8)
        for seen in self.rounds.values():
            if seen.created_at > archive_before:
                continue
            for thread_id, _members in seen.groups.values():
                thread = self.fake.channels.get(thread_id)
                if thread is not None and not thread.archived:
                    self.checkins_seen[thread_id] = self.count_checkins(thread_id)
                    self.fake.messages.pop(thread_id, None)
                    self.archive(thread)
        for server in self.servers:
            prompt_threads = sorted(self.fake.threads_in(server.prompts), key=lambda t: t.id)
            for thread in prompt_threads[:-1]:  # all but this week's discussion thread
                if not thread.archived:
                    self.fake.messages.pop(thread.id, None)
                    self.archive(thread)

    def count_checkins(self, thread_id: int) -> int:
        if thread_id in self.checkins_seen:
            return self.checkins_seen[thread_id]
        return sum(1 for m in self.fake.channel_messages(thread_id) if m.content.startswith("Mid-week"))

    # ------------------------------------------------------------------ what happened, as recorded

    async def snapshot_rounds(self) -> None:
        assert self.bot is not None
        db = self.bot.db
        rows = await db.fetchall(
            "SELECT r.guild_id, r.iso_week, r.created_at, g.id AS gid, g.thread_id, gm.user_id "
            "FROM rounds r JOIN groups g ON g.round_id = r.id JOIN group_members gm ON gm.group_id = g.id"
        )
        for row in rows:
            key = (row["guild_id"], row["iso_week"])
            seen = self.rounds.setdefault(
                key, RoundSeen(row["guild_id"], row["iso_week"], datetime.fromisoformat(row["created_at"]))
            )
            thread, members = seen.groups.get(row["gid"], (None, set()))
            if row["user_id"] is not None:
                members.add(row["user_id"])
            seen.groups[row["gid"]] = (row["thread_id"] or thread, members)

    async def measure(self, week_index: int) -> None:
        assert self.bot is not None
        bot = self.bot
        scheduler = bot.get_cog("Scheduler")
        counts = await bot.db.fetchone(
            "SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM events), (SELECT count(*) FROM rounds), "
            "(SELECT count(*) FROM group_members), (SELECT count(*) FROM weekly_jobs)"
        )
        wal = self.db_path.with_name(self.db_path.name + "-wal")
        self.growth.append(
            {
                "week": week_index,
                "rss_mb": round(rss_mb(), 1),
                "tasks": len(asyncio.all_tasks()),
                "cached_messages": len(bot.cached_messages),
                "cached_threads": sum(len(g.threads) for g in bot.guilds),
                "scheduler_locks": len(scheduler.locks),
                "failing_jobs": len(scheduler.retries.failing),
                "db_kb": round(
                    (self.db_path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / 1024
                ),
                "rows": dict(
                    zip(("members", "events", "rounds", "group_members", "weekly_jobs"), counts, strict=True)
                ),
            }
        )

    # ------------------------------------------------------------------ the year

    def outage_windows(self) -> list[tuple[datetime, datetime]]:
        """Two outages on server 0's schedule: one across a mid-week check-in, one across a pre-round notice."""
        tz = schedule.zone(SERVERS[0][0])
        slot = schedule.WeeklySlot(SERVERS[0][4], schedule.parse_time(SERVERS[0][5]), tz)
        round_a = slot.in_week(schedule.week_key(START + timedelta(weeks=9), tz))
        checkin = round_a + CHECKIN_AFTER
        round_b = slot.in_week(schedule.week_key(START + timedelta(weeks=21), tz))
        notice = round_b - timedelta(days=1)
        return [
            (checkin - timedelta(hours=2), checkin + timedelta(hours=7)),
            (notice - timedelta(hours=2), notice + timedelta(hours=7)),
        ]

    async def run(self) -> dict:
        await self.build()
        await self.start_bot()
        self.outages = self.outage_windows()
        step = timedelta(hours=self.args.step_hours)
        end = START + timedelta(weeks=self.args.weeks)
        in_outage = False
        started = time.perf_counter()
        week_index = 0
        next_week = START + timedelta(weeks=1)
        while self.clock.moment < end:
            moment = self.clock.moment + step
            outage = any(a <= moment < b for a, b in self.outages)
            if outage and not in_outage:
                self.fake.fail("POST", r"^/channels/", 503, count=10**9)
            elif in_outage and not outage:
                self.fake.clear_faults()
            in_outage = outage
            self.clock.moment = moment
            await self.passes(2)
            if moment.hour < self.args.step_hours:  # once a simulated day
                await self.snapshot_rounds()
            if moment >= next_week:
                week_index += 1
                next_week += timedelta(weeks=1)
                if not in_outage:
                    await self.churn(week_index)
                if week_index == self.args.weeks // 2:
                    await self.stop_bot()  # a restart mid-year
                    await self.start_bot()
                if week_index == self.args.weeks // 4:
                    await self.fake.drop_gateway(code=1006)
                if week_index == self.args.weeks // 3:
                    self.fake.fail("POST", r"^/channels/\d+/messages$", 429, count=3, retry_after=0.05)
                await self.snapshot_rounds()
                self.archive_quiet_threads()
                await self.measure(week_index)
                if self.args.trace_memory and week_index == self.args.weeks // 2:
                    self.half_snapshot = tracemalloc.take_snapshot()
                # The harness's own request and interaction logs are not the bot's memory.
                self.fake.requests.clear()
                self.fake.exchanges.clear()
        self.fake.clear_faults()
        await self.passes(2)
        await self.snapshot_rounds()
        elapsed = time.perf_counter() - started
        assert self.bot is not None
        # The daily purge ran all year; once more at the very end so "retention exact" is checked at one moment.
        await privacy.purge_expired(self.bot.db, self.clock.moment)
        await privacy.remove_departed_members(self.bot.db, self.clock.moment)
        report = await self.check()
        if self.half_snapshot is not None:
            report["memory_growth_second_half_by_file_kb"] = self.memory_growth()
        report["seconds"] = round(elapsed, 1)
        await self.stop_bot()
        await self.fake.stop()
        return report

    def memory_growth(self) -> dict[str, object]:
        """Allocation growth over the second half, summed by where it was allocated: the bot's code, discord.py
        and other libraries, or the soak's harness (the fake of Discord and this script's records)."""
        assert self.half_snapshot is not None
        sums: Counter = Counter()
        for stat in tracemalloc.take_snapshot().compare_to(self.half_snapshot, "filename"):
            name = stat.traceback[0].filename
            if "/tests/fakediscord/" in name or name.endswith("soak.py"):
                where = "harness (fake Discord, soak records)"
            elif "/site-packages/discord/" in name:
                where = "discord.py"
            elif f"{ROOT}/bot/" in name or f"{ROOT}/cogs/" in name:
                where = "bot and cogs"
            else:
                where = "other (stdlib, aiohttp, aiosqlite, ...)"
            sums[where] += stat.size_diff / 1024
        top = sorted(
            tracemalloc.take_snapshot().compare_to(self.half_snapshot, "lineno"), key=lambda s: -s.size_diff
        )
        result: dict[str, object] = {k: round(v, 1) for k, v in sums.items()}
        result["top_lines"] = [
            f"{s.traceback[0].filename.split('/')[-1]}:{s.traceback[0].lineno} {s.size_diff // 1024} KB"
            for s in top[:8]
        ]
        return result

    # ------------------------------------------------------------------ the invariants

    async def check(self) -> dict:
        assert self.bot is not None
        db = self.bot.db
        now = self.clock.moment
        problems: list[str] = []
        lost = {"posts": 0, "rounds": 0, "checkins": 0, "notices": 0}
        totals = Counter()
        blocks: dict[tuple[int, int, int], datetime] = {}  # a pair and when it was first blocked (either way)
        for r in await db.fetchall("SELECT guild_id, blocker_id, blocked_id, created_at FROM blocks"):
            key = (
                r["guild_id"],
                min(r["blocker_id"], r["blocked_id"]),
                max(r["blocker_id"], r["blocked_id"]),
            )
            when = datetime.fromisoformat(r["created_at"])
            blocks[key] = min(when, blocks.get(key, when))
        for server in self.servers:
            gid, tz = server.guild["id"], schedule.zone(server.tz)
            settings = await guild_db.get(db, gid)
            prompt_slot = schedule.WeeklySlot(
                settings["prompt_day"], schedule.parse_time(settings["prompt_time"]), tz
            )
            pairing_slot = schedule.WeeklySlot(
                settings["pairing_day"], schedule.parse_time(settings["pairing_time"]), tz
            )
            weeks = sorted(
                {schedule.week_key(START + timedelta(days=d), tz) for d in range((now - START).days + 1)}
            )
            # One post per week, for every week whose slot has passed.
            posts = Counter()
            for message in self.fake.channel_messages(server.prompts):
                if message.embeds:
                    footer = message.embeds[0].get("footer", {}).get("text", "")
                    posts[footer.split(" ")[1]] += 1
            # The start's own week counts too: a slot missed before the start is caught up.
            due_posts = [w for w in weeks if prompt_slot.in_week(w) <= now]
            lost["posts"] += sum(1 for w in due_posts if posts[w] == 0)
            totals["posts"] += sum(posts.values())
            if any(c > 1 for c in posts.values()):
                problems.append(f"server {gid}: a week with two prompt posts")
            # One round per week; every group exactly one thread; no blocked pair; one check-in per group.
            due_rounds = [w for w in weeks if pairing_slot.in_week(w) <= now]
            rounds = {w: self.rounds.get((gid, w)) for w in due_rounds}
            lost["rounds"] += sum(1 for r in rounds.values() if r is None)
            threads = {t.id: t for t in self.fake.threads_in(server.pairs, PRIVATE_THREAD)}
            group_threads = Counter()
            for week, seen in rounds.items():
                if seen is None:
                    continue
                totals["rounds"] += 1
                for thread_id, members in seen.groups.values():
                    totals["groups"] += 1
                    group_threads[thread_id] += 1
                    if thread_id not in threads:
                        problems.append(f"server {gid} {week}: a group without its thread")
                        continue
                    ordered = sorted(members)
                    for i, a in enumerate(ordered):
                        for b in ordered[i + 1 :]:
                            blocked_at = blocks.get((gid, a, b))
                            if blocked_at is not None and blocked_at < seen.created_at:
                                problems.append(f"server {gid} {week}: a blocked pair in one group")
                    checkins = self.count_checkins(thread_id)
                    if seen.created_at + CHECKIN_AFTER + timedelta(hours=self.args.step_hours) <= now:
                        totals["checkins"] += checkins
                        if not checkins:
                            lost["checkins"] += 1
                    if checkins > 1:
                        problems.append(f"server {gid} {week}: two check-ins in one thread")
            if any(c > 1 for c in group_threads.values()):
                problems.append(f"server {gid}: two groups share a thread")
            if len(threads) != sum(len(r.groups) for r in rounds.values() if r is not None):
                problems.append(f"server {gid}: {len(threads)} threads for a different number of groups")
            notices = Counter(
                m.content
                for m in self.fake.channel_messages(server.pairs)
                if m.content.startswith("The next pairing")
            )
            totals["notices"] += sum(notices.values())
            if any(c > 1 for c in notices.values()):
                problems.append(f"server {gid}: a notice sent twice")
            # Every round after the first had its notice a day before (the first may fall before the start).
            expected_notices = sum(
                1 for w in due_rounds if pairing_slot.in_week(w) - timedelta(days=1) >= START
            )
            lost["notices"] += max(0, expected_notices - sum(notices.values()))
            # Retention exact: nothing older than the cutoff, everything since it.
            cutoff = now - timedelta(weeks=server.retention)
            cutoff_week = schedule.week_key(cutoff, tz)
            old_events = await db.fetchone(
                "SELECT count(*) FROM events WHERE guild_id = ? AND created_at < ?", (gid, cutoff.isoformat())
            )
            kept = {
                r["iso_week"]
                for r in await db.fetchall("SELECT iso_week FROM rounds WHERE guild_id = ?", (gid,))
            }
            expected_kept = {w for w, r in rounds.items() if r is not None and w >= cutoff_week}
            stale_members = await db.fetchone(
                "SELECT count(*) FROM members m WHERE guild_id = ? AND status = 'left' AND updated_at < ? "
                "AND NOT EXISTS (SELECT 1 FROM events e WHERE e.guild_id = m.guild_id AND e.user_id = m.user_id) "
                "AND NOT EXISTS (SELECT 1 FROM group_members gm WHERE gm.guild_id = m.guild_id "
                "AND gm.user_id = m.user_id)",
                (gid, cutoff.isoformat()),
            )
            if old_events[0] or kept != expected_kept or stale_members[0]:
                problems.append(
                    f"server {gid}: retention ({old_events[0]} old events, rounds kept {len(kept)} of "
                    f"{len(expected_kept)} expected, {stale_members[0]} stale member rows)"
                )
        backups = sorted(p.name for p in self.backups.glob("bridges-*.sqlite3"))
        first, last = self.growth[0], self.growth[-1]
        half = self.growth[len(self.growth) // 2]
        span = max(1, last["week"] - half["week"])
        per_week = {
            key: round((last[key] - half[key]) / span, 3)
            for key in ("rss_mb", "tasks", "cached_messages", "cached_threads", "db_kb")
        }
        return {
            "weeks": self.args.weeks,
            "servers": len(self.servers),
            "step_hours": self.args.step_hours,
            "outages": [(a.isoformat(), b.isoformat()) for a, b in self.outages],
            "totals": dict(totals),
            "lost_jobs": lost,
            "violations": problems,
            "backups_kept": len(backups),
            "log_lines": dict(self.logs.levels),
            "tracebacks": self.logs.tracebacks,
            "outage_log_lines": dict(self.logs.outage_lines),
            "growth_first_week": first,
            "growth_last_week": last,
            "growth_per_week_second_half": per_week,
        }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--step-hours", type=int, default=3, help="how far the bot's clock moves per step")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--weekly", action="store_true", help="also print each week's growth figures")
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="trace allocations (slower) and report which files' memory grew over the second half",
    )
    args = parser.parse_args()
    if args.trace_memory:
        tracemalloc.start()
    with tempfile.TemporaryDirectory() as folder:
        soak = Soak(args, Path(folder))
        report = await soak.run()
    if args.weekly:
        for row in soak.growth:
            print(json.dumps(row))
    print(json.dumps(report, indent=2))
    broken = report["violations"] or any(report["lost_jobs"].values())
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
