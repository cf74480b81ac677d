"""A released bank-transfer batch, for the settle, bank file and result file tests."""

from __future__ import annotations

from compensation.models import Program
from payouts.models import Payout, PayoutBatch
from payouts.services.batches import payout_batch_create, payout_batch_release
from tests.factories import UserFactory
from tests.payouts.factories import claim_award


def released_batch(
    program: Program, count: int = 3, **award_fields
) -> tuple[PayoutBatch, list[Payout]]:
    """`count` claim awards of 10,000, 20,000... paid by bank transfer, in a batch built by
    one staff member and released by another. The payouts in id order."""
    for n in range(count):
        claim_award(program, amount_minor=10_000 * (n + 1), **award_fields)
    batch = payout_batch_create(
        program=program, method="bank_transfer", actor=UserFactory.create(), build_now=True
    )
    batch = payout_batch_release(batch=batch, actor=UserFactory.create())
    return batch, list(Payout.objects.filter(batch=batch).order_by("id"))
