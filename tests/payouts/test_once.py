"""A payout is never live twice for one award, even when two staff members build batches of
the same selection at the same instant; and the control: without the unique index
payout_one_live_per_award the same race does produce awards with two live payouts, so the
harness is shown to see the race it guards against."""

from __future__ import annotations

import pytest
from django.db import connection

from payouts.methods import Method
from payouts.services import batches
from payouts.services.batches import payout_batch_create
from tests.factories import ProgramFactory, UserFactory
from tests.payouts.sending_support import credit_awards_bulk, offer
from tests.support import race

AWARDS = 3_000


def _race_builds(program) -> list:
    builders = [UserFactory.create(), UserFactory.create()]
    return race(
        lambda i: payout_batch_create(
            program=program, method=Method.ACCOUNT_CREDIT, actor=builders[i], build_now=True
        ),
        2,
    )


def _live_per_award(program) -> dict[int, int]:
    """{payouts live per award: number of awards}."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT live, count(*) FROM (SELECT award_id, count(*) AS live FROM payouts_payout "
            "WHERE program_id = %s AND status IN ('batched', 'released', 'paid') "
            "GROUP BY award_id) per_award GROUP BY live",
            [program.pk],
        )
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_two_builds_of_the_same_selection_at_once_leave_one_live_payout_per_award():
    program = ProgramFactory.create(currency="KRW")
    offer(program, Method.ACCOUNT_CREDIT)
    credit_awards_bulk(program, AWARDS)
    built = _race_builds(program)
    assert all(not isinstance(result, Exception) for result in built), built
    assert _live_per_award(program) == {1: AWARDS}
    assert sum(batch.payouts_count for batch in built) == AWARDS


@pytest.mark.django_db(transaction=True)
def test_control_without_the_unique_index_the_same_race_pays_awards_twice(monkeypatch):
    program = ProgramFactory.create(currency="KRW")
    offer(program, Method.ACCOUNT_CREDIT)
    credit_awards_bulk(program, AWARDS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'payout_one_live_per_award'"
        )
        (index_definition,) = cursor.fetchone()
        cursor.execute("DROP INDEX payout_one_live_per_award")
    # Without the index the build cannot name it in ON CONFLICT: what is left is its
    # NOT EXISTS look for a live payout, a check-then-act.
    conflict = "ON CONFLICT (award_id) WHERE status IN ('batched', 'released', 'paid') DO NOTHING"
    assert conflict in batches._BUILD
    monkeypatch.setattr(batches, "_BUILD", batches._BUILD.replace(conflict, ""))
    try:
        built = _race_builds(program)
        assert all(not isinstance(result, Exception) for result in built), built
        live = _live_per_award(program)
        assert live.get(2, 0) > 0, live  # the harness sees the race: awards paid twice
        assert sum(batch.payouts_count for batch in built) > AWARDS
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM payouts_payout WHERE program_id = %s", [program.pk])
            cursor.execute(index_definition)
    assert _live_per_award(program) == {}
