"""Unattended running: rotating backups, the health line, JSON logs, BACKUP_DIR."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, JsonFormatter, load_settings
from bot.db import guilds as guild_db
from bot.db import open_database
from bot.db.connection import latest_version
from bot.services import membership
from bot.services.operations import KEEP_BACKUPS, health_line, rotate_backup

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


async def test_daily_backups_keep_the_newest_seven(tmp_path):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        for day in range(10):
            await rotate_backup(db, tmp_path / "backups", NOW + timedelta(days=day))
        await rotate_backup(db, tmp_path / "backups", NOW + timedelta(days=9))  # same day again: no new file
        names = sorted(p.name for p in (tmp_path / "backups").iterdir())
        assert len(names) == KEEP_BACKUPS
        assert names[0] == "bridges-2026-11-21.sqlite3" and names[-1] == "bridges-2026-11-27.sqlite3"
        copy = await open_database(tmp_path / "backups" / names[-1])
        assert await copy.schema_version() == latest_version()
        await copy.close()
    finally:
        await db.close()


async def test_health_line_has_numbers_only(tmp_path):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        await guild_db.ensure(db, 5, NOW)
        await guild_db.set_prompt_schedule(db, 5, channel_id=9, day=4, at="18:00", timezone="Asia/Seoul")
        await membership.join(db, 5, 42, timezone=None, interests=None, frequency=None, now=NOW)
        line = await health_line(db, NOW)
        assert line.startswith("health: 1 servers, 1 opted-in members, 0 servers with a delivery problem")
        assert "prompt 2026-11-20 09:00 UTC" in line
        assert "42" not in line
    finally:
        await db.close()


def test_json_log_lines():
    record = logging.LogRecord(
        "bridges", logging.INFO, __file__, 1, "posted the weekly prompt for %s", ("W1",), None
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "INFO" and entry["message"] == "posted the weekly prompt for W1"


def test_backup_dir_setting(tmp_path):
    assert (
        load_settings({"DISCORD_TOKEN": TOKEN, "BACKUP_DIR": str(tmp_path)}, env_file=Path("/x")).backup_dir
        == tmp_path
    )
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ConfigError, match="BACKUP_DIR"):
        load_settings({"DISCORD_TOKEN": TOKEN, "BACKUP_DIR": str(a_file)}, env_file=Path("/x"))
