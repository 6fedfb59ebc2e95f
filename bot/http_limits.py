"""Two adjustments to discord.py's HTTP client for rounds of thousands of private threads.

1. **Rate-limit bucket clean-up.** discord.py 2.x keeps one `Ratelimit` per bucket and major parameter in
   `HTTPClient._buckets`; every thread gets its own buckets (a thread is a channel). Once the dict holds 256
   entries, `_try_clear_expired_ratelimits` scans all of them on *every* new bucket, and buckets stay active
   for 300 s, so a round that opens n threads does O(n²) work (27.8 s of the event loop at 10,000 members).
   Here the scan runs only when the dict has doubled since the last scan: the same idle buckets are dropped,
   the dict stays within twice its live size, and the total work is linear.
2. **Global rate limit.** Discord allows a bot 50 requests per second in total, whatever the per-route
   buckets say (rate-limits.mdx, "Global Rate Limit"); interaction responses are exempt. discord.py only
   reacts to a global 429, so with several groups in flight the bot paces its own non-interaction requests.

Both are installed on the bot's own HTTP client instance by `install`, not on discord.py's classes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from discord.http import HTTPClient, Route

FIRST_TRIM = 256  # discord.py's own threshold
GLOBAL_REQUESTS_PER_SECOND = 50
EXEMPT_PREFIXES = ("/interactions/", "/webhooks/")  # interaction responses and follow-ups


class GlobalPace:
    """Spaces requests evenly so no second holds more than `rate` of them."""

    def __init__(
        self,
        rate: float = GLOBAL_REQUESTS_PER_SECOND,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self.clock = clock or (lambda: asyncio.get_running_loop().time())
        self.sleep = sleep
        self.next_slot = 0.0

    async def wait(self) -> None:
        now = self.clock()
        slot = max(now, self.next_slot)
        self.next_slot = slot + self.interval
        if slot > now:
            await self.sleep(slot - now)


def trim_buckets_rarely(http: HTTPClient) -> None:
    """Make the bucket clean-up amortised O(1): scan only when the dict has doubled since the last scan."""
    scan = http._try_clear_expired_ratelimits
    next_scan = FIRST_TRIM

    def try_clear() -> None:
        nonlocal next_scan
        if len(http._buckets) < next_scan:
            return
        scan()
        next_scan = max(FIRST_TRIM, 2 * len(http._buckets))

    http._try_clear_expired_ratelimits = try_clear  # type: ignore[method-assign]


def pace_globally(http: HTTPClient, pace: GlobalPace | None = None) -> GlobalPace:
    """Route every non-interaction request through a `GlobalPace` before discord.py's own bucket handling."""
    pace = pace or GlobalPace()
    request = http.request

    async def paced_request(route: Route, **kwargs: Any) -> Any:
        if not route.path.startswith(EXEMPT_PREFIXES):
            await pace.wait()
        return await request(route, **kwargs)

    http.request = paced_request  # type: ignore[method-assign]
    return pace


def install(http: HTTPClient) -> None:
    trim_buckets_rarely(http)
    pace_globally(http)
