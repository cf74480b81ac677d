"""References checked once per statement (compensation/references.py): an affected person's
program, an award's program / person / line / claim type / policy, a voucher's run and freeze.
Enforced by the database, not by the ORM: raw SQL is refused too."""

import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction

from compensation.models import AffectedPerson, Award, Program
from compensation.services.policy import policy_draft_create
from demo import data
from tests.factories import AffectedPersonFactory, AwardLineFactory, ProgramFactory

_INSERT = (
    "INSERT INTO compensation_affectedperson (program_id, external_id, name, email, phone, "
    "language, region, segment, account_status, data_categories, created_at, updated_at) "
    "VALUES (%s, %s, '', '', '', 'ko', '', '', 'active', '{}', now(), now())"
)


def _proactive_award() -> Award:
    person = AffectedPersonFactory.create()
    lines = [
        AwardLineFactory.create(program=person.program, **{**line, "position": position})
        for position, line in enumerate(data.AWARD_LINES)
    ]
    line = lines[0]
    policy = policy_draft_create(
        program=person.program, rules=data.POLICY_RULES, actor_label="test"
    )
    return Award.objects.create(
        program=person.program,
        person=person,
        source=Award.Source.PROACTIVE,
        award_line=line,
        kind="voucher",
        amount_minor=5_000,
        currency="KRW",
        policy=policy,
    )


@pytest.mark.django_db
def test_a_person_naming_a_program_that_does_not_exist_is_refused():
    program = ProgramFactory.create()
    # One statement, one good row and one bad: the whole statement is refused.
    with (
        pytest.raises(IntegrityError, match="names no row"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            _INSERT.replace(
                "now())",
                "now()), (%s, %s, '', '', '', 'ko', '', '', 'active', '{}', now(), now())",
            ),
            [program.pk, "OK1", program.pk + 1000, "BAD1"],
        )
    assert not AffectedPerson.objects.exists()


@pytest.mark.django_db
def test_a_person_cannot_be_moved_to_a_program_that_does_not_exist():
    person = AffectedPersonFactory.create()
    with pytest.raises(IntegrityError, match="names no row"), transaction.atomic():
        AffectedPerson.objects.filter(pk=person.pk).update(program_id=person.program_id + 1000)
    other = ProgramFactory.create()
    AffectedPerson.objects.filter(pk=person.pk).update(program=other)  # an existing one: fine


_AWARD_COLUMNS = (
    "program_id, person_id, source, award_line_id, unit, claim_type_id, claim_reference, kind, "
    "amount_minor, currency, status, policy_id, explanation"
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "column", ["program_id", "person_id", "award_line_id", "claim_type_id", "policy_id"]
)
def test_an_award_naming_a_missing_row_is_refused_on_insert_and_update(column):
    award = _proactive_award()
    copied = _AWARD_COLUMNS.replace("unit,", "unit + 1,").replace(column, "999999")
    with (
        pytest.raises(IntegrityError, match="names no row"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            f"INSERT INTO compensation_award (public_id, {_AWARD_COLUMNS}, created_at, "
            f"updated_at) SELECT gen_random_uuid(), {copied}, now(), now() "
            "FROM compensation_award WHERE id = %s",
            [award.pk],
        )
    with (
        pytest.raises(IntegrityError, match="names no row"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE compensation_award SET {column} = 999999 WHERE id = %s", [award.pk])


@pytest.mark.django_db
def test_rows_an_award_names_cannot_be_deleted():
    award = _proactive_award()
    for table, pk in [
        ("compensation_affectedperson", award.person_id),
        ("compensation_awardline", award.award_line_id),
        ("compensation_policyversion", award.policy_id),
    ]:
        with (
            pytest.raises(IntegrityError, match="cannot be deleted"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])


@pytest.mark.django_db
def test_a_program_with_people_cannot_be_deleted_even_in_raw_sql():
    person = AffectedPersonFactory.create()
    with (
        pytest.raises(IntegrityError, match="cannot be deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM compensation_program WHERE id = %s", [person.program_id])
    empty = ProgramFactory.create()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM compensation_program WHERE id = %s", [empty.pk])
    assert not Program.objects.filter(pk=empty.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_delete_racing_an_uncommitted_import_waits_for_it_and_is_refused():
    """The insert locks its program FOR KEY SHARE, as a foreign key does: a concurrent delete
    waits for the insert to commit, then sees its people and is refused."""
    program = ProgramFactory.create()
    inserted = threading.Event()
    outcome: list = []

    def delete():
        inserted.wait()
        try:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM compensation_program WHERE id = %s", [program.pk])
            outcome.append("deleted")
        except IntegrityError as exc:
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=delete)
    thread.start()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_INSERT, [program.pk, "RACE1"])
        inserted.set()
        time.sleep(0.5)  # the delete is now waiting on the program row
        assert not outcome
    thread.join(10)
    assert len(outcome) == 1, outcome
    assert isinstance(outcome[0], IntegrityError), outcome
    assert Program.objects.filter(pk=program.pk).exists()
    assert AffectedPerson.objects.filter(program=program).count() == 1
