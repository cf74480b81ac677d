import datetime as dt
import os

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from compensation.claimant_session import Claimant
from compensation.hashing import email_hash
from compensation.models import ClaimType
from demo.documents import PDF
from tests.factories import (
    ClaimantPersonFactory,
    ClaimTypeFactory,
    ProgramFactory,
    published_policy,
)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    """Own media folder, fresh throttle counters, and no broker: notices are recorded in the
    outbox (the database), the dispatch hint is dropped."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    monkeypatch.setattr("config.queueing.task_send", lambda *a, **k: True)
    yield
    cache.clear()


@pytest.fixture
def program(db):
    program = ProgramFactory.create(name="Account breach compensation")
    published_policy(program)
    return program


@pytest.fixture
def documented(program):
    return ClaimTypeFactory(program=program, code="documented-loss", cap_per_claim_minor=500_000)


@pytest.fixture
def good_faith(program):
    return ClaimTypeFactory(
        program=program,
        code="good-faith-purchase",
        calculation=ClaimType.Calculation.PURCHASE_REFUND,
        required_documents=["proof_of_purchase"],
        requires_affected_record=False,
        title={"en": "Good-faith purchase", "ko": "선의 구매", "zh-hans": "善意购买"},
    )


@pytest.fixture
def person(program):
    return ClaimantPersonFactory(program=program, email="minji@example.com", language="en")


@pytest.fixture
def claimant(person):
    return Claimant(person=person, email_hash=email_hash(person.email))


def pdf(name="receipt.pdf", content=None):
    content = content if content is not None else PDF + os.urandom(8)
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def claimant_session(client, *, person=None, email="minji@example.com"):
    """Sign a claimant in as the code check would (tests of other pages start here)."""
    session = client.session
    session["claimant_person_id"] = person.pk if person else None
    digest = email_hash(email)
    assert digest is not None, email
    session["claimant_email_hash"] = digest.hex()
    session["claims_contact_email"] = email
    session.save()
    return client


def days_ago(days: int):
    return timezone.now() - dt.timedelta(days=days)
