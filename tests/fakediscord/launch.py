"""Run the real command line pointed at a running fake: `python -m tests.fakediscord.launch BASE_URL [args]`.

Used by tests that need the bot as a separate process (signals, a kill mid-round).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import discord.gateway
import discord.http
import yarl

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

ROOT = Path(__file__).resolve().parents[2]


async def spawn_bot(
    fake: FakeDiscord, database_path: Path, *, stdout: int, stderr: int
) -> asyncio.subprocess.Process:
    """Start `python -m bot` as its own process, pointed at `fake`, with only the token and database set."""
    env = {
        **os.environ,
        "DISCORD_TOKEN": fake.token,
        "DATABASE_PATH": str(database_path),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DEV_GUILD_ID", None)
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
    from bot.__main__ import main as bot_main

    return bot_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
