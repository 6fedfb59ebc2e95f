"""How much is stored about one member in one server, counted per kind: what /exchange status reports."""

from __future__ import annotations

from bot.db.connection import Database


async def counts(db: Database, guild_id: int, user_id: int) -> dict[str, int]:
    """Rows that hold the member's id, by what they are. Blocks others placed on the member and
    moderators' exclusions are not counted: they belong to the people they protect."""
    row = await db.fetchone(
        "SELECT "
        "(SELECT count(*) FROM members WHERE guild_id = ?1 AND user_id = ?2), "
        "(SELECT count(*) FROM blocks WHERE guild_id = ?1 AND blocker_id = ?2), "
        "(SELECT count(*) FROM prompts WHERE guild_id = ?1 AND suggested_by = ?2), "
        "(SELECT count(*) FROM group_members WHERE guild_id = ?1 AND user_id = ?2), "
        "(SELECT count(*) FROM events WHERE guild_id = ?1 AND user_id = ?2), "
        "(SELECT count(*) FROM pair_history WHERE guild_id = ?1 AND (user_a = ?2 OR user_b = ?2))",
        (guild_id, user_id),
    )
    assert row is not None
    kinds = ("settings", "blocks", "suggestions", "groups", "events", "partners")
    return dict(zip(kinds, map(int, row), strict=True))
