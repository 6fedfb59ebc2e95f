"""The command line: `python -m bot` (run), `check`, `migrate`, `backup PATH`, `sync`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import discord

from bot.config import ConfigError, Settings, configure_logging, load_settings
from bot.db import DatabaseError, open_database
from bot.db.connection import latest_version
from bot.services.operations import health_line

log = logging.getLogger("bridges")


def _fail(message: str, code: int = 2) -> int:
    print(f"bridges: {message}", file=sys.stderr)
    return code


async def run_bot(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM or a fatal error; close the gateway and the database cleanly."""
    from bot.app import BridgesBot

    bot = BridgesBot(settings)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with bot:
        runner = asyncio.create_task(bot.start(settings.token.value))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("stopping: closing the gateway and the database")
            await bot.close()
        else:
            stopper.cancel()
        try:
            await runner
        except discord.LoginFailure:
            return _fail(
                "DISCORD_TOKEN was refused by Discord: copy a fresh token from the developer portal."
            )
        except discord.PrivilegedIntentsRequired:
            return _fail("Discord refused the connection's intents; Bridges needs no privileged intent.", 1)
        except DatabaseError as exc:
            return _fail(str(exc), 1)
    log.info("stopped")
    return 0


async def check(settings: Settings) -> int:
    from bot.app import INVITE_PERMISSION_VALUE, invite_url

    db = await open_database(settings.database_path, migrate=False)
    try:
        version = await db.schema_version()
        integrity = (await db.fetchone("PRAGMA quick_check"))[0]
    finally:
        await db.close()
    print(f"configuration: ok (database {settings.database_path}, log level {settings.log_level})")
    state = (
        "up to date" if version == latest_version() else f"will be migrated to {latest_version()} on start"
    )
    print(f"database: schema version {version} ({state}); integrity {integrity}")
    if version:
        db = await open_database(settings.database_path, migrate=False)
        try:
            print(await health_line(db, datetime.now(UTC)))
        finally:
            await db.close()
    else:
        print("health: 0 servers, 0 opted-in members (the database is created on first start)")
    app_id = settings.application_id
    if app_id is None:
        print(
            "invite URL: could not read the application id from the token; use the developer portal's OAuth2 page"
        )
    else:
        print(f"invite URL (permissions {INVITE_PERMISSION_VALUE}): {invite_url(app_id)}")
    return 0 if integrity == "ok" else 1


async def migrate(settings: Settings) -> int:
    db = await open_database(settings.database_path)
    try:
        print(f"database {settings.database_path}: schema version {await db.schema_version()}")
    finally:
        await db.close()
    return 0


async def backup(settings: Settings, target: Path) -> int:
    if target.exists():
        return _fail(f"{target} already exists: choose a new file name for the backup.")
    db = await open_database(settings.database_path, migrate=False)
    try:
        await db.backup_to(target)
    finally:
        await db.close()
    print(f"backup written to {target}")
    return 0


async def sync(settings: Settings) -> int:
    from bot.app import BridgesBot

    bot = BridgesBot(settings, force_sync=True)
    async with bot:
        try:
            await bot.login(settings.token.value)  # runs setup_hook, which syncs
        except discord.LoginFailure:
            return _fail(
                "DISCORD_TOKEN was refused by Discord: copy a fresh token from the developer portal."
            )
    print("slash commands synced")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bridges", description="Bridges, a Discord bot for cultural exchange."
    )
    parser.add_argument(
        "--log-format", choices=("text", "json"), default="text", help="log lines as text (default) or JSON"
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)")
    sub.add_parser("check", help="validate the configuration and the database, print the invite URL")
    sub.add_parser("migrate", help="apply database migrations and exit")
    backup_parser = sub.add_parser(
        "backup", help="write a consistent copy of the database (safe while running)"
    )
    backup_parser.add_argument("path", type=Path)
    sub.add_parser("sync", help="force a slash-command sync and exit")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except ConfigError as exc:
        return _fail(str(exc))
    configure_logging(settings.log_level, args.log_format)
    command = args.command or "run"
    try:
        if command == "run":
            return asyncio.run(run_bot(settings))
        if command == "check":
            return asyncio.run(check(settings))
        if command == "migrate":
            return asyncio.run(migrate(settings))
        if command == "backup":
            return asyncio.run(backup(settings, args.path))
        return asyncio.run(sync(settings))
    except DatabaseError as exc:
        return _fail(str(exc), 1)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
