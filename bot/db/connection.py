"""The aiosqlite connection, its pragmas, and numbered migrations applied in one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
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


STORAGE_FAULTS = {
    "read_only": "the database file has become read-only",
    "full": "the disk is full",
    "corrupt": "the database file is damaged",
    "gone": "the database file was deleted or replaced while the bot was running",
}


class StorageFault(DatabaseError):
    """The storage failed while the bot runs. Nothing was saved by the operation that met it.

    `kind`: read_only, full (recoverable once the host fixes it: commands get a clear reply), or
    corrupt, gone (the file is damaged, or was deleted or replaced under the bot: it stops cleanly)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind = kind
        super().__init__(f"{STORAGE_FAULTS[kind]}{f' ({detail})' if detail else ''}")

    @property
    def fatal(self) -> bool:
        return self.kind in ("corrupt", "gone")


def classify(error: BaseException) -> StorageFault | None:
    """The storage fault behind an SQLite error, or None for errors that are not about the storage."""
    if isinstance(error, StorageFault):
        return error
    if not isinstance(error, sqlite3.Error):
        return None
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(error).lower()
    if primary == 8 or "readonly" in text:
        return StorageFault("read_only", str(error))
    if primary == 13 or "disk is full" in text:
        return StorageFault("full", str(error))
    if primary in (11, 26) or "malformed" in text or "not a database" in text:
        return StorageFault("corrupt", str(error))
    if primary in (10, 14) or "disk i/o error" in text or "unable to open" in text:
        return StorageFault("gone", str(error))
    return None


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
        self._identity = self._file_identity()
        # Told of every storage fault (the bot logs it once and, when it is fatal, stops cleanly).
        self.on_fault: Callable[[StorageFault], None] | None = None

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return info.st_dev, info.st_ino

    def _fault(self, fault: StorageFault) -> StorageFault:
        if self.on_fault is not None:
            self.on_fault(fault)
        return fault

    def _check_file(self) -> None:
        """A write into a file that was deleted or replaced would be acknowledged and lost: refuse it."""
        if self._identity is not None and self._file_identity() != self._identity:
            raise self._fault(StorageFault("gone", str(self.path)))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            self._check_file()
            begin = asyncio.ensure_future(self.conn.execute("BEGIN IMMEDIATE"))
            try:
                await asyncio.shield(begin)
            except BaseException as exc:
                # Cancelled while BEGIN waits on a busy database, or BEGIN refused: once it has finished on
                # the connection's thread, end any transaction it left open, or every later write on this
                # connection fails with "cannot start a transaction within a transaction".
                await asyncio.wait({begin})
                if self.conn.in_transaction:
                    await self.conn.execute("ROLLBACK")
                fault = classify(exc) if isinstance(exc, sqlite3.Error) else None
                if fault is None:
                    raise
                raise self._fault(fault) from exc
            try:
                yield self.conn
                self._check_file()  # checked again just before the commit is acknowledged
            except BaseException as exc:
                if self.conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        await self.conn.execute("ROLLBACK")
                fault = classify(exc)
                if fault is None or fault is exc:
                    raise
                raise self._fault(fault) from exc
            try:
                await self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    await self.conn.execute("ROLLBACK")
                fault = classify(exc)
                if fault is None:
                    raise
                raise self._fault(fault) from exc

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

    # Reads run to the end in one step on the connection's thread. A read left open between steps (execute,
    # then fetch later) holds a read snapshot; another task's BEGIN IMMEDIATE on the same connection would
    # then be an upgrade from read to write, which SQLite refuses at once as busy instead of waiting.
    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        try:
            rows = await self.conn.execute_fetchall(sql, tuple(params))
        except sqlite3.Error as exc:
            fault = classify(exc)
            if fault is None:
                raise
            raise self._fault(fault) from exc
        return next(iter(rows), None)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        try:
            return list(await self.conn.execute_fetchall(sql, tuple(params)))
        except sqlite3.Error as exc:
            fault = classify(exc)
            if fault is None:
                raise
            raise self._fault(fault) from exc

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

    async def checkpoint(self) -> bool:
        """Copy the WAL into the database file and truncate it to zero bytes, so that the old versions of
        erased rows no longer lie in the WAL. False when another connection kept it from completing."""
        for attempt in range(5):
            async with self._write_lock:
                try:
                    row = await self.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlite3.OperationalError:
                    row = None  # another statement on this connection is still reading: try again shortly
            if row is not None and row[0] == 0:
                return True
            await asyncio.sleep(0.05 * (attempt + 1))
        return False

    async def backup_to(self, target: Path) -> None:
        """SQLite online backup: consistent, and safe while the bot keeps writing.

        It reads through its own connection on a worker thread, never through the shared one: a backup
        on the shared connection while a write transaction is open there retries forever on aiosqlite's
        only thread, and the COMMIT that would end it waits behind it. In WAL mode the backup's read
        snapshot and the bot's writes do not wait for each other."""
        await asyncio.to_thread(backup_file, self.path, target)

    async def close(self) -> None:
        await self.conn.close()


def backup_file(source: Path, target: Path) -> None:
    """Copy the database at `source` to `target` in one step (one consistent snapshot), written to a
    temporary name first so a half-written file never carries the backup's name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        dest = sqlite3.connect(partial)
        try:
            src.backup(dest)
            # A backup is one self-contained file: no WAL beside it.
            dest.execute("PRAGMA journal_mode = DELETE")
        finally:
            dest.close()
    finally:
        src.close()
    partial.replace(target)


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


async def open_database(path: Path, *, migrate: bool = True, read_only: bool = False) -> Database:
    """Open (creating if needed) the database at `path`, set its pragmas and, by default, migrate it.

    A file that is not Bridges', or has a newer schema, is refused before anything is written to it.
    `read_only` opens an existing file without creating or changing anything (for `check`).
    """
    try:
        if read_only:
            # Without a -wal file no process has the database open, and `immutable` reads it without
            # creating the -wal and -shm files that even a read-only WAL reader would otherwise leave behind.
            wal = path.with_name(path.name + "-wal")
            flags = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
            conn = await aiosqlite.connect(f"{path.resolve().as_uri()}?{flags}", uri=True, isolation_level=None)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(path, isolation_level=None)
    except (sqlite3.Error, OSError) as exc:
        raise DatabaseError(f"cannot open {path}: {exc}") from exc
    conn.row_factory = sqlite3.Row
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await _check_identity(conn, path)
        if read_only:
            migrate = False
        else:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
            # Erased rows are overwritten with zeros, not left in free pages for someone with the file to read.
            await conn.execute("PRAGMA secure_delete = ON")
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
