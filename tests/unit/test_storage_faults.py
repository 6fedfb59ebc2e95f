"""Storage faults are recognised from the errors SQLite really raises, and a write into a database file that
was deleted under the bot is refused before it is acknowledged."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime

import pytest

from bot.db import StorageFault, open_database
from bot.db.connection import classify
from bot.services import membership

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)


def error_of(action) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as caught:
        action()
    return caught.value


def test_real_sqlite_errors_are_classified(tmp_path):
    conn = sqlite3.connect(tmp_path / "a.sqlite3")
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.commit()
    conn.execute("PRAGMA query_only = ON")
    assert classify(error_of(lambda: conn.execute("INSERT INTO t VALUES (1)"))).kind == "read_only"
    conn.execute("PRAGMA query_only = OFF")
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")

    def fill() -> None:
        for _ in range(100):
            conn.execute("INSERT INTO t VALUES (zeroblob(4000))")

    assert classify(error_of(fill)).kind == "full"
    conn.close()

    damaged = tmp_path / "b.sqlite3"
    other = sqlite3.connect(damaged)
    other.execute("CREATE TABLE t (x TEXT)")
    other.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    other.commit()
    other.close()
    data = bytearray(damaged.read_bytes())
    data[4096 : 4096 * 3] = b"\xff" * (4096 * 2)  # overwrite pages of the table's b-tree
    damaged.write_bytes(bytes(data))
    broken = sqlite3.connect(damaged)
    assert (
        classify(error_of(lambda: broken.execute("SELECT count(*), max(x) FROM t").fetchall())).kind
        == "corrupt"
    )
    broken.close()
    assert classify(sqlite3.IntegrityError("UNIQUE constraint failed")) is None


async def test_a_write_after_the_folder_was_deleted_is_refused_not_acknowledged(tmp_path):
    folder = tmp_path / "data"
    db = await open_database(folder / "bridges.sqlite3")
    faults: list[StorageFault] = []
    db.on_fault = faults.append
    try:
        await membership.join(db, 1, 101, timezone=None, interests=None, frequency=None, now=NOW)
        shutil.rmtree(folder)
        with pytest.raises(StorageFault) as caught:
            await membership.join(db, 1, 102, timezone=None, interests=None, frequency=None, now=NOW)
        assert caught.value.kind == "gone" and caught.value.fatal
        assert [f.kind for f in faults] == ["gone"]
    finally:
        await db.close()
