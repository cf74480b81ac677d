import datetime as dt

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from audit.models import AuditEvent
from compensation.models import Award
from notifications.models import Notice
from payouts.errors import PayoutError
from payouts.models import Payout, PayoutBatch, PayoutInstruction
from payouts.services.batches import payout_batch_create, payout_batch_release
from payouts.services.settle import SettleCounts, payouts_settle
from tests.factories import ProgramFactory, UserFactory
from tests.payouts.factories import claim_award
from tests.payouts.released import released_batch

pytestmark = pytest.mark.django_db

SETTLED_AT = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # 10:00 in Seoul


@pytest.fixture(autouse=True)
def _site(settings):
    settings.NOTIFICATIONS_SITE_URL = "https://compensation.example.com"


def _in_korean(text: str) -> str:
    with translation.override("ko"):  # the instruction's language unless the claimant chose
        return gettext(text)


def settle(batch, rows: list[tuple[int, str, str]]) -> SettleCounts:
    """Settle `batch` with (payout id, outcome, failure code) rows through a temp table."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE test_results (payout_id bigint, outcome text, "
                "failure_code text, provider_reference text, settled_at timestamptz) "
                "ON COMMIT DROP"
            )
            for payout_id, outcome, code in rows:
                cursor.execute(
                    "INSERT INTO test_results VALUES (%s, %s, %s, 'BANK-1', %s)",
                    [payout_id, outcome, code, SETTLED_AT],
                )
        counts = payouts_settle(batch=batch, results_table="test_results", actor_label="test")
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE test_results")  # the test's transaction never commits
        return counts


def test_paid_failed_returned_settle_the_batch_deliver_hold_and_notify():
    program = ProgramFactory.create(currency="KRW")
    batch, (paid, failed, returned) = released_batch(program)
    counts = settle(
        batch,
        [(paid.pk, "paid", ""), (failed.pk, "failed", "AC01"), (returned.pk, "returned", "")],
    )
    assert counts == SettleCounts(paid=1, failed=1, returned=1, ignored=0)

    assert dict(Payout.objects.values_list("pk", "status")) == {
        paid.pk: "paid",
        failed.pk: "failed",
        returned.pk: "returned",
    }
    assert Award.objects.get(pk=paid.award_id).status == Award.Status.DELIVERED
    assert Award.objects.get(pk=failed.award_id).status == Award.Status.GRANTED
    holds = dict(PayoutInstruction.objects.values_list("pk", "hold_code"))
    assert holds == {
        paid.instruction_id: "",
        failed.instruction_id: "AC01",
        returned.instruction_id: "returned",
    }

    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.SETTLED
    assert batch.settled_at is not None

    notices = {n.dedupe_key: n for n in Notice.objects.all()}
    assert set(notices) == {
        f"payout:{paid.reference}:paid",
        f"payout:{failed.reference}:failed",
        f"payout:{returned.reference}:failed",
    }
    paid_notice = notices[f"payout:{paid.reference}:paid"]
    instruction = PayoutInstruction.objects.get(pk=paid.instruction_id)
    site = "https://compensation.example.com"
    assert paid_notice.kind == "payout_paid"
    assert paid_notice.to_address == "claimant@example.com"
    assert paid_notice.priority == Notice.Priority.BULK
    assert paid_notice.context == {
        "claim_reference": instruction.claim_reference,
        "amount": "10,000원",
        "method": _in_korean("Bank transfer to %(account)s") % {"account": "****9012"},
        "paid_on": "2026-03-02",
        "claim_url": site
        + reverse(
            "claims:status",
            kwargs={"slug": program.slug, "reference": instruction.claim_reference},
        ),
    }
    failed_notice = notices[f"payout:{failed.reference}:failed"]
    claim = PayoutInstruction.objects.get(pk=failed.instruction_id).claim_reference
    assert failed_notice.kind == "payout_failed"
    assert failed_notice.priority == Notice.Priority.TRANSACTIONAL
    assert failed_notice.context["amount"] == "20,000원"
    assert failed_notice.context["fix_url"] == (
        f"{site}/programs/{program.slug}/claims/{claim}/payment/"
    )
    audit = AuditEvent.objects.get(action="payout.settle")
    assert audit.after is not None
    assert audit.after["paid"] == 1
    assert audit.after["batch_settled"] is True


def test_settling_twice_changes_nothing_the_second_time():
    program = ProgramFactory.create(currency="KRW")
    batch, (first, second, _third) = released_batch(program)
    rows = [(first.pk, "paid", ""), (second.pk, "failed", "AC04")]
    settle(batch, rows)
    before = list(Payout.objects.values_list("pk", "status", "settled_at", "updated_at"))
    notices = Notice.objects.count()

    again = settle(batch, rows)

    assert again == SettleCounts(paid=0, failed=0, returned=0, ignored=2)
    assert list(Payout.objects.values_list("pk", "status", "settled_at", "updated_at")) == before
    assert Notice.objects.count() == notices == 2
    assert AuditEvent.objects.filter(action="award.deliver").count() == 1
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.RELEASED  # the third is still on its way


def test_an_already_settled_payout_is_untouched_by_a_contrary_result():
    program = ProgramFactory.create(currency="KRW")
    batch, (paid, other, _third) = released_batch(program)
    settle(batch, [(paid.pk, "paid", "")])

    counts = settle(batch, [(paid.pk, "failed", "AC01"), (other.pk, "paid", "")])

    assert counts == SettleCounts(paid=1, failed=0, returned=0, ignored=1)
    paid.refresh_from_db()
    assert paid.status == "paid"
    assert paid.failure_code == ""
    assert PayoutInstruction.objects.get(pk=paid.instruction_id).hold_code == ""
    assert not Notice.objects.filter(dedupe_key=f"payout:{paid.reference}:failed").exists()


def test_a_payout_of_another_batch_is_ignored():
    program = ProgramFactory.create(currency="KRW")
    batch, _payouts = released_batch(program, count=1)
    _other_batch, (stranger,) = released_batch(program, count=1)
    counts = settle(batch, [(stranger.pk, "paid", "")])
    assert counts.ignored == 1
    assert counts.paid == 0
    stranger.refresh_from_db()
    assert stranger.status == "released"


def test_the_notice_is_in_the_claimants_language():
    program = ProgramFactory.create(currency="KRW")
    claim_award(program)
    PayoutInstruction.objects.update(language="en")
    batch = payout_batch_create(
        program=program, method="bank_transfer", actor=UserFactory.create(), build_now=True
    )
    batch = payout_batch_release(batch=batch, actor=UserFactory.create())
    payout = Payout.objects.get(batch=batch)
    settle(batch, [(payout.pk, "paid", "")])
    notice = Notice.objects.get()
    assert notice.language == "en"
    assert notice.context["method"] == "Bank transfer to ****9012"


@pytest.mark.django_db(transaction=True)
def test_settle_outside_a_transaction_is_refused():
    program = ProgramFactory.create(currency="KRW")
    with transaction.atomic():  # the factory binds inside a claim's transaction
        claim_award(program)
    batch = payout_batch_create(
        program=program, method="bank_transfer", actor=UserFactory.create(), build_now=True
    )
    batch = payout_batch_release(batch=batch, actor=UserFactory.create())
    payout = Payout.objects.get(batch=batch)
    with pytest.raises(PayoutError) as error:
        payouts_settle(batch=batch, results_table="nowhere", actor_label="test")
    assert error.value.code == "outside_transaction"
    payout.refresh_from_db()
    assert payout.status == "released"
