"""The tree's error handler, and a clean stop on SIGTERM of the real process."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import sys
from pathlib import Path

from bot.services import membership
from tests.fakediscord.launch import spawn_bot


async def test_unexpected_error_gets_a_code_that_is_in_the_log(fake, runner, world, monkeypatch, caplog):
    w = world()
    await runner.start()

    async def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(membership, "status", broken)
    with caplog.at_level(logging.ERROR, logger="bridges.errors"):
        reply = await (await fake.slash(w["guild"], w["members"][0], "exchange status")).reply()
    assert reply.ephemeral
    match = re.search(r"code ([0-9A-F]{6})", reply.text)
    assert match, reply.text
    assert any(match.group(1) in record.getMessage() for record in caplog.records)


async def test_sigterm_stops_the_process_cleanly(fake, world, tmp_path):
    world()
    db_path = tmp_path / "b.sqlite3"
    proc = await spawn_bot(fake, db_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await fake.wait_for(lambda: fake.sessions, timeout=30, what="the bot process to connect")
        assert fake.sync_requests, "the first start syncs the commands"
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr
    assert b"stopped" in stderr
    assert fake.token.encode() not in stderr


async def run_cli(fake, tmp_path, *args: str, token: str | None = None) -> tuple[int, str]:
    env = {
        **os.environ,
        "DISCORD_TOKEN": token or fake.token,
        "DATABASE_PATH": str(tmp_path / "b.sqlite3"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakediscord.launch",
        fake.base_url,
        *args,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, (out + err).decode()


async def test_sync_command_forces_a_sync_each_time(fake, tmp_path):
    for expected in (1, 2):
        code, output = await run_cli(fake, tmp_path, "sync")
        assert code == 0 and "slash commands synced" in output
        assert len(fake.sync_requests) == expected


async def test_a_refused_token_is_one_clear_line(fake, tmp_path):
    wrong = fake.token.rsplit(".", 1)[0] + ".not-the-right-secret"
    code, output = await run_cli(fake, tmp_path, token=wrong)
    assert code == 2 and "DISCORD_TOKEN was refused" in output
    assert "Traceback" not in output and "not-the-right-secret" not in output
