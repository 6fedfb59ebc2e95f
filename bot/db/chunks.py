"""Long deletions in short write transactions, so one server's heavy job never starves the others."""

from __future__ import annotations

import asyncio
import time

from bot.db.connection import Database


class Chunks:
    """Sizes a long job's transactions so each holds the write lock about `target` seconds (never much over
    ~100 ms on a slow disk): the size doubles while chunks are quick and halves when one is slow."""

    def __init__(self, first: int = 500, target: float = 0.05, largest: int = 50_000) -> None:
        self.size, self.target, self.largest = first, target, largest
        self.transactions = 0

    def took(self, seconds: float) -> None:
        self.transactions += 1
        if seconds < self.target / 2:
            self.size = min(self.largest, self.size * 2)
        elif seconds > self.target * 2:
            self.size = max(50, self.size // 2)


async def delete_in_chunks(db: Database, chunks: Chunks, statements: list[tuple[str, tuple]]) -> int:
    """Run the statements (each ends with `LIMIT ?`, given the chunk size) in one short transaction at a
    time, yielding to other commands in between, until the last one deletes nothing; returns rows deleted
    by the last statement."""
    total = 0
    while True:
        started = time.perf_counter()
        async with db.transaction() as conn:
            for sql, params in statements:
                cursor = await conn.execute(sql, (*params, chunks.size))
            deleted = cursor.rowcount
        chunks.took(time.perf_counter() - started)
        total += deleted
        if deleted <= 0:
            return total
        await asyncio.sleep(0)  # let waiting commands take the write lock before the next chunk
