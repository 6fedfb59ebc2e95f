"""Reusable interactive pieces: a confirmation step and a paged list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from cogs.common import NO_MENTIONS, reply, within_deadline
from cogs.errors import report_error


class BridgesView(discord.ui.View):
    """A view whose errors reach the same handler as slash commands."""

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item
    ) -> None:
        await report_error(interaction, error)


class ConfirmView(BridgesView):
    """`Confirm` / `Cancel` before something that cannot be undone. Only the person who asked may answer."""

    def __init__(self, owner_id: int, on_confirm: Callable[[discord.Interaction], Awaitable[str]]) -> None:
        super().__init__(timeout=180)
        self.owner_id = owner_id
        self.on_confirm = on_confirm

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.owner_id

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger, custom_id="bridges:confirm")
    async def confirm(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        self.stop()
        text, deferred = await within_deadline(interaction, self.on_confirm(interaction))
        if deferred:
            await reply(interaction, text)
        else:
            await interaction.response.edit_message(content=text, view=None, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="bridges:cancel")
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(content="Cancelled: nothing was changed.", view=None)


PageRenderer = Callable[[int], Awaitable[tuple[str, int]]]


class Paginator(BridgesView):
    """Previous / Next over pages that `render(page)` produces as (text, page_count)."""

    def __init__(self, owner_id: int, render: PageRenderer, page_count: int) -> None:
        super().__init__(timeout=600)
        self.owner_id = owner_id
        self.render = render
        self.page = 0
        self.page_count = page_count
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.page_count - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.owner_id

    async def _show(self, interaction: discord.Interaction) -> None:
        (text, self.page_count), deferred = await within_deadline(interaction, self.render(self.page))
        self.page = min(self.page, max(0, self.page_count - 1))
        self._sync_buttons()
        if deferred:
            await reply(interaction, text, view=self)
        else:
            await interaction.response.edit_message(content=text, view=self, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        self.page = max(0, self.page - 1)
        await self._show(interaction)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        self.page += 1
        await self._show(interaction)
