"""Pieces the cogs share: autocomplete sources and the moderator check."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.db import guilds as guild_db
from bot.domain import schedule
from bot.domain.themes import shipped_themes
from bot.errors import NotAllowed

if TYPE_CHECKING:
    from bot.app import BridgesBot

NO_MENTIONS = discord.AllowedMentions.none()
T = TypeVar("T")


def bot_of(interaction: discord.Interaction) -> BridgesBot:
    return interaction.client  # type: ignore[return-value]


# Of Discord's 3 seconds, how long a button may work before it must acknowledge and answer later instead.
ANSWER_BUDGET_SECONDS = 2.0


async def within_deadline(interaction: discord.Interaction, work: Awaitable[T]) -> tuple[T, bool]:
    """Run `work` (which may wait on the database); when it takes longer than the budget, acknowledge the
    interaction with a private "thinking" reply and keep waiting. Returns (result, whether it deferred), so
    the caller edits the message in place when there was time, or answers with a followup when not."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.wait_for(asyncio.shield(task), ANSWER_BUDGET_SECONDS), False
    except TimeoutError:
        await interaction.response.defer(ephemeral=True, thinking=True)
        return await task, True


async def read_within(work: Awaitable[T], seconds: float) -> T | None:
    """The result of `work` if it finishes within `seconds`, else None; the work is never cancelled midway
    (it may be waiting on the database), it finishes in the background."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return None
    return task.result()


async def reply(interaction: discord.Interaction, content: str | None = None, **kwargs) -> None:
    """Answer privately: as the followup of a deferred interaction (slash commands are deferred before they
    run, see BridgesTree.interaction_check), or as the first response of one that was not deferred."""
    kwargs.setdefault("ephemeral", True)
    kwargs.setdefault("allowed_mentions", NO_MENTIONS)
    if kwargs.get("view", True) is None:
        del kwargs["view"]
    if interaction.response.is_done():
        await interaction.followup.send(content, **kwargs)
    else:
        await interaction.response.send_message(content, **kwargs)


async def timezone_choices(_: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """IANA names matching a zone, city or country name in any case (`korea` offers Asia/Seoul)."""
    return [app_commands.Choice(name=label[:100], value=name) for label, name in schedule.search_timezones(current)]


async def theme_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The server's own themes (its copy of the library), matched on slug or name."""
    from bot.services.prompts import server_themes

    bot = bot_of(interaction)
    # Suggestions cannot be deferred: with a busy database, none rather than none in time.
    themes = await read_within(
        server_themes(bot.db, interaction.guild_id or 0, bot.now()), ANSWER_BUDGET_SECONDS
    )
    if themes is None:
        return []
    needle = current.strip().lower()
    return [
        app_commands.Choice(name=f"{t.name} ({t.slug})", value=t.slug)
        for t in themes
        if needle in t.slug or needle in t.name.lower()
    ][:25]


async def interests_choices(_: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Complete the last item of a comma-separated list of themes."""
    done, _, last = current.rpartition(",")
    chosen = [part.strip() for part in done.split(",") if part.strip()]
    prefix = ", ".join(chosen)
    needle = last.strip().lower()
    choices = []
    for theme in shipped_themes():
        if theme.slug in chosen or (needle and needle not in theme.slug and needle not in theme.name.lower()):
            continue
        value = f"{prefix}, {theme.slug}" if prefix else theme.slug
        choices.append(app_commands.Choice(name=value[:100], value=value[:100]))
    return choices[:25]


async def circle_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Complete the last item of a comma-separated list of the server's circles (names only)."""
    from bot.services.circles import server_circles

    circles = await server_circles(bot_of(interaction).db, interaction.guild_id or 0)
    done, _, last = current.rpartition(",")
    chosen = [part.strip() for part in done.split(",") if part.strip()]
    taken = {c.lower() for c in chosen}
    prefix = ", ".join(chosen)
    needle = last.strip().lower()
    choices = []
    for circle in circles:
        if circle.name.lower() in taken or (needle and needle not in circle.name.lower()):
            continue
        value = f"{prefix}, {circle.name}" if prefix else circle.name
        choices.append(app_commands.Choice(name=value[:100], value=value[:100]))
    if not chosen and (not needle or "none".startswith(needle)):
        choices.append(app_commands.Choice(name="none (no circle)", value="none"))
    return choices[:25]


async def ensure_moderator(interaction: discord.Interaction) -> None:
    """Run-time check beside default_member_permissions (which server admins can override)."""
    member = interaction.user
    if interaction.guild is None or not isinstance(member, discord.Member):
        raise NotAllowed("This command works inside a server.")
    if member.guild_permissions.manage_guild:
        return
    db = bot_of(interaction).db
    guild_id = interaction.guild.id

    async def moderator_role() -> tuple[int | None]:
        settings = await guild_db.get(db, guild_id)
        return (settings["moderator_role_id"] if settings else None,)

    if interaction.response.is_done():
        found: tuple[int | None] | None = await moderator_role()
    else:  # a command that answers with a modal has not been deferred: stay within Discord's 3 seconds
        found = await read_within(moderator_role(), ANSWER_BUDGET_SECONDS)
        if found is None:
            raise NotAllowed("The database is busy right now: try again in a moment.")
    role_id = found[0]
    if role_id and any(role.id == role_id for role in member.roles):
        return
    raise NotAllowed("Only moderators (Manage Server, or the server's moderator role) can use this.")


class ModeratorCog(commands.GroupCog):
    """A command group for moderators: hidden from members by default_member_permissions (Manage Server)
    and checked again at run time, since server admins can override what Discord shows."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        try:
            await ensure_moderator(interaction)
        except NotAllowed as exc:
            raise app_commands.CheckFailure(str(exc)) from exc
        return True


def report_channel_problem(channel: discord.abc.GuildChannel) -> str | None:
    """Why this channel cannot take reports (their words name the reporter), or None when it can: members
    must not be able to read it, so @everyone must be denied View Channel, and the bot must be able to post."""
    if channel.permissions_for(channel.guild.default_role).view_channel:
        return (
            f"everyone in the server can read {channel.mention}: deny View Channel to @everyone there "
            "(and allow it to your moderators' role), then choose it again"
        )
    me = channel.guild.me
    if me is not None:
        perms = channel.permissions_for(me)
        if not (perms.view_channel and perms.send_messages):
            return f"I cannot post in {channel.mention}: allow me View Channel and Send Messages there"
    return None


def thread_link(guild_id: int, channel_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}"


WEEKDAY_CHOICES = [app_commands.Choice(name=d.capitalize(), value=d) for d in schedule.WEEKDAYS]


class RateLimiter:
    """At most `limit` uses per `per_seconds` for each (server, member): abuse protection, kept in memory."""

    def __init__(self, limit: int, per_seconds: float) -> None:
        self.limit = limit
        self.per_seconds = per_seconds
        self._uses: dict[tuple[int, int], list[float]] = {}

    def check(self, guild_id: int, user_id: int, now: float) -> float:
        """Record a use and return 0, or return how many seconds to wait when over the limit."""
        key = (guild_id, user_id)
        recent = [t for t in self._uses.get(key, []) if now - t < self.per_seconds]
        if len(recent) >= self.limit:
            self._uses[key] = recent
            return self.per_seconds - (now - recent[0])
        recent.append(now)
        self._uses[key] = recent
        return 0.0
