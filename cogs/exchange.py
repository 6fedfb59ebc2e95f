"""/exchange: a member's own participation in pairing."""

from __future__ import annotations

import io
import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain import meeting, schedule
from bot.domain.themes import shipped_themes
from bot.errors import UserError
from bot.services import membership, pairing, privacy, program
from cogs.common import (
    NO_MENTIONS,
    RateLimiter,
    circle_choices,
    interests_choices,
    reply,
    thread_link,
    timezone_choices,
)
from cogs.views import ConfirmView

if TYPE_CHECKING:
    from bot.app import BridgesBot

log = logging.getLogger(__name__)

FREQUENCY_CHOICES = [app_commands.Choice(name=f, value=f) for f in membership.FREQUENCIES]


def describe_interests(slugs: tuple[str, ...]) -> str:
    names = {t.slug: t.name for t in shipped_themes()}
    return ", ".join(names.get(s, s) for s in slugs) if slugs else "none chosen"


def describe_others(others: str | None) -> str:
    """The other members of a group, as mentions; someone who erased their data is "a former member"."""
    ids = [int(x) for x in (others or "").split(",") if x]
    if not ids:
        return "nobody else"
    return ", ".join("a former member" if i == 0 else f"<@{i}>" for i in ids)


def describe_member(view: membership.MemberView) -> list[str]:
    lines = [
        f"- Timezone: {view.timezone or 'not set (times are shown in the server timezone)'}",
        f"- Interests: {describe_interests(view.interests)}",
        f"- Frequency: {view.frequency}",
        "- Circles: "
        + (", ".join(view.circles) if view.circles else "none chosen")
        + " (only you see this: never your partners, nor the moderators)",
    ]
    if view.paused_until:
        why = " (after three rounds without a check-in answer)" if view.quiet_paused else ""
        lines.append(f"- Paused until {view.paused_until.isoformat()}{why}: `/exchange resume` ends it early")
    if view.skip_week:
        lines.append("- Sitting out the next round")
    return lines


def join_reply(view: membership.MemberView, newly: bool) -> str:
    """What /exchange join (and the Join button) answers: what is recorded and how to leave or erase it."""
    head = (
        "You're in! You will be paired with other members for a private conversation."
        if newly
        else "Your preferences are updated."
    )
    return "\n".join(
        [
            head,
            *describe_member(view),
            "",
            f"What Bridges stores about you in this server: {privacy.STORED_WHEN_JOINED}.",
            "Your partners see your local time and the interests you share with them; your circles are "
            "shown to nobody but you.",
            "Set your timezone and interests with `/exchange join`; stop any time with `/exchange leave`; "
            "erase everything with `/exchange forget`.",
        ]
    )


@app_commands.guild_only()
class Exchange(
    commands.GroupCog, group_name="exchange", group_description="Your pairing: join, leave, settings"
):
    def __init__(self, bot: BridgesBot) -> None:
        self.bot = bot
        # Joining over and over floods the log and other members' rounds: a few an hour is plenty.
        self.join_limit = RateLimiter(limit=6, per_seconds=3600)
        # Leaving has its own limiter, so adjusting preferences never locks a member out of leaving; its
        # limit is above what the join limit lets anyone reach (each real leave follows a join).
        self.leave_limit = RateLimiter(limit=20, per_seconds=3600)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Whoever uses the bot in a server is in it: end a departure the pre-round check set aside.
        Runs beside the command (its own task), so it never delays the answer."""
        if interaction.guild_id is None or interaction.type is discord.InteractionType.autocomplete:
            return
        try:
            await membership.mark_present(self.bot.db, interaction.guild_id, interaction.user.id)
        except Exception:
            log.warning("could not record that a member is back in a server", exc_info=True)

    @staticmethod
    def _check_limit(limiter: RateLimiter, interaction: discord.Interaction) -> None:
        wait = limiter.check(interaction.guild_id or 0, interaction.user.id, time.monotonic())
        if wait:
            raise UserError(
                f"You have joined and left several times in a short while: try again in {wait / 60:.0f} minutes."
            )

    @app_commands.command(name="join", description="Opt in to weekly pairing (and update your preferences)")
    @app_commands.describe(
        timezone="Your IANA timezone, such as Asia/Seoul, so times are shown in your local time",
        interests="Themes you would like to talk about, separated by commas",
        frequency="How often you would like to be paired (default weekly)",
        circles="Optional, private: the server's circles you belong to, separated by commas (or none)",
    )
    @app_commands.autocomplete(timezone=timezone_choices, interests=interests_choices, circles=circle_choices)
    @app_commands.choices(frequency=FREQUENCY_CHOICES)
    async def join(
        self,
        interaction: discord.Interaction,
        timezone: str | None = None,
        interests: str | None = None,
        frequency: app_commands.Choice[str] | None = None,
        circles: str | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        self._check_limit(self.join_limit, interaction)
        view, newly = await membership.join(
            self.bot.db,
            interaction.guild_id,
            interaction.user.id,
            timezone=timezone,
            interests=interests,
            frequency=frequency.value if frequency else None,
            now=self.bot.now(),
            circles=circles,
        )
        text = join_reply(view, newly)
        await reply(interaction, text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(
        name="leave", description="Stop being paired (your history stays until /exchange forget)"
    )
    async def leave(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        self._check_limit(self.leave_limit, interaction)
        # A leave counts toward the join limit (toggling is what it curbs), but never waits on it.
        self.join_limit.check(interaction.guild_id or 0, interaction.user.id, time.monotonic())
        left = await membership.leave(
            self.bot.db, interaction.guild_id, interaction.user.id, now=self.bot.now()
        )
        text = (
            "You have left pairing: you won't be paired again. Your history stays until you run "
            "`/exchange forget`; `/exchange join` brings you back."
            if left
            else "You are not in pairing, so there is nothing to leave. `/exchange join` opts you in."
        )
        await reply(interaction, text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="status", description="Your pairing settings, pause and current group")
    async def status(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        view = await membership.status(self.bot.db, interaction.guild_id, interaction.user.id)
        stored = privacy.describe_stored(
            await privacy.stored_about(self.bot.db, interaction.guild_id, interaction.user.id)
        )
        if not view.joined:
            text = "\n".join(
                [
                    "You have not joined pairing in this server. Use `/exchange join` to opt in.",
                    stored,
                    privacy.KEPT_FOR_OTHERS,
                ]
            )
        elif not view.active:
            text = "\n".join(
                [
                    "You left pairing: you are not being paired. Your earlier settings:",
                    *describe_member(view),
                    "`/exchange join` brings you back; `/exchange forget` erases everything.",
                    stored,
                ]
            )
        else:
            text = "\n".join(
                [
                    "You are in pairing.",
                    *describe_member(view),
                    *await self._round_lines(interaction, view),
                    stored,
                ]
            )
        await reply(interaction, text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _round_lines(self, interaction: discord.Interaction, view: membership.MemberView) -> list[str]:
        guild_id = interaction.guild_id or 0
        now = self.bot.now()
        lines = []
        upcoming, reason = await program.member_next_round(
            self.bot.db, guild_id, view.paused_until, view.skip_week, now
        )
        if upcoming is None:
            lines.append("- Next round: not scheduled yet (moderators use `/setup pairing`)")
        else:
            why = {
                "break": " (pairing is on a program-wide break until then)",
                "paused": " (after your pause)",
                "skip": " (you sit out the round before it)",
                None: "",
            }[reason]
            lines.append(
                f"- You will next be paired: {discord.utils.format_dt(upcoming, 'F')}, "
                f"{discord.utils.format_dt(upcoming, 'R')}{why}"
            )
        rounds = await pairing.member_rounds(self.bot.db, guild_id, interaction.user.id)
        settings = await pairing.pairing_settings(self.bot.db, guild_id)
        if rounds and settings and rounds[0]["iso_week"] == schedule.week_key(now, settings.slot.tz):
            current = rounds[0]
            others = describe_others(current["others"])
            where = (
                thread_link(guild_id, current["thread_id"]) if current["thread_id"] else "thread on its way"
            )
            lines.append(f"- This week's group: with {others}: {where}")
        return lines

    @app_commands.command(name="pause", description="Take a break from pairing for a few weeks")
    @app_commands.describe(weeks="How many weeks to pause (1-12); the pause ends by itself")
    async def pause(self, interaction: discord.Interaction, weeks: app_commands.Range[int, 1, 12]) -> None:
        until = await membership.pause(
            self.bot.db, interaction.guild_id or 0, interaction.user.id, weeks, now=self.bot.now()
        )
        await reply(
            interaction,
            f"Paused until {until.isoformat()}: you will not be paired before then. `/exchange resume` ends it early.",
            ephemeral=True,
        )

    @app_commands.command(name="resume", description="End a pause (or a skip) early")
    async def resume(self, interaction: discord.Interaction) -> None:
        had = await membership.resume(
            self.bot.db, interaction.guild_id or 0, interaction.user.id, now=self.bot.now()
        )
        text = (
            "Welcome back: you are in the next round." if had else "You were not paused: nothing to resume."
        )
        await reply(interaction, text, ephemeral=True)

    @app_commands.command(name="skip", description="Sit out the next round only")
    async def skip(self, interaction: discord.Interaction) -> None:
        guild_id = interaction.guild_id or 0
        week = await pairing.next_round_week(self.bot.db, guild_id, self.bot.now())
        await membership.skip(self.bot.db, guild_id, interaction.user.id, week, now=self.bot.now())
        when = await pairing.round_time(self.bot.db, guild_id, week)
        which = f"the round on {meeting.discord_time(when, 'F')}" if when else "the next round"
        await reply(
            interaction,
            f"You will sit out {which}; after that you are paired as usual. `/exchange resume` undoes it.",
            ephemeral=True,
        )

    @app_commands.command(name="block", description="Never be paired with this member (they are not told)")
    @app_commands.describe(member="The member you never want to be paired with")
    async def block(self, interaction: discord.Interaction, member: discord.User) -> None:
        guild_id = interaction.guild_id or 0
        added = await pairing.set_block(
            self.bot.db, guild_id, interaction.user.id, member.id, True, self.bot.now()
        )
        text = (
            f"Done: you will never be paired with {member.mention}. They are not told, and it shows nowhere."
            if added
            else f"You had already blocked {member.mention}."
        )
        if not (await membership.status(self.bot.db, guild_id, interaction.user.id)).joined:
            # Blocking before joining is allowed (it protects you if you join later), and said plainly.
            text += (
                " You have not joined pairing, so this block is the only thing stored about you here "
                "(your id and theirs); `/exchange forget` erases it."
            )
        await reply(interaction, text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="unblock", description="Allow being paired with a member you blocked")
    @app_commands.describe(member="The member to unblock")
    async def unblock(self, interaction: discord.Interaction, member: discord.User) -> None:
        removed = await pairing.set_block(
            self.bot.db, interaction.guild_id or 0, interaction.user.id, member.id, False, self.bot.now()
        )
        text = f"Unblocked {member.mention}." if removed else f"You had not blocked {member.mention}."
        await reply(interaction, text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="history", description="Your past rounds: when, with whom, and your check-in")
    async def history(self, interaction: discord.Interaction) -> None:
        rows = await pairing.member_rounds(self.bot.db, interaction.guild_id or 0, interaction.user.id)
        if not rows:
            text = "You have no rounds yet."
        else:
            answers = {
                "met": "you met",
                "not_yet": "not yet",
                "cant_make_it": "couldn't make it",
                None: "no answer",
            }
            lines = [f"**Your rounds** ({len(rows)}):"]
            for row in rows[:20]:
                left = ", you left the pairing" if row["left_at"] else ""
                when = meeting.discord_time(datetime.fromisoformat(row["made_at"]), "D")
                lines.append(
                    f"- {when}: with {describe_others(row['others'])}: {answers[row['checkin']]}{left}"
                )
            text = "\n".join(lines)
        await reply(interaction, text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(
        name="mydata", description="Everything Bridges stores about you here, as a JSON file"
    )
    async def mydata(self, interaction: discord.Interaction) -> None:
        data = await privacy.export_member(
            self.bot.db, interaction.guild_id or 0, interaction.user.id, self.bot.now()
        )
        await reply(
            interaction,
            "Everything Bridges stores about you in this server:",
            file=discord.File(io.BytesIO(data), filename="bridges-my-data.json"),
            ephemeral=True,
        )

    @app_commands.command(
        name="forget", description="Erase everything Bridges stores about you in this server"
    )
    async def forget(self, interaction: discord.Interaction) -> None:
        async def confirmed(inner: discord.Interaction) -> str:
            await privacy.forget_member(self.bot.db, inner.guild_id or 0, inner.user.id, self.bot.now())
            return (
                "Done: your settings, the members you blocked, your participation events and your pending or "
                "rejected suggestions are erased (approved ones stay in the library without your name), and in "
                "past groups you are now an anonymous former member. Daily backups, if the host keeps them, "
                "hold the old data for up to 7 days. `/exchange join` starts afresh."
            )

        await reply(
            interaction,
            "This erases everything Bridges stores about you in this server: your settings, the members you "
            "blocked, your participation events, your pending suggestions, and your name in past groups. "
            "It cannot be undone. (Blocks other members placed on you stay, so nobody who blocked you is paired "
            "with you.)",
            view=ConfirmView(interaction.user.id, confirmed),
            ephemeral=True,
        )


async def setup(bot: BridgesBot) -> None:
    await bot.add_cog(Exchange(bot))
