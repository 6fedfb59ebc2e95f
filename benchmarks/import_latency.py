"""Another server's /exchange join latency while one server imports a large prompt file.

    python benchmarks/import_latency.py --rows 12000

Runs the import twice on a fresh database each time: in chunks (as the bot does) and, for comparison, as one
transaction (`IMPORT_CHUNK` set above the row count). Prints one JSON line per case: join latency percentiles
during the import, the import's own time, and the longest time any transaction held the write lock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.db import connection, open_database  # noqa: E402
from bot.services import membership, prompts  # noqa: E402

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)
MACHINE = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()}


def big_csv(rows: int) -> bytes:
    lines = ["theme,text,content_note"]
    lines += [
        f'stories,"Question {i}: who, in your family, tells the story of how they arrived?",'
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def one_case(rows: int, chunk: int) -> dict:
    holds: list[float] = []
    original = connection.Database.transaction

    @asynccontextmanager
    async def timed(self):
        async with self._write_lock:
            started = time.perf_counter()
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")
            finally:
                holds.append(time.perf_counter() - started)

    connection.Database.transaction = timed  # measure every write transaction's hold of the lock
    prompts.IMPORT_CHUNK = chunk
    data = big_csv(rows)
    try:
        with tempfile.TemporaryDirectory() as folder:
            db = await open_database(Path(folder) / "bench.sqlite3")
            await prompts.ensure_library(db, 1, NOW)
            holds.clear()
            latencies: list[float] = []
            started = time.perf_counter()
            task = asyncio.create_task(prompts.import_file(db, 1, "big.csv", data, NOW))
            user = 10**17
            while not task.done():
                user += 1
                t0 = time.perf_counter()
                await membership.join(db, 2, user, timezone=None, interests=None, frequency=None, now=NOW)
                latencies.append(time.perf_counter() - t0)
            result = await task
            elapsed = time.perf_counter() - started
            await db.close()
    finally:
        connection.Database.transaction = original
    return {
        "case": "import_in_chunks" if chunk < rows else "import_in_one_transaction",
        "rows": rows,
        "file_bytes": len(data),
        "added": result.added,
        "import_seconds": round(elapsed, 3),
        "joins_during_import": len(latencies),
        "join_p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "join_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "join_max_ms": round(max(latencies) * 1000, 1),
        "longest_lock_hold_ms": round(max(holds) * 1000, 1),
        "top_holds_ms": [round(h * 1000, 1) for h in sorted(holds)[-4:]],
        **MACHINE,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=12000)
    args = parser.parse_args()
    chunk = prompts.IMPORT_CHUNK
    for size in (chunk, args.rows + 1):
        print(json.dumps(await one_case(args.rows, size)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
