import uuid

import pytest
import redis

from config.ratelimit import (
    Rate,
    RateLimitUnavailable,
    rate_hit,
    rate_remaining,
    rate_reset_at,
    rate_test,
)


@pytest.fixture(autouse=True)
def _own_keys(settings):
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"t{uuid.uuid4().hex[:12]}"}
    }


def test_a_rate_counts_hits_and_refused_hits_count_too():
    rate = Rate("test.attempts", 3, 60)
    assert [rate_hit(rate, "someone") for _ in range(4)] == [True, True, True, False]
    assert rate_remaining(rate, "someone") == 0
    assert not rate_test(rate, "someone")
    assert rate_test(rate, "someone else") and rate_remaining(rate, "someone else") == 3


def test_test_and_remaining_count_nothing():
    rate = Rate("test.peek", 2, 60)
    for _ in range(5):
        assert rate_test(rate, "a") and rate_remaining(rate, "a") == 2
    assert rate_hit(rate, "a", cost=2) and not rate_test(rate, "a")


def test_an_aligned_window_is_a_slice_of_the_callers_clock():
    rate = Rate("test.aligned", 5, 10, aligned=True)
    assert rate_hit(rate, "a", cost=5, now=1_000_009.9)
    assert not rate_hit(rate, "a", now=1_000_009.95)
    assert rate_reset_at(rate, "a", now=1_000_009.9) == 1_000_010
    assert rate_remaining(rate, "a", now=1_000_010.0) == 5  # the next window


def test_no_subject_is_written_to_redis(settings):
    rate = Rate("test.private", 5, 60)
    rate_hit(rate, "minji@example.com")
    rate_hit(rate, b"\x01\x02customer-81723")
    client = redis.Redis.from_url(settings.REDIS_URL)
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = [key.decode() for key in client.scan_iter(match=f"*{prefix}*")]
    assert len(keys) == 2
    assert not any("minji" in key or "81723" in key or "0102" in key for key in keys)


def test_without_redis_every_call_raises_unavailable(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    rate = Rate("test.down", 5, 60)
    for call in (rate_hit, rate_test, rate_remaining, rate_reset_at):
        with pytest.raises(RateLimitUnavailable):
            call(rate, "a")
