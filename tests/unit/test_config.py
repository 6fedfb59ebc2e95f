"""Settings: every missing or malformed value names the variable and says how to fix it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, application_id_from_token, load_settings

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
NO_FILE = Path("/nonexistent/.env")


def test_defaults():
    settings = load_settings({"DISCORD_TOKEN": TOKEN}, env_file=NO_FILE)
    assert settings.database_path == Path("data/bridges.sqlite3")
    assert settings.log_level == "INFO"
    assert settings.dev_guild_id is None
    assert settings.application_id == 123456789012345678
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": "not a token"}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": TOKEN, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"DISCORD_TOKEN": TOKEN, "DEV_GUILD_ID": "my-server"}, "DEV_GUILD_ID"),
        ({"DISCORD_TOKEN": TOKEN, "DATABASE_PATH": "/"}, "DATABASE_PATH"),
    ],
)
def test_bad_values_name_the_variable(env, variable):
    with pytest.raises(ConfigError) as caught:
        load_settings(env, env_file=NO_FILE)
    assert str(caught.value).startswith(variable)


def test_env_file_is_read_and_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"DISCORD_TOKEN={TOKEN}\nLOG_LEVEL=debug\nDEV_GUILD_ID=42\n")
    settings = load_settings({"LOG_LEVEL": "WARNING"}, env_file=env_file)
    assert settings.token.value == TOKEN
    assert settings.log_level == "WARNING"
    assert settings.dev_guild_id == 42


def test_application_id_from_a_foreign_token_is_none():
    assert application_id_from_token("bm90LWEtbnVtYmVy.x.y") is None


def _run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_token_exits_2_with_one_line_and_no_traceback(tmp_path):
    result = _run_cli(tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_check_prints_invite_url_and_validates_database(tmp_path):
    assert _run_cli(tmp_path, "migrate", DISCORD_TOKEN=TOKEN, DATABASE_PATH="db/b.sqlite3").returncode == 0
    result = _run_cli(tmp_path, "check", DISCORD_TOKEN=TOKEN, DATABASE_PATH="db/b.sqlite3")
    assert result.returncode == 0, result.stderr
    assert "client_id=123456789012345678" in result.stdout
    assert "scope=bot+applications.commands" in result.stdout
    assert "integrity ok" in result.stdout
    assert "health: 0 servers, 0 opted-in members" in result.stdout


def test_migrate_then_backup(tmp_path):
    assert _run_cli(tmp_path, "migrate", DISCORD_TOKEN=TOKEN, DATABASE_PATH="b.sqlite3").returncode == 0
    result = _run_cli(tmp_path, "backup", "copy.sqlite3", DISCORD_TOKEN=TOKEN, DATABASE_PATH="b.sqlite3")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "copy.sqlite3").stat().st_size > 0
    again = _run_cli(tmp_path, "backup", "copy.sqlite3", DISCORD_TOKEN=TOKEN, DATABASE_PATH="b.sqlite3")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_foreign_database_is_refused_untouched(tmp_path):
    import sqlite3

    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    before = other.read_bytes()
    result = _run_cli(tmp_path, "migrate", DISCORD_TOKEN=TOKEN, DATABASE_PATH=str(other))
    assert result.returncode == 1
    assert "not a Bridges database" in result.stderr and "Traceback" not in result.stderr
    assert other.read_bytes() == before
