"""A per-channel send rate that holds across every worker: a window per channel and second
of the worker's clock, counted in Redis by config.ratelimit. A worker asks for a slice of its
chunk, gets what is left of this second's allowance, and waits for the next second for the
rest. Redis unreachable raises RateLimitUnavailable: the caller sends nothing."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings

from config.ratelimit import Rate, rate_hit, rate_remaining, rate_reset_at


def rate_acquire(
    *,
    channel: str,
    wanted: int,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> int:
    """Block until at least one send on `channel` is allowed; return how many (1..wanted).
    The grant counts in the second `clock()` last returned.

    A limit of 0 (or a channel without one) means unlimited. Allowance asked for but not
    used is not given back: the limit is a ceiling, and a short second is the cost of that."""
    limit = settings.NOTIFICATIONS_RATE_PER_SECOND.get(channel, 0)
    if limit <= 0 or wanted <= 0:
        return wanted
    rate = Rate(f"notifications.{channel}", limit, 1, aligned=True)
    while True:
        now = clock()
        granted = min(wanted, rate_remaining(rate, channel, now=now))
        if granted <= 0:
            sleep(max(rate_reset_at(rate, channel, now=now) - now, 0.001))
        elif rate_hit(rate, channel, cost=granted, now=now):
            return granted
        # Else another worker took the rest between the two calls: the refused hit counted,
        # so the next round finds nothing left and waits for the next second.
