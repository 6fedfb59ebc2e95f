"""The command line as a server owner meets it: every failure is one line naming the cause and the fix,
exit 2 for configuration and 1 at run time, and no traceback (unless LOG_LEVEL=DEBUG)."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDe.abcdefghijklmnopqrstuvwxyz012345"


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused at once, like a machine offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bridges(tmp_path: Path, *args: str, offline: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the real command line. `offline` points discord.py at a closed loopback port."""
    command = [sys.executable, "-m", "bot", *args]
    if offline:
        command = [sys.executable, "-m", "tests.fakediscord.launch", f"http://127.0.0.1:{closed_port()}", *args]
    full_env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "DISCORD_TOKEN": TOKEN}
    full_env.update(env)
    return subprocess.run(command, cwd=tmp_path, env=full_env, capture_output=True, text=True, timeout=90)


def one_clean_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("bridges:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("command", [[], ["sync"]])
def test_offline_start_and_sync_are_one_line_and_exit_1(tmp_path, command):
    result = bridges(tmp_path, *command, offline=True, DATABASE_PATH="b.sqlite3")
    assert result.returncode == 1
    line = one_clean_line(result)
    assert "cannot reach Discord" in line and "internet connection" in line


def test_offline_with_debug_shows_the_traceback(tmp_path):
    result = bridges(tmp_path, offline=True, DATABASE_PATH="b.sqlite3", LOG_LEVEL="DEBUG")
    assert result.returncode == 1
    assert "Traceback" in result.stderr


@pytest.mark.parametrize("command", [[], ["migrate"], ["sync"]])
def test_database_path_below_a_file_is_configuration_exit_2(tmp_path, command):
    (tmp_path / "afile").write_text("not a folder")
    result = bridges(tmp_path, *command, offline=True, DATABASE_PATH="afile/b.sqlite3")
    assert result.returncode == 2
    line = one_clean_line(result)
    assert "DATABASE_PATH" in line and "afile" in line


def test_backup_dir_that_cannot_be_created_is_configuration_exit_2(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    result = bridges(tmp_path, offline=True, DATABASE_PATH="b.sqlite3", BACKUP_DIR="afile/backups")
    assert result.returncode == 2
    assert "BACKUP_DIR" in one_clean_line(result)


def test_check_creates_nothing_and_reports_problems(tmp_path):
    result = bridges(tmp_path, "check", DATABASE_PATH="data/new/b.sqlite3")
    assert result.returncode == 0, result.stderr
    assert "not created yet" in result.stdout
    assert list(tmp_path.iterdir()) == [], "check must not create the database or its folder"

    (tmp_path / "afile").write_text("x")
    bad = bridges(tmp_path, "check", DATABASE_PATH="b.sqlite3", BACKUP_DIR="afile/backups")
    assert bad.returncode == 2
    assert "BACKUP_DIR" in bad.stdout and "Traceback" not in bad.stderr


def test_check_on_an_existing_database_leaves_no_side_files(tmp_path):
    assert bridges(tmp_path, "migrate", DATABASE_PATH="b.sqlite3").returncode == 0
    before = sorted(p.name for p in tmp_path.iterdir())
    result = bridges(tmp_path, "check", DATABASE_PATH="b.sqlite3")
    assert result.returncode == 0 and "integrity ok" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_locked_database_is_one_line_exit_1(tmp_path):
    db = tmp_path / "b.sqlite3"
    sqlite3.connect(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = bridges(tmp_path, "migrate", DATABASE_PATH="b.sqlite3")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    assert "locked" in one_clean_line(result)


def test_global_options_work_after_the_subcommand(tmp_path):
    before = bridges(tmp_path, "--log-format", "json", "migrate", DATABASE_PATH="b.sqlite3")
    after = bridges(tmp_path, "migrate", "--log-format", "json", DATABASE_PATH="b.sqlite3")
    assert before.returncode == after.returncode == 0, after.stderr


def test_no_voice_library_warnings(tmp_path):
    result = bridges(tmp_path, offline=True, DATABASE_PATH="b.sqlite3")
    assert "voice will NOT be supported" not in result.stderr
    assert "PyNaCl" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected_code"),
    [
        (["--help"], 0),
        (["check", "--help"], 0),
        (["check"], 0),
        (["migrate"], 0),
        (["backup", "copy.sqlite3"], 0),
        (["backup", "taken.sqlite3"], 2),  # refuses to overwrite
        (["backup", "afile/copy.sqlite3"], 2),
        (["sync"], 1),  # offline
        (["run"], 1),  # offline
        (["nonsense"], 2),
    ],
)
def test_every_documented_command_and_failure_prints_no_traceback(tmp_path, args, expected_code):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "taken.sqlite3").write_text("x")
    assert bridges(tmp_path, "migrate", DATABASE_PATH="b.sqlite3").returncode == 0
    result = bridges(tmp_path, *args, offline=args[0] in ("sync", "run"), DATABASE_PATH="b.sqlite3")
    assert result.returncode == expected_code, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
