"""A per-channel send rate that holds across every worker: one Redis counter per channel and
second, incremented atomically (INCRBY and EXPIRE in one MULTI). A worker asks for a slice of
its chunk, gets what is left of this second's allowance, and waits for the next second for
the rest."""

from __future__ import annotations

import time
from functools import lru_cache

import redis
from django.conf import settings


class RateLimiterUnavailable(Exception):
    """Redis cannot be reached: the caller must not send without a limit."""


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _limit(channel: str) -> int:
    return int(settings.NOTIFICATIONS_RATE_PER_SECOND.get(channel, 0))


def rate_acquire(*, channel: str, wanted: int, sleep=time.sleep, clock=time.time) -> int:
    """Block until at least one send on `channel` is allowed; return how many (1..wanted).

    A limit of 0 means unlimited. Allowance asked for but not used is not given back: the
    limit is a ceiling, and a short second is the cost of keeping it one round trip."""
    limit = _limit(channel)
    if limit <= 0 or wanted <= 0:
        return wanted
    client = _client(settings.REDIS_URL)
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    while True:
        now = clock()
        second = int(now)
        key = f"{prefix}:notifications:rate:{channel}:{second}"
        try:
            with client.pipeline(transaction=True) as pipe:
                pipe.incrby(key, wanted)
                pipe.expire(key, 5)
                total, _ = pipe.execute()
        except redis.RedisError as exc:
            raise RateLimiterUnavailable(str(exc)) from exc
        granted = min(wanted, limit - (total - wanted))
        if granted > 0:
            return granted
        sleep(max(second + 1 - now, 0.001))
