"""Rate limits for the whole project, on the `limits` library over Redis (REDIS_URL).

A `Rate` is `amount` per `seconds`, counted in fixed windows by one atomic Redis script per
hit, so it holds across any number of processes. A window starts at its first hit (the
library's fixed window), or, for an `aligned` rate, is a slice of the caller's clock
(`now // seconds`): a caller that passes its clock then knows which window a hit fell in and
when it ends. The subject is hashed: no address, customer id or other personal value is
ever part of a Redis key.

Redis unreachable raises RateLimitUnavailable. Every caller fails closed on it: nothing is
done without a limit.

It lives in `config` with the other cross-cutting pieces (middleware, problem JSON): it
has no models, and claims, vouchers and notifications all use it."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from django.conf import settings
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter

T = TypeVar("T")


class RateLimitUnavailable(Exception):
    """Redis cannot be reached: the caller must not act without a limit."""


@dataclass(frozen=True)
class Rate:
    name: str
    amount: int
    seconds: int
    aligned: bool = False


@lru_cache(maxsize=4)
def _limiter(url: str) -> FixedWindowRateLimiter:
    storage = RedisStorage(
        url,
        key_prefix="ratelimit",
        wrap_exceptions=True,
        socket_timeout=2,
        socket_connect_timeout=2,
    )
    return FixedWindowRateLimiter(storage)


def _window(rate: Rate, subject: str | bytes, now: float | None) -> tuple[RateLimitItem, list[str]]:
    if isinstance(subject, bytes):
        subject = subject.hex()
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    # Under the cache's prefix, so deployments (and test runs) sharing a Redis keep apart.
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    item = RateLimitItemPerSecond(rate.amount, rate.seconds, namespace=f"{prefix}:{rate.name}")
    ids = [digest]
    if rate.aligned:
        ids.append(str(_slot(rate, now)))
    return item, ids


def _slot(rate: Rate, now: float | None) -> int:
    return int((time.time() if now is None else now) // rate.seconds)


def _redis(call: Callable[[], T]) -> T:
    try:
        return call()
    except StorageError as exc:
        raise RateLimitUnavailable(type(exc.storage_error).__name__) from exc


def rate_hit(rate: Rate, subject: str | bytes, *, cost: int = 1, now: float | None = None) -> bool:
    """Count `cost` against `subject` in its current window; True while the window's count,
    this hit included, is within `rate.amount`. A refused hit still counts: the limit is on
    attempts."""
    item, ids = _window(rate, subject, now)
    return _redis(lambda: _limiter(settings.REDIS_URL).hit(item, *ids, cost=cost))


def rate_test(rate: Rate, subject: str | bytes, *, cost: int = 1, now: float | None = None) -> bool:
    """True when `cost` more would still be within the rate; counts nothing."""
    item, ids = _window(rate, subject, now)
    return _redis(lambda: _limiter(settings.REDIS_URL).test(item, *ids, cost=cost))


def rate_remaining(rate: Rate, subject: str | bytes, *, now: float | None = None) -> int:
    """What is left of the current window's allowance (0 when used up); counts nothing."""
    item, ids = _window(rate, subject, now)
    return _redis(lambda: _limiter(settings.REDIS_URL).get_window_stats(item, *ids).remaining)


def rate_reset_at(rate: Rate, subject: str | bytes, *, now: float | None = None) -> float:
    """When the current window ends (seconds since the epoch): exact for an aligned rate,
    to the second (Redis' TTL) otherwise."""
    if rate.aligned:
        return (_slot(rate, now) + 1) * rate.seconds
    item, ids = _window(rate, subject, now)
    return _redis(lambda: _limiter(settings.REDIS_URL).get_window_stats(item, *ids).reset_time)
