"""Rounds on Discord: private threads per group, the pre-round notice, check-ins, and the thread buttons.

The buttons are dynamic items with stable custom ids (`bridges:pair:<action>:<group id>`), so they keep
working after a restart without any view being stored.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.db import guilds as guild_db
from bot.db import pairing as pairing_db
from bot.domain import meeting
from bot.errors import DeliveryProblem
from bot.services import pairing
from cogs import pair_intro
from cogs.common import NO_MENTIONS, thread_link
from cogs.errors import report_error
from cogs.scheduler import Scheduler

if TYPE_CHECKING:
    from bot.app import BridgesBot

log = logging.getLogger(__name__)

LABELS = {
    "starter": "Another starter",
    "met": "We met",
    "not_yet": "Not yet",
    "cant_make_it": "Can't make it",
    "leave": "Leave this pairing",
    "report": "Report to moderators",
}
STYLES = {
    "starter": discord.ButtonStyle.primary,
    "met": discord.ButtonStyle.success,
    "not_yet": discord.ButtonStyle.secondary,
    "cant_make_it": discord.ButtonStyle.secondary,
    "leave": discord.ButtonStyle.secondary,
    "report": discord.ButtonStyle.danger,
}
THANKS = {
    "met": "Wonderful, thank you for telling me!",
    "not_yet": "Thanks! There is still time this week.",
    "cant_make_it": "Thanks for letting me know. There is always next round.",
}


def pair_view(group_id: int, actions: tuple[str, ...]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in actions:
        view.add_item(PairButton(action, group_id))
    return view


def mentions_for(user_ids: list[int]) -> discord.AllowedMentions:
    """Ping exactly these members: never @everyone, @here or a role."""
    return discord.AllowedMentions(
        everyone=False, roles=False, replied_user=False, users=[discord.Object(id=u) for u in user_ids]
    )


class PairButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"bridges:pair:(?P<action>[a-z_]+):(?P<group>\d+)"
):
    def __init__(self, action: str, group_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=LABELS[action], style=STYLES[action], custom_id=f"bridges:pair:{action}:{group_id}"
            )
        )
        self.action = action
        self.group_id = group_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> PairButton:
        if match["action"] not in LABELS:
            raise ValueError(match["action"])
        return cls(match["action"], int(match["group"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            cog = interaction.client.get_cog("PairingDelivery")
            assert isinstance(cog, PairingDelivery)
            await cog.on_button(interaction, self.action, self.group_id)
        except Exception as error:
            await report_error(interaction, error)


class ReportModal(discord.ui.Modal, title="Report to moderators"):
    words = discord.ui.TextInput(
        label="What happened? (optional)",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=1000,
        custom_id="report_words",
    )

    def __init__(self, cog: PairingDelivery, group_id: int) -> None:
        super().__init__(timeout=900)
        self.cog, self.group_id = cog, group_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.cog.send_report(interaction, self.group_id, self.words.value)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report_error(interaction, error)


class PairingDelivery(commands.Cog):
    def __init__(self, bot: BridgesBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(PairButton)
        scheduler = self.bot.get_cog("Scheduler")
        assert isinstance(scheduler, Scheduler)
        scheduler.jobs.append(self.pairing_if_due)

    # ----------------------------------------------------------------------------- the weekly round

    async def pairing_if_due(self, guild_id: int) -> None:
        await self.resume_rounds(guild_id)
        outcome = await pairing.create_round(self.bot.db, guild_id, self.bot.now())
        if outcome.status == "created":
            await self.deliver(guild_id, outcome)
        await self.tell_quiet_paused(outcome.quiet_paused, guild_id)
        await self.side_jobs(guild_id)

    async def resume_rounds(self, guild_id: int) -> None:
        for row in await pairing_db.rounds_to_resume(self.bot.db, guild_id):
            await pairing.deliver_round(
                self.bot.db, guild_id, row["id"], self.open_group, self.find_thread, self.bot.now()
            )

    async def deliver(self, guild_id: int, outcome: pairing.RoundOutcome) -> str:
        assert outcome.round_id is not None
        status = await pairing.deliver_round(
            self.bot.db, guild_id, outcome.round_id, self.open_group, self.find_thread, self.bot.now()
        )
        if outcome.plan is not None:
            for user_id in outcome.plan.sat_out:
                await self.tell_sat_out(user_id, guild_id)
        return status

    async def tell_quiet_paused(self, user_ids: tuple[int, ...], guild_id: int) -> None:
        """A private note to members paused after three rounds without a check-in answer."""
        guild = self.bot.get_guild(guild_id)
        name = guild.name if guild else "the server"
        for user_id in user_ids:
            try:
                channel = await self.bot.create_dm(discord.Object(id=user_id))
                await channel.send(
                    f"Hi! Your last {pairing.QUIET_ROUNDS} Bridges rounds in {name} went without an answer to the "
                    "check-in, so I have paused your pairing for now: nobody is waiting on you. Whenever you "
                    "like, `/exchange resume` in the server brings you back into the next round (or "
                    "`/exchange leave` stops pairing altogether). No hard feelings either way.",
                    allowed_mentions=NO_MENTIONS,
                )
            except discord.HTTPException:
                log.info("could not tell a member about their pause (direct messages closed)")

    async def tell_sat_out(self, user_id: int, guild_id: int) -> None:
        guild = self.bot.get_guild(guild_id)
        name = guild.name if guild else "the server"
        try:
            channel = await self.bot.create_dm(discord.Object(id=user_id))
            await channel.send(
                f"There was an odd number of members in this week's Bridges round in {name}, so you sit out "
                "this time. You will be first in line next round.",
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException:
            log.info("could not tell a member that they sit out (direct messages closed)")

    async def _pairing_channel(self, channel_id: int) -> discord.TextChannel:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except discord.NotFound as exc:
                raise DeliveryProblem(
                    "the pairing channel no longer exists: choose another with `/setup pairing`"
                ) from exc
            except discord.Forbidden as exc:
                raise DeliveryProblem(f"I cannot see <#{channel_id}>: give me View Channel there") from exc
        assert isinstance(channel, discord.TextChannel)
        return channel

    async def find_thread(self, channel_id: int, name: str) -> int | None:
        """A thread of this name that the bot already opened (before a crash) in the pairing channel."""
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            return None
        for thread in channel.threads:
            if thread.name == name and thread.owner_id == self.bot.user.id:  # type: ignore[union-attr]
                return thread.id
        return None

    async def open_group(self, item: pairing.GroupToOpen) -> pairing.Opened:
        channel = await self._pairing_channel(item.channel_id)
        try:
            if item.existing_thread_id is not None:
                thread = channel.get_thread(item.existing_thread_id) or await self.bot.fetch_channel(
                    item.existing_thread_id
                )
                async for message in thread.history(limit=5):  # type: ignore[union-attr]
                    if message.author.id == self.bot.user.id:  # type: ignore[union-attr]
                        return pairing.Opened(thread.id, [])  # opened and introduced before the restart
            else:
                thread = await channel.create_thread(
                    name=item.thread_name,
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                    auto_archive_duration=10080,
                )
            intro = await thread.send(  # type: ignore[union-attr]
                pair_intro.introduction(item),
                view=pair_view(item.group_id, ("starter", "leave", "report")),
                allowed_mentions=mentions_for(item.member_ids),
            )
        except discord.Forbidden as exc:
            raise DeliveryProblem(
                f"I lack permission to open private threads in <#{item.channel_id}> (needs View Channel, "
                "Send Messages, Create Private Threads and Send Messages in Threads)"
            ) from exc
        except discord.NotFound as exc:
            raise DeliveryProblem(
                "the pairing channel no longer exists: choose another with `/setup pairing`"
            ) from exc
        # Discord returns a mentioned user with member data only if they are still in the server.
        present = {m.id for m in intro.mentions if isinstance(m, discord.Member)}
        departed = [u for u in item.member_ids if u not in present]
        if departed:
            await thread.send(  # type: ignore[union-attr]
                "One member of this group has left the server, so the group is smaller than planned.",
                allowed_mentions=NO_MENTIONS,
            )
        return pairing.Opened(thread.id, departed)

    async def side_jobs(self, guild_id: int) -> None:
        jobs = await pairing.side_jobs_due(self.bot.db, guild_id, self.bot.now())
        settings = await pairing.pairing_settings(self.bot.db, guild_id)
        if settings is None:
            return
        if jobs.notice_week is not None:
            when = meeting.discord_time(settings.slot.in_week(jobs.notice_week), "F")
            try:
                channel = await self._pairing_channel(settings.channel_id)
                await channel.send(
                    f"The next pairing round is on {when}. Need a week off? `/exchange skip` sits out just that "
                    "round, and `/exchange pause` takes a longer break.",
                    allowed_mentions=NO_MENTIONS,
                )
            except (discord.HTTPException, DeliveryProblem) as exc:
                log.warning("could not post the pre-round notice: %s", exc)
        for group in jobs.checkins:
            try:
                thread = self.bot.get_channel(group["thread_id"]) or await self.bot.fetch_channel(
                    group["thread_id"]
                )
                message = await thread.send(  # type: ignore[union-attr]
                    "Mid-week check-in: did your group meet?",
                    view=pair_view(group["id"], ("met", "not_yet", "cant_make_it")),
                    allowed_mentions=NO_MENTIONS,
                )
                await pairing_db.set_checkin_message(self.bot.db, group["id"], message.id)
            except discord.HTTPException as exc:
                log.warning("could not send a check-in: %s", exc)
        for group in jobs.reminders:
            try:
                thread = self.bot.get_channel(group["thread_id"]) or await self.bot.fetch_channel(
                    group["thread_id"]
                )
                await thread.send(  # type: ignore[union-attr]
                    "A gentle nudge before the week ends: did you get a chance to talk? Whatever happened, one "
                    "press below helps the program, and it is fine if it did not work out this time.",
                    view=pair_view(group["id"], ("met", "not_yet", "cant_make_it")),
                    allowed_mentions=NO_MENTIONS,
                )
            except discord.HTTPException as exc:
                log.warning("could not send a check-in reminder: %s", exc)

    # ----------------------------------------------------------------------------- buttons

    async def on_button(self, interaction: discord.Interaction, action: str, group_id: int) -> None:
        guild_id = interaction.guild_id or 0
        now = self.bot.now()
        if action in THANKS:
            await pairing.record_checkin(self.bot.db, guild_id, group_id, interaction.user.id, action, now)
            await interaction.response.send_message(THANKS[action], ephemeral=True)
        elif action == "leave":
            await pairing.leave_group(self.bot.db, guild_id, group_id, interaction.user.id, now)
            await interaction.response.send_message(
                "You have left this pairing. You stay in future rounds unless you use `/exchange leave`.",
                ephemeral=True,
            )
            if isinstance(interaction.channel, discord.Thread):
                try:
                    await interaction.channel.remove_user(interaction.user)
                except discord.HTTPException:
                    log.info("could not remove a member from a pairing thread")
        elif action == "starter":
            starter = await pairing.another_starter(self.bot.db, guild_id, group_id, interaction.user.id, now)
            if starter.wait is not None:
                minutes = max(1, round(starter.wait.total_seconds() / 60))
                await interaction.response.send_message(
                    f"A new starter was shown a moment ago: try again in {minutes} minutes.", ephemeral=True
                )
            elif starter.text is None:
                await interaction.response.send_message(
                    "This theme has no other prompt yet. Moderators can add some with `/prompts add`.",
                    ephemeral=True,
                )
            else:
                size = len(await pairing.group_members(self.bot.db, group_id))
                await interaction.response.send_message(
                    pair_intro.another_starter_text(starter.text, size), allowed_mentions=NO_MENTIONS
                )
        elif action == "report":
            await pairing.own_group(self.bot.db, guild_id, group_id, interaction.user.id)
            await interaction.response.send_modal(ReportModal(self, group_id))

    async def send_report(self, interaction: discord.Interaction, group_id: int, words: str) -> None:
        """Tell the moderators privately, with the thread link and the reporter's words."""
        guild_id = interaction.guild_id or 0
        group = await pairing.record_report(
            self.bot.db, guild_id, group_id, interaction.user.id, self.bot.now()
        )
        settings = await guild_db.get(self.bot.db, guild_id)
        assert settings is not None
        link = thread_link(guild_id, group["thread_id"]) if group["thread_id"] else "(thread unknown)"
        text = (
            f"A member, <@{interaction.user.id}>, reported a problem in a pairing thread: {link}\n"
            f"Their words: {words.strip() or '(none given)'}"
        )[:2000]
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            if settings["report_channel_id"]:
                channel = self.bot.get_channel(settings["report_channel_id"]) or await self.bot.fetch_channel(
                    settings["report_channel_id"]
                )
                await channel.send(text, allowed_mentions=NO_MENTIONS)  # type: ignore[union-attr]
            else:
                channel = await self._pairing_channel(settings["pairing_channel_id"])
                thread = await channel.create_thread(
                    name=f"Report · {self.bot.now():%d %b}",
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                )
                role_id = settings["moderator_role_id"]
                owner_id = interaction.guild.owner_id if interaction.guild else None
                who = f"<@&{role_id}>" if role_id else f"<@{owner_id}>"
                mentions = discord.AllowedMentions(
                    everyone=False,
                    users=[] if role_id else [discord.Object(id=owner_id or 0)],
                    roles=[discord.Object(id=role_id)] if role_id else [],
                )
                await thread.send(f"{who}: {text}", allowed_mentions=mentions)
        except (discord.HTTPException, DeliveryProblem) as exc:
            log.warning("could not deliver a report to the moderators: %s", exc)
            await interaction.followup.send(
                "I could not reach the moderators just now: please contact one directly.", ephemeral=True
            )
            return
        await interaction.followup.send(
            "Thank you. The moderators have been told privately; the others in your group are not told.",
            ephemeral=True,
        )


async def setup(bot: BridgesBot) -> None:
    await bot.add_cog(PairingDelivery(bot))
