"""Unattended running: an hourly health line in the log and, with BACKUP_DIR set, a daily backup."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from bot.services import operations
from cogs.scheduler import Scheduler

if TYPE_CHECKING:
    from bot.app import BridgesBot

log = logging.getLogger("bridges.health")


class Operations(commands.Cog):
    def __init__(self, bot: BridgesBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.health.start()
        if self.bot.settings.backup_dir is not None:
            self.backup.start()

    async def cog_unload(self) -> None:
        self.health.cancel()
        self.backup.cancel()

    @tasks.loop(hours=1)
    async def health(self) -> None:
        line = await operations.health_line(self.bot.db, self.bot.now())
        scheduler = self.bot.get_cog("Scheduler")
        failures = scheduler.retries.take_failure_count() if isinstance(scheduler, Scheduler) else 0
        log.info("%s; %d failed job tries from outside causes in the last hour", line, failures)

    @tasks.loop(hours=1)
    async def backup(self) -> None:
        """Checked hourly, written once a day (by the bot's clock): a missed day is made up at the next check."""
        if self.backup.current_loop == 0:
            return  # the retention purge runs as the bot becomes ready: the first backup waits an interval
        folder = self.bot.settings.backup_dir
        assert folder is not None
        target, written = await operations.rotate_backup(self.bot.db, folder, self.bot.now())
        if written:
            log.info("daily backup written to %s", target.name)

    @health.before_loop
    @backup.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    @health.error
    @backup.error
    async def _failed(self, error: BaseException) -> None:
        log.error("an operations task failed", exc_info=error)


async def setup(bot: BridgesBot) -> None:
    await bot.add_cog(Operations(bot))
