"""The aiosqlite connection, its pragmas, and numbered migrations applied in one transaction."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

# PRAGMA application_id marks the file as Bridges' ("BRDG"), so another program's database is refused.
APPLICATION_ID = 0x42524447
BUSY_TIMEOUT_MS = 10_000


class DatabaseError(Exception):
    """The database cannot be used as it is; the message says why and what to do."""


def migration_scripts() -> list[tuple[int, str]]:
    """The numbered migrations shipped with the package, in order."""
    folder = resources.files("bot.db") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            scripts.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    scripts.sort()
    return scripts


def latest_version() -> int:
    return migration_scripts()[-1][0]


class Database:
    """One shared connection. Writes go through `transaction()`, which serialises them in this process;
    SQLite's busy timeout makes them wait for other processes (a backup, a second bot)."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[aiosqlite.Connection]:
        """A second, read-only connection holding one consistent snapshot, for bulk reads (a round's input).

        Long reads there neither queue the shared connection's commands behind them nor block its writes
        (WAL readers and the writer do not wait for each other). Rows come back as plain tuples."""
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA query_only = ON")
            await conn.execute("BEGIN")
            yield conn
        finally:
            await conn.close()

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        async with self.conn.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        async with self.conn.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one write in its own transaction; returns the last row id."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, tuple(params))
            return cursor.lastrowid or 0

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply pending migrations in one transaction; returns the schema version reached."""
        current = await self.schema_version()
        pending = [(n, sql) for n, sql in migration_scripts() if n > current]
        if not pending:
            return current
        target = pending[-1][0]
        body = "\n".join(sql for _, sql in pending)
        script = (
            f"BEGIN IMMEDIATE;\n{body}\nPRAGMA application_id = {APPLICATION_ID};\n"
            f"PRAGMA user_version = {target};\nCOMMIT;"
        )
        async with self._write_lock:
            try:
                await self.conn.executescript(script)
            except sqlite3.Error as exc:
                if self.conn.in_transaction:
                    await self.conn.execute("ROLLBACK")
                raise DatabaseError(
                    f"migration to version {target} failed and was rolled back: {exc}"
                ) from exc
        return target

    async def backup_to(self, target: Path) -> None:
        """SQLite online backup: consistent, and safe while the bot keeps writing."""
        target.parent.mkdir(parents=True, exist_ok=True)
        async with aiosqlite.connect(target) as dest:
            await self.conn.backup(dest)

    async def close(self) -> None:
        await self.conn.close()


async def _check_identity(conn: aiosqlite.Connection, path: Path) -> None:
    async with conn.execute("PRAGMA application_id") as cur:
        app_id = (await cur.fetchone())[0]
    async with conn.execute("PRAGMA user_version") as cur:
        version = (await cur.fetchone())[0]
    async with conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'") as cur:
        tables = (await cur.fetchone())[0]
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and (version or tables)):
        raise DatabaseError(
            f"{path} is not a Bridges database: point DATABASE_PATH at a new file or a Bridges backup."
        )
    if version > latest_version():
        raise DatabaseError(
            f"{path} has schema version {version}, newer than this Bridges understands "
            f"({latest_version()}): upgrade Bridges, or restore a backup made by this version."
        )


async def open_database(path: Path, *, migrate: bool = True) -> Database:
    """Open (creating if needed) the database at `path`, set its pragmas and, by default, migrate it.

    A file that is not Bridges', or has a newer schema, is refused before anything is written to it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open {path}: {exc}") from exc
    conn.row_factory = sqlite3.Row
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await _check_identity(conn, path)
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA synchronous = NORMAL")
        # 32 MB of page cache (used only as needed): saving a large round touches many index pages.
        await conn.execute("PRAGMA cache_size = -32768")
    except sqlite3.DatabaseError as exc:
        await conn.close()
        raise DatabaseError(f"{path} is not a usable SQLite database ({exc}).") from exc
    except DatabaseError:
        await conn.close()
        raise
    db = Database(conn, path)
    if migrate:
        try:
            await db.migrate()
        except DatabaseError:
            await conn.close()
            raise
    return db
