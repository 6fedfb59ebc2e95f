"""Circles on a real SQLite file: stored by id, renames keep members, removals drop them, servers apart."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.db import open_database
from bot.errors import UserError
from bot.services import circles, membership

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)


async def join(db, guild_id, user_id, chosen):
    await membership.join(
        db, guild_id, user_id, timezone=None, interests=None, frequency=None, now=NOW, circles=chosen
    )


async def test_rename_swap_and_removal_keep_or_drop_members_by_id(tmp_path):
    db = await open_database(tmp_path / "c.sqlite3")
    try:
        await circles.set_circles(db, 1, "Asian heritage, LGBTQ+, Ally", NOW)
        await circles.set_circles(db, 2, "Asian heritage, Elders", NOW)  # another server, same name
        await join(db, 1, 10, "Asian heritage, Ally")
        await join(db, 1, 11, "LGBTQ+")
        await join(db, 2, 10, "Elders")

        # Swapping two names is two renames: each member keeps their circle under its new name.
        change = await circles.set_circles(
            db, 1, "Asian heritage -> LGBTQ+, LGBTQ+ -> Asian heritage, Ally", NOW
        )
        assert change.renamed == [("Asian heritage", "LGBTQ+"), ("LGBTQ+", "Asian heritage")]
        assert await circles.member_circle_names(db, 1, 10) == ["LGBTQ+", "Ally"]
        assert await circles.member_circle_names(db, 1, 11) == ["Asian heritage"]

        change = await circles.set_circles(db, 1, "LGBTQ+, Asian heritage, Both", NOW)
        assert change.removed == ["Ally"] and change.added == ["Both"]
        assert await circles.member_circle_names(db, 1, 10) == ["LGBTQ+"]
        assert await circles.member_circle_names(db, 2, 10) == ["Elders"], "the other server is untouched"

        for bad in ("Ally -> Friends, Both", "Both, both", "x" * 41 + ", Both", "Solo"):
            with pytest.raises(UserError):
                await circles.set_circles(db, 1, bad, NOW)
        assert [c.name for c in await circles.server_circles(db, 1)] == ["LGBTQ+", "Asian heritage", "Both"]

        await circles.set_circles(db, 1, "none", NOW)
        assert await circles.server_circles(db, 1) == []
        assert await db.fetchall("SELECT * FROM member_circles WHERE guild_id = 1") == []
        assert await circles.circle_map(db, 2) != {}
    finally:
        await db.close()
