"""A welcome: a setup checklist when the bot joins a server, a public "How Bridges works" post, and a
persistent Join button (on that post and on every weekly prompt) that opts a member in like /exchange join."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.errors import UserError
from bot.services import membership, program
from cogs.common import NO_MENTIONS
from cogs.errors import report_error

if TYPE_CHECKING:
    from bot.app import BridgesBot

log = logging.getLogger(__name__)

JOIN_CUSTOM_ID = "bridges:join"

CHECKLIST = """\
**Thanks for adding Bridges!** A moderator (Manage Server) sets it up in a few minutes:
1. `/setup timezone` — the server's timezone (any IANA name, such as `Asia/Seoul`).
2. `/setup prompts channel: day: time:` — where and when the weekly dialogue prompt is posted.
3. `/setup pairing channel: day: time:` — a **text channel** for private pair threads. Members need **View \
Channel** there; I need View Channel, Send Messages, Create Private Threads and Send Messages in Threads.
4. `/setup pairing report_channel:` — a channel hidden from @everyone where reports from pairs arrive.
5. `/setup welcome channel:` — a public "How Bridges works" post with a **Join** button.
6. `/setup show` — check everything, and the next scheduled times.
Everything members tell Bridges stays in this server's own database, kept by whoever hosts the bot."""

HOW_IT_WORKS = """\
**Each week** a dialogue prompt is posted here, with a thread to share stories, traditions and questions.

**Pairing is opt-in.** Press **Join** (or use `/exchange join`) and each week you are paired with another \
member (sometimes a group of three) in a private thread, with the week's prompt and suggested times to meet. \
Mid-week you are asked whether you met.

**You stay in control.** `/exchange pause` or `skip` for a break, `/exchange block` to never be paired with \
someone (they are not told), `/exchange leave` to stop, `/exchange mydata` to see what is stored, and \
`/exchange forget` to erase it. Moderators see only totals, never who met whom."""


class JoinButton(discord.ui.DynamicItem[discord.ui.Button], template=r"bridges:join"):
    """The same flow as /exchange join with no options; works after a restart (its id is fixed)."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label="Join", style=discord.ButtonStyle.success, custom_id=JOIN_CUSTOM_ID)
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> JoinButton:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await join_from_button(interaction)
        except Exception as error:
            await report_error(interaction, error)


async def join_from_button(interaction: discord.Interaction) -> None:
    from cogs.exchange import Exchange, join_reply

    bot: BridgesBot = interaction.client  # type: ignore[assignment]
    if interaction.guild_id is None:
        return
    exchange = bot.get_cog("Exchange")
    if isinstance(exchange, Exchange):
        exchange._check_limit(exchange.join_limit, interaction)  # the same rate limit as /exchange join
    await interaction.response.defer(ephemeral=True, thinking=True)
    view, newly = await membership.join(
        bot.db, interaction.guild_id, interaction.user.id, timezone=None, interests=None, frequency=None, now=bot.now()
    )
    await interaction.followup.send(join_reply(view, newly), ephemeral=True, allowed_mentions=NO_MENTIONS)


def join_view() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(JoinButton())
    return view


async def post_welcome(bot: BridgesBot, guild_id: int, channel: discord.TextChannel) -> int:
    """Post the public "How Bridges works" message with its Join button; returns the message id."""
    embed = discord.Embed(title="How Bridges works", description=HOW_IT_WORKS, colour=discord.Colour(0x3B82F6))
    try:
        message = await channel.send(embed=embed, view=join_view(), allowed_mentions=NO_MENTIONS)
    except discord.Forbidden as exc:
        raise UserError(
            f"I cannot post in {channel.mention}: give me View Channel, Send Messages and Embed Links there."
        ) from exc
    await program.record_welcome(bot.db, guild_id, channel.id, message.id, bot.now())
    return message.id


class Welcome(commands.Cog):
    def __init__(self, bot: BridgesBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(JoinButton)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Send the setup checklist once per server: to its system channel if I may post there, else to the
        owner by DM; when neither is possible, a log line says so (the checklist is also in the README)."""
        if not await program.claim_greeting(self.bot.db, guild.id, self.bot.now()):
            return
        channel = guild.system_channel
        if channel is not None and channel.permissions_for(guild.me).send_messages:
            try:
                await channel.send(CHECKLIST, allowed_mentions=NO_MENTIONS)
                return
            except discord.HTTPException:
                pass
        try:
            dm = await self.bot.create_dm(discord.Object(id=guild.owner_id or 0))
            await dm.send(f"{CHECKLIST}\n(Server: {guild.name})", allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.info("could not send the setup checklist to a new server (no system channel, owner DMs closed)")


async def setup(bot: BridgesBot) -> None:
    await bot.add_cog(Welcome(bot))
