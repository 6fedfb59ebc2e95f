"""/exchange: a member's own participation in pairing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.themes import shipped_themes
from bot.services import membership
from cogs.common import NO_MENTIONS, interests_choices, timezone_choices

if TYPE_CHECKING:
    from bot.app import BridgesBot

FREQUENCY_CHOICES = [app_commands.Choice(name=f, value=f) for f in membership.FREQUENCIES]


def describe_interests(slugs: tuple[str, ...]) -> str:
    names = {t.slug: t.name for t in shipped_themes()}
    return ", ".join(names.get(s, s) for s in slugs) if slugs else "none chosen"


def describe_member(view: membership.MemberView) -> list[str]:
    lines = [
        f"- Timezone: {view.timezone or 'not set (times are shown in the server timezone)'}",
        f"- Interests: {describe_interests(view.interests)}",
        f"- Frequency: {view.frequency}",
    ]
    if view.paused_until:
        lines.append(f"- Paused until {view.paused_until.isoformat()}")
    if view.skip_week:
        lines.append(f"- Sitting out the round of week {view.skip_week}")
    return lines


@app_commands.guild_only()
class Exchange(
    commands.GroupCog, group_name="exchange", group_description="Your pairing: join, leave, settings"
):
    def __init__(self, bot: BridgesBot) -> None:
        self.bot = bot

    @app_commands.command(name="join", description="Opt in to weekly pairing (and update your preferences)")
    @app_commands.describe(
        timezone="Your IANA timezone, such as Asia/Seoul, so times are shown in your local time",
        interests="Themes you would like to talk about, separated by commas",
        frequency="How often you would like to be paired (default weekly)",
    )
    @app_commands.autocomplete(timezone=timezone_choices, interests=interests_choices)
    @app_commands.choices(frequency=FREQUENCY_CHOICES)
    async def join(
        self,
        interaction: discord.Interaction,
        timezone: str | None = None,
        interests: str | None = None,
        frequency: app_commands.Choice[str] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        view, newly = await membership.join(
            self.bot.db,
            interaction.guild_id,
            interaction.user.id,
            timezone=timezone,
            interests=interests,
            frequency=frequency.value if frequency else None,
            now=self.bot.now(),
        )
        head = (
            "You're in! You will be paired with other members for a private conversation."
            if newly
            else ("Your preferences are updated.")
        )
        text = "\n".join(
            [
                head,
                *describe_member(view),
                "",
                "What Bridges stores about you in this server: your Discord user id, the settings above, "
                "who you blocked, your pairings and check-in answers, and participation events (joined, "
                "paired, met, replied to the weekly prompt). Never message contents.",
                "Stop any time with `/exchange leave`; erase everything with `/exchange forget`.",
            ]
        )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(
        name="leave", description="Stop being paired (your history stays until /exchange forget)"
    )
    async def leave(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        left = await membership.leave(
            self.bot.db, interaction.guild_id, interaction.user.id, now=self.bot.now()
        )
        text = (
            "You have left pairing: you won't be paired again. Your history stays until you run "
            "`/exchange forget`; `/exchange join` brings you back."
            if left
            else "You are not in pairing, so there is nothing to leave. `/exchange join` opts you in."
        )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="status", description="Your pairing settings, pause and current group")
    async def status(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        view = await membership.status(self.bot.db, interaction.guild_id, interaction.user.id)
        if not view.joined:
            text = (
                "You have not joined pairing in this server, and nothing is stored about you. "
                "Use `/exchange join` to opt in."
            )
        elif not view.active:
            text = "\n".join(
                [
                    "You left pairing: you are not being paired. Your earlier settings:",
                    *describe_member(view),
                    "`/exchange join` brings you back; `/exchange forget` erases everything.",
                ]
            )
        else:
            text = "\n".join(["You are in pairing.", *describe_member(view)])
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: BridgesBot) -> None:
    await bot.add_cog(Exchange(bot))
