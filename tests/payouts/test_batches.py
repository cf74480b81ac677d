import pytest
from django.db import IntegrityError, transaction

from payouts.errors import FourEyes
from payouts.models import Payout, PayoutBatch
from payouts.services.batches import (
    payout_batch_create,
    payout_batch_preview,
    payout_batch_release,
)
from tests.factories import ProgramFactory, UserFactory
from tests.payouts.factories import claim_award

pytestmark = pytest.mark.django_db


def test_build_and_release_by_someone_else():
    program = ProgramFactory.create(currency="KRW")
    awards = [claim_award(program, amount_minor=10_000 * (n + 1))[0] for n in range(3)]
    assert payout_batch_preview(program=program, method="bank_transfer") == (3, 60_000)
    assert payout_batch_preview(
        program=program, method="bank_transfer", amount_min_minor=20_000
    ) == (2, 50_000)
    builder, releaser = UserFactory.create(), UserFactory.create()
    batch = payout_batch_create(
        program=program, method="bank_transfer", actor=builder, build_now=True
    )
    assert batch.status == PayoutBatch.Status.BUILT
    assert (batch.payouts_count, batch.total_minor) == (3, 60_000)
    assert set(Payout.objects.values_list("award_id", flat=True)) == {a.pk for a in awards}
    # Nothing is left for a second batch: every award has a live payout.
    assert payout_batch_preview(program=program, method="bank_transfer") == (0, 0)

    with pytest.raises(FourEyes):
        payout_batch_release(batch=batch, actor=builder)
    released = payout_batch_release(batch=batch, actor=releaser)
    assert released.status == PayoutBatch.Status.RELEASED
    assert set(Payout.objects.values_list("status", flat=True)) == {"released"}


def test_the_database_refuses_a_self_release():
    program = ProgramFactory.create(currency="KRW")
    claim_award(program)
    builder = UserFactory.create()
    batch = payout_batch_create(
        program=program, method="bank_transfer", actor=builder, build_now=True
    )
    with pytest.raises(IntegrityError, match="payout_batch_four_eyes"), transaction.atomic():
        PayoutBatch.objects.filter(pk=batch.pk).update(
            status=PayoutBatch.Status.RELEASED, released_by=builder
        )
