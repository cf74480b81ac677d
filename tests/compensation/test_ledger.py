import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import F

from compensation.errors import AlreadyAwarded, BudgetExceeded
from compensation.models import Award, Program
from compensation.services.ledger import award_grant, award_reverse
from tests.factories import AffectedPersonFactory, AwardLineFactory, ProgramFactory
from tests.support import race


def _grant(program, reference):
    return award_grant(
        program=program,
        kind="cash",
        amount_minor=10_000,
        source="claim",
        claim_reference=reference,
        actor_label="test",
    )


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_approvals_against_a_budget_for_ten_grant_exactly_ten():
    program = ProgramFactory.create(budget_minor=100_000)
    results = race(lambda i: _grant(program, f"C-{i}"), 50)
    granted = [r for r in results if isinstance(r, Award)]
    refused = [r for r in results if isinstance(r, BudgetExceeded)]
    assert len(granted) == 10
    assert len(refused) == 40
    program.refresh_from_db()
    assert program.committed_minor == 100_000 == sum(a.amount_minor for a in granted)
    assert Award.objects.filter(program=program).count() == 10


@pytest.mark.django_db(transaction=True)
def test_control_a_check_then_act_budget_overspends_under_the_samerace():
    """Shows the harness above can see a race: the naive read-check-write version, run the
    same way, commits more than the budget (the database CHECK is dropped for the control)."""
    program = ProgramFactory.create(budget_minor=100_000)
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE compensation_program DROP CONSTRAINT program_committed_within_budget"
        )
    try:

        def naive(i):
            with transaction.atomic():
                current = Program.objects.get(pk=program.pk)
                if current.committed_minor + 10_000 > current.budget_minor:
                    return "refused"
                threading.Event().wait(0.01)  # the gap between check and act
                Program.objects.filter(pk=program.pk).update(
                    committed_minor=F("committed_minor") + 10_000
                )
                return "granted"

        results = race(naive, 50)
        program.refresh_from_db()
        assert results.count("granted") > 10
        assert program.committed_minor > program.budget_minor
    finally:
        Program.objects.filter(pk=program.pk).update(committed_minor=0)
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE compensation_program ADD CONSTRAINT "
                "program_committed_within_budget CHECK (committed_minor >= 0 AND "
                "committed_minor <= budget_minor)"
            )


@pytest.mark.django_db
def test_the_same_claim_is_never_awarded_twice_and_the_budget_is_untouched():
    program = ProgramFactory.create(budget_minor=100_000)
    _grant(program, "C-1")
    with pytest.raises(AlreadyAwarded):
        _grant(program, "C-1")
    program.refresh_from_db()
    assert program.committed_minor == 10_000
    assert Award.objects.count() == 1


@pytest.mark.django_db
def test_a_person_gets_each_proactive_line_once():
    line = AwardLineFactory.create(amount_minor=5_000)
    person = AffectedPersonFactory.create(program=line.program)
    kwargs: dict[str, Any] = {
        "program": line.program,
        "kind": "voucher",
        "amount_minor": 5_000,
        "source": "proactive",
        "person": person,
        "award_line": line,
        "actor_label": "test",
    }
    award_grant(**kwargs)
    with pytest.raises(AlreadyAwarded):
        award_grant(**kwargs)
    line.program.refresh_from_db()
    assert line.program.committed_minor == 5_000


@pytest.mark.django_db
def test_the_database_refuses_a_committed_total_above_budget_whatever_the_code_does():
    from django.db import IntegrityError

    program = ProgramFactory.create(budget_minor=100)
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=program.pk).update(committed_minor=101)


@pytest.mark.django_db
def test_reversing_gives_the_money_back_once():
    program = ProgramFactory.create(budget_minor=100_000)
    award = _grant(program, "C-9")
    award_reverse(award=award, reason="refund", actor_label="test")
    award_reverse(award=award, reason="refund", actor_label="test")
    program.refresh_from_db()
    assert program.committed_minor == 0
    assert Award.objects.get(pk=award.pk).status == Award.Status.REVERSED
    _grant(program, "C-9")  # a reversed claim award may be granted again


@pytest.mark.django_db
def test_award_ids_are_time_ordered_in_python_and_in_postgresql():
    from compensation.ids import uuid7

    first, second = uuid7(), uuid7()
    assert first.version == 7
    assert first.variant == "specified in RFC 4122"
    assert first.int >> 80 <= second.int >> 80
    with connection.cursor() as cursor:
        cursor.execute("SELECT uuid_v7(), uuid_v7()")
        a, b = cursor.fetchone()
    assert a.version == 7
    assert a != b
    assert abs((a.int >> 80) - (first.int >> 80)) < 60_000  # same clock, within a minute


@pytest.mark.django_db
def test_an_incomplete_award_is_an_integrity_error_not_already_awarded_and_nothing_changes():
    from django.db import IntegrityError

    program = ProgramFactory.create(budget_minor=100_000)
    with pytest.raises(IntegrityError) as error:
        # A proactive award needs a person and an award line (award_source_complete).
        award_grant(
            program=program,
            kind="voucher",
            amount_minor=5_000,
            source="proactive",
            actor_label="test",
        )
    assert "award_source_complete" in str(error.value)
    program.refresh_from_db()
    assert program.committed_minor == 0
    assert not Award.objects.exists()
