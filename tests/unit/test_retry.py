"""Backoff for failing scheduled jobs: doubling waits, capped, per job; an outage starts and ends once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.retry import JobRetries

T0 = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)


def test_waits_double_up_to_the_cap_and_each_job_has_its_own():
    retries = JobRetries()
    a, b = (1, "side_jobs"), (2, "side_jobs")
    now = T0
    waits = []
    assert retries.failed(a, now) is True
    for _ in range(8):
        wait = retries.failing[a].next_try - now
        waits.append(wait)
        assert not retries.may_run(a, now + wait - timedelta(seconds=1))
        now += wait
        assert retries.may_run(a, now)
        assert retries.failed(a, now) is False
    assert [w.total_seconds() for w in waits] == [30, 60, 120, 240, 480, 900, 900, 900]
    assert retries.may_run(b, T0), "another server's job is not held back"
    assert retries.take_failure_count() == 9 and retries.take_failure_count() == 0
    assert retries.succeeded(a) == 9 and retries.succeeded(a) == 0
    assert retries.may_run(a, now) and retries.failed(a, now) is True, "a new outage starts afresh"


def test_forget_lets_a_kicked_server_try_at_once():
    retries = JobRetries()
    retries.failed((1, "pairing_if_due"), T0)
    retries.failed((2, "pairing_if_due"), T0)
    retries.forget(lambda key: key[0] == 1)
    assert retries.may_run((1, "pairing_if_due"), T0)
    assert not retries.may_run((2, "pairing_if_due"), T0)
