"""Run the real command line pointed at a running fake: `python -m tests.fakediscord.launch BASE_URL [args]`.

Used by tests that need the bot as a separate process (signals, a kill mid-round).
"""

from __future__ import annotations

import sys

import discord.gateway
import discord.http
import yarl


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
