"""/pairing: moderators preview and run rounds and exclude members from pairing."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.db import pairing as pairing_db
from bot.services import pairing
from cogs.common import NO_MENTIONS, ModeratorCog
from cogs.pairing_delivery import PairingDelivery
from cogs.scheduler import Scheduler

if TYPE_CHECKING:
    from bot.app import BridgesBot


def describe_plan(plan) -> str:
    """Aggregates only: moderators see how a round would look, not who would meet whom."""
    sizes = Counter(len(g) for g in plan.groups)
    shape = ", ".join(f"{count} of {size}" for size, count in sorted(sizes.items())) or "no groups"
    members = sum(len(g) for g in plan.groups)
    return (
        f"{len(plan.groups)} groups ({shape}) for {members} members; {len(plan.sat_out)} sitting out; "
        f"{plan.repeats} repeated pairs; {plan.blocked} blocked pairs."
    )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Pairing(ModeratorCog, group_name="pairing", group_description="Moderators: pairing rounds"):
    def __init__(self, bot: BridgesBot) -> None:
        self.bot = bot

    @app_commands.command(name="preview", description="What the next round would look like; nothing is saved")
    async def preview(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        week, plan = await pairing.plan(self.bot.db, interaction.guild_id or 0, self.bot.now())
        await interaction.followup.send(
            f"If the round for {week} ran now: {describe_plan(plan)}\nNothing was saved and nobody was told.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(name="run-now", description="Run this week's round now (once a week)")
    async def run_now(self, interaction: discord.Interaction) -> None:
        guild_id = interaction.guild_id or 0
        await interaction.response.defer(ephemeral=True, thinking=True)
        scheduler = self.bot.get_cog("Scheduler")
        delivery = self.bot.get_cog("PairingDelivery")
        assert isinstance(scheduler, Scheduler) and isinstance(delivery, PairingDelivery)
        async with scheduler.locks[guild_id]:
            outcome = await pairing.create_round(self.bot.db, guild_id, self.bot.now(), force=True)
            if outcome.status == "created":
                status = await delivery.deliver(guild_id, outcome)
            elif outcome.status == "already":
                await delivery.resume_rounds(guild_id)
            await delivery.tell_quiet_paused(outcome.quiet_paused, guild_id)
        if outcome.status == "created":
            assert outcome.plan is not None
            text = f"Round for {outcome.iso_week} made: {describe_plan(outcome.plan)}"
            if status != "delivered":
                text += " Delivery stopped: see `/setup show` for why; it resumes once that is fixed."
        else:
            text = {
                "already": f"This week's round ({outcome.iso_week}) already ran: rounds run once a week.",
                "not_configured": "Set up pairing first with `/setup pairing`.",
                "too_few": "Fewer than two members can be paired this week, so there is no round.",
            }[outcome.status]
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _set_exclusion(
        self, interaction: discord.Interaction, member: discord.User, excluded: bool
    ) -> None:
        changed = await pairing_db.set_excluded(
            self.bot.db, interaction.guild_id or 0, member.id, excluded, self.bot.now()
        )
        if excluded:
            text = "will not be paired until `/pairing include`." if changed else "was already excluded."
        else:
            text = "can be paired again." if changed else "was not excluded."
        await interaction.response.send_message(
            f"{member.mention} {text}", ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="exclude", description="Keep a member out of pairing (they are not told)")
    @app_commands.describe(member="The member to keep out of future rounds")
    async def exclude(self, interaction: discord.Interaction, member: discord.User) -> None:
        await self._set_exclusion(interaction, member, True)

    @app_commands.command(name="include", description="Lift a moderator exclusion from pairing")
    @app_commands.describe(member="The member to allow in rounds again")
    async def include(self, interaction: discord.Interaction, member: discord.User) -> None:
        await self._set_exclusion(interaction, member, False)


async def setup(bot: BridgesBot) -> None:
    await bot.add_cog(Pairing(bot))
