"""The claims throttles (settings.CLAIMS_THROTTLES): each a fixed window from its first hit,
counted in Redis by config.ratelimit. Redis unreachable raises RateLimitUnavailable: no
sign-in code is sent and no notice checked unthrottled (the pages answer 503,
claims.views.common.limits_required). A claim submission is the exception: it is taken
without its limits (`unavailable_allows`), as the database still keeps one claim per identity
and claim type, and its notices wait in the outbox."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence

from django.conf import settings

from config.ratelimit import Rate, RateLimitUnavailable, rate_hit, rate_take

logger = logging.getLogger(__name__)


def network_of(ip: str | None) -> str:
    """The network a request comes from: the /24 of an IPv4 address, the /64 of an IPv6 one,
    so a bot cannot dodge a limit by walking through the addresses of its own network."""
    if not ip:
        return "unknown"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def throttle_hit(name: str, subject: str | bytes, *, unavailable_allows: bool = False) -> bool:
    """Count one attempt by `subject` under the limit `name` (settings.CLAIMS_THROTTLES);
    True while within the limit, False once it is exceeded. Redis unreachable raises
    RateLimitUnavailable, or with `unavailable_allows` lets the attempt through (logged)."""
    limit, window = settings.CLAIMS_THROTTLES[name]
    try:
        return rate_hit(Rate(f"claims.{name}", limit, window), subject)
    except RateLimitUnavailable as exc:
        if not unavailable_allows:
            raise
        logger.warning("claims limit %s not checked (%s); let through", name, exc)
        return True


def _rate(name: str) -> Rate:
    limit, window = settings.CLAIMS_THROTTLES[name]
    return Rate(f"claims.{name}", limit, window)


def throttle_take(
    limits: Sequence[tuple[str, str | bytes]], *, unavailable_allows: bool = False
) -> bool:
    """Count one attempt under every (limit name, subject) of `limits` only if each is within
    its limit, in one atomic step: True when counted; False, counting nothing, when one is
    used up. Redis unreachable as for throttle_hit."""
    try:
        return rate_take([(_rate(name), subject) for name, subject in limits]) is None
    except RateLimitUnavailable as exc:
        if not unavailable_allows:
            raise
        logger.warning("claims limits %s not checked (%s); let through", limits[0][0], exc)
        return True
