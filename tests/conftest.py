"""Fixtures: a started fake of Discord, and a factory that runs the real bot against it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import BridgesBot
from bot.config import load_settings
from tests.fakediscord import FakeDiscord


class Clock:
    """A settable clock for the bot, so the week can be any week."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 18, 12, 0, tzinfo=UTC))  # a Wednesday


@pytest.fixture(autouse=True)
def _discord_would_refuse(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test in which the bot sent something Discord refuses (a body its published API spec rejects, a
    route it does not have, a documented rule broken), or in which the fake answered unlike Discord's spec.
    A test that provokes refusals on purpose says so with `fake.expect_refusals()`."""
    yield
    server = request.node.funcargs.get("fake")
    if not isinstance(server, FakeDiscord):
        return
    if server.refusals and not server.refusals_expected:
        listed = "\n  ".join(server.refusals[:10])
        pytest.fail(f"Discord would have refused {len(server.refusals)} request(s) the bot sent:\n  {listed}")
    if server.response_problems:
        listed = "\n  ".join(dict.fromkeys(server.response_problems))
        pytest.fail(f"the fake answered unlike Discord's spec:\n  {listed}")


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    server.install()
    yield server
    # Bounded, so a test that leaves something hanging fails its teardown instead of stalling the suite.
    await asyncio.wait_for(server.stop(), 30)


class BotRunner:
    """Starts and stops the real bot against the fake, on one database file."""

    def __init__(self, fake: FakeDiscord, database_path: Path, clock: Clock) -> None:
        self.fake = fake
        self.database_path = database_path
        self.clock = clock
        self.bot: BridgesBot | None = None
        self._task: asyncio.Task[None] | None = None

    def settings(self, **extra: str):
        env = {"DISCORD_TOKEN": self.fake.token, "DATABASE_PATH": str(self.database_path), **extra}
        return load_settings(env, env_file=self.database_path.parent / "no.env")

    async def start(self, **extra: str) -> BridgesBot:
        bot = BridgesBot(self.settings(**extra), clock=self.clock, guild_ready_timeout=0.05)
        self.bot = bot
        self._task = asyncio.create_task(bot.start(self.fake.token))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, self._task}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        if self._task in done:
            ready.cancel()
            self._task.result()
        if ready not in done:
            raise AssertionError("the bot did not become ready")
        return bot

    async def stop(self) -> None:
        if self.bot is not None:
            await asyncio.wait_for(self.bot.close(), 30)
        if self._task is not None:
            await asyncio.wait_for(self._task, 10)
        self.bot, self._task = None, None

    async def restart(self, **extra: str) -> BridgesBot:
        await self.stop()
        return await self.start(**extra)


@pytest.fixture
async def runner(fake: FakeDiscord, tmp_path: Path, clock: Clock) -> AsyncIterator[BotRunner]:
    bot_runner = BotRunner(fake, tmp_path / "bridges.sqlite3", clock)
    yield bot_runner
    await bot_runner.stop()


@pytest.fixture
def world(fake: FakeDiscord) -> Callable[..., dict]:
    """A server with a few members, created before the bot connects."""

    def build(members: int = 3) -> dict:
        guild = fake.add_guild()
        people = [fake.add_member(guild, f"member{i}") for i in range(members)]
        mod = fake.add_member(guild, "moderator", moderator=True)
        return {"guild": guild, "members": people, "mod": mod}

    return build
