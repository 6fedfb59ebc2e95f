"""The command line: `python -m bot` (run), `check`, `migrate`, `backup PATH`, `sync`.

Every failure a server owner can meet here is one line on stderr naming the cause and the fix: exit 2 for a
configuration problem, 1 for a problem at run time. A traceback is printed only with LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sqlite3
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import discord

from bot.config import ConfigError, Settings, configure_logging, load_settings, unwritable_reason
from bot.db import DatabaseError, open_database
from bot.db.connection import latest_version
from bot.services.operations import health_line

log = logging.getLogger("bridges")

TOKEN_REFUSED = "DISCORD_TOKEN was refused by Discord: copy a fresh token from the developer portal (Bot > Reset Token)."
OFFLINE = (
    "cannot reach Discord ({cause}): check this machine's internet connection (and any proxy or firewall), "
    "then start again."
)


class CommandFailed(Exception):
    """A failure with a one-line explanation; `code` is 2 for configuration, 1 at run time."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _fail(message: str, code: int = 2) -> int:
    print(f"bridges: {message}", file=sys.stderr)
    return code


def _require_writable(path: Path, what: str, *, folder: bool = False) -> None:
    reason = unwritable_reason(path, what, folder=folder)
    if reason:
        raise CommandFailed(reason, 2)


async def prepare_storage(settings: Settings) -> None:
    """Create (or open) the database and the backup folder before talking to Discord, so a bad
    DATABASE_PATH or BACKUP_DIR is one clear line at once, not a failure after connecting."""
    _require_writable(settings.database_path, "DATABASE_PATH")
    existed = settings.database_path.exists()
    try:
        db = await open_database(settings.database_path)
    except DatabaseError as exc:
        raise CommandFailed(str(exc), 1 if existed else 2) from exc
    await db.close()
    if settings.backup_dir is not None:
        _require_writable(settings.backup_dir, "BACKUP_DIR", folder=True)
        try:
            settings.backup_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandFailed(
                f"BACKUP_DIR ({settings.backup_dir}) cannot be created ({exc.strerror}): "
                "choose a folder this user may write to, or leave it empty.",
                2,
            ) from exc


def _network_cause(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"{exc.host}:{exc.port} {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, TimeoutError):
        return "the connection timed out"
    return str(exc) or type(exc).__name__


async def run_bot(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM or a fatal error; close the gateway and the database cleanly."""
    from bot.app import BridgesBot

    await prepare_storage(settings)
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
        except discord.PrivilegedIntentsRequired as exc:
            raise CommandFailed(
                "Discord refused the connection's intents; Bridges needs no privileged intent.", 1
            ) from exc
    if bot.stopped_for_storage:
        # Exit 2, like a configuration problem: restarting on its own could create an empty database where
        # the data folder vanished, so the host looks first (the systemd unit does not restart on 2).
        raise CommandFailed(
            f"stopped because the database at {settings.database_path} cannot be used (the CRITICAL log line "
            "above says why): fix the disk or restore a backup (see the README), then start again.",
            2,
        )
    log.info("stopped")
    return 0


async def check(settings: Settings) -> int:
    """Validate the configuration and the database without creating or changing anything."""
    from bot.app import INVITE_PERMISSION_VALUE, invite_url

    problems = [
        reason
        for reason in (
            unwritable_reason(settings.database_path, "DATABASE_PATH"),
            unwritable_reason(settings.backup_dir, "BACKUP_DIR", folder=True) if settings.backup_dir else None,
        )
        if reason
    ]
    for problem in problems:
        print(f"problem: {problem}")
    print(f"configuration: {'ok' if not problems else 'needs fixing'} "
          f"(database {settings.database_path}, log level {settings.log_level})")
    integrity = "ok"
    if not settings.database_path.exists():
        print("database: not created yet (it is created on first start); health: 0 servers, 0 opted-in members")
    else:
        db = await open_database(settings.database_path, read_only=True)
        try:
            version = await db.schema_version()
            integrity = (await db.fetchone("PRAGMA quick_check"))[0]
            state = (
                "up to date" if version == latest_version() else f"will be migrated to {latest_version()} on start"
            )
            print(f"database: schema version {version} ({state}); integrity {integrity}")
            if version:
                print(await health_line(db, datetime.now(UTC)))
        finally:
            await db.close()
    app_id = settings.application_id
    if app_id is None:
        print(
            "invite URL: could not read the application id from the token; use the developer portal's OAuth2 page"
        )
    else:
        print(f"invite URL (permissions {INVITE_PERMISSION_VALUE}): {invite_url(app_id)}")
    if problems:
        return 2
    return 0 if integrity == "ok" else 1


async def migrate(settings: Settings) -> int:
    await prepare_storage(settings)
    db = await open_database(settings.database_path)
    try:
        print(f"database {settings.database_path}: schema version {await db.schema_version()}")
    finally:
        await db.close()
    return 0


async def backup(settings: Settings, target: Path) -> int:
    if target.exists():
        raise CommandFailed(f"{target} already exists: choose a new file name for the backup.", 2)
    if not settings.database_path.exists():
        raise CommandFailed(
            f"there is no database at {settings.database_path} yet: check DATABASE_PATH (nothing to back up).", 2
        )
    _require_writable(target, "the backup path")
    db = await open_database(settings.database_path, migrate=False)
    try:
        await db.backup_to(target)
    finally:
        await db.close()
    print(f"backup written to {target}")
    return 0


async def sync(settings: Settings) -> int:
    from bot.app import BridgesBot

    await prepare_storage(settings)
    bot = BridgesBot(settings, force_sync=True)
    async with bot:
        await bot.login(settings.token.value)  # runs setup_hook, which syncs
    print("slash commands synced")
    return 0


def build_parser() -> argparse.ArgumentParser:
    # Global options are accepted before or after the subcommand (`bridges check --log-format json`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=argparse.SUPPRESS,
        help="log lines as text (default) or JSON",
    )
    parser = argparse.ArgumentParser(
        prog="bridges", description="Bridges, a Discord bot for cultural exchange.", parents=[common]
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)", parents=[common])
    sub.add_parser(
        "check",
        help="validate the configuration and the database (creates nothing), print the invite URL",
        parents=[common],
    )
    sub.add_parser("migrate", help="apply database migrations and exit", parents=[common])
    backup_parser = sub.add_parser(
        "backup", help="write a consistent copy of the database (safe while running)", parents=[common]
    )
    backup_parser.add_argument("path", type=Path, help="the new file to write the copy to")
    sub.add_parser("sync", help="force a slash-command sync and exit", parents=[common])
    return parser


COMMANDS = {"run": run_bot, "check": check, "migrate": migrate, "sync": sync}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        return _fail(str(exc))
    configure_logging(settings.log_level, getattr(args, "log_format", "text"))
    command = args.command or "run"
    debug = settings.log_level == "DEBUG"
    try:
        if command == "backup":
            return asyncio.run(backup(settings, args.path))
        return asyncio.run(COMMANDS[command](settings))
    except CommandFailed as exc:
        return _fail(str(exc), exc.code)
    except DatabaseError as exc:
        return _fail(str(exc), 1)
    except discord.LoginFailure:
        return _fail(TOKEN_REFUSED)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        if debug:
            traceback.print_exc()
        if isinstance(exc, PermissionError):
            return _fail(f"{exc}: check the permissions of DATABASE_PATH and BACKUP_DIR.", 2)
        return _fail(OFFLINE.format(cause=_network_cause(exc)), 1)
    except sqlite3.Error as exc:
        if debug:
            traceback.print_exc()
        return _fail(
            f"the database at {settings.database_path} cannot be used ({exc}): if another program holds it, "
            "stop that program; otherwise restore a backup (see the README).",
            1,
        )
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if debug:
            traceback.print_exc()
        return _fail(
            f"stopped by an unexpected error: {type(exc).__name__}: {exc}. "
            "Run with LOG_LEVEL=DEBUG to see the details, and report it if it happens again.",
            1,
        )


if __name__ == "__main__":
    sys.exit(main())
