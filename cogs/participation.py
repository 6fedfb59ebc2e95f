"""The opt-in participation log's background parts: prompt-thread replies and the daily retention purge."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.services import privacy

if TYPE_CHECKING:
    from bot.app import BridgesBot

log = logging.getLogger(__name__)


class Participation(commands.Cog):
    def __init__(self, bot: BridgesBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.purge.start()

    async def cog_unload(self) -> None:
        self.purge.cancel()

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Count a reply in the weekly prompt's thread, for members who opted in. The bot has no
        message-content intent: it never sees, and never stores, what was written."""
        channel = message.channel
        if (
            message.guild is None
            or message.author.bot
            or not isinstance(channel, discord.Thread)
            or self.bot.user is None
            or channel.owner_id != self.bot.user.id
        ):
            return
        await privacy.record_prompt_reply(
            self.bot.db, message.guild.id, message.author.id, channel.id, self.bot.now()
        )

    @tasks.loop(hours=24)
    async def purge(self) -> None:
        await privacy.purge_expired(self.bot.db, self.bot.now())
        await privacy.remove_departed_members(self.bot.db, self.bot.now())

    @purge.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    @purge.error
    async def _purge_failed(self, error: BaseException) -> None:
        log.error("the retention purge failed", exc_info=error)


async def setup(bot: BridgesBot) -> None:
    await bot.add_cog(Participation(bot))
