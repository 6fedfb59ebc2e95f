"""What the bot says about a member's data is true: each statement of /exchange status, block, suggest and
forget is compared with every row of the database that holds the member's id."""

from __future__ import annotations

import re

KEPT_FOR_OTHERS = {("blocks", "blocked_id"), ("pairing_exclusions", "user_id")}


async def ask(fake, guild, who, command, options=None, **kwargs):
    return await (await fake.slash(guild, who, command, options, **kwargs)).reply()


async def rows_holding(db, user_id: int) -> dict[str, int]:
    """Every (table.column) whose rows hold this id, however the schema grows, with their counts."""
    found = {}
    for (table,) in await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ):
        for column in await db.fetchall(f"PRAGMA table_info({table})"):
            if (table, column["name"]) in KEPT_FOR_OTHERS:
                continue
            n = (await db.fetchone(f"SELECT count(*) FROM {table} WHERE {column['name']} = ?", (user_id,)))[0]
            if n:
                found[f"{table}.{column['name']}"] = n
    return found


def said(text: str, what: str) -> int:
    match = re.search(rf"(\d+) {what}", text)
    return int(match.group(1)) if match else 0


async def test_status_tells_the_truth_for_a_member_who_never_joined(fake, runner, world):
    w = world(members=3)
    g, ana, ben, cai = w["guild"], *w["members"]
    bot = await runner.start()

    status = await ask(fake, g, ana, "exchange status")
    assert "nothing is stored about you" in status.text
    assert await rows_holding(bot.db, ana.id) == {}

    blocked = await ask(fake, g, ana, "exchange block", {"member": ben})
    assert "only thing stored about you" in blocked.text
    await ask(
        fake,
        g,
        ana,
        "prompt suggest",
        {"text": "What song did your family sing at the table?", "theme": "family"},
    )
    status = await ask(fake, g, ana, "exchange status")
    stored = await rows_holding(bot.db, ana.id)
    assert "nothing is stored" not in status.text
    assert said(status.text, "member you blocked") == stored["blocks.blocker_id"] == 1
    assert said(status.text, "prompt suggestion") == stored["prompts.suggested_by"] == 1
    assert set(stored) == {"blocks.blocker_id", "prompts.suggested_by"}, "status left something out"
    # A block someone placed on you is never shown, and does not change what you are told.
    await ask(fake, g, cai, "exchange block", {"member": ana})
    assert (await ask(fake, g, ana, "exchange status")).text == status.text

    confirm = await ask(fake, g, ana, "exchange forget")
    await (await fake.click(g, ana, confirm, "Confirm")).reply()
    after = await ask(fake, g, ana, "exchange status")
    assert "nothing is stored about you" in after.text
    assert await rows_holding(bot.db, ana.id) == {}


async def test_status_counts_match_the_database_for_a_member(fake, runner, world):
    w = world(members=4)
    g, people, mod = w["guild"], w["members"], w["mod"]
    pairs = fake.add_text_channel(g, "pairs")
    bot = await runner.start()
    for member in people:
        await ask(fake, g, member, "exchange join", {"interests": "family, heritage"})
    joined = await ask(fake, g, people[0], "exchange join", {"timezone": "Asia/Manila"})
    assert "prompts you suggested" in joined.text and "Never the content of a message" in joined.text
    await ask(fake, g, people[0], "exchange block", {"member": people[3]})
    await ask(fake, g, mod, "setup pairing", {"channel": pairs, "day": "friday", "time": "18:00"})
    await ask(fake, g, mod, "pairing run-now")
    await ask(fake, g, people[0], "exchange pause", {"weeks": 2})
    status = await ask(fake, g, people[0], "exchange status")
    stored = await rows_holding(bot.db, people[0].id)
    assert "Stored about you in this server: your settings" in status.text and stored["members.user_id"] == 1
    assert said(status.text, "member you blocked") == stored["blocks.blocker_id"]
    assert said(status.text, "place in a pairing group") == stored["group_members.user_id"] == 1
    assert (
        said(status.text, "participation events") == stored["events.user_id"] == 3
    )  # joined, paired, paused
    partners = stored.get("pair_history.user_a", 0) + stored.get("pair_history.user_b", 0)
    assert said(status.text, "past partner") == partners == 1
    assert set(stored) - {"pair_history.user_a", "pair_history.user_b"} == {
        "members.user_id",
        "blocks.blocker_id",
        "group_members.user_id",
        "events.user_id",
    }
