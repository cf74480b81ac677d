"""A notice can say whether accepting the compensation waives other claims, as the program's
published terms say: {{ waives_claims }} is "yes" then, empty otherwise."""

import pytest
from django.core import mail
from django.db import transaction

from compensation.services.terms import program_terms_seed
from notifications.models import NoticeTemplate
from notifications.rendering import template_problems
from notifications.services import notice_enqueue, notices_dispatch
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db

BODY = (
    "Claim {{ claim_reference }} received.{% if waives_claims %} Accepting it waives your "
    "other claims.{% endif %} {{ reference }} {{ verify_url }}"
)


def _body_for(program) -> str:
    NoticeTemplate.objects.filter(kind="claim_acknowledged", channel="email", language="en").update(
        body=BODY
    )
    with transaction.atomic():
        notice_enqueue(
            kind="claim_acknowledged",
            channel="email",
            language="en",
            to_address="someone@example.com",
            context={"claim_reference": "C-TEST"},
            program=program,
        )
    mail.outbox.clear()
    notices_dispatch(channel="email")
    assert len(mail.outbox) == 1
    return str(mail.outbox[0].body)


def test_a_template_may_print_whether_accepting_waives_claims():
    assert template_problems(kind="claim_acknowledged", subject="s", body=BODY) == []


def test_the_terms_say_it_and_the_notice_prints_it():
    waiving = ProgramFactory.create()
    program_terms_seed(
        program=waiving,
        texts={code: {"change_summary": "First."} for code in ("ko", "en", "zh-hans")},
        actor_label="test",
        accepting_waives_claims=True,
    )
    assert "Accepting it waives your other claims." in _body_for(waiving)


def test_without_a_waiver_in_the_terms_the_notice_says_nothing_of_it():
    plain = ProgramFactory.create()
    assert "waives" not in _body_for(plain)
