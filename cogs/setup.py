"""/setup: where and when the bot posts, who moderates, and a view of the whole configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.db import guilds as guild_db
from bot.domain import schedule
from bot.errors import UserError
from bot.services import calendar as calendar_service
from bot.services import circles as circle_service
from bot.services import privacy, program
from cogs.common import (
    NO_MENTIONS,
    WEEKDAY_CHOICES,
    ModeratorCog,
    reply,
    report_channel_problem,
    timezone_choices,
)
from cogs.scheduler import PROMPT_PERMISSIONS, Scheduler, missing_permissions, permission_names

BREAK_CHOICES = [
    app_commands.Choice(name="prompts: the weekly prompt", value="prompts"),
    app_commands.Choice(name="pairing: rounds, notices and check-ins", value="pairing"),
    app_commands.Choice(name="all: both", value="all"),
]
PAIRING_PERMISSIONS = ("view_channel", "send_messages", "create_private_threads", "send_messages_in_threads")

if TYPE_CHECKING:
    from bot.app import BridgesBot


class PairingChannel(app_commands.Transformer):
    """A text channel (type 0) only: Discord allows private threads only in text channels, so the option
    offers nothing else (channel_types), and the command checks again what it receives."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text]

    async def transform(self, interaction: discord.Interaction, value) -> discord.abc.GuildChannel:
        channel = value.resolve() if isinstance(value, app_commands.AppCommandChannel) else value
        if channel is None:
            channel = await interaction.client.fetch_channel(value.id)
        return channel


def pairing_channel_problem(channel) -> str | None:
    if getattr(channel, "type", None) is discord.ChannelType.text:
        return None
    kind = {
        discord.ChannelType.news: "an announcement channel",
        discord.ChannelType.forum: "a forum",
        discord.ChannelType.voice: "a voice channel",
        discord.ChannelType.stage_voice: "a stage channel",
        discord.ChannelType.category: "a category",
    }.get(getattr(channel, "type", None), "not a text channel")
    mention = getattr(channel, "mention", "That channel")
    return (
        f"{mention} is {kind}. Pairs meet in private threads, which Discord allows only in text channels: "
        "choose a text channel."
    )


def when(moment, slot: schedule.WeeklySlot) -> str:
    """A scheduled time in the server's timezone, then as a Discord timestamp each reader sees in their own."""
    return f"{schedule.fmt_local(moment, slot.tz)} ({discord.utils.format_dt(moment, 'R')})"


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
        channel="The channel for the weekly prompt and its discussion thread (needed the first time)",
        day="The day of the week to post (needed the first time)",
        time="The local time to post, 24-hour HH:MM such as 18:30 (needed the first time)",
        timezone="The server's IANA timezone, such as Europe/Berlin (left out: keep the current one)",
    )
    @app_commands.choices(day=WEEKDAY_CHOICES)
    @app_commands.autocomplete(timezone=timezone_choices)
    async def prompts(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        day: app_commands.Choice[str] | None = None,
        time: str | None = None,
        timezone: str | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        changes: dict[str, object] = {}
        if channel is not None:
            changes["prompt_channel_id"] = channel.id
        if day is not None:
            changes["prompt_day"] = schedule.parse_day(day.value)
        if time is not None:
            changes["prompt_time"] = schedule.parse_time(time).strftime("%H:%M")
        if timezone is not None:
            changes["timezone"] = schedule.canonical_timezone(timezone)
        before = await guild_db.get(self.bot.db, interaction.guild_id)
        await program.update_schedule(self.bot.db, interaction.guild_id, self.bot.now(), "prompt", changes)
        await self._confirm_schedule(interaction, "prompt", before, changed=bool(changes))

    async def _confirm_schedule(self, interaction, kind: str, before, *, changed: bool = True) -> None:
        """Reply with the whole schedule as now stored, when it next runs and what stands in its way; then
        re-evaluate the server's schedule at once (a slot that already passed this week runs now)."""
        assert interaction.guild_id is not None
        now = self.bot.now()
        row = await guild_db.get(self.bot.db, interaction.guild_id)
        slot = slot_of(row, kind)
        assert slot is not None and row is not None
        prefix = "prompt" if kind == "prompt" else "pairing"
        channel_id = row[f"{prefix}_channel_id"]
        day = schedule.WEEKDAYS[row[f"{prefix}_day"]].capitalize()
        if kind == "prompt":
            lines = [
                f"The weekly prompt will be posted in <#{channel_id}> every {day} at {row['prompt_time']} "
                f"({slot.tz.key}), with a discussion thread."
            ]
        else:
            reports = self._report_destination(row)
            lines = [
                f"Rounds will run every {day} at {row['pairing_time']} ({slot.tz.key}) with groups of "
                f"{row['group_size']} (odd count: {row['odd_policy']}); each group gets a private thread in "
                f"<#{channel_id}>.",
                f"Reports from pairs go to {reports}.",
                "Members need View Channel on that channel to open their pair threads.",
                await self._mix_line(interaction.guild_id),
            ]
        if not changed:
            lines.insert(0, "Nothing was changed (no option given). The current settings:")
        paused = program.on_break(row, "prompts" if kind == "prompt" else "pairing", now)
        if paused:
            lines.append(f"A break is on until {discord.utils.format_dt(paused.until, 'F')}: nothing is scheduled before then.")
        elif slot.due(now):
            what = "prompt is posted" if kind == "prompt" else "round runs"
            lines.append(f"This week's time has already passed, so this week's {what} now if it has not yet.")
        else:
            lines.append(f"Next {kind}: {when(slot.next_after(now), slot)}.")
        channel = interaction.guild.get_channel(channel_id) if interaction.guild else None
        if channel is not None:
            missing = missing_permissions(channel, PROMPT_PERMISSIONS if kind == "prompt" else PAIRING_PERMISSIONS)
            if missing:
                lines.append(f"Warning: I am missing {permission_names(missing)} in {channel.mention}.")
            if kind == "pairing" and not channel.permissions_for(channel.guild.default_role).view_channel:
                # Discord adds a mentioned member to a private thread only if they can view its channel.
                lines.append(
                    f"Note: @everyone cannot view {channel.mention}. Members are added to their group's private "
                    "thread by a mention, which works only for members who can view the channel: make sure the "
                    "members who pair can (through a role)."
                )
        lines += await self._earlier_problems(before)
        await reply(interaction, "\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS)
        self.scheduler().kick(interaction.guild_id)

    @app_commands.command(
        name="pairing", description="Where private pair threads are opened and when rounds run"
    )
    @app_commands.describe(
        channel="The text channel in which each group gets a private thread (needed the first time)",
        day="The day of the week the round runs (needed the first time)",
        time="The local time the round runs, 24-hour HH:MM, in the server timezone (needed the first time)",
        group_size="Members per group, 2 to 4 (left out: keep the current size; 2 at first)",
        odd_policy="When the count does not divide evenly: make a trio (the default) or let someone sit out",
        report_channel="A channel hidden from @everyone for reports from pairs (left out: keep the current one)",
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
        channel: app_commands.Transform[discord.TextChannel, PairingChannel] | None = None,
        day: app_commands.Choice[str] | None = None,
        time: str | None = None,
        group_size: app_commands.Range[int, 2, 4] | None = None,
        odd_policy: app_commands.Choice[str] | None = None,
        report_channel: discord.TextChannel | None = None,
        mix: app_commands.Choice[str] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        changes: dict[str, object] = {}
        if channel is not None:
            problem = pairing_channel_problem(channel)
            if problem:
                raise UserError(problem)
            changes["pairing_channel_id"] = channel.id
        if day is not None:
            changes["pairing_day"] = schedule.parse_day(day.value)
        if time is not None:
            changes["pairing_time"] = schedule.parse_time(time).strftime("%H:%M")
        if group_size is not None:
            if not 2 <= group_size <= 4:
                raise UserError("Groups can have 2 to 4 members.")
            changes["group_size"] = group_size
        if odd_policy is not None:
            changes["odd_policy"] = odd_policy.value
        if report_channel is not None:
            problem = report_channel_problem(report_channel)
            if problem:
                raise UserError(f"Reports name the member who made them, so {problem}.")
            changes["report_channel_id"] = report_channel.id
        if mix is not None:
            changes["pairing_mix"] = mix.value
        before = await guild_db.get(self.bot.db, interaction.guild_id)
        await program.update_schedule(self.bot.db, interaction.guild_id, self.bot.now(), "pairing", changes)
        await self._confirm_schedule(interaction, "pairing", before, changed=bool(changes))

    @app_commands.command(name="timezone", description="The server's timezone, used for every schedule")
    @app_commands.describe(timezone="An IANA timezone such as Asia/Seoul or Europe/Berlin (any case)")
    @app_commands.autocomplete(timezone=timezone_choices)
    async def timezone(self, interaction: discord.Interaction, timezone: str) -> None:
        assert interaction.guild_id is not None
        name = schedule.canonical_timezone(timezone)
        now = self.bot.now()
        await program.set_timezone(self.bot.db, interaction.guild_id, now, name)
        row = await guild_db.get(self.bot.db, interaction.guild_id)
        lines = [f"The server's timezone is now {name}."]
        for kind, label in (("prompt", "Next prompt"), ("pairing", "Next round")):
            slot = slot_of(row, kind)
            if slot is not None:
                lines.append(f"{label}: {when(slot.next_after(now), slot)}.")
        await reply(interaction, "\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS)
        self.scheduler().kick(interaction.guild_id)

    @app_commands.command(name="pause", description="A program-wide break: nothing scheduled happens until it ends")
    @app_commands.describe(
        what="What to pause: the weekly prompts, the pairing rounds, or both",
        weeks="How many weeks, 1 to 12; the break ends by itself",
    )
    @app_commands.choices(what=BREAK_CHOICES)
    async def pause(
        self,
        interaction: discord.Interaction,
        what: app_commands.Choice[str],
        weeks: app_commands.Range[int, 1, 12],
    ) -> None:
        assert interaction.guild_id is not None
        until = await program.start_break(self.bot.db, interaction.guild_id, self.bot.now(), what.value, weeks)
        things = {"prompts": "No weekly prompt is posted", "pairing": "No round, notice or check-in runs",
                  "all": "No weekly prompt, round, notice or check-in happens"}[what.value]
        await reply(interaction,
            f"Break on: {things} until {discord.utils.format_dt(until, 'F')}. Members see it in "
            "`/exchange status`. It ends by itself; `/setup resume` ends it early. `/prompts post-now` and "
            "`/pairing run-now` still work if you need them.",
            ephemeral=True,
        )

    @app_commands.command(name="resume", description="End a program-wide break early")
    @app_commands.describe(what="What to resume: the weekly prompts, the pairing rounds, or both")
    @app_commands.choices(what=BREAK_CHOICES)
    async def resume(self, interaction: discord.Interaction, what: app_commands.Choice[str]) -> None:
        assert interaction.guild_id is not None
        ended = await program.end_break(self.bot.db, interaction.guild_id, self.bot.now(), what.value)
        if ended:
            text = f"Break over for {' and '.join(ended)}: the schedule runs again (this week's if its time has passed)."
        else:
            text = f"There was no break on for {what.value}: nothing to resume."
        await reply(interaction, text, ephemeral=True)
        self.scheduler().kick(interaction.guild_id)

    @app_commands.command(name="welcome", description='Post a public "How Bridges works" message with a Join button')
    @app_commands.describe(channel="The channel for the welcome message (members must be able to see it)")
    async def welcome(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        assert interaction.guild_id is not None
        from cogs.welcome import post_welcome

        message_id = await post_welcome(self.bot, interaction.guild_id, channel)
        await reply(interaction,
            f"Posted the welcome message in {channel.mention}: https://discord.com/channels/"
            f"{interaction.guild_id}/{channel.id}/{message_id}. Its Join button works for anyone who can see it, "
            "also after a restart. Pin it so newcomers find it.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    def _report_destination(self, row) -> str:
        """Where a report from a pair would go now (the same checks as at delivery)."""
        owner_dm = "the server owner by direct message"
        channel_id = row["report_channel_id"] if row else None
        if not channel_id:
            return f"{owner_dm} (set `report_channel` to a moderators-only channel to change that)"
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            return f"{owner_dm}: the report channel <#{channel_id}> no longer exists"
        problem = report_channel_problem(channel)
        if problem:
            return f"{owner_dm}, not {channel.mention}: {problem}"
        return channel.mention

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
        await reply(interaction, "\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _earlier_problems(self, row) -> list[str]:
        if row is None:
            return []
        notes = []
        for kind in ("prompt", "pairing"):
            if row[f"{kind}_problem"]:
                notes.append(f"Note: the last {kind} delivery failed: {row[f'{kind}_problem']}.")
        return notes

    async def pack_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggests pack keys for the last item of a comma-separated list, keeping the ones before it."""
        done, _, last = current.rpartition(",")
        prefix = f"{done}, " if done else ""
        needle = last.strip().lower()
        packs = await calendar_service.calendar_packs(self.bot.db, interaction.guild_id or 0, self.bot.now())
        keys = ["none", *(p.key for p in packs)]
        hits = [k for k in keys if needle in k][:25]
        return [app_commands.Choice(name=(prefix + k)[:100], value=(prefix + k)[:100]) for k in hits]

    @app_commands.command(
        name="calendar", description="Opt in to dated prompt packs (cultural and community calendar)"
    )
    @app_commands.describe(
        packs="Comma-separated pack names, such as lunar-new-year, pride-month; none turns them off"
    )
    async def calendar(self, interaction: discord.Interaction, packs: str) -> None:
        assert interaction.guild_id is not None
        now = self.bot.now()
        chosen = await calendar_service.set_calendar_packs(self.bot.db, interaction.guild_id, packs, now)
        if not chosen:
            text = "Calendar packs are off: every week gets a prompt from the rotation."
        else:
            by_key = {
                p.key: p
                for p in await calendar_service.calendar_packs(self.bot.db, interaction.guild_id, now)
            }
            listed = "\n".join(f"- **{by_key[k].name}** (`{k}`): {by_key[k].when}" for k in chosen)
            text = (
                f"Calendar packs on:\n{listed}\nIn the week of each date (server timezone), the weekly post "
                "is that pack's prompt instead of the rotation's. When two fall in the same week, the first "
                "listed is posted."
            )
        await reply(interaction, text[:2000], ephemeral=True, allowed_mentions=NO_MENTIONS)

    calendar.autocomplete("packs")(pack_choices)

    @app_commands.command(name="moderator-role", description="Let a role use the moderator commands")
    @app_commands.describe(role="Members with this role may use /setup, /prompts, /pairing and /stats")
    async def moderator_role(self, interaction: discord.Interaction, role: discord.Role) -> None:
        assert interaction.guild_id is not None
        if role.is_default():
            raise UserError("@everyone cannot be the moderator role: choose a role for your moderators.")
        await guild_db.ensure(self.bot.db, interaction.guild_id, self.bot.now())
        await guild_db.set_value(self.bot.db, interaction.guild_id, "moderator_role_id", role.id)
        await reply(
            interaction,
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
        await reply(
            interaction,
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
        breaks = {b.kind: b for b in program.active_breaks(row, now)}
        lines = [f"**Timezone:** {row['timezone']} (change it with `/setup timezone`)"]
        prompt_slot = slot_of(row, "prompt")
        if prompt_slot is None:
            lines.append("**Weekly prompt:** not set up (use `/setup prompts`)")
        else:
            lines.append(
                f"**Weekly prompt:** <#{row['prompt_channel_id']}>, {schedule.WEEKDAYS[row['prompt_day']]} "
                f"{row['prompt_time']}; next {self._next(prompt_slot, breaks.get('prompts'), now)}"
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
                f"next {self._next(pairing_slot, breaks.get('pairing'), now)}"
            )
        if row["pairing_problem"]:
            lines.append(f"**Pairing problem:** {row['pairing_problem']}")
        for kind, item in breaks.items():
            lines.append(f"**Break:** {kind} paused until {discord.utils.format_dt(item.until, 'F')} (`/setup resume`)")
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
        lines.append(f"**Reports go to:** {self._report_destination(row)}")
        welcome = f"<#{row['welcome_channel_id']}>" if row["welcome_channel_id"] else "not posted (use `/setup welcome`)"
        lines.append(f"**Welcome message:** {welcome}")
        lines.append(f"**Participation log kept for:** {row['retention_weeks']} weeks")
        packs = row["calendar_packs"].replace(",", ", ") or "none (`/setup calendar`)"
        lines.append(f"**Calendar packs:** {packs}")
        await reply(interaction, "\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @staticmethod
    def _next(slot: schedule.WeeklySlot, paused: program.Break | None, now) -> str:
        """The next run as a Discord timestamp: after the break when one is on."""
        if paused and slot.due(paused.until):
            return when(paused.until, slot)  # the week the break ends catches up at once
        return when(slot.next_after(paused.until if paused else now), slot)


async def setup(bot: BridgesBot) -> None:
    await bot.add_cog(Setup(bot))
