"""A large /prompts import is written in chunks: another server's join gets the write lock between chunks
instead of waiting for the whole file, and the import stays all or nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.db import prompt_import
from bot.services import membership, prompts

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)
BIG, OTHER = 11, 22


def big_csv(rows: int) -> bytes:
    lines = ["theme,text"] + [
        f"stories,Question number {i} about the stories your family tells?" for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


async def test_another_servers_join_goes_between_chunks(tmp_path, monkeypatch):
    from bot.db import open_database

    db = await open_database(tmp_path / "b.sqlite3")
    order: list[str] = []
    first_chunk = asyncio.Event()
    stage, publish = prompt_import.stage, prompt_import.publish

    async def staged(db_, batch, guild_id, rows, now):
        assert len(rows) <= prompts.IMPORT_CHUNK
        await stage(db_, batch, guild_id, rows, now)
        order.append("chunk")
        first_chunk.set()

    async def published(db_, batch, guild_id, now):
        order.append("publish")
        return await publish(db_, batch, guild_id, now)

    monkeypatch.setattr(prompt_import, "stage", staged)
    monkeypatch.setattr(prompt_import, "publish", published)
    try:
        await prompts.ensure_library(db, BIG, NOW)
        before = len(await prompts.prompt_db.all_texts(db, BIG))
        task = asyncio.create_task(prompts.import_file(db, BIG, "big.csv", big_csv(2000), NOW))
        await asyncio.wait_for(first_chunk.wait(), 30)
        await membership.join(db, OTHER, 5, timezone=None, interests=None, frequency=None, now=NOW)
        order.append("join")
        result = await asyncio.wait_for(task, 60)
        assert result.added == 2000
        assert order.count("chunk") == 2000 // prompts.IMPORT_CHUNK
        assert order.index("join") < order.index("publish"), order
        assert len(await prompts.prompt_db.all_texts(db, BIG)) == before + 2000
        staging = await db.fetchone("SELECT count(*) FROM prompt_import_staging")
        assert staging[0] == 0
    finally:
        await db.close()


async def test_an_import_that_fails_mid_way_adds_nothing(tmp_path, monkeypatch):
    from bot.db import open_database

    db = await open_database(tmp_path / "b.sqlite3")
    stage = prompt_import.stage
    calls = 0

    async def failing(db_, batch, guild_id, rows, now):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError("disk full")
        await stage(db_, batch, guild_id, rows, now)

    monkeypatch.setattr(prompt_import, "stage", failing)
    try:
        await prompts.ensure_library(db, BIG, NOW)
        before = len(await prompts.prompt_db.all_texts(db, BIG))
        with pytest.raises(OSError):
            await prompts.import_file(db, BIG, "big.csv", big_csv(1000), NOW)
        assert len(await prompts.prompt_db.all_texts(db, BIG)) == before
        assert (await db.fetchone("SELECT count(*) FROM prompt_import_staging"))[0] == 0
    finally:
        await db.close()
