"""Rounds on Discord: private threads per group, the pre-round notice, check-ins, and the thread buttons.

The buttons are dynamic items with stable custom ids (`bridges:pair:<action>:<group id>`), so they keep
working after a restart without any view being stored.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.domain import meeting
from bot.errors import DeliveryProblem
from bot.services import pairing, program
from cogs import pair_intro
from cogs.common import ANSWER_BUDGET_SECONDS, NO_MENTIONS, reply, report_channel_problem, thread_link
from cogs.errors import report_error
from cogs.scheduler import Scheduler

if TYPE_CHECKING:
    from bot.app import BridgesBot

log = logging.getLogger(__name__)

# Discord answers Request Guild Members with `user_ids` for at most 100 ids at a time.
MEMBER_QUERY_BATCH = 100

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
        scheduler.jobs += [self.pairing_if_due, self.side_jobs]

    # ----------------------------------------------------------------------------- the weekly round

    async def pairing_if_due(self, guild_id: int) -> None:
        await self.resume_rounds(guild_id)
        if await program.break_of(self.bot.db, guild_id, "pairing", self.bot.now()):
            return  # a program-wide break: no round, notice or check-in until it ends
        outcome = await pairing.create_round(
            self.bot.db, guild_id, self.bot.now(), presence=self.presence_check(guild_id)
        )
        if outcome.status == "created":
            await self.deliver(guild_id, outcome)
        await self.tell_quiet_paused(outcome.quiet_paused, guild_id)

    def presence_check(self, guild_id: int) -> pairing.PresenceCheck:
        async def check(user_ids: list[int]) -> set[int] | None:
            return await self.members_present(guild_id, user_ids)

        return check

    async def members_present(self, guild_id: int, user_ids: list[int]) -> set[int] | None:
        """Which of these users are still members of the server, or None when Discord could not say.

        Gateway Request Guild Members with `user_ids` (documented, needs no privileged intent; at most 100
        ids a request) answers with the members found; the others are listed as not found."""
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return None
        found: set[int] = set()
        try:
            for start in range(0, len(user_ids), MEMBER_QUERY_BATCH):
                batch = user_ids[start : start + MEMBER_QUERY_BATCH]
                # discord.py waits up to 30 s for each answer; its gateway rate limiter (110 sends a minute)
                # spaces out the requests of very large servers.
                members = await guild.query_members(user_ids=batch, limit=len(batch), cache=False)
                found.update(m.id for m in members)
        except Exception as exc:  # a dropped gateway, a timeout: unknown, so nobody counts as gone
            log.warning("could not check which members are still in a server (%s)", type(exc).__name__)
            return None
        return found

    async def resume_rounds(self, guild_id: int) -> None:
        for round_id in await pairing.round_ids_to_resume(self.bot.db, guild_id):
            await pairing.deliver_round(
                self.bot.db, guild_id, round_id, self.open_group, self.existing_threads, self.bot.now()
            )

    async def deliver(self, guild_id: int, outcome: pairing.RoundOutcome) -> str:
        assert outcome.round_id is not None
        # A round made just now has no threads yet: nothing to look up.
        status = await pairing.deliver_round(
            self.bot.db, guild_id, outcome.round_id, self.open_group, None, self.bot.now()
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
                # The same words whatever the reason (an odd count, or a block): a reason could reveal a block.
                f"The numbers did not work out for everyone in this week's Bridges round in {name}, so you sit "
                "out this time. You will be first in line next round.",
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

    async def existing_threads(self, channel_id: int) -> dict[str, int]:
        """The threads the bot already opened (before a crash) in the pairing channel, by name: read once
        per resumed round, so adopting them costs nothing per group."""
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            return {}
        me = self.bot.user.id  # type: ignore[union-attr]
        return {thread.name: thread.id for thread in channel.threads if thread.owner_id == me}

    async def open_group(self, item: pairing.GroupToOpen) -> pairing.Opened:
        channel = await self._pairing_channel(item.channel_id)
        try:
            if item.existing_thread_id is not None:
                thread = channel.get_thread(item.existing_thread_id) or await self.bot.fetch_channel(
                    item.existing_thread_id
                )
                async for message in thread.history(limit=5):  # type: ignore[union-attr]
                    if message.author.id == self.bot.user.id:  # type: ignore[union-attr]
                        return pairing.Opened(thread.id)  # opened and introduced before the restart
            else:
                thread = await channel.create_thread(
                    name=item.thread_name,
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                    auto_archive_duration=10080,
                )
            # The mention adds each member to the private thread (they can all view the pairing channel).
            await thread.send(  # type: ignore[union-attr]
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
        return pairing.Opened(thread.id)

    async def side_jobs(self, guild_id: int) -> None:
        """The pre-round notice and the mid-week check-in, each once, retried by the scheduler until done."""
        if await program.break_of(self.bot.db, guild_id, "pairing", self.bot.now()):
            return  # a program-wide break: no notice or check-in until it ends
        await pairing.notice_if_due(self.bot.db, guild_id, self.bot.now(), self.send_notice, self.find_notice)
        await pairing.checkins_if_due(
            self.bot.db, guild_id, self.bot.now(), self.send_checkin, self.find_checkin
        )
        await pairing.reminders_if_due(self.bot.db, guild_id, self.bot.now(), self.send_reminder)

    @staticmethod
    def notice_text(notice: pairing.Notice) -> str:
        return (
            f"The next pairing round is on {meeting.discord_time(notice.round_at, 'F')}. Need a week off? "
            "`/exchange skip` sits out just that round, and `/exchange pause` takes a longer break."
        )

    async def send_notice(self, notice: pairing.Notice) -> None:
        try:
            channel = await self._pairing_channel(notice.channel_id)
            await channel.send(self.notice_text(notice), allowed_mentions=NO_MENTIONS)
        except (discord.Forbidden, discord.NotFound, DeliveryProblem) as exc:
            # Nothing to retry: the round's own delivery reports the channel problem to the moderators.
            log.warning("could not post the pre-round notice: %s", exc)

    async def find_notice(self, notice: pairing.Notice) -> bool:
        """Whether an attempt before a crash (or a lost answer) did reach the channel."""
        channel = await self._pairing_channel(notice.channel_id)
        text = self.notice_text(notice)
        async for message in channel.history(limit=50):
            if message.author.id == self.bot.user.id and message.content == text:  # type: ignore[union-attr]
                return True
        return False

    async def _thread(self, thread_id: int) -> discord.Thread:
        thread = self.bot.get_channel(thread_id) or await self.bot.fetch_channel(thread_id)
        assert isinstance(thread, discord.Thread)
        return thread

    async def send_checkin(self, thread_id: int, group_id: int) -> int | None:
        try:
            thread = await self._thread(thread_id)
            message = await thread.send(
                "Mid-week check-in: did your group meet?",
                view=pair_view(group_id, ("met", "not_yet", "cant_make_it")),
                allowed_mentions=NO_MENTIONS,
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            log.info("a group's thread cannot take its check-in (HTTP %s)", exc.status)
            return None
        return message.id

    async def find_checkin(self, thread_id: int, group_id: int) -> int | None:
        try:
            thread = await self._thread(thread_id)
            async for message in thread.history(limit=20):
                if message.author.id != self.bot.user.id:  # type: ignore[union-attr]
                    continue
                ids = [c.custom_id for row in message.components for c in getattr(row, "children", [])]
                if f"bridges:pair:met:{group_id}" in ids:
                    return message.id
        except (discord.Forbidden, discord.NotFound):
            return None
        return None

    async def send_reminder(self, thread_id: int, group_id: int) -> None:
        try:
            thread = await self._thread(thread_id)
            await thread.send(
                "A gentle nudge before the week ends: did you get a chance to talk? Whatever happened, one "
                "press below helps the program, and it is fine if it did not work out this time.",
                view=pair_view(group_id, ("met", "not_yet", "cant_make_it")),
                allowed_mentions=NO_MENTIONS,
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            log.info("a group's thread cannot take its reminder (HTTP %s)", exc.status)

    # ----------------------------------------------------------------------------- buttons

    async def on_button(self, interaction: discord.Interaction, action: str, group_id: int) -> None:
        guild_id = interaction.guild_id or 0
        now = self.bot.now()
        if action == "report":
            # A modal must be the first answer, so nothing is read before it: whether the person belongs to
            # the group is checked when the report is submitted.
            await interaction.response.send_modal(ReportModal(self, group_id))
            return
        if action == "starter":
            await self.another_starter(interaction, guild_id, group_id, now)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        if action in THANKS:
            await pairing.record_checkin(self.bot.db, guild_id, group_id, interaction.user.id, action, now)
            await reply(interaction, THANKS[action])
        elif action == "leave":
            await pairing.leave_group(self.bot.db, guild_id, group_id, interaction.user.id, now)
            await reply(
                interaction,
                "You have left this pairing. You stay in future rounds unless you use `/exchange leave`.",
            )
            if isinstance(interaction.channel, discord.Thread):
                try:
                    await interaction.channel.remove_user(interaction.user)
                except discord.HTTPException:
                    log.info("could not remove a member from a pairing thread")

    async def another_starter(
        self, interaction: discord.Interaction, guild_id: int, group_id: int, now: datetime
    ) -> None:
        """A new starter for the whole group to see (public), or a private "not now". It is answered directly
        when the read and write take under the answer budget; when the database is slow, the press is
        acknowledged first without a visible reply (DEFERRED_UPDATE_MESSAGE, which leaves the answer's
        visibility open) and the answer follows as a followup."""

        async def work() -> tuple[str, bool]:
            starter = await pairing.another_starter(self.bot.db, guild_id, group_id, interaction.user.id, now)
            if starter.wait is not None:
                minutes = max(1, round(starter.wait.total_seconds() / 60))
                return f"A new starter was shown a moment ago: try again in {minutes} minutes.", True
            if starter.text is None:
                return (
                    "This theme has no other prompt yet. Moderators can add some with `/prompts add`.",
                    True,
                )
            size = len(await pairing.group_members(self.bot.db, group_id))
            return pair_intro.another_starter_text(starter.text, size), False

        task = asyncio.ensure_future(work())
        done, _ = await asyncio.wait({task}, timeout=ANSWER_BUDGET_SECONDS)
        if not done:
            await interaction.response.defer()  # type 6 for a button: acknowledged, nothing shown yet
        text, private = await task
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=private, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(text, ephemeral=private, allowed_mentions=NO_MENTIONS)

    async def send_report(self, interaction: discord.Interaction, group_id: int, words: str) -> None:
        """Deliver a report where only moderators read it, and tell the reporter truthfully where it went.

        First the server's report channel, if it is still hidden from @everyone and the bot can post there;
        else a direct message to the server owner; else a private thread that mentions the owner. A role ping is never the delivery: a role mention reaches
        nobody in a private thread unless the role is mentionable, and it would tell a whole role at once."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = interaction.guild_id or 0
        group = await pairing.record_report(
            self.bot.db, guild_id, group_id, interaction.user.id, self.bot.now()
        )
        link = thread_link(guild_id, group["thread_id"]) if group["thread_id"] else "(thread unknown)"
        text = (
            f"A member, <@{interaction.user.id}>, reported a problem in a pairing thread: {link}\n"
            f"Their words: {words.strip() or '(none given)'}"
        )[:2000]
        channel = await self._usable_report_channel(await pairing.report_channel_id(self.bot.db, guild_id))
        if channel is not None:
            try:
                await channel.send(text, allowed_mentions=NO_MENTIONS)
                await reply(
                    interaction,
                    "Thank you. Your report is in the moderators' private report channel; the others in your "
                    "group are not told.",
                )
                return
            except discord.HTTPException as exc:
                log.warning("could not post a report in the report channel (%s)", exc.status)
        guild = interaction.guild
        owner_id = guild.owner_id if guild else None
        if owner_id is not None:
            try:
                dm = await self.bot.create_dm(discord.Object(id=owner_id))
                server = guild.name if guild else "your server"
                await dm.send(f"Bridges report from {server}:\n{text}"[:2000], allowed_mentions=NO_MENTIONS)
                await reply(
                    interaction,
                    "Thank you. This server has no moderators-only report channel I can post in, so your report "
                    "went to the server owner by direct message; the others in your group are not told.",
                )
                return
            except discord.HTTPException as exc:
                log.warning("could not send a report to the server owner (%s)", exc.status)
            if await self._report_in_owner_thread(guild_id, owner_id, text):
                await reply(
                    interaction,
                    "Thank you. This server has no moderators-only report channel I can post in and its owner "
                    "does not accept direct messages, so your report went to the server owner in a new private "
                    "thread (only they and moderators who manage threads can see it); the others in your group "
                    "are not told.",
                )
                return
        await reply(
            interaction,
            "I could not deliver your report: this server has no private report channel I can post in, and "
            "I could not reach the server owner. Please contact a moderator directly. Nobody in your group was "
            "told.",
        )

    async def _report_in_owner_thread(self, guild_id: int, owner_id: int, text: str) -> bool:
        """Last resort: a private thread in the pairing channel that mentions the owner, which adds them (an
        owner can view every channel). Nobody else is added; moderators with Manage Threads can see it."""
        settings = await pairing.pairing_settings(self.bot.db, guild_id)
        if settings is None:
            return False
        try:
            channel = await self._pairing_channel(settings.channel_id)
            thread = await channel.create_thread(
                name="Bridges report", type=discord.ChannelType.private_thread, invitable=False
            )
            await thread.send(f"<@{owner_id}> {text}"[:2000], allowed_mentions=mentions_for([owner_id]))
        except (discord.HTTPException, DeliveryProblem) as exc:
            log.warning("could not open a report thread for the server owner (%s)", type(exc).__name__)
            return False
        return True

    async def _usable_report_channel(self, channel_id: int | None) -> discord.abc.Messageable | None:
        """The report channel, if it is set and still fit for reports (checked again: it may have changed)."""
        if channel_id is None:
            return None
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            return None
        problem = report_channel_problem(channel)
        if problem:
            log.warning("not posting a report in the report channel: %s", problem)
            return None
        return channel


async def setup(bot: BridgesBot) -> None:
    await bot.add_cog(PairingDelivery(bot))
