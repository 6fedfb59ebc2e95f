"""When to try a failing scheduled job again, and whether a failure starts or ends an outage (pure)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(minutes=15)


@dataclass
class Failing:
    attempts: int
    next_try: datetime


@dataclass
class JobRetries:
    """Per job (a server and a job name) backoff: 30 s, 1 min, 2 min, ... at most 15 min between tries.

    The wait is capped so a job whose moment is short (a notice due a day before a round) still gets
    many tries before its moment passes; each job's own rules decide when it is no longer useful."""

    first: timedelta = FIRST_RETRY
    longest: timedelta = LONGEST_WAIT
    failing: dict[Hashable, Failing] = field(default_factory=dict)
    failures_since_report: int = 0

    def may_run(self, key: Hashable, now: datetime) -> bool:
        state = self.failing.get(key)
        return state is None or now >= state.next_try

    def failed(self, key: Hashable, now: datetime) -> bool:
        """Record a failed try; True when it is the first of a run of failures."""
        state = self.failing.get(key)
        attempts = 1 if state is None else state.attempts + 1
        wait = min(self.first * 2 ** (attempts - 1), self.longest)
        self.failing[key] = Failing(attempts, now + wait)
        self.failures_since_report += 1
        return attempts == 1

    def succeeded(self, key: Hashable) -> int:
        """Record a successful run; returns how many failed tries came before it (0: it was not failing)."""
        state = self.failing.pop(key, None)
        return state.attempts if state else 0

    def forget(self, predicate) -> None:
        """Try now the jobs `predicate(key)` picks (a schedule changed, or the gateway came back)."""
        for key in [k for k in self.failing if predicate(k)]:
            self.failing[key].next_try = datetime.min.replace(tzinfo=self.failing[key].next_try.tzinfo)

    def take_failure_count(self) -> int:
        """Failed tries since the last call (for the hourly health line)."""
        count, self.failures_since_report = self.failures_since_report, 0
        return count
