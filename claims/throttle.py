"""The claims throttles (settings.CLAIMS_THROTTLES): each a fixed window from its first hit,
counted in Redis by config.ratelimit. Redis unreachable raises RateLimitUnavailable: no
sign-in code is sent and no notice checked unthrottled (the pages answer 503,
claims.views.common.limits_required). A claim submission is the exception: it is taken
without its limits (`unavailable_allows`), as the database still keeps one claim per identity
and claim type, and its notices wait in the outbox."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache

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


# --- Sign-in: per device and per address first, per network only as a ceiling ---------------
#
# A mobile carrier puts thousands of people behind one address (CGNAT), so a network limit low
# enough to stop a bot would lock a carrier's customers out at launch. The sign-in limits are
# therefore counted per device (a random, signed cookie: claims.views.signin) and per address:
#
# - signin_device: requests from one browser; requests without the cookie (a script) share
#   signin_cookieless per network instead;
# - signin_address_device: requests for one address from one browser, the limit its owner
#   meets, which nobody else can spend;
# - signin_address_network and signin_address: requests for one address from one network and
#   from everywhere, against mail-bombing. A browser that has signed in with the address
#   before (trusted for CLAIMS_SIGNIN_TRUSTED_DEVICE_DAYS) is exempt from both, so a stranger
#   who spends them blocks no one who has signed in before; and a request never retires the
#   codes already sent (CLAIMS_SIGNIN_LIVE_CODES live at once), so the owner's code in hand
#   keeps working;
# - signin_network: a ceiling per /24 (IPv4) or /64 (IPv6), sized for a carrier's gateway.


def signin_limits(
    *, address_hash: bytes, device: str | None, ip_address: str | None, trusted: bool
) -> list[tuple[str, str | bytes]]:
    """The (limit name, subject) pairs one sign-in code request counts under."""
    network = network_of(ip_address)
    address = address_hash.hex()
    limits: list[tuple[str, str | bytes]] = [("signin_network", network)]
    if device:
        limits.append(("signin_device", device))
        limits.append(("signin_address_device", f"{address}:device:{device}"))
    else:
        limits.append(("signin_cookieless", network))
        limits.append(("signin_address_device", f"{address}:network:{network}"))
    if not trusted:
        limits.append(("signin_address_network", f"{address}:{network}"))
        limits.append(("signin_address", address))
    return limits


# --- The notice check and claim submission: the same shape -----------------------------------
#
# Per device first (verify_device, submit_device), requests without the cookie sharing a small
# budget per network (verify_cookieless, submit_cookieless); per subject (the reference checked,
# the identity filing); the network (verify_network, submit_network) only as a ceiling sized
# for a carrier's gateway. A claim filed by an agent for a caller counts per identity only.


def verify_limits(
    *, reference: str, device: str | None, ip_address: str | None
) -> list[tuple[str, str | bytes]]:
    """The (limit name, subject) pairs one "is this notice genuine?" check counts under."""
    network = network_of(ip_address)
    limits: list[tuple[str, str | bytes]] = [("verify_network", network)]
    if device:
        limits.append(("verify_device", device))
    else:
        limits.append(("verify_cookieless", network))
    limits.append(("verify_reference", reference.upper().replace("-", "").strip()))
    return limits


def submit_limits(
    *, identity_hash: bytes, device: str | None, ip_address: str | None, assisted: bool
) -> list[tuple[str, str | bytes]]:
    """The (limit name, subject) pairs one claim submission counts under."""
    if assisted:
        return [("submit_identity", identity_hash)]
    network = network_of(ip_address)
    limits: list[tuple[str, str | bytes]] = [("submit_network", network)]
    if device:
        limits.append(("submit_device", device))
    else:
        limits.append(("submit_cookieless", network))
    limits.append(("submit_identity", identity_hash))
    return limits


def _trusted_key(address_hash: bytes, device: str) -> str:
    digest = hashlib.sha256(address_hash + b":" + device.encode()).hexdigest()[:32]
    return f"claims:signin-trusted:{digest}"


def device_trust(*, address_hash: bytes, device: str | None) -> None:
    """Remember that this browser signed in with this address (best effort: Redis down only
    means the address-wide limits apply to it again)."""
    if not device:
        return
    try:
        cache.set(
            _trusted_key(address_hash, device),
            1,
            settings.CLAIMS_SIGNIN_TRUSTED_DEVICE_DAYS * 86400,
        )
    except Exception as exc:  # the cache only spares the person stricter limits
        logger.warning("could not remember a trusted sign-in device (%s)", type(exc).__name__)


def device_trusted(*, address_hash: bytes, device: str | None) -> bool:
    if not device:
        return False
    try:
        return bool(cache.get(_trusted_key(address_hash, device)))
    except Exception as exc:  # then the stricter limits apply
        logger.warning("could not read a trusted sign-in device (%s)", type(exc).__name__)
        return False
