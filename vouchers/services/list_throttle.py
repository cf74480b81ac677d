"""How often a service key may ask for customers' voucher lists
(`GET /api/v1/customers/{customer_ref}/vouchers`): per key (VOUCHERS_LIST_PER_KEY, a ceiling
sized for checkout traffic, so a leaked or looping key cannot walk through customer
references), and per key and customer (VOUCHERS_LIST_PER_CUSTOMER, so one customer's list
is not polled), per window of VOUCHERS_LIST_WINDOW_SECONDS. Every request counts, found or
not: a 404 tells as much about who is a customer as a 200.

Both counts are taken in one atomic step (config.ratelimit.rate_take): a refused request
counts nothing and concurrent requests never pass the limit. Windows are slices of the clock,
so `Retry-After` is what is left of the current one. Fails closed: Redis unreachable raises
RateLimitUnavailable (503), as the redeem's throttle does."""

from __future__ import annotations

import math
import time

from django.conf import settings

from config.ratelimit import Rate, rate_reset_at, rate_take
from vouchers.errors import ListThrottled

_REFUSED = {
    "vouchers.list_key": "Too many voucher list requests with this service key; try again later.",
    "vouchers.list_customer": "Too many voucher list requests for this customer; try again later.",
}


def customer_list_take(*, service_key_id: int, customer_ref: str) -> None:
    """Count one list request of the key for the customer, or raise ListThrottled (counting
    nothing) when the key's or the customer's allowance of the window is used up."""
    window = settings.VOUCHERS_LIST_WINDOW_SECONDS
    per_key = Rate("vouchers.list_key", settings.VOUCHERS_LIST_PER_KEY, window, aligned=True)
    per_customer = Rate(
        "vouchers.list_customer", settings.VOUCHERS_LIST_PER_CUSTOMER, window, aligned=True
    )
    # The customer's reference is the service's own id for them: it counts per key (hashed
    # in the Redis key, never stored).
    subjects = {
        per_key.name: str(service_key_id),
        per_customer.name: f"{service_key_id}:{customer_ref}",
    }
    now = time.time()
    refused = rate_take(
        [(per_key, subjects[per_key.name]), (per_customer, subjects[per_customer.name])], now=now
    )
    if refused is not None:
        left = rate_reset_at(refused, subjects[refused.name], now=now) - now
        raise ListThrottled(_REFUSED[refused.name], retry_after=max(1, math.ceil(left)))
