"""A saved round is checked again at delivery: the pure decision, and random events between save and delivery
on a real SQLite file never put a forbidden pair, or a member who may not be paired, in one thread."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.db import guilds as guild_db
from bot.db import open_database
from bot.db import pairing as pairing_db
from bot.domain.pairing import pair_key
from bot.domain.revalidate import revalidate
from bot.errors import DeliveryProblem
from bot.services import membership, pairing, privacy

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)  # Wednesday of 2026-W47; pairing is on Wednesdays 09:00
GUILD = 77


def _check(result, groups, allowed, forbidden, group_size):
    seen: list[int] = []
    for group in [*result.groups, *result.new_groups]:
        if not group:
            continue
        assert len(group) >= 2
        assert len(group) <= group_size + 1
        assert set(group) <= set(allowed)
        for a, b in itertools.combinations(group, 2):
            assert pair_key(a, b) not in forbidden
        seen.extend(group)
    assert len(seen) == len(set(seen)), "a member is in two groups"
    planned = {m for g in groups for m in g}
    assert set(seen) | set(result.sat_out) <= planned
    assert not set(seen) & set(result.sat_out)


@st.composite
def saved_rounds(draw):
    size = draw(st.integers(2, 4))
    ids = draw(st.lists(st.integers(1, 60), min_size=2, max_size=24, unique=True))
    groups, rest = [], list(ids)
    while len(rest) >= 2:
        take = min(len(rest), draw(st.integers(2, size + 1)))
        groups.append(rest[:take])
        rest = rest[take:]
    allowed = draw(st.sets(st.sampled_from(ids)))
    pairs = [pair_key(a, b) for a, b in itertools.combinations(ids, 2)]
    forbidden = draw(st.sets(st.sampled_from(pairs))) if pairs else set()
    policy = draw(st.sampled_from(["trio", "sit_out"]))
    return groups, allowed, forbidden, size, policy


@given(saved_rounds())
def test_revalidated_groups_are_never_forbidden(case):
    groups, allowed, forbidden, size, policy = case
    result = revalidate(groups, allowed, forbidden, group_size=size, odd_policy=policy)
    _check(result, groups, allowed, forbidden, size)
    assert len(result.groups) == len(groups)


def test_nothing_changed_means_the_saved_groups_stand():
    groups = [[5, 3], [9, 1, 4]]
    result = revalidate(groups, {1, 3, 4, 5, 9}, set(), group_size=2, odd_policy="trio")
    assert result.groups == ((5, 3), (9, 1, 4)) and not result.new_groups and not result.sat_out


def test_a_block_splits_a_pair_and_the_two_are_re_planned_apart():
    # 1 and 2 now block each other; 3 and 4 lost their partners to a leave: 1 goes with 3, 2 with 4.
    result = revalidate([[1, 2], [3, 8], [4, 9]], {1, 2, 3, 4}, {(1, 2)}, group_size=2, odd_policy="trio")
    groups = [set(g) for g in [*result.groups, *result.new_groups] if g]
    assert {1, 2} not in groups and all(len(g) >= 2 for g in groups)
    assert sorted(m for g in groups for m in g) == [1, 2, 3, 4]


def test_a_lone_member_joins_a_group_as_a_trio_or_sits_out():
    trio = revalidate([[1, 2], [3, 4]], {1, 2, 3}, set(), group_size=2, odd_policy="trio")
    assert sorted(map(sorted, filter(None, trio.groups))) == [[1, 2, 3]]
    sit = revalidate([[1, 2], [3, 4]], {1, 2, 3}, set(), group_size=2, odd_policy="sit_out")
    assert sit.sat_out == (3,) and [g for g in sit.groups if g] == [(1, 2)]


# ------------------------------------------------------------------ random events between save and delivery

EVENTS = ("block", "unblock", "exclude", "include", "leave", "join", "pause", "skip", "forget", "deliver")


class Opener:
    """Stands in for Discord: records each group it is asked to open; refuses after `budget` groups."""

    def __init__(self) -> None:
        self.budget = 0
        self.opened: list[list[int]] = []
        self.threads = itertools.count(10_000)

    async def open_group(self, item: pairing.GroupToOpen) -> pairing.Opened:
        if self.budget <= 0:
            raise DeliveryProblem("missing permission")
        self.budget -= 1
        self.opened.append(list(item.member_ids))
        return pairing.Opened(next(self.threads))

    async def find_threads(self, channel_id: int) -> dict[str, int]:
        return {}


async def _forbidden_now(db) -> tuple[set[int], set[tuple[int, int]]]:
    rows = await db.fetchall(
        "SELECT user_id FROM members m WHERE guild_id = ? AND status = 'active' AND paused_until IS NULL "
        "AND skip_week IS NULL AND NOT EXISTS (SELECT 1 FROM pairing_exclusions x WHERE x.guild_id = m.guild_id "
        "AND x.user_id = m.user_id)",
        (GUILD,),
    )
    blocks = {pair_key(a, b) for a, b in await pairing_db.blocks(db, GUILD)}
    return {r[0] for r in rows}, blocks


async def _play(events: list[tuple[str, int, int, int]], members: int, size: int, policy: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = await open_database(Path(folder) / "b.sqlite3")
        try:
            await guild_db.ensure(db, GUILD, NOW)
            await guild_db.set_pairing_schedule(
                db, GUILD, channel_id=5, day=2, at="09:00", group_size=size, odd_policy=policy
            )
            # Ids descending, so nothing lines up by accident with insertion order.
            people = [9000 - 7 * i for i in range(members)]
            for user in people:
                await membership.join(db, GUILD, user, timezone=None, interests=None, frequency=None, now=NOW)
            outcome = await pairing.create_round(db, GUILD, NOW, force=True, seed=members)
            assert outcome.round_id is not None
            opener = Opener()
            for kind, i, j, budget in events:
                a, b = people[i % members], people[j % members]
                if kind == "deliver":
                    opener.budget = budget
                    before = len(opener.opened)
                    allowed, blocked = await _forbidden_now(db)
                    await pairing.deliver_round(
                        db, GUILD, outcome.round_id, opener.open_group, opener.find_threads, NOW
                    )
                    for group in opener.opened[before:]:
                        assert len(group) >= 2
                        assert set(group) <= allowed, "a member who may not be paired now was delivered"
                        for x, y in itertools.combinations(group, 2):
                            assert pair_key(x, y) not in blocked, "a blocked pair was delivered together"
                elif kind in ("block", "unblock") and a != b:
                    await pairing.set_block(db, GUILD, a, b, kind == "block", NOW)
                elif kind in ("exclude", "include"):
                    await pairing_db.set_excluded(db, GUILD, a, kind == "exclude", NOW)
                elif kind == "leave":
                    await membership.leave(db, GUILD, a, now=NOW)
                elif kind == "join":
                    await membership.join(
                        db, GUILD, a, timezone=None, interests=None, frequency=None, now=NOW
                    )
                elif kind == "pause":
                    if (await membership.status(db, GUILD, a)).active:
                        await membership.pause(db, GUILD, a, 1, now=NOW)
                elif kind == "skip":
                    if (await membership.status(db, GUILD, a)).active:
                        await membership.skip(db, GUILD, a, outcome.iso_week, now=NOW)
                elif kind == "forget":
                    await privacy.forget_member(db, GUILD, a)
            opened = [m for g in opener.opened for m in g]
            assert len(opened) == len(set(opened)), "a member was delivered to two groups"
        finally:
            await db.close()


event_lists = st.lists(
    st.tuples(st.sampled_from(EVENTS), st.integers(0, 40), st.integers(0, 40), st.integers(0, 4)),
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=event_lists,
    members=st.integers(2, 11),
    size=st.integers(2, 3),
    policy=st.sampled_from(["trio", "sit_out"]),
)
def test_random_events_between_save_and_delivery_never_deliver_a_forbidden_pair(
    events, members, size, policy
):
    asyncio.run(_play([*events, ("deliver", 0, 0, 99)], members, size, policy))


def test_a_block_placed_after_the_round_was_saved_keeps_the_two_apart():
    async def scenario() -> None:
        with tempfile.TemporaryDirectory() as folder:
            db = await open_database(Path(folder) / "b.sqlite3")
            try:
                await guild_db.ensure(db, GUILD, NOW)
                await guild_db.set_pairing_schedule(
                    db, GUILD, channel_id=5, day=2, at="09:00", group_size=2, odd_policy="trio"
                )
                for user in (31, 12, 53, 4):
                    await membership.join(
                        db, GUILD, user, timezone=None, interests=None, frequency=None, now=NOW
                    )
                outcome = await pairing.create_round(db, GUILD, NOW, force=True, seed=3)
                first = list(outcome.plan.groups[0])
                await pairing.set_block(db, GUILD, first[1], first[0], True, NOW)
                opener = Opener()
                opener.budget = 9
                status = await pairing.deliver_round(
                    db, GUILD, outcome.round_id, opener.open_group, opener.find_threads, NOW
                )
                assert status == "delivered"
                assert len(opener.opened) == 2 and all(len(g) == 2 for g in opener.opened)
                assert not any(set(first) == set(g) for g in opener.opened)
                count = await db.fetchone("SELECT member_count FROM rounds WHERE id = ?", (outcome.round_id,))
                assert count[0] == 4
                # The participation log follows the repaired groups: one 'paired' event each, with its size.
                paired = await db.fetchall(
                    "SELECT user_id, group_size FROM events WHERE kind = 'paired' AND round_id = ?",
                    (outcome.round_id,),
                )
                delivered = {m: len(g) for g in opener.opened for m in g}
                assert {r[0]: r[1] for r in paired} == delivered
            finally:
                await db.close()

    asyncio.run(scenario())
