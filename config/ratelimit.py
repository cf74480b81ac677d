"""Rate limits for the whole project, on the `limits` library over Redis (REDIS_URL).

A `Rate` is `amount` per `seconds`, counted in fixed windows by one atomic Redis script per
hit, so it holds across any number of processes. A window starts at its first hit (the
library's fixed window), or, for an `aligned` rate, is a slice of the caller's clock
(`now // seconds`): a caller that passes its clock then knows which window a hit fell in and
when it ends. The subject is hashed: no address, customer id or other personal value is
ever part of a Redis key.

Redis unreachable raises RateLimitUnavailable. Every caller fails closed on it: nothing is
done without a limit.

`rate_take` checks and counts in one script, so concurrent callers never get past the limit
(a `rate_test` then `rate_hit` pair lets every caller that tested before the others' hits
through); `rate_room` checks several rates at once; `rate_hit_once` counts a member (a
customer) once per window, to count distinct members.

It lives in `config` with the other cross-cutting pieces (middleware, problem JSON): it
has no models, and claims, vouchers and notifications all use it."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

# Imported here, whole, before any thread asks limits for a storage: limits reads the client's
# version from sys.modules on first use, and a thread that looked while another was still
# importing redis saw 0.0.0 and raised ConfigurationError.
import redis  # noqa: F401
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


_limiters: dict[str, FixedWindowRateLimiter] = {}
_limiters_lock = threading.Lock()


def _limiter(url: str) -> FixedWindowRateLimiter:
    """One limiter (and Redis connection pool) per URL, made once even when the first requests
    of a process arrive on several threads at the same moment."""
    limiter = _limiters.get(url)
    if limiter is None:
        with _limiters_lock:
            limiter = _limiters.get(url)
            if limiter is None:
                storage = RedisStorage(
                    url,
                    key_prefix="ratelimit",
                    wrap_exceptions=True,
                    socket_timeout=2,
                    socket_connect_timeout=2,
                )
                limiter = _limiters[url] = FixedWindowRateLimiter(storage)
    return limiter


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


# Keys are the library's own (`_key`), so rate_test, rate_remaining and rate_hit read and
# count what the scripts below count. An expiry is set only on a key that has none.
_TAKE_LUA = """
local guards, cost, n = tonumber(ARGV[1]), tonumber(ARGV[2]), #KEYS
for i = 1, n do
    local needed = cost
    if i <= guards then
        needed = 1
    end
    if tonumber(redis.call('get', KEYS[i]) or '0') + needed > tonumber(ARGV[2 + i]) then
        return i
    end
end
for i = guards + 1, n do
    redis.call('incrby', KEYS[i], cost)
    if redis.call('ttl', KEYS[i]) == -1 then
        redis.call('expire', KEYS[i], ARGV[2 + n + i - guards])
    end
end
return 0
"""
_ROOM_LUA = """
for i = 1, #KEYS do
    if tonumber(redis.call('get', KEYS[i]) or '0') >= tonumber(ARGV[i]) then
        return i
    end
end
return 0
"""
_HIT_ONCE_LUA = """
if redis.call('set', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
    local count = redis.call('incr', KEYS[2])
    if redis.call('ttl', KEYS[2]) == -1 then
        redis.call('expire', KEYS[2], ARGV[1])
    end
    return count
end
return tonumber(redis.call('get', KEYS[2]) or '0')
"""


@dataclass(frozen=True)
class _Scripts:
    take: Any
    room: Any
    hit_once: Any
    errors: tuple[type[Exception], ...]


@lru_cache(maxsize=4)
def _scripts(url: str) -> _Scripts:
    storage = _limiter(url).storage
    assert isinstance(storage, RedisStorage)
    client = storage.get_connection()
    errors = storage.base_exceptions
    return _Scripts(
        take=client.register_script(_TAKE_LUA.encode()),
        room=client.register_script(_ROOM_LUA.encode()),
        hit_once=client.register_script(_HIT_ONCE_LUA.encode()),
        errors=errors if isinstance(errors, tuple) else (errors,),
    )


def _key(rate: Rate, subject: str | bytes, now: float | None) -> str:
    item, ids = _window(rate, subject, now)
    storage = _limiter(settings.REDIS_URL).storage
    assert isinstance(storage, RedisStorage)
    return storage.prefixed_key(item.key_for(*ids))


def _script(name: str, keys: list[str], args: list[int]) -> int:
    scripts = _scripts(settings.REDIS_URL)
    try:
        return int(getattr(scripts, name)(keys=keys, args=args))
    except scripts.errors as exc:
        raise RateLimitUnavailable(type(exc).__name__) from exc


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


def rate_take(
    takes: Sequence[tuple[Rate, str | bytes]],
    *,
    guards: Sequence[tuple[Rate, str | bytes]] = (),
    cost: int = 1,
    now: float | None = None,
) -> Rate | None:
    """Count `cost` against every (rate, subject) of `takes` only if each stays within its
    rate and no guard (a rate and subject that others count) is used up, all in one atomic
    step. Returns None when counted, or the first rate that refused (guards first); a refusal
    counts nothing."""
    checked = [*guards, *takes]
    keys = [_key(rate, subject, now) for rate, subject in checked]
    args = [len(guards), cost, *(r.amount for r, _ in checked), *(r.seconds for r, _ in takes)]
    refused = _script("take", keys, args)
    return None if refused == 0 else checked[refused - 1][0]


def rate_room(
    pairs: Sequence[tuple[Rate, str | bytes]], *, now: float | None = None
) -> Rate | None:
    """The first rate (of pairs of a rate and its subject) that has no room for one more, read
    in one step; None when all have room. Counts nothing."""
    refused = _script("room", [_key(r, s, now) for r, s in pairs], [r.amount for r, _ in pairs])
    return None if refused == 0 else pairs[refused - 1][0]


def rate_hit_once(
    rate: Rate, subject: str | bytes, member: str | bytes, *, now: float | None = None
) -> bool:
    """Count `member` against `subject` at most once per window of an aligned rate (a
    distinct count); True while the count is within `rate.amount`."""
    assert rate.aligned, "a member is remembered for the rate's aligned window"
    raw_subject = subject.encode() if isinstance(subject, str) else subject
    raw_member = member.encode() if isinstance(member, str) else member
    seen = Rate(f"{rate.name}.seen", 1, rate.seconds, aligned=True)
    pair = hashlib.sha256(len(raw_subject).to_bytes(4, "big") + raw_subject + raw_member).digest()
    keys = [_key(seen, pair, now), _key(rate, subject, now)]
    return _script("hit_once", keys, [rate.seconds]) <= rate.amount
