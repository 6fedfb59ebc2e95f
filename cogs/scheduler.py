"""The weekly clock: posts prompts (and runs rounds) when due, catches up after downtime."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TYPE_CHECKING

import aiohttp
import discord
from discord.ext import commands, tasks

from bot.db import StorageFault
from bot.db import guilds as guild_db
from bot.domain.retry import JobRetries
from bot.services import program, prompts
from cogs.common import NO_MENTIONS
from cogs.welcome import join_view

if TYPE_CHECKING:
    from bot.app import BridgesBot

log = logging.getLogger(__name__)

PROMPT_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "create_public_threads")
EMBED_COLOUR = discord.Colour(0x3B82F6)


def is_outside_failure(error: BaseException) -> bool:
    """A failure caused outside the bot: Discord's servers (5xx, or rate limits beyond discord.py's own
    handling) or the network. Anything else is the bot's own and is logged with its traceback."""
    if isinstance(error, discord.HTTPException):
        return error.status >= 500 or error.status == 429
    return isinstance(error, (aiohttp.ClientError, ConnectionError, TimeoutError))


def describe_outside_failure(error: BaseException) -> str:
    if isinstance(error, discord.HTTPException):
        return f"HTTP {error.status}"
    return type(error).__name__


def permission_names(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(n.replace("_", " ").title() for n in names)


def missing_permissions(channel: discord.abc.GuildChannel, needed: tuple[str, ...]) -> list[str]:
    """What the bot's cached permissions say it lacks in `channel` (empty when it looks fine)."""
    me = channel.guild.me
    if me is None:
        return []
    perms = channel.permissions_for(me)
    return [name for name in needed if not getattr(perms, name)]


def week_label(iso_week: str) -> str:
    """'Week of 16 Nov 2026': the Monday of the ISO week, as people read dates (never '2026-W47')."""
    year, week = iso_week.split("-W")
    monday = date.fromisocalendar(int(year), int(week), 1)
    return f"Week of {monday.day} {monday:%b %Y}"


def prompt_embed(item: prompts.PromptToPost) -> discord.Embed:
    heading = item.occasion or "This week's prompt"
    embed = discord.Embed(
        title=f"{heading} · {item.theme.name}",
        description=item.text,
        colour=EMBED_COLOUR,
    )
    if item.content_note:
        embed.add_field(name="Content note", value=f"{item.content_note}"[:1024])
    embed.set_footer(
        text=f"{week_label(item.iso_week)} · prompt #{item.prompt_id} · share in the thread below"
    )
    return embed


class Scheduler(commands.Cog):
    """Runs each server's weekly jobs. `kick` re-evaluates one server at once (after a schedule change)."""

    def __init__(self, bot: BridgesBot) -> None:
        self.bot = bot
        self.locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks: set[asyncio.Task[None]] = set()
        self.jobs: list[Callable[[int], Awaitable[None]]] = [self.post_prompt_if_due]
        self.retries = JobRetries()

    async def cog_load(self) -> None:
        self.tick.start()

    async def cog_unload(self) -> None:
        self.tick.cancel()
        for task in self._tasks:
            task.cancel()

    @tasks.loop(seconds=30)
    async def tick(self) -> None:
        # Servers run side by side: one slowed by rate limits or a failing channel does not hold up the rest.
        guild_ids = [
            row["guild_id"]
            for row in await guild_db.configured_guilds(self.bot.db)
            if self.bot.get_guild(row["guild_id"]) is not None
        ]
        await asyncio.gather(*(self.run_guild(guild_id) for guild_id in guild_ids))

    @tick.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    @tick.error
    async def _tick_failed(self, error: BaseException) -> None:
        log.error("the scheduler loop failed", exc_info=error)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """A (re)connection, perhaps after a long outage: catch up on every server at once."""
        if self.tick.is_running() and self.tick.current_loop > 0:
            for row in await guild_db.configured_guilds(self.bot.db):
                if self.bot.get_guild(row["guild_id"]) is not None:
                    self.kick(row["guild_id"])

    def kick(self, guild_id: int) -> None:
        """Re-evaluate a server's schedule now, in the background (failing jobs too, without waiting)."""
        self.retries.forget(lambda key: key[0] == guild_id)
        task = asyncio.create_task(self.run_guild(guild_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run_guild(self, guild_id: int) -> None:
        async with self.locks[guild_id]:
            for job in self.jobs:
                key = (guild_id, job.__name__)
                if not self.retries.may_run(key, self.bot.now()):
                    continue
                try:
                    await job(guild_id)
                except StorageFault:
                    return  # logged once by the bot, which stops if it is fatal
                except Exception as error:
                    first = self.retries.failed(key, self.bot.now())
                    if is_outside_failure(error):
                        # Discord or the network: one line when it starts, none while it lasts.
                        if first:
                            log.warning(
                                "scheduled job %s cannot reach Discord (%s); trying again with backoff",
                                job.__name__,
                                describe_outside_failure(error),
                            )
                    else:
                        # One server's failure must not stop the others; the code ties the log line together.
                        log.exception(
                            "scheduled job %s failed (code %s)", job.__name__, secrets.token_hex(3).upper()
                        )
                else:
                    failed_tries = self.retries.succeeded(key)
                    if failed_tries:
                        log.info(
                            "scheduled job %s works again after %d failed tries", job.__name__, failed_tries
                        )

    async def post_prompt_if_due(self, guild_id: int) -> None:
        if await program.break_of(self.bot.db, guild_id, "prompts", self.bot.now()):
            return  # a program-wide break: the weekly prompt waits until it ends
        await self.post_prompt(guild_id, force=False)

    async def post_prompt(self, guild_id: int, *, force: bool) -> prompts.PostOutcome:
        return await prompts.post_weekly(
            self.bot.db, guild_id, self.bot.now(), self._publish, self._find_existing, force=force
        )

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except discord.NotFound as exc:
                raise prompts.DeliveryProblem(
                    "the prompt channel no longer exists: choose another with `/setup prompts`"
                ) from exc
            except discord.Forbidden as exc:
                raise prompts.DeliveryProblem(
                    f"I cannot see <#{channel_id}>: give me View Channel there, or choose another channel"
                ) from exc
        return channel  # type: ignore[return-value]

    async def _publish(self, item: prompts.PromptToPost) -> prompts.Published:
        channel = await self._channel(item.channel_id)
        try:
            message = await channel.send(embed=prompt_embed(item), view=join_view(), allowed_mentions=NO_MENTIONS)
        except discord.Forbidden as exc:
            missing = missing_permissions(channel, PROMPT_PERMISSIONS) if hasattr(channel, "guild") else []
            names = permission_names(missing or list(PROMPT_PERMISSIONS[:3]))
            raise prompts.DeliveryProblem(
                f"I lack permission to post in <#{item.channel_id}> (needs {names})"
            ) from exc
        except discord.NotFound as exc:
            raise prompts.DeliveryProblem(
                "the prompt channel no longer exists: choose another with `/setup prompts`"
            ) from exc
        except discord.HTTPException as exc:
            raise prompts.DeliveryProblem(
                f"Discord did not accept the post for now (HTTP {exc.status}); it is tried again at the next check"
            ) from exc
        try:
            thread = await message.create_thread(
                name=f"{item.theme.name} · {week_label(item.iso_week).replace('Week', 'week', 1)}"[:100]
            )
        except discord.HTTPException as exc:
            if not isinstance(exc, discord.Forbidden):
                return prompts.Published(
                    message.id,
                    None,
                    f"the prompt was posted but Discord did not open its thread (HTTP {exc.status})",
                )
            return prompts.Published(
                message.id,
                None,
                f"the prompt was posted but I could not open its thread in <#{item.channel_id}> "
                "(needs Create Public Threads)",
            )
        return prompts.Published(message.id, thread.id)

    async def _find_existing(self, channel_id: int, iso_week: str) -> prompts.Published | None:
        """After a crash between posting and recording: find this week's post so it is not made twice."""
        try:
            channel = await self._channel(channel_id)
            async for message in channel.history(limit=25):  # type: ignore[attr-defined]
                if message.author.id != self.bot.user.id or not message.embeds:  # type: ignore[union-attr]
                    continue
                footer = message.embeds[0].footer.text or ""
                # The second form is how posts were labelled before dates replaced week keys.
                if footer.startswith((f"{week_label(iso_week)} ·", f"Week {iso_week} ")):
                    thread_id = None
                    try:
                        thread_id = (await self.bot.fetch_channel(message.id)).id
                    except discord.HTTPException:
                        pass
                    return prompts.Published(message.id, thread_id)
        except (discord.HTTPException, prompts.DeliveryProblem):
            return None
        return None


async def setup(bot: BridgesBot) -> None:
    await bot.add_cog(Scheduler(bot))
