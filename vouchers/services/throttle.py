"""Failed-attempt throttling for the redemption API: one Redis counter per service key and
one per customer, per fixed window, incremented atomically (INCR and EXPIRE in one MULTI).
A guessing run stops at the limit, even for a right code, until the window passes.

Fails closed: if Redis cannot be reached the API refuses (503) rather than letting a guesser
run unthrottled."""

from __future__ import annotations

import hashlib
import time
from functools import lru_cache

import redis
from django.conf import settings

from vouchers.errors import Throttled


class ThrottleUnavailable(Exception):
    pass


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def limits() -> dict[str, int]:
    return {
        "key": _setting("VOUCHERS_FAILED_PER_KEY", 200),
        "customer": _setting("VOUCHERS_FAILED_PER_CUSTOMER", 5),
        "window": _setting("VOUCHERS_FAILED_WINDOW_SECONDS", 900),
    }


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _keys(service_key_id: int, customer_ref: str, window: int, now: float) -> list[str]:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    slot = int(now // window)
    keys = [f"{prefix}:vouchers:failed:key:{service_key_id}:{slot}"]
    if customer_ref:
        # The customer's reference is the service's own id for them: hashed, never stored.
        digest = hashlib.sha256(f"{service_key_id}:{customer_ref}".encode()).hexdigest()[:32]
        keys.append(f"{prefix}:vouchers:failed:customer:{digest}:{slot}")
    return keys


def attempts_check(*, service_key_id: int, customer_ref: str = "", now: float | None = None):
    """Raise Throttled when the key or the customer has used up its failed attempts."""
    limit = limits()
    keys = _keys(service_key_id, customer_ref, limit["window"], now or time.time())
    try:
        counts = _client(settings.REDIS_URL).mget(keys)
    except redis.RedisError as exc:
        raise ThrottleUnavailable(str(exc)) from exc
    if int(counts[0] or 0) >= limit["key"]:
        raise Throttled("Too many failed attempts with this service key; try again later.")
    if len(counts) > 1 and int(counts[1] or 0) >= limit["customer"]:
        raise Throttled("Too many failed attempts for this customer; try again later.")


def attempt_failed(*, service_key_id: int, customer_ref: str = "", now: float | None = None):
    """Count one failed attempt against the key and the customer."""
    limit = limits()
    keys = _keys(service_key_id, customer_ref, limit["window"], now or time.time())
    try:
        with _client(settings.REDIS_URL).pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.incr(key)
                pipe.expire(key, limit["window"] * 2)
            pipe.execute()
    except redis.RedisError as exc:
        raise ThrottleUnavailable(str(exc)) from exc
