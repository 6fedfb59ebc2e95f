"""One place that turns an exception into a reply: ephemeral, clear, and with a code when it is ours."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.db.connection import StorageFault
from bot.domain.text import clip
from bot.errors import UserError

log = logging.getLogger("bridges.errors")


def user_message(error: BaseException) -> str | None:
    """The reply for a mistake the person can fix, or None when it is not theirs to fix."""
    original = getattr(error, "original", None)
    if isinstance(original, UserError):
        return str(original)
    fault = original if isinstance(original, StorageFault) else error
    if isinstance(fault, StorageFault):
        # Never an acknowledged write that is lost: the person is told plainly that nothing was saved.
        return (
            f"I could not save or read anything just now: {fault.args[0].split(' (')[0]}. Nothing was changed. "
            "Please tell the person who runs the bot; try again once they have fixed it."
        )
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, app_commands.MissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"You need the {needed} permission (or the server's moderator role) to use this."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works inside a server, not in direct messages."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} seconds."
    if isinstance(error, app_commands.TransformerError):
        return f"`{error.value}` is not a valid value for that option."
    if isinstance(error, app_commands.CheckFailure) and str(error):
        return str(error)
    return None


async def send_ephemeral(interaction: discord.Interaction, text: str) -> None:
    if interaction.is_expired():
        return
    text = clip(text)
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
    else:
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Reply to the person; log our own failures with a short code the reply quotes."""
    text = user_message(error)
    if text is None:
        code = secrets.token_hex(3).upper()
        command = interaction.command.qualified_name if interaction.command else interaction.type.name
        cause = getattr(error, "original", error)
        log.error("error %s in %s", code, command, exc_info=(type(cause), cause, cause.__traceback__))
        text = (
            f"Something went wrong on my side (code {code}). Nothing you did caused it; try again in a moment. "
            "If it keeps happening, tell a moderator the code: the person who hosts the bot can find it in the "
            "bot's log."
        )
    try:
        await send_ephemeral(interaction, text)
    except discord.HTTPException:
        log.warning("could not send the error reply for interaction %s", interaction.id)
