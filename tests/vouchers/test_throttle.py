"""Failed-attempt limits of the redemption API, on the real Redis and PostgreSQL: only
guessing counts, per customer first; the per-key circuit counts failing customers; the check
and the count are one atomic step; Retry-After is what is left of the window."""

import datetime as dt
import math
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.support import race
from tests.vouchers.conftest import people_make, run_issue
from tests.vouchers.helpers import code_of
from vouchers.errors import Throttled, VoucherUnusable
from vouchers.models import Redemption, Voucher
from vouchers.services.codes import code_display
from vouchers.services.freeze import voucher_freeze_lift, vouchers_freeze
from vouchers.services.redemption import Answer, voucher_redeem, voucher_validate

pytestmark = pytest.mark.django_db

ALPHA = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@pytest.fixture
def issued(coupang, no_dispatch):
    people_make(coupang, 6)
    run_issue(coupang)
    return coupang


def _eats(program) -> list[Voucher]:
    return list(Voucher.objects.filter(program=program, service_scope="eats").order_by("id"))


def _guess(i: int) -> str:
    """A well-formed code (its check symbol is right) that no voucher has."""
    return code_display("ZZZZZZZZ" + "".join(ALPHA[(i >> (5 * k)) % 32] for k in range(8)))


def _post(client, key, name, body):
    return client.post(
        reverse(f"vouchers_api:{name}"),
        body,
        content_type="application/json",
        headers={"Authorization": f"ServiceKey {key.raw}"},
    )


def _window_left(settings) -> float:
    window = settings.VOUCHERS_FAILED_WINDOW_SECONDS
    return window - time.time() % window


@pytest.mark.parametrize("customer_ref", ["mallory", ""], ids=["with_reference", "without"])
def test_200_bad_codes_of_one_customer_leave_another_customers_right_code_redeemable(
    client, issued, eats_key, customer_ref
):
    for i in range(200):
        body = {"code": _guess(i) if i % 2 else "nope", "customer_ref": customer_ref}
        assert _post(client, eats_key, "validate", body).status_code in (404, 429)
    right = code_of(_eats(issued)[0])
    alice = {"code": right, "order_reference": "E-1", "customer_ref": "alice"}
    assert _post(client, eats_key, "redeem", alice).status_code == 201
    stopped = _post(
        client, eats_key, "validate", {"code": _guess(999), "customer_ref": customer_ref}
    )
    assert stopped.status_code == 429
    assert stopped.json()["code"] == "too_many_failed_attempts"


def test_one_customer_cannot_trip_the_key_circuit_but_many_failing_customers_do(
    client, issued, eats_key, settings
):
    settings.VOUCHERS_FAILED_PER_KEY = 3
    settings.VOUCHERS_FAILED_PER_CUSTOMER = 5
    for i in range(5):
        assert (
            _post(
                client, eats_key, "validate", {"code": _guess(i), "customer_ref": "m"}
            ).status_code
            == 404
        )
    vouchers = _eats(issued)
    ok = {"code": code_of(vouchers[0]), "order_reference": "E-1", "customer_ref": "alice"}
    assert _post(client, eats_key, "redeem", ok).status_code == 201
    # Two more customers failing once each: three failing customers open the circuit.
    for customer in ["n", "o"]:
        _post(client, eats_key, "validate", {"code": _guess(7), "customer_ref": customer})
    blocked = {"code": code_of(vouchers[1]), "order_reference": "E-2", "customer_ref": "zoe"}
    refused = _post(client, eats_key, "redeem", blocked)
    assert refused.status_code == 429
    assert abs(int(refused["Retry-After"]) - _window_left(settings)) <= 2
    assert Redemption.objects.count() == 1


def test_used_frozen_expired_and_other_service_codes_are_not_guesses(
    client, issued, eats_key, settings
):
    settings.VOUCHERS_FAILED_PER_KEY = 2
    settings.VOUCHERS_FAILED_PER_CUSTOMER = 2
    used, frozen, expired, right = _eats(issued)[:4]
    store = Voucher.objects.filter(program=issued, service_scope="store").first()
    assert store is not None
    assert (
        _post(
            client, eats_key, "redeem", {"code": code_of(used), "order_reference": "E-0"}
        ).status_code
        == 201
    )
    vouchers_freeze(
        program=issued, method="selection", reason="fraud", voucher_ids=[frozen.pk], actor_label="t"
    )
    Voucher.objects.filter(pk=expired.pk).update(valid_until=timezone.now() - dt.timedelta(days=1))
    for customer_ref in ["bob", ""]:
        for _ in range(3):
            for voucher in [used, frozen, expired, store]:
                body = {
                    "code": code_of(voucher),
                    "order_reference": "E-9",
                    "customer_ref": customer_ref,
                }
                assert _post(client, eats_key, "redeem", body).status_code == 404
                assert _post(client, eats_key, "validate", body).status_code == 404
    body = {"code": code_of(right), "order_reference": "E-1", "customer_ref": "bob"}
    assert _post(client, eats_key, "redeem", body).status_code == 201


def test_after_a_bulk_freeze_redeeming_the_frozen_codes_does_not_lock_the_key_out(
    client, coupang, no_dispatch, eats_key, settings
):
    settings.VOUCHERS_FAILED_PER_KEY = 3
    people_make(coupang, 8)
    batch = run_issue(coupang)
    vouchers_freeze(program=coupang, method="run", batch=batch, reason="leak", actor_label="t")
    frozen = _eats(coupang)
    for i, voucher in enumerate(frozen):  # every shopper, with and without a reference
        body = {
            "code": code_of(voucher),
            "order_reference": f"E-{i}",
            "customer_ref": f"c{i % 2}" if i % 3 else "",
        }
        assert _post(client, eats_key, "redeem", body).status_code == 404
    freeze = frozen[0].freeze
    assert freeze is not None
    voucher_freeze_lift(freeze=freeze, actor_label="t")
    again = {"code": code_of(frozen[0]), "order_reference": "E-1"}
    assert _post(client, eats_key, "redeem", again).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_the_losers_of_a_race_for_one_code_are_not_guesses(issued, eats_key, settings):
    settings.VOUCHERS_FAILED_PER_KEY = 3
    settings.VOUCHERS_FAILED_PER_CUSTOMER = 3
    first, second = _eats(issued)[:2]
    code = code_of(first)
    results = race(
        lambda i: voucher_redeem(
            service_key=eats_key,
            code=code,
            order_reference=f"E-{i}",
            customer_ref="bob" if i % 2 else "",
        ),
        12,
    )
    statuses = [r.status if isinstance(r, Answer) else type(r).__name__ for r in results]
    assert statuses.count(201) == 1, statuses
    assert statuses.count(404) == 11, statuses
    for customer_ref in ["bob", ""]:
        with pytest.raises(VoucherUnusable):
            voucher_validate(service_key=eats_key, code=_guess(1), customer_ref=customer_ref)
    answer = voucher_redeem(
        service_key=eats_key, code=code_of(second), order_reference="E-x", customer_ref="bob"
    )
    assert answer.status == 201


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("customer_ref", ["", "mallory"], ids=["key", "customer"])
def test_concurrent_guesses_never_get_past_the_limit(issued, eats_key, settings, customer_ref):
    settings.VOUCHERS_FAILED_PER_KEY = 200
    settings.VOUCHERS_FAILED_PER_CUSTOMER = 200
    for i in range(199):
        with pytest.raises(VoucherUnusable):
            voucher_validate(service_key=eats_key, code=_guess(i), customer_ref=customer_ref)
    results = race(
        lambda i: voucher_validate(
            service_key=eats_key, code=_guess(1000 + i), customer_ref=customer_ref
        ),
        16,
    )
    kinds = [type(r).__name__ for r in results]
    assert kinds.count("VoucherUnusable") == 1, kinds
    assert kinds.count("Throttled") == 15, kinds
    throttled = next(r for r in results if isinstance(r, Throttled))
    assert 1 <= throttled.retry_after <= math.ceil(_window_left(settings)) + 1
