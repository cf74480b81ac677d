"""Failed-attempt throttling for the redemption API: only guessing counts (a malformed code,
or one no voucher has); a code that exists but is used, frozen, void, of another service or
outside its window, and the losers of a race for one code, count nothing.

Per customer first: the failures of one `customer_ref` of one key are limited
(VOUCHERS_FAILED_PER_CUSTOMER); the requests of a key that send no `customer_ref` share one
budget (VOUCHERS_FAILED_PER_KEY), which refuses only such requests. Above both, a circuit per
key counts the distinct customers failing (requests without a reference count as one
customer), so one customer, however often they fail, moves it by one: at
VOUCHERS_FAILED_PER_KEY of them in a window every request of the key is refused until the
window ends. Windows are slices of the clock (config.ratelimit's aligned rates), so
`Retry-After` says what is left of the current one.

Two steps: attempts_check before the code is looked at refuses at once when a budget or the
circuit is used up; attempt_settle, after it was looked at and before the answer is given
(inside the redeem's transaction), takes a guess's place in one atomic step with the circuit
check (config.ratelimit.rate_take) and refuses any answer once the budget is used up. So
concurrent requests never get more guesses answered than the limit (the place is taken or
the answer is 429), and other requests in flight are never refused for each other.

Fails closed: if Redis cannot be reached, RateLimitUnavailable, and the API refuses (503)
rather than letting a guesser run unthrottled."""

from __future__ import annotations

import math
import time

from django.conf import settings

from config.ratelimit import Rate, rate_hit_once, rate_reset_at, rate_room, rate_take
from vouchers.errors import Throttled

# The refusal reasons (vouchers.services.redemption) that are guesses.
GUESSING = frozenset({"malformed", "unknown"})

_ANONYMOUS = "anonymous"


def _window() -> int:
    return settings.VOUCHERS_FAILED_WINDOW_SECONDS


def _budget(service_key_id: int, customer_ref: str) -> tuple[Rate, str]:
    if customer_ref:
        rate = Rate(
            "vouchers.failed_customer",
            settings.VOUCHERS_FAILED_PER_CUSTOMER,
            _window(),
            aligned=True,
        )
        # The customer's reference is the service's own id for them, so it counts per key.
        return rate, f"{service_key_id}:{customer_ref}"
    rate = Rate(
        "vouchers.failed_anonymous", settings.VOUCHERS_FAILED_PER_KEY, _window(), aligned=True
    )
    return rate, str(service_key_id)


def _circuit() -> Rate:
    return Rate(
        "vouchers.failed_circuit", settings.VOUCHERS_FAILED_PER_KEY, _window(), aligned=True
    )


_REFUSED = {
    "vouchers.failed_customer": "Too many failed attempts for this customer; try again later.",
    "vouchers.failed_anonymous": "Too many failed attempts without a customer_ref with this "
    "service key; try again later.",
    "vouchers.failed_circuit": "Too many customers failed with this service key; try again later.",
}


def _refused(rate: Rate, service_key_id: int, subject: str, budget: Rate, now: float) -> Throttled:
    refused_subject = subject if rate.name == budget.name else str(service_key_id)
    left = rate_reset_at(rate, refused_subject, now=now) - now
    return Throttled(_REFUSED[rate.name], retry_after=max(1, math.ceil(left)))


def attempts_check(*, service_key_id: int, customer_ref: str = "") -> None:
    """Raise Throttled, with what is left of the window, when the customer's budget (the
    key's, for a request without a customer reference) or the key's circuit is used up."""
    now = time.time()
    budget, subject = _budget(service_key_id, customer_ref)
    refused = rate_room([(_circuit(), str(service_key_id)), (budget, subject)], now=now)
    if refused is not None:
        raise _refused(refused, service_key_id, subject, budget, now)


def attempt_settle(*, service_key_id: int, customer_ref: str = "", guessed: bool) -> None:
    """After the code was looked at, before the answer goes out: a guess takes its place in
    the budget and marks its customer failing in the key's circuit; any other answer only
    checks the budget and circuit. Raises Throttled, counting nothing, when there is no room:
    the caller answers that instead (and rolls back what it did)."""
    now = time.time()
    budget, subject = _budget(service_key_id, customer_ref)
    circuit = _circuit()
    if guessed:
        refused = rate_take([(budget, subject)], guards=[(circuit, str(service_key_id))], now=now)
    else:
        refused = rate_room([(circuit, str(service_key_id)), (budget, subject)], now=now)
    if refused is not None:
        raise _refused(refused, service_key_id, subject, budget, now)
    if guessed:
        member = f"customer:{customer_ref}" if customer_ref else _ANONYMOUS
        rate_hit_once(circuit, str(service_key_id), member, now=now)
