"""Rate limits as atomic Redis counters (Django's cache on REDIS_URL): `add` creates the
window's counter with its expiry, `incr` is one atomic INCR, so concurrent requests on any
number of web processes count exactly."""

from __future__ import annotations

import hashlib
import ipaddress

from django.conf import settings
from django.core.cache import cache


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


def throttle_hit(name: str, subject: str | bytes) -> bool:
    """Count one attempt by `subject` under the limit `name` (settings.CLAIMS_THROTTLES);
    True while within the limit, False once it is exceeded."""
    limit, window = settings.CLAIMS_THROTTLES[name]
    if isinstance(subject, bytes):
        subject = subject.hex()
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]  # no address in Redis keys
    key = f"claims:throttle:{name}:{digest}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: start a new window
        cache.add(key, 1, timeout=window)
        count = 1
    return count <= limit
