"""Pieces the cogs share: autocomplete sources and the moderator check."""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def bot_of(interaction: discord.Interaction) -> BridgesBot:
    return interaction.client  # type: ignore[return-value]


async def timezone_choices(_: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    needle = current.strip().lower().replace(" ", "_")
    names = schedule.all_timezones()
    starts = [n for n in names if n.lower().startswith(needle)]
    contains = [n for n in names if needle in n.lower() and n not in starts]
    return [app_commands.Choice(name=n, value=n) for n in (starts + contains)[:25]]


async def theme_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The server's own themes (its copy of the library), matched on slug or name."""
    from bot.services.prompts import server_themes

    bot = bot_of(interaction)
    themes = await server_themes(bot.db, interaction.guild_id or 0, bot.now())
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
    settings = await guild_db.get(bot_of(interaction).db, interaction.guild.id)
    role_id = settings["moderator_role_id"] if settings else None
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
