"""Races on the real PostgreSQL with real threads, one connection each, and
django_db(transaction=True): the default test transaction would hide them."""

import threading

import pytest
from django.db import connection, transaction

from tests.support import race
from tests.vouchers.conftest import people_make, run_issue
from tests.vouchers.helpers import code_of
from vouchers.models import IdempotencyRecord, Redemption, ServiceKey, Voucher
from vouchers.services import freeze as freeze_module
from vouchers.services.freeze import vouchers_freeze
from vouchers.services.redemption import Answer, voucher_redeem


def _connections_free(wanted: int) -> int:
    """As many of `wanted` connections as the shared server has free (max_connections is
    100 here and other people's processes hold some); the test's own is closed first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend'"
        )
        free = cursor.fetchone()[0]
    connection.close()
    return max(2, min(wanted, free - 2))


@pytest.fixture
def issued(coupang, no_dispatch, eats_key):
    people_make(coupang, 40)
    run_issue(coupang)
    return coupang


def _eats(program):
    return Voucher.objects.filter(program=program, service_scope="eats").order_by("id")


@pytest.mark.django_db(transaction=True)
def test_a_hundred_concurrent_redeems_of_one_code_succeed_exactly_once(issued, eats_key):
    voucher = _eats(issued).first()
    code = code_of(voucher)
    n = _connections_free(100)
    results = race(
        lambda i: voucher_redeem(
            service_key=eats_key, code=code, order_reference=f"E-{i}", customer_ref=f"c{i}"
        ),
        n,
    )
    statuses = [r.status if isinstance(r, Answer) else repr(r) for r in results]
    print(f"\n{n} concurrent redeems of one code: {statuses.count(201)} succeeded")
    assert statuses.count(201) == 1
    assert statuses.count(404) == n - 1
    assert Redemption.objects.filter(voucher=voucher).count() == 1
    voucher.refresh_from_db()
    assert voucher.state == Voucher.State.REDEEMED


@pytest.mark.django_db(transaction=True)
def test_control_a_check_then_act_redeem_spends_one_code_many_times_under_the_samerace(
    issued,
):
    """Shows the harness above can see a race: read the state, check it, then write, with a
    gap between, spends the code more than once (the unique live redemption is dropped for
    the control)."""
    voucher = _eats(issued).first()
    key_id = ServiceKey.objects.values_list("pk", flat=True).get()
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX redemption_one_live")
    n = _connections_free(100)
    try:

        def naive(i):
            with transaction.atomic():
                current = Voucher.objects.get(pk=voucher.pk)
                if current.state != Voucher.State.ISSUED:
                    return "refused"
                threading.Event().wait(0.01)  # the gap between check and act
                Voucher.objects.filter(pk=voucher.pk).update(state=Voucher.State.REDEEMED)
                Redemption.objects.create(
                    voucher=current,
                    service_key_id=key_id,
                    order_reference=f"E-{i}",
                    amount_minor=current.amount_minor,
                    currency=current.currency,
                )
                return "redeemed"

        results = race(naive, n)
        assert results.count("redeemed") > 1
        assert Redemption.objects.filter(voucher=voucher, status="live").count() > 1
    finally:
        Redemption.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE UNIQUE INDEX redemption_one_live ON vouchers_redemption (voucher_id) "
                "WHERE balance_after_minor IS NULL AND status = 'live'"
            )


@pytest.mark.django_db(transaction=True)
def test_a_committed_freeze_wins_over_redeems_waiting_on_the_same_vouchers(
    issued, eats_key, monkeypatch
):
    """The freeze has updated its rows and holds them; redeems of those vouchers start and
    wait; the freeze commits; not one redeem may commit after it."""
    vouchers = list(_eats(issued)[:20])
    codes = [code_of(v) for v in vouchers]
    updated, release = threading.Event(), threading.Event()
    real_audit = freeze_module.audit_record

    def audit_after_pause(**kwargs):
        updated.set()
        release.wait(10)
        return real_audit(**kwargs)

    monkeypatch.setattr(freeze_module, "audit_record", audit_after_pause)

    def freeze() -> None:
        vouchers_freeze(
            program=issued,
            method="selection",
            reason="compromised",
            voucher_ids=[v.pk for v in vouchers],
            actor_label="test",
        )
        connection.close()

    freezer = threading.Thread(target=freeze)
    freezer.start()
    assert updated.wait(10)
    results: list = [None] * len(codes)

    def redeem(i):
        try:
            results[i] = voucher_redeem(
                service_key=eats_key, code=codes[i], order_reference=f"E-{i}", customer_ref=""
            )
        finally:
            connection.close()

    redeemers = [threading.Thread(target=redeem, args=(i,)) for i in range(len(codes))]
    for thread in redeemers:
        thread.start()
    threading.Event().wait(0.5)  # they are now waiting on the freeze's row locks
    release.set()
    freezer.join()
    for thread in redeemers:
        thread.join()
    assert [r.status for r in results] == [404] * len(codes)
    assert not Redemption.objects.exists()
    assert set(
        Voucher.objects.filter(pk__in=[v.pk for v in vouchers]).values_list("state", flat=True)
    ) == {"frozen"}


@pytest.mark.django_db(transaction=True)
def test_freeze_racing_many_redeems_leaves_every_voucher_frozen_or_redeemed_once(issued, eats_key):
    vouchers = list(_eats(issued))
    codes = [code_of(v) for v in vouchers]
    n = _connections_free(len(codes) + 1)
    codes = codes[: n - 1]

    def work(i):
        if i == n - 1:
            return vouchers_freeze(
                program=issued,
                method="run",
                reason="breach",
                batch=vouchers[0].batch,
                actor_label="test",
            )
        return voucher_redeem(
            service_key=eats_key, code=codes[i], order_reference=f"E-{i}", customer_ref=""
        )

    results = race(work, n)
    redeemed = [r for r in results[:-1] if r.status == 201]
    states = dict(Voucher.objects.filter(program=issued).values_list("id", "state"))
    run_vouchers = Voucher.objects.filter(batch=vouchers[0].batch)
    assert not run_vouchers.filter(state="issued").exists()
    assert Redemption.objects.count() == len(redeemed) == list(states.values()).count("redeemed")
    freeze = results[-1]
    assert freeze.vouchers_frozen == run_vouchers.filter(state="frozen").count()
    # Vouchers redeemed before the freeze carry it: a refund will make them frozen.
    assert run_vouchers.filter(state="redeemed", freeze=freeze).count() == len(redeemed)


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_idempotency_key_redeem_once_and_agree(issued, eats_key):
    voucher = _eats(issued).first()
    code = code_of(voucher)
    n = _connections_free(20)
    results = race(
        lambda i: voucher_redeem(
            service_key=eats_key, code=code, order_reference="E-1", idempotency_key="same"
        ),
        n,
    )
    assert all(isinstance(r, Answer) for r in results), results
    assert {r.status for r in results} == {201}
    assert len({r.body["redemption_id"] for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert Redemption.objects.filter(voucher=voucher).count() == 1
    assert IdempotencyRecord.objects.filter(key="same").count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_idempotency_key_raced_with_different_codes_redeems_only_one(issued, eats_key):
    vouchers = list(_eats(issued)[:10])
    results = race(
        lambda i: voucher_redeem(
            service_key=eats_key,
            code=code_of(vouchers[i]),
            order_reference="E-1",
            idempotency_key="shared",
        ),
        len(vouchers),
    )
    # Errors carry a status too (DomainError): an answer is an Answer.
    answered = [r for r in results if isinstance(r, Answer)]
    assert len(answered) == 1
    assert answered[0].status == 201
    assert all(type(r).__name__ == "IdempotencyMismatch" for r in results if r not in answered)
    assert Redemption.objects.count() == 1
    assert Voucher.objects.filter(state=Voucher.State.REDEEMED).count() == 1
