"""Claim notices go by SMS to a claimant without an email (the affected record's phone), by
email otherwise; a claimant with neither is told on the claim's page only."""

import os

import pytest
from django.db import transaction

from claims.notices import notice_channel_address, notice_claim_acknowledged
from notifications.models import Notice
from tests.factories import AffectedPersonFactory, ClaimFactory

pytestmark = pytest.mark.django_db


def _claim(program, **person):
    return ClaimFactory.create(
        program=program,
        person=AffectedPersonFactory.create(program=program, **person),
        claimant_email_hash=os.urandom(32),
    )


def test_a_claimant_without_an_email_gets_the_claim_notice_by_sms(program):
    claim = _claim(program, email="", phone="010-4444-0202")
    assert notice_channel_address(claim) == ("sms", "010-4444-0202")
    with transaction.atomic():
        notice_claim_acknowledged(claim=claim)
    notice = Notice.objects.get(dedupe_key=f"claim:{claim.reference}:ack")
    assert (notice.channel, notice.to_address) == ("sms", "010-4444-0202")


def test_email_comes_first_and_nobody_without_an_address_gets_a_notice(program):
    both = _claim(program, email="both@example.com", phone="010-4444-0303")
    assert notice_channel_address(both) == ("email", "both@example.com")
    neither = _claim(program, email="", phone="")
    assert notice_channel_address(neither) == ("", "")
    with transaction.atomic():
        notice_claim_acknowledged(claim=neither)
    assert not Notice.objects.filter(dedupe_key=f"claim:{neither.reference}:ack").exists()
