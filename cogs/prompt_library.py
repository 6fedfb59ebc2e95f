"""/prompts: moderators manage the server's prompt library and review members' suggestions."""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.app import ANSWERS_WITH_MODAL
from bot.db import prompts as prompt_db
from bot.domain.prompt_files import MAX_FILE_BYTES, MAX_TEXT
from bot.errors import UserError
from bot.services import program, prompts
from cogs.common import (
    ANSWER_BUDGET_SECONDS,
    NO_MENTIONS,
    ModeratorCog,
    bot_of,
    read_within,
    reply,
    theme_choices,
    thread_link,
    within_deadline,
)
from cogs.scheduler import Scheduler
from cogs.views import BridgesView, ConfirmView, Paginator

if TYPE_CHECKING:
    from bot.app import BridgesBot

# Of Discord's 3 seconds, how long a command that answers with a modal may spend reading first.
MODAL_READ_SECONDS = 2.0
STATUS_CHOICES = [app_commands.Choice(name=s, value=s) for s in prompts.STATUSES]


def short(text: str, limit: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


async def prompt_id_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    bot = bot_of(interaction)
    rows = await read_within(
        prompt_db.search(
            bot.db, interaction.guild_id or 0, current.strip().lstrip("#"), ("active", "retired")
        ),
        ANSWER_BUDGET_SECONDS,
    )
    if rows is None:  # suggestions cannot be deferred: with a busy database, none rather than none in time
        return []
    return [
        app_commands.Choice(name=short(f"#{r['id']} [{r['theme']}] {r['text']}", 100), value=r["id"])
        for r in rows
    ]


class PromptTextModal(discord.ui.Modal):
    """A multi-line field for writing or editing a prompt."""

    text = discord.ui.TextInput(
        label="Prompt",
        style=discord.TextStyle.paragraph,
        min_length=10,
        max_length=MAX_TEXT,
        custom_id="prompt_text",
    )

    def __init__(self, title: str, on_text, default: str | None = None) -> None:
        super().__init__(title=title, timeout=900)
        self.on_text = on_text
        if default:
            self.text.default = default

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.on_text(interaction, self.text.value)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        from cogs.errors import report_error

        await report_error(interaction, error)


class ReviewView(BridgesView):
    """One pending suggestion with Approve, Edit and Reject."""

    def __init__(self, cog: Prompts, owner_id: int, prompt_id: int) -> None:
        super().__init__(timeout=900)
        self.cog, self.owner_id, self.prompt_id = cog, owner_id, prompt_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.owner_id

    async def _decided(self, interaction: discord.Interaction, decide, outcome: str, *, edit: bool) -> None:
        """Store the decision and show the next suggestion, within Discord's deadline; then tell the member
        who made the suggestion."""

        async def work():
            decision = await decide
            return decision, await self.cog.review_page(interaction.guild_id or 0, interaction.user.id, self.prompt_id)

        (decision, (text, view)), deferred = await within_deadline(interaction, work())
        body = f"{outcome}\n\n{text}"
        kwargs = {"content": body, "allowed_mentions": NO_MENTIONS}
        if view is not None:
            kwargs["view"] = view
        if edit and not deferred:
            await interaction.response.edit_message(**kwargs, **({} if view else {"view": None}))
        else:
            await reply(interaction, kwargs.pop("content"), **kwargs)
        await self.cog.tell_member(interaction.guild_id or 0, decision)

    def _decide(
        self, interaction: discord.Interaction, approve: bool, text: str | None = None, reason: str | None = None
    ):
        return prompts.decide(
            self.cog.bot.db, interaction.guild_id or 0, self.prompt_id, approve, self.cog.bot.now(), text,
            reason=reason,
        )

    @discord.ui.button(label="Approve", style=discord.ButtonStyle.success)
    async def approve(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._decided(
            interaction,
            self._decide(interaction, True),
            f"Approved #{self.prompt_id}: it joins the rotation.",
            edit=True,
        )

    @discord.ui.button(label="Edit", style=discord.ButtonStyle.primary)
    async def edit(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        row = await read_within(
            prompts.describe(self.cog.bot.db, interaction.guild_id or 0, self.prompt_id, self.cog.bot.now()),
            MODAL_READ_SECONDS,
        )
        if row is None:
            await reply(interaction, "The database is busy right now: try again in a moment.")
            return

        async def save(modal_interaction: discord.Interaction, text: str) -> None:
            await self._decided(
                modal_interaction,
                self._decide(modal_interaction, True, text),
                f"Approved #{self.prompt_id} with your edit.",
                edit=False,
            )

        await interaction.response.send_modal(
            PromptTextModal(f"Edit suggestion #{self.prompt_id}", save, row["text"])
        )

    @discord.ui.button(label="Reject", style=discord.ButtonStyle.danger)
    async def reject(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._decided(
            interaction, self._decide(interaction, False), f"Rejected #{self.prompt_id}.", edit=True
        )

    @discord.ui.button(label="Reject with a note", style=discord.ButtonStyle.secondary)
    async def reject_with_note(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        async def save(modal_interaction: discord.Interaction, reason: str) -> None:
            await self._decided(
                modal_interaction,
                self._decide(modal_interaction, False, reason=reason),
                f"Rejected #{self.prompt_id} with your note.",
                edit=False,
            )

        await interaction.response.send_modal(ReasonModal(f"Reject suggestion #{self.prompt_id}"[:45], save))


class ReasonModal(discord.ui.Modal):
    """An optional note for the member whose suggestion is declined."""

    reason = discord.ui.TextInput(
        label="A note for the member (optional)",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=prompts.MAX_REASON,
        custom_id="decision_reason",
    )

    def __init__(self, title: str, on_reason) -> None:
        super().__init__(title=title, timeout=900)
        self.on_reason = on_reason

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.on_reason(interaction, self.reason.value)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        from cogs.errors import report_error

        await report_error(interaction, error)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Prompts(
    ModeratorCog, group_name="prompts", group_description="Moderators: the server's prompt library"
):
    def __init__(self, bot: BridgesBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="add", description="Add a prompt to this server's library", extras={ANSWERS_WITH_MODAL: True}
    )
    @app_commands.describe(
        theme="The theme it belongs to",
        text="The prompt (10-1000 characters); leave empty to write it in a larger box",
        content_note="Optional note for heavier topics, such as 'may bring up family tension'",
        depth="How much it asks of people: light, medium (default) or deep",
        pair_text="Optional wording for private pair threads, such as 'Ask each other…'",
    )
    @app_commands.autocomplete(theme=theme_choices)
    @app_commands.choices(depth=[app_commands.Choice(name=d, value=d) for d in ("light", "medium", "deep")])
    async def add(
        self,
        interaction: discord.Interaction,
        theme: str,
        text: app_commands.Range[str, 10, 1000] | None = None,
        content_note: app_commands.Range[str, 1, 200] | None = None,
        depth: str = "medium",
        pair_text: app_commands.Range[str, 10, 1000] | None = None,
    ) -> None:
        async def save(inner: discord.Interaction, body: str) -> None:
            await inner.response.defer(ephemeral=True, thinking=True)
            prompt_id = await prompts.add(
                self.bot.db,
                inner.guild_id or 0,
                theme,
                body,
                content_note,
                self.bot.now(),
                depth=depth,
                pair_text=pair_text,
            )
            await reply(inner, f"Added prompt #{prompt_id} to the library.")

        if text is None:
            await interaction.response.send_modal(PromptTextModal("New prompt", save))
        else:
            await save(interaction, text)

    @app_commands.command(
        name="edit",
        description="Change a prompt's text (the original is kept in history)",
        extras={ANSWERS_WITH_MODAL: True},
    )
    @app_commands.describe(
        id="The prompt's id (type to search)", text="The new text; leave empty to edit in a box"
    )
    @app_commands.autocomplete(id=prompt_id_choices)
    async def edit(
        self, interaction: discord.Interaction, id: int, text: app_commands.Range[str, 10, 1000] | None = None
    ) -> None:
        async def save(inner: discord.Interaction, body: str) -> None:
            if not inner.response.is_done():
                await inner.response.defer(ephemeral=True, thinking=True)
            await prompts.edit(self.bot.db, inner.guild_id or 0, id, body, self.bot.now())
            await reply(inner, f"Prompt #{id} now reads:\n> {short(body, 1500)}")

        if text is not None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await prompts.describe(self.bot.db, interaction.guild_id or 0, id, self.bot.now())
            await save(interaction, text)
            return
        # The modal shows the current text, so it must be read first; a modal cannot follow a deferral, so
        # the read gets part of Discord's 3 seconds and a busy database gets an honest answer instead.
        row = await read_within(
            prompts.describe(self.bot.db, interaction.guild_id or 0, id, self.bot.now()), MODAL_READ_SECONDS
        )
        if row is None:
            await reply(interaction, "The database is busy right now: try again in a moment.")
            return
        await interaction.response.send_modal(PromptTextModal(f"Edit prompt #{id}", save, row["text"]))

    @app_commands.command(name="remove", description="Retire a prompt: never posted again, kept for history")
    @app_commands.describe(id="The prompt's id (type to search)")
    @app_commands.autocomplete(id=prompt_id_choices)
    async def remove(self, interaction: discord.Interaction, id: int) -> None:
        row = await prompts.describe(self.bot.db, interaction.guild_id or 0, id, self.bot.now())
        if row["status"] != "active":
            raise UserError(f"Prompt #{id} is {row['status']}, not active: there is nothing to retire.")

        async def confirmed(inner: discord.Interaction) -> str:
            await prompts.retire(self.bot.db, inner.guild_id or 0, id, self.bot.now())
            return f"Retired prompt #{id}. It will not be posted again."

        await reply(
            interaction,
            f"Retire prompt #{id}?\n> {short(row['text'], 300)}",
            view=ConfirmView(interaction.user.id, confirmed),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(name="list", description="The library, ten prompts a page")
    @app_commands.describe(theme="Only this theme", status="Only this status (default: all)")
    @app_commands.autocomplete(theme=theme_choices)
    @app_commands.choices(status=STATUS_CHOICES)
    async def list_prompts(
        self,
        interaction: discord.Interaction,
        theme: str | None = None,
        status: app_commands.Choice[str] | None = None,
    ) -> None:
        guild_id = interaction.guild_id or 0
        wanted = status.value if status else None

        async def render(page: int) -> tuple[str, int]:
            rows, total = await prompts.list_page(
                self.bot.db, guild_id, theme=theme, status=wanted, page=page, now=self.bot.now()
            )
            pages = max(1, math.ceil(total / prompts.PAGE_SIZE))
            head = f"**Prompts** ({theme or 'all themes'}, {wanted or 'any status'}): {total}, page {page + 1}/{pages}"
            if not rows:
                return f"{head}\nNothing matches.", pages
            lines = [head] + [
                f"`#{r['id']}` [{r['theme']}, {r['depth']}{', ' + r['pack'] if r['pack'] else ''}] "
                f"{short(r['text'])} · {r['status']}, posted {r['times_posted']}×"
                for r in rows
            ]
            return "\n".join(lines), pages

        text, pages = await render(0)
        await reply(
            interaction,
            text,
            view=Paginator(interaction.user.id, render, pages),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    async def tell_member(self, guild_id: int, decision: prompts.Decision) -> None:
        """Tell the member privately what became of their suggestion: by DM when they accept DMs from the
        server's members, else it waits for their next /prompt current."""
        if decision.member_id is None:
            return
        guild = self.bot.get_guild(guild_id)
        text = prompts.decision_text(decision.prompt_id, decision.approved, decision.text, decision.reason)
        try:
            dm = await self.bot.create_dm(discord.Object(id=decision.member_id))
            await dm.send(f"{text}\n(From the server {guild.name if guild else ''})", allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            return
        await prompts.mark_decision_told(self.bot.db, guild_id, decision.prompt_id)

    async def review_page(
        self, guild_id: int, owner_id: int, after_id: int = 0
    ) -> tuple[str, ReviewView | None]:
        row = await prompts.next_pending(self.bot.db, guild_id, after_id)
        if row is None:
            row = await prompts.next_pending(self.bot.db, guild_id)
        if row is None:
            return "No suggestions are waiting for review.", None
        text = f"**Suggestion #{row['id']}** · theme `{row['theme']}`\n> {short(row['text'], 1500)}"
        return text, ReviewView(self, owner_id, row["id"])

    @app_commands.command(name="review", description="Members' pending suggestions, one at a time")
    async def review(self, interaction: discord.Interaction) -> None:
        text, view = await self.review_page(interaction.guild_id or 0, interaction.user.id)
        kwargs = {"view": view} if view else {}
        await reply(interaction, text, ephemeral=True, allowed_mentions=NO_MENTIONS, **kwargs)

    @app_commands.command(name="import", description="Add many prompts from a CSV (theme,text) or JSON file")
    @app_commands.describe(
        file="CSV with a header row theme,text (optional: pair_text, depth, content_note, pack, date), or JSON"
    )
    async def import_prompts(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        if file.size > MAX_FILE_BYTES:
            raise UserError(
                f"The file is {file.size:,} bytes: the limit is {MAX_FILE_BYTES:,}. Split it into parts."
            )
        data = await file.read()
        result = await prompts.import_file(
            self.bot.db, interaction.guild_id or 0, file.filename, data, self.bot.now()
        )
        await reply(
            interaction,
            f"Imported {result.added} prompts; skipped {result.skipped} already in the library.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(name="export", description="The whole library as a CSV file")
    async def export(self, interaction: discord.Interaction) -> None:
        data = await prompts.export_file(self.bot.db, interaction.guild_id or 0, self.bot.now())
        await reply(
            interaction,
            "The library (every prompt, posted ones too):",
            file=discord.File(io.BytesIO(data), filename="prompts.csv"),
            ephemeral=True,
        )

    @app_commands.command(name="post-now", description="Post the next prompt now (it counts as this week's)")
    async def post_now(self, interaction: discord.Interaction) -> None:
        guild_id = interaction.guild_id or 0
        scheduler = self.bot.get_cog("Scheduler")
        assert isinstance(scheduler, Scheduler)
        async with scheduler.locks[guild_id]:
            outcome = await scheduler.post_prompt(guild_id, force=True)
        messages = {
            "posted": "Posted this week's prompt.",
            "already": "This week's prompt was already posted: it is posted once a week.",
            "not_configured": "Set the prompt channel first with `/setup prompts`.",
            "empty": "There are no active prompts: add some with `/prompts add` or `/prompts import`.",
            "problem": f"I could not post: {outcome.problem}.",
        }
        text = messages[outcome.status]
        if outcome.thread_id:
            text += f" Thread: {thread_link(guild_id, outcome.thread_id)}"
        paused = await program.break_of(self.bot.db, guild_id, "prompts", self.bot.now())
        if paused is not None:
            text += (
                f"\nNote: a prompt break is on until {discord.utils.format_dt(paused.until, 'F')}; "
                "the weekly post waits until it ends."
            )
        await reply(interaction, text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: BridgesBot) -> None:
    await bot.add_cog(Prompts(bot))
