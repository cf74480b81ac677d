"""Every affected person belongs to an existing program, enforced by the database's statement-
level triggers (migration 0007), not by the ORM: raw SQL is refused too."""

import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction

from compensation.models import AffectedPerson, Program
from tests.factories import AffectedPersonFactory, ProgramFactory

_INSERT = (
    "INSERT INTO compensation_affectedperson (program_id, external_id, name, email, phone, "
    "language, region, segment, account_status, data_categories, created_at, updated_at) "
    "VALUES (%s, %s, '', '', '', 'ko', '', '', 'active', '{}', now(), now())"
)


@pytest.mark.django_db
def test_a_person_naming_a_program_that_does_not_exist_is_refused():
    program = ProgramFactory()
    # One statement, one good row and one bad: the whole statement is refused.
    with (
        pytest.raises(IntegrityError, match="does not exist"),
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
def test_a_person_cannot_move_to_another_program():
    person = AffectedPersonFactory()
    other = ProgramFactory()
    with pytest.raises(IntegrityError, match="cannot move"), transaction.atomic():
        AffectedPerson.objects.filter(pk=person.pk).update(program=other)
    AffectedPerson.objects.filter(pk=person.pk).update(name="Renamed")  # other columns may change


@pytest.mark.django_db
def test_a_program_with_people_cannot_be_deleted_even_in_raw_sql():
    person = AffectedPersonFactory()
    with (
        pytest.raises(IntegrityError, match="cannot be deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM compensation_program WHERE id = %s", [person.program_id])
    empty = ProgramFactory()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM compensation_program WHERE id = %s", [empty.pk])
    assert not Program.objects.filter(pk=empty.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_delete_racing_an_uncommitted_import_waits_for_it_and_is_refused():
    """The insert locks its program FOR KEY SHARE, as a foreign key does: a concurrent delete
    waits for the insert to commit, then sees its people and is refused."""
    program = ProgramFactory()
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
    assert len(outcome) == 1 and isinstance(outcome[0], IntegrityError), outcome
    assert Program.objects.filter(pk=program.pk).exists()
    assert AffectedPerson.objects.filter(program=program).count() == 1
