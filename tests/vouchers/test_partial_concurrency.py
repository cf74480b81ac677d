"""Partial redemption under a real race: 50 redeems of one voucher at the same instant, each
on its own connection (django_db(transaction=True): the test transaction would hide it)."""

import threading

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from compensation.models import AwardLine
from tests.support import race
from tests.vouchers.conftest import people_make, run_issue
from tests.vouchers.helpers import code_of
from tests.vouchers.test_concurrency import _connections_free
from vouchers.models import Redemption, ServiceKey, Voucher
from vouchers.services.redemption import Answer, voucher_redeem

PART = 300  # 5,000 / 300: 16 whole parts and a last one of 200


@pytest.fixture
def partial_voucher(coupang, no_dispatch, eats_key):
    AwardLine.objects.filter(program=coupang, code="eats").update(redemption_mode="partial")
    people_make(coupang, 2)
    run_issue(coupang)
    return Voucher.objects.filter(program=coupang, service_scope="eats").order_by("id").first()


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_partial_redemptions_never_take_the_balance_below_zero(
    partial_voucher, eats_key
):
    voucher = partial_voucher
    code = code_of(voucher)
    n = _connections_free(50)
    results = race(
        lambda i: voucher_redeem(
            service_key=eats_key,
            code=code,
            order_reference=f"E-{i}",
            customer_ref=f"c{i}",
            order_amount_minor=PART,
        ),
        n,
    )
    statuses = [r.status if isinstance(r, Answer) else repr(r) for r in results]
    succeeded = statuses.count(201)
    wanted = min(n, -(-voucher.amount_minor // PART))  # ceil: the last part is what is left
    print(f"\n{n} concurrent partial redeems of one voucher: {succeeded} succeeded")
    assert succeeded == wanted
    assert statuses.count(404) == n - wanted
    voucher.refresh_from_db()
    live = Redemption.objects.filter(voucher=voucher, status="live")
    taken = live.aggregate(total=Sum("amount_minor"))["total"]
    assert voucher.balance_minor is not None
    assert voucher.balance_minor >= 0
    assert taken + voucher.balance_minor == voucher.amount_minor
    # each part saw the balance the one before it left: the balances after are all distinct
    afters = list(live.values_list("balance_after_minor", flat=True))
    assert len(set(afters)) == len(afters) == succeeded
    assert not live.filter(balance_after_minor__lt=0).exists()
    if n * PART >= voucher.amount_minor:
        assert voucher.balance_minor == 0
        assert voucher.state == Voucher.State.REDEEMED


@pytest.mark.django_db(transaction=True)
def test_control_a_read_then_write_balance_overspends_under_the_same_race(partial_voucher):
    """Shows the harness above can see this race: reading the balance, then writing what is
    left after a gap, gives the same money to several orders (lost updates)."""
    voucher = partial_voucher
    key_id = ServiceKey.objects.values_list("pk", flat=True).get()
    n = _connections_free(50)

    def naive(i):
        with transaction.atomic():
            current = Voucher.objects.get(pk=voucher.pk)
            balance = (
                current.amount_minor if current.balance_minor is None else current.balance_minor
            )
            if balance <= 0:
                return "refused"
            part = min(PART, balance)
            threading.Event().wait(0.01)  # the gap between check and act
            Voucher.objects.filter(pk=voucher.pk).update(balance_minor=balance - part)
            Redemption.objects.create(
                voucher=current,
                service_key_id=key_id,
                order_reference=f"E-{i}",
                amount_minor=part,
                balance_after_minor=balance - part,
                currency=current.currency,
            )
            return "redeemed"

    try:
        results = race(naive, n)
        voucher.refresh_from_db()
        taken = Redemption.objects.filter(voucher=voucher).aggregate(t=Sum("amount_minor"))["t"]
        print(
            f"\ncontrol: {results.count('redeemed')} parts, {taken} taken of {voucher.amount_minor}"
        )
        assert taken + (voucher.balance_minor or 0) > voucher.amount_minor
    finally:
        Redemption.objects.all().delete()
        connection.close()
