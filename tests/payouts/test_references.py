"""A payout's batch, award, instruction and program are references the database checks once
per statement (compensation/references.py, migration payouts 0004), not foreign keys: raw SQL
naming a missing row is still refused on insert and update, and a row a payout names cannot be
deleted."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from payouts.models import Payout
from payouts.services.batches import payout_batch_create
from tests.factories import ProgramFactory, UserFactory
from tests.payouts.factories import claim_award

pytestmark = pytest.mark.django_db

_COLUMNS = (
    "batch_id, award_id, instruction_id, program_id, method, amount_minor, currency, status, "
    "failure_code, provider_reference, attempts, created_at, updated_at"
)
REFERENCES = {
    "batch_id": "payouts_payoutbatch",
    "award_id": "compensation_award",
    "instruction_id": "payouts_payoutinstruction",
    "program_id": "compensation_program",
}


def _payout() -> Payout:
    program = ProgramFactory.create(currency="KRW")
    claim_award(program)
    batch = payout_batch_create(
        program=program, method="bank_transfer", actor=UserFactory.create(), build_now=True
    )
    return Payout.objects.get(batch=batch)


@pytest.mark.parametrize("column", sorted(REFERENCES))
def test_a_payout_naming_a_missing_row_is_refused_on_insert_and_update(column):
    payout = _payout()
    # A copy of the payout (cancelled: payout_one_live_per_award allows it) naming a missing row.
    copied = _COLUMNS.replace(column, "999999").replace("status", "'cancelled'")
    with (
        pytest.raises(IntegrityError, match="names no row"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            f"INSERT INTO payouts_payout (reference, {_COLUMNS}) "
            f"SELECT 'X' || left(reference, 19), {copied} FROM payouts_payout WHERE id = %s",
            [payout.pk],
        )
    with (
        pytest.raises(IntegrityError, match="names no row"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE payouts_payout SET {column} = 999999 WHERE id = %s", [payout.pk])


@pytest.mark.parametrize("column", sorted(REFERENCES))
def test_a_row_a_payout_names_cannot_be_deleted(column):
    payout = _payout()
    if column == "program_id":
        # The award and the instruction name the program too: a program named by the payout
        # alone shows that the payout's own reference refuses.
        Payout.objects.filter(pk=payout.pk).update(program=ProgramFactory.create())
        payout.refresh_from_db()
    with (
        pytest.raises(IntegrityError, match=f"is named by payouts_payout.{column}"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {REFERENCES[column]} WHERE id = %s", [getattr(payout, column)])
