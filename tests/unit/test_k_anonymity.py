"""/stats is k-anonymous with k = 3: every small server and every step of change is enumerated, and no shown
figure, rate or difference comes from 1 or 2 members; past weeks do not move when a member erases their data."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.db import events, open_database
from bot.db import guilds as guild_db
from bot.services import membership, privacy, stats
from bot.services.stats import MASK, WeekFigures, shown

GUILD = 31


def number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def all_small_weeks(limit: int = 9):
    for opted in range(limit + 1):
        for paired, prompt in itertools.product(range(opted + 2), range(opted + 2)):
            for answered in range(paired + 1):
                for met in range(paired // 2 + 1):
                    for complete in (True, False):
                        yield WeekFigures("2026-W40", opted, paired, met, answered, prompt, complete)


def test_no_shown_figure_rate_or_difference_comes_from_one_or_two_members():
    checked = 0
    for row in all_small_weeks():
        figures = shown(row)
        counts = {k: number(v) for k, v in figures.items() if k not in ("week", "checkin_response_rate")}
        for value in counts.values():
            assert value is None or value == 0 or value >= 3, (row, figures)
        for part in ("paired", "prompt_participants"):
            if counts["opted_in"] is not None and counts[part] is not None:
                assert abs(counts["opted_in"] - counts[part]) not in (1, 2), (row, figures)
        rate = figures["checkin_response_rate"]
        if rate.endswith("%"):
            assert row.answered not in (1, 2) and row.paired - row.answered not in (1, 2), (row, figures)
            assert row.paired not in (1, 2)
        if not row.complete:
            assert figures["prompt_participants"] in (stats.LATER, MASK)
        if 0 < row.opted_in < 3:
            assert set(figures.values()) - {row.week} == {MASK}
        checked += 1
    assert checked > 10_000


NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)  # Wednesday of 2026-W47


async def _server(db, members: list[int], start: datetime) -> None:
    await guild_db.ensure(db, GUILD, start)
    for user in members:
        await membership.join(db, GUILD, user, timezone=None, interests=None, frequency=None, now=start)


async def test_the_current_week_prompt_count_never_steps_as_people_post(tmp_path):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        people = [900 - i for i in range(7)]
        await _server(db, people, NOW - timedelta(weeks=2))
        seen = set()
        for user in people:  # one post after another, with /stats read between them
            async with db.transaction() as conn:
                await events.record_once_a_week(conn, GUILD, user, "prompt_reply", "2026-W47", NOW)
            rows = await stats.weekly(db, GUILD, 2, NOW)
            seen.add(shown(rows[-1])["prompt_participants"])
        assert seen == {stats.LATER}
        # Once the week is over, the week's figure is shown.
        later = await stats.weekly(db, GUILD, 2, NOW + timedelta(weeks=1))
        assert shown(later[0])["prompt_participants"] == "7"
    finally:
        await db.close()


@pytest.mark.parametrize("viewed_before", [True, False])
@pytest.mark.parametrize("size", [3, 4, 5, 6])
async def test_forget_and_rejoin_do_not_change_past_weeks(tmp_path, viewed_before, size):
    db = await open_database(tmp_path / "b.sqlite3")
    try:
        people = [500 + 13 * i for i in range(size)]
        await _server(db, people, NOW - timedelta(weeks=5))
        await membership.leave(db, GUILD, people[1], now=NOW - timedelta(weeks=2))
        if viewed_before:
            before = [shown(r) for r in await stats.weekly(db, GUILD, 8, NOW)]
        else:
            # What the figures would have been, read from a copy frozen at this moment.
            await db.backup_to(tmp_path / "copy.sqlite3")
            copy = await open_database(tmp_path / "copy.sqlite3")
            before = [shown(r) for r in await stats.weekly(copy, GUILD, 8, NOW)]
            await copy.close()
        await privacy.forget_member(db, GUILD, people[0], NOW)
        await membership.join(db, GUILD, people[1], timezone=None, interests=None, frequency=None, now=NOW)
        after = [shown(r) for r in await stats.weekly(db, GUILD, 8, NOW)]
        assert after[:-1] == before[:-1], "a past week changed after an erasure or a rejoin"
    finally:
        await db.close()
