import uuid

import pytest
import redis

from config.ratelimit import (
    Rate,
    RateLimitUnavailable,
    rate_hit,
    rate_hit_once,
    rate_remaining,
    rate_reset_at,
    rate_room,
    rate_take,
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
    assert rate_test(rate, "someone else")
    assert rate_remaining(rate, "someone else") == 3


def test_test_and_remaining_count_nothing():
    rate = Rate("test.peek", 2, 60)
    for _ in range(5):
        assert rate_test(rate, "a")
        assert rate_remaining(rate, "a") == 2
    assert rate_hit(rate, "a", cost=2)
    assert not rate_test(rate, "a")


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
    with pytest.raises(RateLimitUnavailable):
        rate_take([(rate, "a")])
    with pytest.raises(RateLimitUnavailable):
        rate_room([(rate, "a")])


def test_a_take_counts_all_or_nothing_and_a_refused_take_counts_nothing():
    first, second, guard = Rate("t.first", 3, 60), Rate("t.second", 1, 60), Rate("t.guard", 1, 60)
    assert rate_take([(first, "a"), (second, "a")]) is None
    assert rate_take([(first, "a"), (second, "a")]) == second
    assert rate_remaining(first, "a") == 2
    assert rate_remaining(second, "a") == 0
    assert rate_take([(first, "a")], guards=[(guard, "g")]) is None  # a guard is only read
    assert rate_remaining(guard, "g") == 1
    assert rate_remaining(first, "a") == 1
    rate_hit(guard, "g")
    assert rate_take([(first, "a")], guards=[(guard, "g")]) == guard
    assert rate_room([(first, "a"), (guard, "g")]) == guard
    assert rate_remaining(first, "a") == 1


def test_hit_once_counts_each_member_once_per_window():
    rate = Rate("t.distinct", 2, 60, aligned=True)
    assert rate_hit_once(rate, "key", "alice", now=600.0)
    assert rate_hit_once(rate, "key", "alice", now=601.0)
    assert rate_remaining(rate, "key", now=602.0) == 1
    assert rate_hit_once(rate, "key", "bob", now=603.0)
    assert not rate_hit_once(rate, "key", "carol", now=604.0)
    assert rate_remaining(rate, "key", now=660.0) == 2  # the next window


FIRST_USE_RACE = """
import sys, threading
import django
django.setup()
assert "redis" not in sys.modules or __import__("redis").__version__
from config.ratelimit import Rate, rate_hit

rate = Rate("first-use-race", 100, 60)
barrier = threading.Barrier(8)
errors = []

def hit(i):
    barrier.wait()
    try:
        rate_hit(rate, f"subject-{i}")
    except Exception as exc:
        errors.append(repr(exc))

threads = [threading.Thread(target=hit, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("errors:", errors)
sys.exit(1 if errors else 0)
"""


def test_the_first_hits_of_a_fresh_process_on_many_threads_all_count():
    # limits checks its Redis client's version on first use; a thread that looked while
    # another was still importing redis saw version 0.0.0 and raised ConfigurationError (a 500
    # on the first concurrent redeems after a start).
    import os
    import subprocess
    import sys

    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", FIRST_USE_RACE],
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr[-2000:]
