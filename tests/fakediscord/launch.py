"""Run the real command line pointed at a running fake: `python -m tests.fakediscord.launch BASE_URL [args]`.

Used by tests that need the bot as a separate process (signals, a kill mid-round). With `clock_start`, the
process's bot reads time from a clock that starts there and runs at the real pace (`CLOCK_ENV`), so such a
test never depends on today's date or weekday.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import discord.gateway
import discord.http
import yarl

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

ROOT = Path(__file__).resolve().parents[2]
CLOCK_ENV = "BRIDGES_TEST_CLOCK_START"  # read only by this launcher, never by the bot


async def spawn_bot(
    fake: FakeDiscord,
    database_path: Path,
    *,
    stdout: int,
    stderr: int,
    clock_start: datetime | None = None,
) -> asyncio.subprocess.Process:
    """Start `python -m bot` as its own process, pointed at `fake`, with only the token and database set
    (and, with `clock_start`, the bot's clock starting at that moment)."""
    env = {
        **os.environ,
        "DISCORD_TOKEN": fake.token,
        "DATABASE_PATH": str(database_path),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DEV_GUILD_ID", None)
    env.pop(CLOCK_ENV, None)
    if clock_start is not None:
        env[CLOCK_ENV] = clock_start.isoformat()
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakediscord.launch",
        fake.base_url,
        cwd=database_path.parent,
        env=env,
        stdout=stdout,
        stderr=stderr,
    )


def main() -> int:
    base = sys.argv[1]
    discord.http.Route.BASE = f"{base}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
        base.replace("http://", "ws://") + "/gateway-ws"
    )
    start = os.environ.get(CLOCK_ENV)
    if start:
        install_clock(datetime.fromisoformat(start))
    from bot.__main__ import main as bot_main

    return bot_main(sys.argv[2:])


def install_clock(start: datetime) -> None:
    """Make every bot this process builds read time from `start` onwards, at the real pace."""
    from bot import app

    began = time.monotonic()
    original = app.BridgesBot.__init__

    def with_clock(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("clock", lambda: start + timedelta(seconds=time.monotonic() - began))
        original(self, *args, **kwargs)

    app.BridgesBot.__init__ = with_clock  # type: ignore[method-assign]


if __name__ == "__main__":
    sys.exit(main())
