"""The provider methods' senders: account credit over HTTP against a real local server, and
the voucher method through the vouchers app (compensation's AWARD_VOUCHER_ISSUE)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.utils import timezone

from compensation.models import Award
from payouts.apps import account_credit_configured_check
from payouts.methods import Method, SendItem
from payouts.models import Payout
from payouts.senders import account_credit_send, voucher_send
from payouts.services.sending import SendRefused, payout_chunks_plan, payout_chunks_send
from tests.factories import AffectedPersonFactory, AwardLineFactory, ProgramFactory
from tests.payouts.factories import claim_award
from tests.payouts.provider import credit_provider
from tests.payouts.sending_support import offer, released_batch
from vouchers.models import Voucher
from vouchers.selectors import wallet_vouchers


def _item(n: int, customer_ref: str = "") -> SendItem:
    return SendItem(
        payout_id=n,
        reference=f"REF{n:017d}",
        award_id=1000 + n,
        amount_minor=10_000 * n,
        currency="KRW",
        details={"customer_ref": customer_ref or f"CUST-{n:04d}"},
    )


@pytest.fixture
def credit(settings):
    with credit_provider() as provider:
        settings.PAYOUTS_CREDIT_HTTP_URL = provider.url
        settings.PAYOUTS_CREDIT_HTTP_TOKEN = "secret-token"
        yield provider


def test_one_post_per_payout_with_its_key_token_and_body(credit):
    results = account_credit_send(1, [_item(1), _item(2)])
    assert [(r.payout_id, r.outcome) for r in results] == [(1, "paid"), (2, "paid")]
    assert [r.provider_reference for r in results] == ["cr-1", "cr-2"]
    assert credit.keys == ["REF00000000000000001", "REF00000000000000002"]
    assert credit.authorizations == {"Bearer secret-token"}
    assert credit.bodies[0] == {
        "amount_minor": 10_000,
        "currency": "KRW",
        "customer_ref": "CUST-0001",
        "reference": "REF00000000000000001",
    }


def test_a_resent_key_is_a_replay_of_the_first_answer(credit):
    first = account_credit_send(1, [_item(1)])
    again = account_credit_send(1, [_item(1)])
    assert first == again
    assert credit.credits["REF00000000000000001"] == 1
    assert credit.replays == 1


def test_422_fails_the_payout_500_retries_and_stops_the_chunk_nothing_logged(credit, caplog):
    caplog.set_level(logging.DEBUG)
    credit.refuse_customers.add("CUST-REFUSED")
    credit.fail_first["REF00000000000000003"] = [500]
    results = account_credit_send(1, [_item(1), _item(2, "CUST-REFUSED"), _item(3), _item(4)])
    assert [(r.outcome, r.failure_code) for r in results] == [
        ("paid", ""),
        ("failed", "credit_refused_422"),
        ("retry", ""),
        ("retry", ""),  # not called: the service answered 500 just before
    ]
    assert credit.requests == 3
    assert "CUST-" not in caplog.text
    assert "secret-token" not in caplog.text


def test_a_timeout_is_a_retry(credit, settings):
    credit.delay = 1.5
    settings.PAYOUTS_CREDIT_HTTP_TIMEOUT = 1
    assert [r.outcome for r in account_credit_send(1, [_item(1)])] == ["retry"]


@pytest.mark.parametrize("status", [401, 403, 404])
def test_our_credentials_or_address_refused_fail_nobody(credit, status):
    credit.status_always = status
    with pytest.raises(SendRefused, match=str(status)):
        account_credit_send(1, [_item(1)])


def test_without_a_url_the_sender_refuses_loudly(settings):
    settings.PAYOUTS_CREDIT_HTTP_URL = ""
    with pytest.raises(SendRefused, match="PAYOUTS_CREDIT_HTTP_URL"):
        account_credit_send(1, [_item(1)])


@pytest.mark.django_db
def test_migrate_reports_a_program_offering_account_credit_without_a_url(settings):
    program = ProgramFactory.create()
    offer(program, Method.BANK_TRANSFER, Method.ACCOUNT_CREDIT)
    settings.PAYOUTS_CREDIT_HTTP_URL = ""
    settings.DEBUG = False
    [error] = account_credit_configured_check(databases=["default"])
    assert error.id == "payouts.E001"
    assert str(program.pk) in error.msg
    assert account_credit_configured_check(databases=None) == []  # only with the database
    settings.PAYOUTS_CREDIT_HTTP_URL = "https://credits.example.com/v1/credits"
    assert account_credit_configured_check(databases=["default"]) == []


# --- Vouchers ----------------------------------------------------------------------------------


def _voucher_program(**fields):
    program = ProgramFactory.create(currency="KRW", **fields)
    AwardLineFactory.create(program=program, code="eats", service_scope="eats", position=2)
    AwardLineFactory.create(program=program, code="store", service_scope="store", position=1)
    offer(program, Method.BANK_TRANSFER, Method.VOUCHER)
    return program


def _voucher_award(program, *, with_person: bool = True, amount_minor: int = 30_000) -> Award:
    award, _instruction = claim_award(program, method=Method.VOUCHER, amount_minor=amount_minor)
    if with_person:
        person = AffectedPersonFactory.create(program=program)
        Award.objects.filter(pk=award.pk).update(person=person)
        award.refresh_from_db()
    return award


def _voucher_item(award: Award) -> SendItem:
    return SendItem(
        payout_id=award.pk,
        reference="R" * 20,
        award_id=award.pk,
        amount_minor=award.amount_minor,
        currency=award.currency,
        details={},
    )


@pytest.mark.django_db
def test_a_voucher_of_the_amount_in_the_persons_wallet_once():
    until = timezone.now() + dt.timedelta(days=90)
    program = _voucher_program(voucher_valid_until=until)
    award = _voucher_award(program)
    [result] = voucher_send(program.pk, [_voucher_item(award)])
    assert result.outcome == "paid"
    voucher = Voucher.objects.get(award=award)
    assert result.provider_reference == f"voucher-{voucher.pk}"
    assert (voucher.amount_minor, voucher.currency) == (30_000, "KRW")
    assert voucher.service_scope == "store"  # the program's first voucher line
    assert voucher.valid_until == until
    assert voucher.valid_from is not None
    assert voucher.valid_from <= timezone.now()
    assert voucher.batch_id is None
    assert award.person is not None
    assert list(wallet_vouchers(award.person)) == [voucher]
    # Sent again (a resumed chunk): the same voucher, nothing more.
    assert voucher_send(program.pk, [_voucher_item(award)]) == [result]
    assert Voucher.objects.filter(award=award).count() == 1


@pytest.mark.django_db
def test_a_claimant_without_an_affected_record_gets_no_voucher():
    program = _voucher_program()
    award = _voucher_award(program, with_person=False)
    [result] = voucher_send(program.pk, [_voucher_item(award)])
    assert (result.outcome, result.failure_code) == ("failed", "voucher_needs_record")
    assert not Voucher.objects.exists()


@pytest.mark.django_db
def test_no_voucher_once_the_programs_validity_has_ended():
    program = _voucher_program()
    award = _voucher_award(program)
    program.voucher_valid_until = timezone.now() - dt.timedelta(days=1)
    program.voucher_valid_from = timezone.now() - dt.timedelta(days=30)
    program.save()
    [result] = voucher_send(program.pk, [_voucher_item(award)])
    assert (result.outcome, result.failure_code) == ("failed", "voucher_not_issued")
    assert not Voucher.objects.exists()


@pytest.mark.django_db
def test_a_voucher_batch_sent_delivers_the_awards(monkeypatch):
    monkeypatch.setattr("config.queueing.task_send", lambda *a, **k: True)
    program = _voucher_program()
    awards = [_voucher_award(program, amount_minor=10_000 * (n + 1)) for n in range(3)]
    batch = released_batch(program, Method.VOUCHER)
    payout_chunks_plan(batch_id=batch.pk)
    assert payout_chunks_send(batch_id=batch.pk) is False
    assert set(Payout.objects.filter(batch=batch).values_list("status", flat=True)) == {"paid"}
    assert sorted(Voucher.objects.values_list("amount_minor", flat=True)) == [
        10_000,
        20_000,
        30_000,
    ]
    assert set(
        Award.objects.filter(pk__in=[a.pk for a in awards]).values_list("status", flat=True)
    ) == {"delivered"}
