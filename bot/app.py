"""The Bridges bot: start-up (database, migrations, cogs, command sync), the error handler, shutdown."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot import http_limits, log_privacy
from bot.config import Settings
from bot.db import Database, StorageFault, meta, open_database

log = logging.getLogger(__name__)

COGS = (
    "cogs.scheduler",
    "cogs.exchange",
    "cogs.setup",
    "cogs.prompt_member",
    "cogs.prompt_library",
    "cogs.pairing_delivery",
    "cogs.pairing",
    "cogs.participation",
    "cogs.stats",
    "cogs.operations",
    "cogs.welcome",
)

# The permissions the invite asks for, and why (the README lists them from this table).
INVITE_PERMISSIONS: tuple[tuple[str, int, str], ...] = (
    ("View Channels", 1 << 10, "see the prompt and pairing channels"),
    ("Send Messages", 1 << 11, "post the weekly prompt and the pre-round reminder"),
    ("Embed Links", 1 << 14, "show the prompt as an embed"),
    ("Attach Files", 1 << 15, "send exports and the stats chart"),
    ("Read Message History", 1 << 16, "find its own earlier posts after a restart"),
    ("Create Public Threads", 1 << 35, "open the discussion thread on each weekly prompt"),
    ("Create Private Threads", 1 << 36, "open one private thread per pair"),
    ("Send Messages in Threads", 1 << 38, "introduce pairs and send the mid-week check-in"),
)
INVITE_PERMISSION_VALUE = sum(bit for _, bit, _ in INVITE_PERMISSIONS)


def invite_url(application_id: int | str) -> str:
    return (
        f"https://discord.com/oauth2/authorize?client_id={application_id}"
        f"&scope=bot+applications.commands&permissions={INVITE_PERMISSION_VALUE}"
    )


# Bridges never joins voice: discord.py's start-up warnings about voice libraries only alarm newcomers.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


def bot_intents() -> discord.Intents:
    """Guilds and guild messages only: no privileged intent (no members, presences or message content)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    return intents


# A command whose first answer may be a modal sets this in its `extras`: a modal cannot follow a deferral.
ANSWERS_WITH_MODAL = "answers_with_modal"


class BridgesTree(app_commands.CommandTree["BridgesBot"]):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Defer every slash command before any of it runs: Discord drops an interaction that is not answered
        within 3 seconds (10062), and any command may wait on a busy database. Replies then go as followups."""
        if interaction.type is not discord.InteractionType.application_command:
            return True
        command = interaction.command
        if command is not None and command.extras.get(ANSWERS_WITH_MODAL):
            return True
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException as exc:
            log.warning("could not acknowledge an interaction in time (%s)", exc.status)
            return False
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        from cogs.errors import report_error

        await report_error(interaction, error)


class BridgesBot(commands.Bot):
    """The bot. `clock` is injectable so schedules can be tested at any moment of the week."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        force_sync: bool = False,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=bot_intents(),
            tree_cls=BridgesTree,
            allowed_mentions=discord.AllowedMentions.none(),
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            guild_ready_timeout=guild_ready_timeout,
        )
        # Linear bucket clean-up and the global request pace: see bot/http_limits.py for why.
        http_limits.install(self.http)
        self.settings = settings
        log_privacy.install(getattr(logging, settings.log_level))
        self._clock = clock or (lambda: datetime.now(UTC))
        self.force_sync = force_sync
        self._db: Database | None = None
        self._storage_faults: set[str] = set()
        self._stopping: asyncio.TimerHandle | None = None
        self._closing: set[asyncio.Task] = set()
        self.synced_commands = False

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("the database is not open yet")
        return self._db

    def now(self) -> datetime:
        return self._clock()

    async def setup_hook(self) -> None:
        self._db = await open_database(self.settings.database_path)
        self._db.on_fault = self.storage_failed
        for extension in COGS:
            await self.load_extension(extension)
        await self.sync_commands_if_changed()

    def storage_failed(self, fault: StorageFault) -> None:
        """One clear log line per kind of storage fault; a fatal one (a damaged file, or one deleted under
        the bot) stops the bot cleanly a moment later, once the reply that met it has gone out."""
        if fault.kind not in self._storage_faults:
            self._storage_faults.add(fault.kind)
            action = "stopping" if fault.fatal else "replies say nothing could be saved until it is fixed"
            log.critical("storage failure: %s; %s", fault, action)
        if fault.fatal and self._stopping is None:
            loop = asyncio.get_running_loop()
            self._stopping = loop.call_later(1.0, lambda: self._closing.add(loop.create_task(self.close())))

    @property
    def stopped_for_storage(self) -> bool:
        """True once a fatal storage fault has stopped (or is stopping) the bot."""
        return self._stopping is not None

    async def on_error(self, event_method: str, /, *args: object, **kwargs: object) -> None:
        # A storage fault was already logged once, in one clear line; no traceback per message.
        if isinstance(sys.exc_info()[1], StorageFault):
            return
        await super().on_error(event_method, *args, **kwargs)

    def command_tree_payload(self) -> list[dict]:
        return [command.to_dict(self.tree) for command in self.tree.get_commands()]

    def command_tree_hash(self) -> str:
        payload = json.dumps(self.command_tree_payload(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()

    async def sync_commands_if_changed(self) -> bool:
        """Sync the slash commands only when they differ from the last sync recorded in the database."""
        guild_id = self.settings.dev_guild_id
        scope = f"guild:{guild_id}" if guild_id else "global"
        key = f"command_tree_hash:{scope}"
        current = self.command_tree_hash()
        if not self.force_sync and await meta.get(self.db, key) == current:
            log.info("slash commands unchanged since the last sync: not syncing")
            return False
        if guild_id:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        await meta.put(self.db, key, current)
        self.synced_commands = True
        log.info("synced %d slash commands (%s)", len(synced), scope)
        return True

    async def on_ready(self) -> None:
        log.info(
            "connected as bot user %s to %d servers", self.user.id if self.user else "?", len(self.guilds)
        )

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            # Taken before awaiting: a second close (a storage fault's stop racing a shutdown) must not
            # close the connection again, which would wait for a worker thread that has already ended.
            db, self._db = self._db, None
            if db is not None:
                await db.close()
