"""The bot's HTTP client: rate-limit bucket clean-up stays linear, idle buckets still go, the global pace."""

from __future__ import annotations

from pathlib import Path

import discord.http

from bot.app import BridgesBot
from bot.config import load_settings
from bot.http_limits import GlobalPace, pace_globally


def make_bot(tmp_path: Path) -> BridgesBot:
    env = {"DISCORD_TOKEN": "x.y.z", "DATABASE_PATH": str(tmp_path / "b.sqlite3")}
    return BridgesBot(load_settings(env, env_file=tmp_path / "no.env"))


async def test_a_round_of_thousands_of_threads_scans_the_buckets_a_linear_number_of_times(
    tmp_path, monkeypatch
):
    # Each thread is a channel with its own buckets; discord.py alone scans every bucket on each new one
    # past 256 (about 4.5 million checks for 3,000 threads).
    checks = 0
    inactive = discord.http.Ratelimit.is_inactive

    def counted(self: discord.http.Ratelimit) -> bool:
        nonlocal checks
        checks += 1
        return inactive(self)

    monkeypatch.setattr(discord.http.Ratelimit, "is_inactive", counted)
    bot = make_bot(tmp_path)
    threads = 3000
    for thread in range(threads):
        bot.http.get_ratelimit(f"POST /channels/{{channel_id}}/messages:{thread}")
    assert len(bot.http._buckets) == threads
    assert checks < 3 * threads


async def test_idle_buckets_are_still_dropped(tmp_path):
    bot = make_bot(tmp_path)
    for key in range(600):
        bot.http.get_ratelimit(f"old:{key}")
    for bucket in bot.http._buckets.values():
        bucket._last_request -= 301  # idle for longer than discord.py keeps a bucket
    for key in range(2000):
        bot.http.get_ratelimit(f"new:{key}")
    assert not any(key.startswith("old:") for key in bot.http._buckets)
    assert len(bot.http._buckets) == 2000


async def test_the_global_pace_never_lets_a_second_hold_more_than_the_limit():
    moment = 0.0
    sent: list[float] = []

    async def sleep(seconds: float) -> None:
        nonlocal moment
        moment += seconds

    pace = GlobalPace(50, clock=lambda: moment, sleep=sleep)
    for _ in range(500):
        await pace.wait()
        sent.append(moment)
    for i in range(len(sent) - 50):
        assert sent[i + 50] - sent[i] >= 1.0 - 1e-9
    assert sent[-1] <= 500 / 50  # and it does not go slower than it must


async def test_interaction_responses_are_not_paced_and_everything_else_is():
    waits: list[str] = []
    sent: list[str] = []

    class CountedPace(GlobalPace):
        async def wait(self) -> None:
            waits.append(sent[-1] if sent else "")

    class Client:  # stands in for discord.py's HTTPClient: only `request` is wrapped
        async def request(self, route: discord.http.Route, **kwargs) -> None:
            sent.append(route.path)

    client = Client()
    pace_globally(client, CountedPace())  # type: ignore[arg-type]
    await client.request(discord.http.Route("POST", "/interactions/{id}/{token}/callback", id=1, token="t"))
    await client.request(
        discord.http.Route("PATCH", "/webhooks/{id}/{token}/messages/@original", id=1, token="t")
    )
    assert len(waits) == 0
    await client.request(discord.http.Route("POST", "/channels/{channel_id}/threads", channel_id=1))
    await client.request(discord.http.Route("POST", "/users/@me/channels"))
    assert len(waits) == 2 and len(sent) == 4


def test_the_bot_installs_both(tmp_path):
    bot = make_bot(tmp_path)
    assert bot.http.request.__name__ == "paced_request"
    assert bot.http._try_clear_expired_ratelimits.__name__ == "try_clear"
