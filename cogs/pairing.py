"""/pairing: moderators preview and run rounds and exclude members from pairing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.services import pairing, program
from cogs.common import NO_MENTIONS, ModeratorCog, reply
from cogs.pairing_delivery import PairingDelivery
from cogs.scheduler import Scheduler

if TYPE_CHECKING:
    from bot.app import BridgesBot


def describe_plan(plan, settings: pairing.PairingSettings | None) -> str:
    """What moderators may know of a round: how many members take part and the groups' size. Never how
    many groups formed or sat out, or repeats: blocks shape those, so a moderator who excluded all but two
    or three members could read a block from them."""
    entered = sum(len(g) for g in plan.groups) + len(plan.sat_out)
    size = settings.group_size if settings else 2
    odd = (
        "a larger group takes an odd one out"
        if settings is None or settings.odd_policy == "trio"
        else "an odd one out sits out"
    )
    return (
        f"{entered} members take part, in groups of {size} ({odd}). Who meets whom, and how blocks shape the "
        "groups, is never shown."
    )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Pairing(ModeratorCog, group_name="pairing", group_description="Moderators: pairing rounds"):
    def __init__(self, bot: BridgesBot) -> None:
        self.bot = bot

    @app_commands.command(name="preview", description="What the next round would look like; nothing is saved")
    async def preview(self, interaction: discord.Interaction) -> None:
        guild_id = interaction.guild_id or 0
        delivery = self.bot.get_cog("PairingDelivery")
        assert isinstance(delivery, PairingDelivery)
        week, plan = await pairing.plan(
            self.bot.db, guild_id, self.bot.now(), presence=delivery.presence_check(guild_id)
        )
        settings = await pairing.pairing_settings(self.bot.db, guild_id)
        await reply(
            interaction,
            f"If the round for {week} ran now: {describe_plan(plan, settings)}\n"
            "Nothing was saved and nobody was told.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(name="run-now", description="Run this week's round now (once a week)")
    async def run_now(self, interaction: discord.Interaction) -> None:
        guild_id = interaction.guild_id or 0
        scheduler = self.bot.get_cog("Scheduler")
        delivery = self.bot.get_cog("PairingDelivery")
        assert isinstance(scheduler, Scheduler) and isinstance(delivery, PairingDelivery)
        async with scheduler.locks[guild_id]:
            outcome = await pairing.create_round(
                self.bot.db, guild_id, self.bot.now(), force=True, presence=delivery.presence_check(guild_id)
            )
            if outcome.status == "created":
                status = await delivery.deliver(guild_id, outcome)
            elif outcome.status == "already":
                await delivery.resume_rounds(guild_id)
            await delivery.tell_quiet_paused(outcome.quiet_paused, guild_id)
        if outcome.status == "created":
            assert outcome.plan is not None
            settings = await pairing.pairing_settings(self.bot.db, guild_id)
            text = f"Round for {outcome.iso_week} made: {describe_plan(outcome.plan, settings)}"
            if status != "delivered":
                text += " Delivery stopped: see `/setup show` for why; it resumes once that is fixed."
        else:
            text = {
                "already": f"This week's round ({outcome.iso_week}) already ran: rounds run once a week.",
                "not_configured": "Set up pairing first with `/setup pairing`.",
                "too_few": "Fewer than two members can be paired this week, so there is no round.",
            }[outcome.status]
        paused = await program.break_of(self.bot.db, guild_id, "pairing", self.bot.now())
        if paused is not None:
            text += (
                f"\nNote: a pairing break is on until {discord.utils.format_dt(paused.until, 'F')}; "
                "scheduled rounds, notices and check-ins wait until it ends."
            )
        await reply(interaction, text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _set_exclusion(
        self, interaction: discord.Interaction, member: discord.User, excluded: bool
    ) -> None:
        changed = await pairing.set_excluded(
            self.bot.db, interaction.guild_id or 0, member.id, excluded, self.bot.now()
        )
        if excluded:
            text = "will not be paired until `/pairing include`." if changed else "was already excluded."
        else:
            text = "can be paired again." if changed else "was not excluded."
        await reply(interaction, f"{member.mention} {text}", ephemeral=True, allowed_mentions=NO_MENTIONS)

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
