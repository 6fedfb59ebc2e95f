"""/setup: where and when the bot posts, who moderates, and a view of the whole configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.db import guilds as guild_db
from bot.domain import schedule
from bot.errors import UserError
from bot.services import circles as circle_service
from bot.services import privacy
from cogs.common import NO_MENTIONS, WEEKDAY_CHOICES, ModeratorCog, timezone_choices
from cogs.scheduler import PROMPT_PERMISSIONS, Scheduler, missing_permissions, permission_names

PAIRING_PERMISSIONS = ("view_channel", "send_messages", "create_private_threads", "send_messages_in_threads")

if TYPE_CHECKING:
    from bot.app import BridgesBot


def slot_of(row, prefix: str) -> schedule.WeeklySlot | None:
    if row is None or row[f"{prefix}_channel_id"] is None:
        return None
    return schedule.WeeklySlot(
        row[f"{prefix}_day"], schedule.parse_time(row[f"{prefix}_time"]), schedule.zone(row["timezone"])
    )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Setup(
    ModeratorCog, group_name="setup", group_description="Moderators: configure Bridges for this server"
):
    def __init__(self, bot: BridgesBot) -> None:
        self.bot = bot

    def scheduler(self) -> Scheduler:
        cog = self.bot.get_cog("Scheduler")
        assert isinstance(cog, Scheduler)
        return cog

    @app_commands.command(name="prompts", description="Where and when the weekly prompt is posted")
    @app_commands.describe(
        channel="The channel for the weekly prompt and its discussion thread",
        day="The day of the week to post",
        time="The local time to post, 24-hour HH:MM such as 18:30",
        timezone="The server's IANA timezone, such as Europe/Berlin (default: keep the current one, or UTC)",
    )
    @app_commands.choices(day=WEEKDAY_CHOICES)
    @app_commands.autocomplete(timezone=timezone_choices)
    async def prompts(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        day: app_commands.Choice[str],
        time: str,
        timezone: str | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        weekday = schedule.parse_day(day.value)
        at = schedule.parse_time(time)
        if timezone:
            schedule.zone(timezone)
        now = self.bot.now()
        await guild_db.ensure(self.bot.db, interaction.guild_id, now)
        before = await guild_db.get(self.bot.db, interaction.guild_id)
        await guild_db.set_prompt_schedule(
            self.bot.db,
            interaction.guild_id,
            channel_id=channel.id,
            day=weekday,
            at=at.strftime("%H:%M"),
            timezone=timezone,
        )
        await self._confirm_schedule(
            interaction,
            "prompt",
            channel,
            before,
            lambda tz: [
                f"The weekly prompt will be posted in {channel.mention} every {day.name} at {at:%H:%M} ({tz}), "
                "with a discussion thread."
            ],
        )

    async def _confirm_schedule(self, interaction, kind: str, channel, before, head) -> None:
        """Reply with the schedule just stored, when it next runs and what stands in its way; then re-evaluate
        the server's schedule at once (a slot that already passed this week runs now)."""
        assert interaction.guild_id is not None
        now = self.bot.now()
        row = await guild_db.get(self.bot.db, interaction.guild_id)
        slot = slot_of(row, kind)
        assert slot is not None
        what = "prompt is posted" if kind == "prompt" else "round runs"
        lines = head(slot.tz.key)
        if slot.due(now):
            lines.append(f"This week's time has already passed, so this week's {what} now if it has not yet.")
        else:
            lines.append(f"Next {kind}: {schedule.fmt_local(slot.next_after(now), slot.tz)}.")
        missing = missing_permissions(
            channel, PROMPT_PERMISSIONS if kind == "prompt" else PAIRING_PERMISSIONS
        )
        if missing:
            lines.append(f"Warning: I am missing {permission_names(missing)} in {channel.mention}.")
        lines += await self._earlier_problems(before)
        await interaction.response.send_message(
            "\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        self.scheduler().kick(interaction.guild_id)

    @app_commands.command(
        name="pairing", description="Where private pair threads are opened and when rounds run"
    )
    @app_commands.describe(
        channel="The channel in which each group gets a private thread",
        day="The day of the week the round runs",
        time="The local time the round runs, 24-hour HH:MM (server timezone from /setup prompts, default UTC)",
        group_size="Members per group, 2 to 4 (default 2)",
        odd_policy="When the count does not divide evenly: make a trio (default) or let someone sit out",
        report_channel="Optional: a moderators-only channel for reports from pairs (default: a private thread)",
        mix="across: prefer groups from different circles (default when circles exist); any: ignore circles",
    )
    @app_commands.choices(
        day=WEEKDAY_CHOICES,
        odd_policy=[
            app_commands.Choice(name="trio: one group is bigger", value="trio"),
            app_commands.Choice(
                name="sit_out: someone sits out (a different person each time)", value="sit_out"
            ),
        ],
        mix=[
            app_commands.Choice(name="across: prefer members of different circles", value="across"),
            app_commands.Choice(name="any: circles do not matter", value="any"),
        ],
    )
    async def pairing(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        day: app_commands.Choice[str],
        time: str,
        group_size: app_commands.Range[int, 2, 4] = 2,
        odd_policy: app_commands.Choice[str] | None = None,
        report_channel: discord.TextChannel | None = None,
        mix: app_commands.Choice[str] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        weekday = schedule.parse_day(day.value)
        at = schedule.parse_time(time)
        if not 2 <= group_size <= 4:
            raise UserError("Groups can have 2 to 4 members.")
        policy = odd_policy.value if odd_policy else "trio"
        now = self.bot.now()
        await guild_db.ensure(self.bot.db, interaction.guild_id, now)
        before = await guild_db.get(self.bot.db, interaction.guild_id)
        await guild_db.set_pairing_schedule(
            self.bot.db,
            interaction.guild_id,
            channel_id=channel.id,
            day=weekday,
            at=at.strftime("%H:%M"),
            group_size=group_size,
            odd_policy=policy,
        )
        await guild_db.set_value(
            self.bot.db,
            interaction.guild_id,
            "report_channel_id",
            report_channel.id if report_channel else None,
        )
        if mix is not None:
            await guild_db.set_value(self.bot.db, interaction.guild_id, "pairing_mix", mix.value)
        reports = report_channel.mention if report_channel else "a private thread for moderators"
        mix_line = await self._mix_line(interaction.guild_id)
        await self._confirm_schedule(
            interaction,
            "pairing",
            channel,
            before,
            lambda tz: [
                f"Rounds will run every {day.name} at {at:%H:%M} ({tz}) with groups of {group_size} "
                f"(odd count: {policy}); each group gets a private thread in {channel.mention}.",
                f"Reports from pairs go to {reports}.",
                mix_line,
            ],
        )

    async def _mix_line(self, guild_id: int) -> str:
        row = await guild_db.get(self.bot.db, guild_id)
        names = [c.name for c in await circle_service.server_circles(self.bot.db, guild_id)]
        stored = row["pairing_mix"] if row else None
        if not names:
            later = " once circles are set up" if stored == "across" else ""
            return f"Mix: any (no circles; `/setup circles` adds them){later}."
        if circle_service.effective_mix(stored, True) == "across":
            return "Mix: across: groups prefer members of different circles, never at the cost of a block or a repeat."
        return "Mix: any: circles do not change who meets whom."

    @app_commands.command(name="circles", description="The circles members may choose from (privately)")
    @app_commands.describe(
        names="2-8 names of 1-40 characters, separated by commas; 'Old -> New' renames; 'none' turns circles off"
    )
    async def circles(self, interaction: discord.Interaction, names: str) -> None:
        assert interaction.guild_id is not None
        change = await circle_service.set_circles(self.bot.db, interaction.guild_id, names, self.bot.now())
        if not change.circles:
            lines = ["Circles are off: members are paired without them."]
            if change.removed:
                lines.append("Members' choices of the old circles are erased.")
        else:
            lines = [
                "Circles members may choose with `/exchange join circles:`: "
                + ", ".join(c.name for c in change.circles)
            ]
            for old, new in change.renamed:
                lines.append(f"Renamed {old} to {new}: members who chose it keep it.")
            if change.removed:
                lines.append(
                    "Removed: "
                    + ", ".join(change.removed)
                    + ". Members who chose a removed circle no longer have it."
                )
            lines.append(
                "Who chose which circle is shown to nobody but each member themselves: not in `/setup show`, "
                "not in `/stats`, not in pair threads."
            )
        lines.append(await self._mix_line(interaction.guild_id))
        await interaction.response.send_message(
            "\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    async def _earlier_problems(self, row) -> list[str]:
        if row is None:
            return []
        notes = []
        for kind in ("prompt", "pairing"):
            if row[f"{kind}_problem"]:
                notes.append(f"Note: the last {kind} delivery failed: {row[f'{kind}_problem']}.")
        return notes

    @app_commands.command(name="moderator-role", description="Let a role use the moderator commands")
    @app_commands.describe(role="Members with this role may use /setup, /prompts, /pairing and /stats")
    async def moderator_role(self, interaction: discord.Interaction, role: discord.Role) -> None:
        assert interaction.guild_id is not None
        if role.is_default():
            raise UserError("@everyone cannot be the moderator role: choose a role for your moderators.")
        await guild_db.ensure(self.bot.db, interaction.guild_id, self.bot.now())
        await guild_db.set_value(self.bot.db, interaction.guild_id, "moderator_role_id", role.id)
        await interaction.response.send_message(
            f"Members with {role.mention} can now use the moderator commands (Discord still shows them only to "
            "members with Manage Server unless you change it under Server Settings > Integrations).",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(
        name="retention", description="How long participation events and pairing history are kept"
    )
    @app_commands.describe(weeks="Weeks to keep them (4-260, default 52); older ones are deleted daily")
    async def retention(
        self, interaction: discord.Interaction, weeks: app_commands.Range[int, 4, 260]
    ) -> None:
        if not 4 <= weeks <= 260:
            raise UserError("Keep participation data for 4 to 260 weeks.")
        await privacy.set_retention(self.bot.db, interaction.guild_id or 0, weeks, self.bot.now())
        await interaction.response.send_message(
            f"Participation events and pairing history older than {weeks} weeks will be deleted (checked daily).",
            ephemeral=True,
        )

    @app_commands.command(name="show", description="This server's whole Bridges configuration and next times")
    async def show(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        now = self.bot.now()
        await guild_db.ensure(self.bot.db, interaction.guild_id, now)
        row = await guild_db.get(self.bot.db, interaction.guild_id)
        assert row is not None
        lines = [f"**Timezone:** {row['timezone']}"]
        prompt_slot = slot_of(row, "prompt")
        if prompt_slot is None:
            lines.append("**Weekly prompt:** not set up (use `/setup prompts`)")
        else:
            lines.append(
                f"**Weekly prompt:** <#{row['prompt_channel_id']}>, {schedule.WEEKDAYS[row['prompt_day']]} "
                f"{row['prompt_time']}; next {schedule.fmt_local(prompt_slot.next_after(now), prompt_slot.tz)}"
            )
        if row["prompt_problem"]:
            lines.append(f"**Prompt problem:** {row['prompt_problem']}")
        pairing_slot = slot_of(row, "pairing")
        if pairing_slot is None:
            lines.append("**Pairing:** not set up (use `/setup pairing`)")
        else:
            lines.append(
                f"**Pairing:** <#{row['pairing_channel_id']}>, {schedule.WEEKDAYS[row['pairing_day']]} "
                f"{row['pairing_time']}, groups of {row['group_size']}, odd count: {row['odd_policy']}; "
                f"next {schedule.fmt_local(pairing_slot.next_after(now), pairing_slot.tz)}"
            )
        if row["pairing_problem"]:
            lines.append(f"**Pairing problem:** {row['pairing_problem']}")
        circle_names = [
            c.name for c in await circle_service.server_circles(self.bot.db, interaction.guild_id)
        ]
        lines.append(
            f"**Circles:** {', '.join(circle_names) if circle_names else 'none (use `/setup circles`)'}"
        )
        mix_line = await self._mix_line(interaction.guild_id)
        lines.append(f"**Pairing mix:** {mix_line.removeprefix('Mix: ')}")
        role = f"<@&{row['moderator_role_id']}>" if row["moderator_role_id"] else "none (Manage Server only)"
        lines.append(f"**Moderator role:** {role}")
        if row["report_channel_id"]:
            lines.append(f"**Reports go to:** <#{row['report_channel_id']}>")
        lines.append(f"**Participation log kept for:** {row['retention_weeks']} weeks")
        await interaction.response.send_message(
            "\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS
        )


async def setup(bot: BridgesBot) -> None:
    await bot.add_cog(Setup(bot))
