"""/stats: participation in aggregate, as numbers and a chart or a CSV file. Never a name or an id."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.services import stats
from cogs.common import NO_MENTIONS, ModeratorCog, reply

if TYPE_CHECKING:
    from bot.app import BridgesBot

FORMATS = [
    app_commands.Choice(name="chart: numbers and a PNG chart", value="chart"),
    app_commands.Choice(name="csv: the numbers as a CSV file", value="csv"),
]


class Stats(commands.Cog):
    def __init__(self, bot: BridgesBot) -> None:
        self.bot = bot

    interaction_check = ModeratorCog.interaction_check

    @app_commands.command(name="stats", description="Moderators: participation per week, in aggregate only")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(weeks="How many weeks back (1-52, default 12)", format="chart (default) or csv")
    @app_commands.choices(format=FORMATS)
    async def stats(
        self,
        interaction: discord.Interaction,
        weeks: app_commands.Range[int, 1, 52] = 12,
        format: app_commands.Choice[str] | None = None,
    ) -> None:
        rows = await stats.weekly(self.bot.db, interaction.guild_id or 0, weeks, self.bot.now())
        if format is not None and format.value == "csv":
            await reply(
                interaction,
                f"Participation for the last {weeks} weeks (counts under 3 show as <3):",
                file=discord.File(io.BytesIO(stats.to_csv(rows)), filename="bridges-stats.csv"),
                ephemeral=True,
            )
            return
        chart = await asyncio.to_thread(stats.render_chart, rows)
        text = f"Participation for the last {weeks} weeks (counts under 3 show as <3):\n```\n{stats.summary(rows)}\n```"
        if len(text) > 2000:
            text = f"Participation for the last {weeks} weeks: see the chart, or use `format:csv` for every number."
        await reply(
            interaction,
            text,
            file=discord.File(
                io.BytesIO(chart), filename="bridges-stats.png", description=stats.chart_alt_text(rows)
            ),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


async def setup(bot: BridgesBot) -> None:
    await bot.add_cog(Stats(bot))
