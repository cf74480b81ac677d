import os

import pytest
from django.core.cache import cache
from django.utils import timezone

from compensation.hashing import email_hash, phone_hash
from compensation.models import Award, AwardLine
from tests.factories import AffectedPersonFactory, AwardLineFactory, ProgramFactory
from vouchers.models import Voucher


@pytest.fixture(autouse=True)
def _isolated(monkeypatch):
    """No broker: notices are recorded in the outbox, the dispatch hint is dropped."""
    cache.clear()
    monkeypatch.setattr("config.queueing.task_send", lambda *a, **k: True)
    yield
    cache.clear()


def person_make(program, **fields):
    """An affected person with the keyed hashes the population import stores."""
    person = AffectedPersonFactory.build(program=program, **fields)
    person.email_hash = email_hash(person.email) if person.email else None
    person.phone_hash = phone_hash(person.phone) if person.phone else None
    person.save()
    return person


def voucher_make(person, last4: str, *, scope: str = "store", state: str = "issued") -> Voucher:
    """A proactive award of the person and its voucher, whose stored last four is `last4`."""
    line = AwardLine.objects.filter(program=person.program, code=scope).first()
    if line is None:
        line = AwardLineFactory.create(program=person.program, code=scope, service_scope=scope)
    award = Award.objects.create(
        program=person.program,
        person=person,
        source="proactive",
        award_line=line,
        unit=Award.objects.filter(person=person, award_line=line).count() + 1,
        kind="voucher",
        amount_minor=line.amount_minor,
        currency=person.program.currency,
    )
    return Voucher.objects.create(
        award=award,
        program=person.program,
        person=person,
        service_scope=scope,
        amount_minor=line.amount_minor,
        currency=person.program.currency,
        code_hash=os.urandom(16),
        hash_key_version=1,
        derive_key_version=1,
        last4=last4,
        state=state,
        issued_at=timezone.now(),
    )


@pytest.fixture
def desk_program(db):
    return ProgramFactory.create(name="Account breach compensation")


@pytest.fixture
def minji(desk_program):
    return person_make(
        desk_program,
        external_id="CU00012345",
        name="김민지",
        email="minji.kim@example.com",
        phone="010-2345-6789",
        data_categories=["name", "email", "phone", "address"],
    )
