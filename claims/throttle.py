"""The claims throttles (settings.CLAIMS_THROTTLES): each a fixed window from its first hit,
counted in Redis by config.ratelimit. Redis unreachable raises RateLimitUnavailable: nothing
is filed or sent unthrottled."""

from __future__ import annotations

import ipaddress

from django.conf import settings

from config.ratelimit import Rate, rate_hit


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
    return rate_hit(Rate(f"claims.{name}", limit, window), subject)
