"""Building in chunks: a chunk is the next BUILD_CHUNK payable instructions of the batch's
program and method, whatever lies between their ids (other programs' claimants, held or other
methods' instructions); a build that dies after a committed chunk resumes after it, to the
exact set; each payout's reference is unique, 20 hex digits, and in id order."""

from __future__ import annotations

import pytest
from django.db import connection

from payouts.methods import Method
from payouts.models import Payout, PayoutBatch, PayoutInstruction
from payouts.services import batches
from payouts.services.batches import payout_batch_build, payout_batch_create
from tests.factories import ProgramFactory, UserFactory
from tests.payouts.factories import claim_award

pytestmark = pytest.mark.django_db


class _Builds:
    """Counts the build's chunk statements; fails the one numbered `fail_at` (1-based)."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.count = 0
        self.fail_at = fail_at

    def __call__(self, execute, sql, params, many, context):
        if sql == batches._BUILD:
            self.count += 1
            if self.count == self.fail_at:
                raise RuntimeError("worker killed mid-build")
        return execute(sql, params, many, context)


def _interleaved():
    """Program A's payable awards with program B's claimants, a held instruction of A and an
    A instruction of another method between their ids."""
    a, b = ProgramFactory.create(currency="KRW"), ProgramFactory.create(currency="KRW")
    payable = []
    for n in range(5):
        payable.append(claim_award(a, amount_minor=10_000 + n)[0])
        claim_award(b)
        _award, held = claim_award(a)
        PayoutInstruction.objects.filter(pk=held.pk).update(hold_code="R01")
        _award, other = claim_award(a)
        PayoutInstruction.objects.filter(pk=other.pk).update(method=Method.ACCOUNT_CREDIT)
    return a, payable


def test_each_chunk_takes_the_next_payable_instructions_of_the_program(monkeypatch):
    program, payable = _interleaved()
    monkeypatch.setattr(batches, "BUILD_CHUNK", 2)
    builds = _Builds()
    with connection.execute_wrapper(builds):
        batch = payout_batch_create(
            program=program, method="bank_transfer", actor=UserFactory.create(), build_now=True
        )
    assert batch.status == PayoutBatch.Status.BUILT
    assert set(Payout.objects.values_list("award_id", flat=True)) == {a.pk for a in payable}
    assert batch.payouts_count == 5
    # 5 payable instructions in chunks of 2, and the empty chunk that finds the end: held,
    # other methods' and other programs' instructions take no chunk of their own.
    assert builds.count == 4
    last = PayoutInstruction.objects.filter(
        program=program, method="bank_transfer", hold_code=""
    ).latest("id")
    assert batch.build_cursor == last.pk


def test_a_build_that_dies_after_a_committed_chunk_resumes_to_the_exact_set(monkeypatch):
    program, payable = _interleaved()
    monkeypatch.setattr(batches, "BUILD_CHUNK", 2)
    with connection.execute_wrapper(_Builds(fail_at=2)), pytest.raises(RuntimeError):
        payout_batch_create(
            program=program, method="bank_transfer", actor=UserFactory.create(), build_now=True
        )
    batch = PayoutBatch.objects.get(program=program)
    assert batch.status == PayoutBatch.Status.BUILDING
    assert Payout.objects.filter(batch=batch).count() == 2  # the first chunk, committed
    payout_batch_build(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.BUILT
    award_ids = list(Payout.objects.filter(batch=batch).values_list("award_id", flat=True))
    assert sorted(award_ids) == sorted(a.pk for a in payable)  # each once, none missing
    assert batch.payouts_count == 5


def test_references_are_unique_hex_in_id_order():
    program = ProgramFactory.create(currency="KRW")
    for _ in range(4):
        claim_award(program)
    payout_batch_create(
        program=program, method="bank_transfer", actor=UserFactory.create(), build_now=True
    )
    rows = list(Payout.objects.order_by("id").values_list("id", "reference"))
    references = [reference for _id, reference in rows]
    assert all(len(r) == 20 and r == r.upper() and int(r, 16) >= 0 for r in references)
    assert len(set(references)) == len(references)
    assert references == sorted(references)
    assert all(reference[:10] == f"{pk:010X}" for pk, reference in rows)
