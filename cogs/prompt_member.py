"""/prompt: what members see of the weekly prompt, and their suggestions."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserError
from bot.services import membership, prompts
from cogs.common import NO_MENTIONS, RateLimiter, reply, theme_choices, thread_link

if TYPE_CHECKING:
    from bot.app import BridgesBot

OUTCOME = {
    "pending": "waiting for review",
    "active": "approved",
    "retired": "approved, since retired",
    "rejected": "not taken this time",
}


@app_commands.guild_only()
class Prompt(commands.GroupCog, group_name="prompt", group_description="This week's dialogue prompt"):
    def __init__(self, bot: BridgesBot) -> None:
        self.bot = bot
        self.suggest_limit = RateLimiter(limit=5, per_seconds=3600)

    @app_commands.command(
        name="current", description="This week's prompt, its theme and its discussion thread"
    )
    async def current(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        now = self.bot.now()
        found = await prompts.current(self.bot.db, interaction.guild_id, now)
        if found is None:
            lines = [
                "No prompt has been posted this week yet. Moderators set the schedule with `/setup prompts`."
            ]
        else:
            theme = found.theme.name if found.theme else "a theme"
            lines = [f"**This week's prompt** ({theme}):", found.text]
            if found.content_note:
                lines.append(f"*Content note: {found.content_note}*")
            if found.thread_id:
                lines.append(f"Discussion thread: {thread_link(interaction.guild_id, found.thread_id)}")
        untold = await prompts.take_untold_decisions(self.bot.db, interaction.guild_id, interaction.user.id)
        if untold:
            lines = [*untold, "", *lines]
        mine = await prompts.my_suggestions(self.bot.db, interaction.guild_id, interaction.user.id)
        if mine:
            lines.append("")
            lines.append("**Your suggestions:**")
            lines += [f"- #{r['id']}: {OUTCOME[r['status']]}" for r in mine[-10:]]
        text = "\n".join(lines)
        if len(text) > 2000:  # Discord's message limit; the newest suggestions come last and matter least here
            text = text[:1999] + "…"
        await reply(interaction, text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(
        name="suggest", description="Suggest a prompt; moderators review it before it is used"
    )
    @app_commands.describe(
        text="Your prompt: an open question anyone could answer in a thread (10-1000 characters)",
        theme="The theme it belongs to",
    )
    @app_commands.autocomplete(theme=theme_choices)
    async def suggest(
        self,
        interaction: discord.Interaction,
        text: app_commands.Range[str, 10, 1000],
        theme: str,
    ) -> None:
        assert interaction.guild_id is not None
        wait = self.suggest_limit.check(interaction.guild_id, interaction.user.id, time.monotonic())
        if wait:
            raise UserError(
                f"You have made several suggestions in a short time: try again in {wait / 60:.0f} minutes."
            )
        prompt_id = await prompts.suggest(
            self.bot.db, interaction.guild_id, interaction.user.id, theme, text, self.bot.now()
        )
        text = (
            f"Thank you! Your suggestion #{prompt_id} is waiting for the moderators' review. "
            "`/prompt current` shows how your suggestions fared."
        )
        if not (await membership.status(self.bot.db, interaction.guild_id, interaction.user.id)).joined:
            text += (
                " You have not joined pairing: Bridges keeps your id with the suggestion (so you can see how "
                "it fared) and nothing else; `/exchange forget` erases it."
            )
        await reply(
            interaction,
            text,
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


async def setup(bot: BridgesBot) -> None:
    await bot.add_cog(Prompt(bot))
