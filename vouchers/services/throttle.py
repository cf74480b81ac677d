"""Failed-attempt throttling for the redemption API: failures are counted per service key and
per customer in fixed windows of the clock (config.ratelimit). A guessing run stops at the
limit, even for a right code, until the window passes.

Fails closed: if Redis cannot be reached, RateLimitUnavailable, and the API refuses (503)
rather than letting a guesser run unthrottled."""

from __future__ import annotations

from django.conf import settings

from config.ratelimit import Rate, rate_hit, rate_test
from vouchers.errors import Throttled


def _rates() -> tuple[Rate, Rate]:
    window = settings.VOUCHERS_FAILED_WINDOW_SECONDS
    return (
        Rate("vouchers.failed_key", settings.VOUCHERS_FAILED_PER_KEY, window, aligned=True),
        Rate(
            "vouchers.failed_customer",
            settings.VOUCHERS_FAILED_PER_CUSTOMER,
            window,
            aligned=True,
        ),
    )


def _customer(service_key_id: int, customer_ref: str) -> str:
    # The customer's reference is the service's own id for them, so it counts per key.
    return f"{service_key_id}:{customer_ref}"


def attempts_check(*, service_key_id: int, customer_ref: str = "") -> None:
    """Raise Throttled when the key or the customer has used up its failed attempts."""
    by_key, by_customer = _rates()
    retry_after = settings.VOUCHERS_FAILED_WINDOW_SECONDS
    if not rate_test(by_key, str(service_key_id)):
        raise Throttled(
            "Too many failed attempts with this service key; try again later.",
            retry_after=retry_after,
        )
    if customer_ref and not rate_test(by_customer, _customer(service_key_id, customer_ref)):
        raise Throttled(
            "Too many failed attempts for this customer; try again later.",
            retry_after=retry_after,
        )


def attempt_failed(*, service_key_id: int, customer_ref: str = "") -> None:
    """Count one failed attempt against the key and the customer."""
    by_key, by_customer = _rates()
    rate_hit(by_key, str(service_key_id))
    if customer_ref:
        rate_hit(by_customer, _customer(service_key_id, customer_ref))
